"""``assert_equivariant``: the CI gate for any torch module or callable, with one or several blocks.

    ef.assert_equivariant(model, ef.groups.o3(), (Irreps("1o"), "cartesian_points"), Irreps("0e + 1o"))

Inputs are drawn (or taken from ``inputs=``) in float64, transformed in float64 and cast to the
function's own dtype and device; TF32 is off while it runs. The gate measures every output block
under the elements of ``elements.elements_to_try`` on two sets of inputs (for a continuous group
staged: the covering subgroup's generators and 8 Haar samples first, the other elements only when
that stage is not far below the tolerance; ``gate.search``), then hill-climbs from the worst pairs
over inputs and elements (a float32/float16 function on its float64 version, against its own
tolerance). A pass is returned only when every output block responds to its
inputs (``gate.vacuity``; else ``VacuousCheckError``). A failure is diagnosed by experiment
(``gate.diagnosis``), shrunk keeping its class (``report.gate_minimize``), written as a
report (``report.gate_case``) and raised as ``EquivarianceError``; a float32/float16 failure that disappears when the
function is re-run in float64 (against the same tolerance) is rounding: the gate passes, warns
``RoundingWarning`` and the verdict says so. The function runs with gradients enabled, so a model may
differentiate inside (forces -dE/dx by ``torch.autograd.grad``); see ``search.probe.Probe``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors.exceptions import DeviceError, EquivarianceError, InvalidArgument, ShapeError, VacuousCheckError
from ..errors.validation import check_callable, check_int, check_tolerance, check_type, describe
from ..groups.continuous import ContinuousGroup
from ..groups.elements import elements_to_try
from ..groups.finite import FiniteGroup
from ..groups.validation import check_group
from ..oracles.verdict import Verdict
from ..profiles.records import PROFILES, GateBudget, active_profile
from ..report.gate_case import function_name, write_gate_report
from ..report.gate_minimize import minimize, what_failed
from ..reps.continuous import ContinuousRepresentation
from ..reps.finite import Representation
from ..search import no_tf32
from .actions import as_actions
from .batch import Batcher
from .batching import AUTO, first_evaluation
from .check import Probe, compare, default_tolerances, measure, transform_inputs
from .diagnosis import Diagnosis, diagnose
from .float64 import as_float64
from .grid import on_grid, size_note
from .nodes import name_blocks, node_count, permutes, with_node_permutations
from .search import (
    Float64Version,
    Trial,
    draw_inputs,
    evaluate_many,
    search,
    search_in_float64,
    staging,
    translation_scale,
)
from .vacuity import allowed_constant, responses, vacuous_message

__all__ = ["assert_equivariant", "GateVerdict", "Budget", "BUDGETS", "RoundingWarning"]


class RoundingWarning(UserWarning):
    """A low-precision failure that disappears in float64: rounding, not a broken symmetry."""


# how hard the gate looks, per profile: read from the one profile record (equifuzz.profiles)
Budget = GateBudget
BUDGETS = {name: record.gate for name, record in PROFILES.items()}


@dataclass(frozen=True)
class GateVerdict(Verdict):
    """Worst error-to-tolerance ``ratio`` over output blocks, elements and inputs (holds when <= 1),
    with the block, element and numbers behind it."""

    ratio: float
    error: float
    tolerance: float
    rtol: float
    atol: float
    scale: float
    output_block: int
    output_name: str
    n_outputs: int
    element: str
    element_matrix: np.ndarray | None
    element_index: int | None
    translation: np.ndarray | None
    dtype: str
    device: str
    seed: int
    profile: str
    n_elements: int
    n_evaluations: int
    block_ratios: tuple[float, ...] = ()
    rounding: bool = False
    float64_ratio: float | None = None
    float64_failure: str | None = None
    report: str | None = None
    #: a failure's experiments (``gate.diagnosis``): rows, the cause they show, a suggested rtol or None
    diagnosis: dict[str, Any] | None = None
    #: the subgroup actually gated when some elements cannot act exactly (images: rotations off the grid)
    subgroup: str | None = None
    #: images drawn at several sizes, failing at some only: which fail and which hold
    sizes: str | None = None
    #: the axis the input sets were stacked along (None: every set evaluated on its own), and why
    batch_dim: int | None = None
    batching: str = ""
    #: how the first evaluation was staged (``search.staging``), and whether it grew to every element
    first_evaluation: str = ""

    def __str__(self) -> str:
        head = "equivariant" if self.holds else "NOT equivariant"
        if self.rounding:
            head = f"equivariant up to rounding (fails in {self.dtype} with ratio {self.ratio:.3g}, holds in float64 " \
                   f"with ratio {self.float64_ratio:.3g})"
        if self.float64_failure is not None:
            head += f" (rounding unanswered: the float64 re-check failed with {self.float64_failure})"
        s = (f"{head} [worst output {self.output_block} ({self.output_name}): error {self.error:.3e} vs tolerance "
             f"{self.tolerance:.3e} = atol {self.atol:.2e} + rtol {self.rtol:.2e} x scale {self.scale:.3g}; "
             f"{self.n_elements} (element, input set) pairs, {self.n_evaluations} evaluations; {self.dtype} on "
             f"{self.device}; seed {self.seed}, profile {self.profile}]")
        s += f"\n  {self.batching}" if self.batching else ""
        s += f"\n  {self.first_evaluation}" if self.first_evaluation else ""
        return s + f"\n  worst element: {self.element}" + ("" if self.subgroup is None else f"\n  {self.subgroup}")


def _dtype_device(fn: Any, inputs: Sequence[Any] | None, dtype: torch.dtype | None,
                  device: str | torch.device | None) -> tuple[torch.dtype, torch.device]:
    own: torch.Tensor | None = None
    if isinstance(fn, torch.nn.Module):
        own = next((t for t in [*fn.parameters(), *fn.buffers()] if t.is_floating_point()), None)
    if own is None and inputs is not None:
        own = next((x for x in inputs if isinstance(x, torch.Tensor) and x.is_floating_point()), None)
    dt = dtype or (own.dtype if own is not None else torch.float64)
    dev = torch.device(device) if device is not None else (own.device if own is not None else torch.device("cpu"))
    if own is not None and device is not None and own.device.type != dev.type:
        raise DeviceError(f"the function's tensors are on {own.device} but device={str(dev)!r}: move the module "
                          "or leave device unset (the gate then uses the module's device)")
    return dt, dev


def _as64(fn: Any) -> Any:
    return as_float64(fn)  # a float64 view of a module, or its converted copy (gate/float64.py)


def assert_equivariant(
    fn: Callable[..., Any],
    group: FiniteGroup | ContinuousGroup,
    rho_in: Any,
    rho_out: Any,
    *,
    inputs: Any = None,
    profile: str | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    seed: int = 0,
    report_dir: str | os.PathLike[str] | None = None,
    batch_dim: int | str | None = AUTO,
    allow_constant: bool | Sequence[int] = False,
) -> GateVerdict:
    """Check fn(g.x) = g.fn(x) for every block; return the verdict or raise ``EquivarianceError``.

    ``rho_in``/``rho_out``: a representation of ``group`` (finite or SO(2)/O(2)/SO(3)/O(3)), an e3nn
    ``Irreps``, ``"cartesian_points"`` (rotate and translate), ``None`` (does not transform; an input
    given in ``inputs``, or an invariant output), or a tuple of those for several inputs/outputs.
    ``inputs``: tensors to start from (required for blocks that do not transform); else Gaussians.
    Tolerance per output block: ``atol + rtol * scale`` with scale the largest output entry; defaults
    ``rtol = eps(dtype)^(2/3)`` and ``atol = 64 eps(dtype) x`` the largest output entry of all blocks.
    ``profile`` (default: EQUIFUZZ_PROFILE, ``ci`` under CI, else ``dev``) sets the budgets
    (:data:`BUDGETS`); ``device`` defaults to the module's; ``dtype`` is for parameter-free callables
    (default: the inputs' dtype, else float64). The report goes to ``report_dir`` (default
    ``$EQUIFUZZ_REPORTS``, else ``reports/``). ``batch_dim``: the axis along which the function maps
    every input and output block entry by entry; the gate then stacks many (element, input) pairs into
    few calls (``batch``) after checking that claim on the first input set (a false claim raises
    ``BatchIndependenceError``). The default ``"auto"`` finds out whether entries along the leading axis
    are independent and batches only then (``batching``); ``None`` never batches. The verdict's
    ``batch_dim`` and ``batching`` say how it was evaluated, and why not batched.
    A pass is returned only when every output block responds to the inputs (``gate.vacuity``): a block
    that is identically zero or constant raises ``VacuousCheckError`` unless ``allow_constant`` declares
    it (``True``, or the indices of such output blocks). A failure is diagnosed by experiment
    (``gate.diagnosis``: the table is in the message and the report) and shrunk keeping its class.
    """
    if batch_dim is not None and batch_dim != AUTO and (isinstance(batch_dim, bool) or not isinstance(batch_dim, int)):
        raise ShapeError(f"batch_dim must be an int (the batch axis of every block), 'auto' (the default: the gate "
                         f"finds out) or None (never batch), got {batch_dim!r}")
    check_callable("fn", fn)
    check_group("group", group, continuous_ok=True)
    if profile is not None and (not isinstance(profile, str) or profile not in BUDGETS):
        raise InvalidArgument(f"unknown equifuzz profile {describe(profile)}: profile must be one of "
                              f"{', '.join(BUDGETS)} or None")
    atol = check_tolerance("atol", atol, allow_none=True)
    rtol = check_tolerance("rtol", rtol, allow_none=True)
    seed = check_int("seed", seed, min=0)
    if dtype is not None:
        check_type("dtype", dtype, torch.dtype, "a torch floating dtype such as torch.float64, or None")
    if report_dir is not None:
        check_type("report_dir", report_dir, (str, os.PathLike), "a folder path or None")
    for nm, r in (("rho_in", rho_in), ("rho_out", rho_out)):
        if isinstance(r, (tuple, list)) and not r:
            raise InvalidArgument(f"{nm} must name at least one block, got an empty {type(r).__name__}")
    pre_calls = 0  # calls of fn before the probe exists (they count toward n_evaluations too)
    if inputs is None and isinstance(rho_in, (Representation, ContinuousRepresentation)):
        dt0, dev0 = _dtype_device(fn, None, dtype, device)
        x0 = torch.from_numpy(np.random.default_rng(seed).standard_normal((2, rho_in.dim))).to(dt0).to(dev0)
        try:
            with torch.no_grad(), no_tf32():
                try:
                    pre_calls += 1
                    fn(x0)
                except (TypeError, AttributeError):  # a numpy callable (the gate calls it with arrays)
                    if isinstance(fn, torch.nn.Module):
                        raise
                    pre_calls += 1
                    fn(x0.cpu().numpy())
        except Exception as exc:
            raise InvalidArgument(f"fn cannot be called on a batch of shape {tuple(x0.shape)} ({dt0}) for rho_in of "
                                  f"dimension {rho_in.dim}: {type(exc).__name__}: {exc}") from exc
    in_actions, in_tuple = as_actions(rho_in, group, "rho_in")
    out_actions, out_tuple = as_actions(rho_out, group, "rho_out")
    group, in_actions, out_actions, subgroup = on_grid(group, in_actions, out_actions)  # images: exact elements only
    in_actions, out_actions = name_blocks(in_actions, "input"), name_blocks(out_actions, "output")
    if inputs is not None and not in_tuple:
        if in_actions[0].transforms and isinstance(inputs, (tuple, list)):
            raise ShapeError(f"rho_in names one input block, so inputs must be one tensor, got a "
                             f"{type(inputs).__name__} of {len(inputs)}; pass inputs=x (or a tuple rho_in with one "
                             "entry per block)")
        inputs = [inputs]
    elif inputs is not None and (isinstance(inputs, torch.Tensor) or not isinstance(inputs, (tuple, list))):
        raise ShapeError(f"rho_in names {len(in_actions)} input blocks, so inputs must be a tuple of as many tensors")
    name = active_profile(profile)
    budget = BUDGETS[name]
    dt, dev = _dtype_device(fn, inputs, dtype, device)
    rtol_, atol_ = default_tolerances(dt, rtol, atol)
    rng = np.random.default_rng(seed)
    with no_tf32():
        probe = Probe(fn, dt, dev, in_actions, out_actions, out_tuple)
        sets = draw_inputs(in_actions, inputs, budget.n_inputs, seed, dev)
        elements = elements_to_try(group, budget.n_words, rng, translation_scale(in_actions, sets[0]))
        if permutes(in_actions) or permutes(out_actions):
            elements = with_node_permutations(group, elements, node_count(in_actions, sets[0]), budget.n_words, rng)
        # a float32/float16 function's float64 version, on which the search climbs and a first stage that is
        # not far below the tolerance is measured again (gate/search.py)
        f64 = Float64Version(fn, probe) if dt != torch.float64 else None
        batching = first_evaluation(fn, probe, sets, elements, batch_dim, rtol=rtol_, atol=atol_,
                                    staged=staging(group, elements), float64=f64)  # gate/batching.py
        for _ in range(2):  # again, unbatched, only when a batched failure does not reproduce with single calls
            batcher, trials = batching.batcher, sorted(batching.trials, key=lambda t: -t.ratio)
            tried = len(trials)
            if trials[0].ratio <= 1.0 and budget.search_rounds:
                searched: dict[str, int] = {}
                climbed = _search(probe, group, trials[:budget.search_width], budget, batching, f64, rtol=rtol_,
                                  atol=atol_, seed=seed, stats=searched)
                tried += searched["tried"]  # the rounds run (the search may stop early)
                trials = sorted(climbed + trials, key=lambda t: -t.ratio)
            if trials[0].ratio <= 1.0 or batching.confirms(probe, trials[0], rtol=rtol_, atol=atol_):
                break
            batching = batching.restart_unbatched(probe, sets, elements, rtol=rtol_, atol=atol_)
        worst = trials[0]
        holds = worst.ratio <= 1.0
        rounding, ratio64, failure64, p64 = False, None, None, None
        if not holds and dt != torch.float64:
            rounding, ratio64, failure64, p64 = _only_rounding(fn, probe, trials[:budget.search_width], rtol_, atol,
                                                               batching.dim)
        report, diagnosis, found = None, None, worst
        if holds or rounding:  # a pass must have tested something: every output block responds to its inputs
            _vacuity(fn, group, probe, sets, trials, allow_constant, rtol_, atol_, seed)
        if not holds and not rounding:
            diagnosis = diagnose(probe, group, worst, rtol=rtol_, atol=atol_, dtype=str(dt).replace("torch.", ""),
                                 ratio64=ratio64, failure64=failure64, probe64=p64, seed=seed,
                                 translation=(translation_scale(in_actions, sets[0]) or (0, 1.0))[1])
            many = None if batcher is None else (
                lambda xs, gs: evaluate_many(probe, batcher, [xs], gs, rtol=rtol_, atol=atol_)[0])
            shrunk = minimize(probe, group, worst, rtol=rtol_, atol=atol_, max_checks=budget.minimize_checks,
                              measure_elements=many)
            worst, log = shrunk.trial, shrunk.log
            out = Path(report_dir or os.environ.get("EQUIFUZZ_REPORTS") or "reports")
            report = str(write_gate_report(fn, probe, worst, group=group, out=out, seed=seed, profile=name, log=log,
                                           atol_given=atol, tried=trials, found=found, rows=shrunk.rows,
                                           diagnosis=diagnosis.record(), diagnosis_table=diagnosis.table(),
                                           what=what_failed(worst.g, in_actions),
                                           notes=_notes(worst, str(dt).replace("torch.", ""), failure64)
                                           + [n for n in (subgroup, size_note(trials, in_actions)) if n]))
    m, k = worst.m, worst.m.block
    verdict = GateVerdict(
        holds or rounding, m.ratio, m.errors[k], m.tolerances[k], m.rtol, m.atol, m.scales[k], k,
        out_actions[k].name, len(out_actions), worst.g.describe(), worst.g.matrix, worst.g.index,
        worst.g.translation, str(dt).replace("torch.", ""), str(dev), seed, name, tried,
        pre_calls + probe.calls + (p64.calls if p64 is not None else 0) + (diagnosis.calls if diagnosis else 0)
        + (f64.calls if f64 is not None else 0),
        block_ratios=m.ratios, rounding=rounding, float64_ratio=ratio64, float64_failure=failure64, report=report,
        subgroup=subgroup, sizes=None if holds else size_note(trials, in_actions), batch_dim=batching.dim,
        batching=batching.note, first_evaluation=batching.stage,
        diagnosis=None if diagnosis is None else diagnosis.record(),
    )
    if rounding:
        warnings.warn(RoundingWarning(f"{function_name(fn)}: {verdict}"), stacklevel=2)
    if not verdict.holds:
        raise EquivarianceError(_message(fn, group, verdict, in_actions, worst, diagnosis, found), verdict)
    return verdict


def _search(probe: Probe, group: Any, start: Sequence[Trial], budget: Budget, batching: Any,
            f64: Float64Version | None, *, rtol: float, atol: float | None, seed: int,
            stats: dict[str, int]) -> list[Trial]:
    """The search from ``start`` (``gate.search``): on the float64 version of a float32/float16 function
    (``search_in_float64``), else, or when the float64 version cannot be built or run, on the function
    itself. Returns the climbed trials (the function's own measures)."""
    p64 = None if f64 is None else f64.get()
    if p64 is not None:
        try:
            per = None if batching.batcher is None else batching.batcher.rows_per_call
            return search_in_float64(probe, p64, group, start, budget.search_rounds, rtol=rtol, atol=atol, seed=seed,
                                     batch_dim=batching.dim, rows_per_call=per, stats=stats)
        except Exception:  # the float64 version does not run: the search climbs on the function itself
            pass
    return search(probe, group, start, budget.search_rounds, rtol=rtol, atol=atol, seed=seed,
                  batcher=batching.batcher, stats=stats)


def _only_rounding(fn: Any, probe: Probe, trials: Sequence[Trial], rtol: float, atol: float | None,
                   batch_dim: int | None = None) -> tuple[bool, float | None, str | None, Probe | None]:
    """Re-measure the failing trials with the function in float64, against the same tolerance: a
    failure that disappears there is rounding in the lower precision. Every floating input is cast
    (blocks that do not transform too). A function that cannot run in float64 leaves the question
    unanswered: (False, None, what went wrong, ...), and the failure stands. The last entry is the
    float64 probe (its ``calls`` count toward the verdict's evaluations), or None."""
    p64 = None
    try:
        p64 = Probe(_as64(fn), torch.float64, probe.device, probe.in_actions, probe.out_actions, probe.out_tuple,
                    cast_all=True)
        p64.eps = probe.eps  # the default atol keeps the tested dtype's eps
        worst = 0.0
        failing = [t for t in trials if t.ratio > 1.0]
        if batch_dim is not None:  # x and g.x of every failing pair in one stacked call
            outs = Batcher(p64, batch_dim).many([z for t in failing for z in (t.xs, transform_inputs(p64, t.xs, t.g))])
            ratios = [compare(p64, outs[2 * i], outs[2 * i + 1], t.g, rtol=rtol, atol=atol).ratio
                      for i, t in enumerate(failing)]
        else:
            ratios = [measure(p64, t.xs, p64(t.xs), t.g, rtol=rtol, atol=atol).ratio for t in failing]
        worst = max(ratios, default=0.0)
    except Exception as exc:  # the failure is reported as found; only the rounding question is open
        return False, None, f"{type(exc).__name__}: {str(exc)[:300]}", p64
    return worst <= 1.0, worst, None, p64


def _outputs_at(probe: Probe, sets: Sequence[list[Any]], trials: Sequence[Trial]) -> list[list[torch.Tensor]]:
    """f at every input set, read off the trials measured on it (computed when none was)."""
    out = []
    for xs in sets:
        t = next((t for t in trials if len(t.xs) == len(xs) and all(a is b for a, b in zip(t.xs, xs, strict=True))),
                 None)
        out.append(list(t.ys) if t is not None else probe(xs))
    return out


def _vacuity(fn: Any, group: Any, probe: Probe, sets: Sequence[list[Any]], trials: Sequence[Trial],
             allow: bool | Sequence[int], rtol: float, atol: float | None, seed: int) -> None:
    """Raise ``VacuousCheckError`` when an output block not declared in ``allow`` does not respond to
    its inputs (``gate.vacuity``)."""
    if allow is not True and not isinstance(allow, (bool, list, tuple, set, frozenset, range)):
        raise InvalidArgument(f"allow_constant must be True, False or a sequence of output block indices, got "
                              f"{describe(allow)}")
    allowed = allowed_constant(allow, len(probe.out_actions))
    if len(allowed) == len(probe.out_actions):
        return
    found = responses(probe, sets, _outputs_at(probe, sets, trials), rtol=rtol, atol=atol, seed=seed)
    bad = [r for r in found if r.vacuous and r.block not in allowed]
    if bad:
        raise VacuousCheckError(vacuous_message(function_name(fn), str(getattr(group, "name", group)), bad,
                                                probe.in_actions, len(probe.out_actions)), bad)


def _notes(worst: Trial, dtype: str, failure64: str | None) -> list[str]:
    notes = []
    if failure64 is not None:
        notes.append(f"the float64 re-check could not run ({failure64}): whether this {dtype} failure is only "
                     "rounding is unanswered")
    return notes


def _message(fn: Any, group: Any, v: GateVerdict, in_actions: Sequence[Any], worst: Trial,
             diagnosis: Diagnosis | None = None, found: Trial | None = None) -> str:
    blocks = ", ".join(f"{j}: {a.name} {tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}"
                       for j, (a, x) in enumerate(zip(in_actions, worst.xs, strict=True)))
    msg = (f"{function_name(fn)} is not equivariant under {getattr(group, 'name', group)}: output block "
           f"{v.output_block} of {v.n_outputs} ({v.output_name}) fails at {what_failed(worst.g, in_actions)}: "
           f"{v.element}\n"
           f"  max |f(g.x) - g.f(x)| = {v.error:.3e} > tolerance {v.tolerance:.3e} (atol {v.atol:.2e} + rtol "
           f"{v.rtol:.2e} x output scale {v.scale:.3g}; {v.dtype} on {v.device})\n"
           f"  input blocks: {blocks}\n")
    if found is not None and found is not worst:
        k = found.m.block
        msg += (f"  as found (before minimization): output block {k}, error {found.m.errors[k]:.3e}, ratio "
                f"{found.ratio:.3g}, at {what_failed(found.g, in_actions)}: {found.g.label}\n")
    for note in _notes(worst, v.dtype, v.float64_failure):
        msg += f"  note: {note}\n"
    for extra in (v.subgroup, v.sizes):
        msg += f"  note: {extra}\n" if extra else ""
    if diagnosis is not None:
        msg += "  diagnosis (experiments on the failure as found):\n" + diagnosis.text("    ") + "\n"
    if v.report:
        msg += f"  minimal report: {v.report}/report.md (replay: python {v.report}/repro.py)\n"
    return msg + f"  seed {v.seed}, profile {v.profile}"
