"""Why the gate failed, by experiment: small controlled re-measurements of the failure as found.

On a failure the gate re-measures the failing (inputs, element) pair under controlled changes and
reports each experiment's outcome as a table (in the ``EquivarianceError`` message and ``report.md``):

- **float64 re-check** (a float32/float16 function): the function copied to float64 (done by the
  assertion; its outcome is passed in).
- **float32 inside** (a float64 function): the function runs once under a dispatch mode that records
  every operation taking or making a float32/float16/bfloat16 tensor, then once with each of them
  computed in float64 (tensors cast up, ``.float()`` and ``dtype=`` made float64, the default dtype
  float64). A failure that disappears there is shown to be float32 round-off inside the model.
- **input scale**: the inputs that transform (and the translation) scaled by 1e-2 ... 1e2. The
  relative error (error / output scale) of a constant of fixed absolute size inside the model (an
  epsilon added to coordinate differences, as ``F.pairwise_distance`` does) falls as the inputs grow;
  that of round-off or of a defect of fixed relative size does not.
- **element classes**: the same inputs under rotations (proper elements), reflections (improper
  ones), translations alone and node relabellings alone, where the group and the blocks have them.
- **output blocks**: the ratio of every output block at the failure.

A cause is named only when an experiment shows it (:func:`_cause`): float32 round-off when the failure
disappears with the float32 parts in float64 (then, and only then, an ``rtol`` that accepts the
measured relative errors is suggested); an absolute epsilon when the relative error falls with the
input scale by at least ``EPS_FALL`` over the range (slope <= ``EPS_SLOPE`` in log-log); otherwise a
defect, with the element classes that fail. No tolerance is suggested for an error that does not
behave like round-off.
"""

from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

from ..groups.continuous import ContinuousGroup
from ..groups.elements import Element
from ..groups.finite import FiniteGroup
from ..oracles.error import Measure, Trial, max_abs
from ..report.gate_minimize import improper
from ..search.probe import Probe, measure

__all__ = ["Diagnosis", "diagnose", "SCALES", "EPS_FALL", "EPS_SLOPE", "float32_experiment"]

#: the input scales tried
SCALES = (1e-2, 1e-1, 1.0, 1e1, 1e2)
#: an absolute epsilon: the relative error falls by at least this factor from the smallest to the
#: largest scale, with a log-log slope at most EPS_SLOPE
EPS_FALL = 100.0
EPS_SLOPE = -0.5
EPS_SLOPE_MIN = -1.5
#: the float32 operations cause "most of" a failure when computing them in float64 divides its ratio by this
PART = 10.0
#: the largest relative error that rounding constants to float32 can explain (~100 float32 epsilons)
ROUNDING_REACH = 1e-5
#: one float32 rounding, relative (half an ulp)
ROUNDING = 2.0 ** -24
#: re-rounding the stored float32 constants moves a failure that their rounding makes by about its size
#: (at least MOVES of it); a constant computed in float32 carries many roundings, so one more moves its
#: error less (a float32 QR: a few percent), and a move under STILL (1%) shows that their rounding does
#: not make the failure (constants the output's symmetry does not depend on, such as radial centres)
MOVES, STILL = 0.3, 0.01
#: re-roundings drawn (the one that moves the failure most is kept)
DRAWS = 3
#: an error (relative to the output's response) that stays within this factor over all scales is "scale-free"
FLAT = 10.0
#: the relative change of the inputs whose effect on the output the error is compared with
RESPONSE = 1e-3
_LOW = (torch.float32, torch.float16, torch.bfloat16)
_UP = {torch.float32: torch.float64, torch.float16: torch.float64, torch.bfloat16: torch.float64,
       torch.complex64: torch.complex128}


class _Float32Watch(TorchDispatchMode):
    """Counts operations on low-precision floating tensors; with ``promote`` runs them in float64.

    ``external`` counts the low-precision tensors an operation receives that no operation of the run
    made (nor ``torch.tensor`` from Python numbers): constants stored or cached in float32 before the
    run, whose rounding no float64 re-run can undo."""

    def __init__(self, promote: bool, jitter: torch.Generator | None = None) -> None:
        super().__init__()
        self.promote, self.seen, self.external = promote, 0, 0
        self.first: str | None = None
        self.made: dict[int, weakref.ref[torch.Tensor]] = {}
        self.jitter = jitter
        self.jittered: dict[int, tuple[weakref.ref[torch.Tensor], torch.Tensor]] = {}

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        leaves, _ = tree_flatten((args, kwargs))
        lows = [t for t in leaves if isinstance(t, torch.Tensor) and t.dtype in _LOW]
        low = bool(lows) or kwargs.get("dtype") in _LOW
        if lows and "lift_fresh" not in str(func):
            self.external += sum(1 for t in lows if not self._made(t))
        if self.promote:
            fresh = "lift_fresh" in str(func)

            def up(t: Any) -> Any:
                if isinstance(t, torch.Tensor) and t.dtype in _UP:
                    if self.jitter is not None and not fresh and t.dtype in _LOW and not self._made(t):
                        return self._rerounded(t)
                    return t.to(_UP[t.dtype])
                return _UP.get(t, t) if isinstance(t, torch.dtype) else t

            args, kwargs = tree_map(up, args), tree_map(up, kwargs)
        out = func(*args, **kwargs)
        outs = [t for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]
        for t in outs:
            self.made[id(t)] = weakref.ref(t)
        if not low:
            low = any(t.dtype in _LOW for t in outs)
        if low:
            self.seen += 1
            self.first = self.first or str(func)
        return out

    def _rerounded(self, t: torch.Tensor) -> torch.Tensor:
        """A stored float32 tensor in float64, every entry that may have been rounded moved by up to one
        float32 rounding (the same draw every time the run meets it)."""
        hit = self.jittered.get(id(t))
        if hit is not None and hit[0]() is t:
            return hit[1]
        assert self.jitter is not None
        u = torch.rand(t.shape, generator=self.jitter, dtype=torch.float64).to(t.device)
        out = t.to(torch.float64) * (1.0 + ROUNDING * (2.0 * u - 1.0) * _rounded(t))
        self.jittered[id(t)] = (weakref.ref(t), out)
        return out

    def _made(self, t: torch.Tensor) -> bool:
        ref = self.made.get(id(t))
        return ref is not None and ref() is t


@contextlib.contextmanager
def _default_float64() -> Iterator[None]:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


class _Watched(Probe):
    """The probe with every call of the function under a ``_Float32Watch``."""

    def __init__(self, probe: Probe, promote: bool, jitter: torch.Generator | None = None) -> None:
        super().__init__(probe.fn, probe.dtype, probe.device, probe.in_actions, probe.out_actions, probe.out_tuple,
                         cast_all=probe.cast_all)
        self.eps, self.watch, self.promote = probe.eps, _Float32Watch(promote, jitter), promote

    def __call__(self, xs: Sequence[Any]) -> list[torch.Tensor]:
        with contextlib.ExitStack() as stack:
            if self.promote:
                stack.enter_context(_default_float64())
            stack.enter_context(self.watch)
            return super().__call__(xs)


@dataclass
class Diagnosis:
    """The experiments' table (rows of (experiment, outcome)), the cause they show (or None), the
    suggested rtol (round-off only) and the model calls they took."""

    rows: list[tuple[str, str]] = field(default_factory=list)
    cause: str | None = None
    kind: str = "undetermined"
    rtol: float | None = None
    calls: int = 0
    fails: dict[str, float] = field(default_factory=dict)
    by_block: dict[int, dict[str, Any]] = field(default_factory=dict)

    def table(self) -> list[str]:
        """The table as Markdown lines."""
        return ["| experiment | outcome |", "|---|---|"] + [f"| {a} | {b} |" for a, b in self.rows]

    def text(self, indent: str = "  ") -> str:
        """The table as plain lines (for the exception message)."""
        width = max((len(a) for a, _ in self.rows), default=0)
        return "\n".join(f"{indent}{a.ljust(width)} : {b}" for a, b in self.rows)

    def record(self) -> dict[str, Any]:
        return {"experiments": [{"experiment": a, "outcome": b} for a, b in self.rows], "cause": self.cause,
                "kind": self.kind, "suggested_rtol": self.rtol, "model_calls": self.calls,
                "ratio_by_class": self.fails, "by_output_block": {str(k): v for k, v in self.by_block.items()}}


def _rel(m: Measure, k: int) -> float:
    e, s = m.errors[k], m.scales[k]
    return e / s if s > 0 and math.isfinite(s) else (math.inf if e > 0 else 0.0)


def float32_experiment(probe: Probe, trial: Trial, *, rtol: float, atol: float | None
                       ) -> tuple[int, str | None, tuple[float, ...] | None, int, int]:
    """(operations on float32 tensors seen (-1: the function could not run watched), the first one (or
    why it could not run), every output block's ratio with them in float64 or None if that run failed,
    model calls, low-precision tensors from outside the run (``_Float32Watch.external``))."""
    watch = _Watched(probe, promote=False)
    try:
        watch(trial.xs)
        watch(_moved(watch, trial))
    except Exception as exc:  # the function does not run under the dispatch mode: nothing is known
        return -1, f"{type(exc).__name__}: {str(exc)[:100]}", None, watch.calls, 0
    seen, first, external = watch.watch.seen, watch.watch.first, watch.watch.external
    if not seen:
        return 0, None, None, watch.calls, 0
    up = _Watched(probe, promote=True)
    try:
        ratio = measure(up, trial.xs, up(trial.xs), trial.g, rtol=rtol, atol=atol).ratios
    except Exception:
        return seen, first, None, watch.calls + up.calls, external
    return seen, first, ratio, watch.calls + up.calls, external


def rerounding_experiment(probe: Probe, trial: Trial, buffers: Sequence[str], *, rtol: float, atol: float | None,
                          seed: int) -> tuple[tuple[float, ...], tuple[float, ...], int] | None:
    """Every block's ratio with the float32 operations in float64, and again with every stored float32
    constant (float32 tensors from outside the run, float64 ``buffers`` holding float32 numbers) moved
    by up to one float32 rounding of each entry; and the model calls. If the failure is the rounding of
    those constants, re-rounding them moves it by about its own size; if it is something else, hardly.
    None when the function cannot run so."""
    gen = torch.Generator().manual_seed(seed + 24)
    same = _Watched(probe, promote=True)
    fn: Any = probe.fn
    calls = 0
    try:
        before = measure(same, trial.xs, same(trial.xs), trial.g, rtol=rtol, atol=atol).ratios
        calls += same.calls
        after = before
        for _ in range(DRAWS):  # the draw that moves the failure most
            moved, saved = _Watched(probe, promote=True, jitter=gen), []
            try:
                with torch.no_grad():
                    for name in buffers:
                        b = fn.get_buffer(name)
                        saved.append((b, b.detach().clone()))
                        u = torch.rand(b.shape, generator=gen, dtype=b.dtype).to(b.device)
                        b.mul_(1.0 + ROUNDING * (2.0 * u - 1.0) * _rounded(b))
                got = measure(moved, trial.xs, moved(trial.xs), trial.g, rtol=rtol, atol=atol).ratios
            finally:
                calls += moved.calls
                with torch.no_grad():
                    for b, v in saved:
                        b.copy_(v)
            if max(abs(a - b) for a, b in zip(got, before, strict=True)) > max(
                    abs(a - b) for a, b in zip(after, before, strict=True)):
                after = got
    except Exception:
        return None
    return before, after, calls


def _rounded(t: torch.Tensor) -> torch.Tensor:
    """1.0 where an entry may have been rounded (not a multiple of 2^-20: 0, 0.5, 1, 3/8 ... were exact
    and are left alone), else 0.0, in float64."""
    x = t.detach().to(torch.float64) * 2.0 ** 20
    return (torch.round(x) != x).to(torch.float64)


def float32_rounded_buffers(fn: Any, limit: int = 4) -> tuple[int, list[str]]:
    """The float64 buffers of a module whose every entry is exactly a float32 number, and not all of them
    simple (multiples of 2^-20): constants computed in float32 and cast (a float64 computation almost
    never lands on float32 numbers). Parameters are not counted (a float32 initialisation is harmless).
    Returns how many, and the names of the first ``limit``."""
    if not isinstance(fn, torch.nn.Module):
        return 0, []
    names = []
    for name, b in fn.named_buffers():
        if b.dtype != torch.float64 or b.numel() < 4 or b.device.type == "meta":
            continue
        t = b.detach()
        if bool((t.float().double() == t).all()) and not bool((torch.round(t * 2 ** 20) == t * 2 ** 20).all()):
            names.append(name)
    return len(names), names[:limit]


def _moved(probe: Probe, trial: Trial) -> list[Any]:
    from ..search.probe import transform_inputs

    return transform_inputs(probe, trial.xs, trial.g)


def _scaled(probe: Probe, trial: Trial, s: float, noise: Sequence[Any], *, rtol: float,
            atol: float | None) -> tuple[Measure, list[float]]:
    """The measure at inputs (and translation) scaled by ``s``, and every output block's response to a
    relative change ``RESPONSE`` of the scaled transforming inputs (entries times 1 + RESPONSE x noise)."""
    xs = [x * s if a.transforms and isinstance(x, torch.Tensor) else x
          for a, x in zip(probe.in_actions, trial.xs, strict=True)]
    g = trial.g if trial.g.translation is None else trial.g.replace(translation=np.asarray(trial.g.translation) * s)
    ys = probe(xs)
    m = measure(probe, xs, ys, g, rtol=rtol, atol=atol) if s != 1.0 else trial.m
    moved = [x * (1.0 + RESPONSE * z) if z is not None else x for x, z in zip(xs, noise, strict=True)]
    return m, [max_abs(a - b) for a, b in zip(probe(moved), ys, strict=True)]


def _class_elements(group: FiniteGroup | ContinuousGroup, probe: Probe, trial: Trial, translation: float,
                    rng: np.random.Generator, n: int = 3) -> dict[str, list[Element]]:
    """A few elements of every class the group and the blocks have: rotations, reflections,
    translations alone, relabellings alone."""
    out: dict[str, list[Element]] = {}
    translates = any(a.translates for a in probe.in_actions)
    permutes = any(a.permutes for a in probe.in_actions)
    if isinstance(group, ContinuousGroup):
        Ms = group.sample(4 * n, rng)
        if not group.orientation_preserving:
            Ms[: 2 * n] = Ms[: 2 * n] * np.sign(np.linalg.det(Ms[: 2 * n]))[:, None, None]  # proper
            flip = np.diag([1.0] * (group.dim - 1) + [-1.0])
            Ms[2 * n:] = Ms[2 * n:] * np.sign(np.linalg.det(Ms[2 * n:]))[:, None, None] @ flip  # improper
        proper = [Element(f"rotation {i}", matrix=M) for i, M in enumerate(M for M in Ms if np.linalg.det(M) > 0)]
        refl = [Element(f"reflection {i}", matrix=M) for i, M in enumerate(M for M in Ms if np.linalg.det(M) < 0)]
        ident = Element("identity", matrix=np.eye(group.dim))
    else:
        idx = list(range(1, group.order)) if group.order <= 13 else [int(i) for i in
                                                                     rng.integers(1, group.order, 4 * n)]
        els = [Element(f"g = {group.word_str(i)}", index=i) for i in idx]
        proper = [g for g in els if improper(g, probe.in_actions) is False]
        refl = [g for g in els if improper(g, probe.in_actions) is True]
        if not proper and not refl:
            proper = els
        ident = Element("identity", index=0)
    out["rotations" if isinstance(group, ContinuousGroup) else "proper elements"] = proper[:n]
    if refl:
        out["reflections" if isinstance(group, ContinuousGroup) else "improper elements"] = refl[:n]
    if translates and trial.g.translation is not None:
        d = len(np.asarray(trial.g.translation))
        out["translations"] = [ident.replace(label="translation", translation=rng.standard_normal(d) * translation)
                               for _ in range(2)]
    if permutes and trial.g.perm is not None:
        N = len(np.asarray(trial.g.perm))
        out["relabellings"] = [ident.replace(label="node relabelling", perm=rng.permutation(N)) for _ in range(2)]
    return {k: v for k, v in out.items() if v}


def _fmt_rel(rs: Sequence[float]) -> str:
    return ", ".join(f"{r:.1e}" for r in rs)


def _slope(scales: Sequence[float], rels: Sequence[float]) -> float | None:
    pts = [(math.log10(s), math.log10(r)) for s, r in zip(scales, rels, strict=True) if r > 0 and math.isfinite(r)]
    if len(pts) < 3:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


def diagnose(probe: Probe, group: FiniteGroup | ContinuousGroup, trial: Trial, *, rtol: float, atol: float | None,
             dtype: str, ratio64: float | None, failure64: str | None, probe64: Probe | None, seed: int,
             translation: float = 1.0) -> Diagnosis:
    """The experiments of the module docstring on the failing ``trial`` (as found, before minimization).
    ``probe64``: the float64 copy of a lower-precision function (the experiments then run in float64,
    away from its round-off), or None. Experiments that cannot run are reported so; the failure stands."""
    d = Diagnosis()
    try:
        _diagnose(d, probe, group, trial, rtol=rtol, atol=atol, dtype=dtype, ratio64=ratio64, failure64=failure64,
                  probe64=probe64, seed=seed, translation=translation)
    except Exception as exc:  # the failure is reported as found; only its diagnosis is cut short
        d.rows.append(("experiments", f"stopped: {type(exc).__name__}: {str(exc)[:160]}"))
        d.cause, d.kind, d.rtol = None, "undetermined", None
        if not d.rows or d.rows[-1][0] != "cause":
            d.rows.append(("cause", "not shown: the experiments did not finish"))
    return d


def _diagnose(d: Diagnosis, probe: Probe, group: FiniteGroup | ContinuousGroup, trial: Trial, *, rtol: float,
              atol: float | None, dtype: str, ratio64: float | None, failure64: str | None, probe64: Probe | None,
              seed: int, translation: float) -> None:
    k = trial.m.block
    rng = np.random.default_rng([seed, 21])
    low = dtype != "float64"
    if low:
        if failure64 is not None:
            d.rows.append(("float64 re-check", f"could not run ({failure64[:120]}): whether this is rounding is "
                                               "unanswered"))
        else:
            d.rows.append(("float64 re-check", f"fails in float64 too (ratio {ratio64:.3g}): not {dtype} rounding"))
    else:
        d.rows.append(("float64 re-check", "not needed: the function computes in float64"))
    p = probe64 if low and probe64 is not None and failure64 is None else probe
    base = trial if p is probe else Trial(trial.xs, p(trial.xs), trial.g,
                                          measure(p, trial.xs, p(trial.xs), trial.g, rtol=rtol, atol=atol))
    seen, first, ratio_up, n_rounded, external = 0, None, None, 0, 0
    moved_by: tuple[float, ...] | None = None
    if not low:
        seen, first, ratio_up, c, external = float32_experiment(p, base, rtol=rtol, atol=atol)
        d.calls += c  # calls of the watched copies (the probes' own calls are counted by their owners)
        if seen < 0:
            d.rows.append(("float32 inside", f"could not run under the dispatch mode ({first})"))
        elif not seen:
            d.rows.append(("float32 inside", "none: no operation takes or makes a float32/float16 tensor"))
        elif ratio_up is None:
            d.rows.append(("float32 inside", f"{seen} operation(s) on float32 tensors (first {first}); the run with "
                                             "them in float64 failed"))
        else:
            ext = f", {external} float32 tensor(s) from outside the run (stored or cached)" if external else ""
            d.rows.append(("float32 inside", f"{seen} operation(s) on float32 tensors (first {first}{ext}); with them "
                                             f"in float64 the ratio is {max(ratio_up):.3g} (was {base.ratio:.3g})"))
        n_rounded, rounded = float32_rounded_buffers(probe.fn)
        if n_rounded:
            more = ", ..." if n_rounded > len(rounded) else ""
            d.rows.append(("float32-rounded constants", f"{n_rounded} float64 buffer(s) hold only float32 numbers "
                                                        f"({', '.join(rounded)}{more}): computed in float32 and cast"))
        if external > 0 or n_rounded > 0:
            got = rerounding_experiment(p, base, float32_rounded_buffers(probe.fn, limit=1 << 30)[1], rtol=rtol,
                                        atol=atol, seed=seed)
            if got is None:
                d.rows.append(("stored float32 constants re-rounded", "could not run"))
            else:
                before, after, c = got
                d.calls += c
                moved_by = tuple(abs(a - b) / b if b > 0 else 0.0 for a, b in zip(after, before, strict=True))
                d.rows.append(("stored float32 constants re-rounded", "; ".join(
                    f"output {j}: ratio {b:.3g} -> {a:.3g} (moves {m:.0%})"
                    for j, (b, a, m) in enumerate(zip(before, after, moved_by, strict=True)) if b > 1.0)
                    + f" (each entry of the {external + n_rounded} stored constant(s) moved by up to one float32 "
                      "rounding)"))

    K = len(base.m.errors)
    series: dict[int, tuple[list[float], ...]] = {}  # block -> (rel, sens, ratio, error) per scale
    failing = [j for j in range(K) if base.m.ratios[j] > 1.0]
    if math.isfinite(base.m.errors[k]):
        gen = torch.Generator().manual_seed(seed + 21)
        noise = [torch.randn(x.shape, generator=gen, dtype=torch.float64).to(device=x.device, dtype=x.dtype)
                 if a.transforms and isinstance(x, torch.Tensor) else None for a, x in zip(p.in_actions, base.xs,
                                                                                          strict=True)]
        series = {j: ([], [], [], []) for j in failing}
        for s_ in SCALES:
            try:
                m, response = _scaled(p, base, s_, noise, rtol=rtol, atol=atol)
                at_s = [(_rel(m, j), m.errors[j] / response[j] if response[j] > 0 else math.inf, m.ratios[j],
                         m.errors[j]) for j in failing]
            except Exception:
                at_s = [(math.nan, math.nan, math.nan, math.nan) for _ in failing]
            for j, vals in zip(failing, at_s, strict=True):
                for lst, v in zip(series[j], vals, strict=True):
                    lst.append(v)
        for j in failing:
            rels, sens, ratios, _ = series[j]
            d.rows.append((f"input scale x {', '.join(f'{s_:g}' for s_ in SCALES)} (output {j})",
                           f"error / output scale {_fmt_rel(rels)}; error / change of the output when the inputs "
                           f"change by a relative {RESPONSE:g}: {_fmt_rel(sens)}; ratio {_fmt_rel(ratios)}"))
    else:
        d.rows.append(("input scale", "not run: the error is not finite (NaN or inf in the outputs)"))

    fails: dict[str, float] = {}
    per_block = list(base.m.ratios)
    for name, els in _class_elements(group, p, base, translation, rng).items():
        try:
            ms = [measure(p, base.xs, base.ys, g, rtol=rtol, atol=atol) for g in els]
        except Exception as exc:
            d.rows.append((name, f"could not run: {type(exc).__name__}: {str(exc)[:100]}"))
            continue
        fails[name] = max(m.ratio for m in ms)
        for m in ms:
            per_block = [max(a, b) for a, b in zip(per_block, m.ratios, strict=True)]
    if fails:
        d.rows.append(("element classes (max ratio)", "; ".join(
            f"{n}: {'FAILS' if r > 1 else 'holds'} ({r:.3g})" for n, r in fails.items())))
    d.rows.append(("output blocks (max ratio)", "; ".join(
        f"{j} ({a.name}): {'FAILS' if r > 1 else 'holds'} ({r:.3g})"
        for j, (a, r) in enumerate(zip(p.out_actions, per_block, strict=True)))))
    d.fails = fails
    for j in failing or [k]:
        rels, sens, _, errs = series.get(j, ([], [], [], []))
        up = None if ratio_up is None else ratio_up[j]
        moves = None if moved_by is None else moved_by[j]
        kind, cause, rtol_, note = _cause(base.m.ratios[j], _rel(base.m, j), rels, sens, seen, up, low, fails,
                                          n_rounded, external, errs, moves)
        d.by_block[j] = {"kind": kind, "cause": cause, "suggested_rtol": rtol_}
        if note:
            d.rows.append((f"note (output {j})" if len(failing) > 1 else "note", note))
        d.rows.append((f"cause (output {j})" if len(failing) > 1 else "cause",
                       cause or "not shown by these experiments"))
    main = d.by_block.get(k) or next(iter(d.by_block.values()))
    d.kind, d.cause = main["kind"], main["cause"]
    # a tolerance only when every failing block is shown to be round-off
    rtols = [b["suggested_rtol"] for b in d.by_block.values()]
    d.rtol = max(rtols) if rtols and all(r is not None for r in rtols) else None


def _classes_text(fails: dict[str, float]) -> str:
    bad = [n for n, r in fails.items() if r > 1]
    good = [n for n, r in fails.items() if r <= 1]
    if not bad or not good:
        return ""
    return f"; it fails under {', '.join(bad)} and holds under {', '.join(good)}"


def _cause(ratio: float, rel0: float, rels: Sequence[float], sens: Sequence[float], seen: int,
           ratio_up: float | None, low: bool, fails: dict[str, float], n_rounded: int = 0, external: int = 0,
           errs: Sequence[float] = (), moves: float | None = None) -> tuple[str, str | None, float | None, str | None]:
    """(kind, the cause the experiments show or None, a suggested rtol or None, a note) for one failing
    block. The scale experiment is read on ``sens``, the error against the output's own response to a
    relative change of the inputs: scale-free for a defect proportional to the inputs or outputs
    (whatever the model's degree), and falling like 1/scale for a constant of fixed absolute size
    (its error is the model's Jacobian times the constant, the response the Jacobian times the scale);
    or, where other parts of the output respond otherwise, the error keeps its absolute size (within
    FLAT) while the response moves FLAT times more than the error does (``errs``: the error at every
    scale)."""
    classes = _classes_text(fails)
    good = [r for r in rels if r > 0 and math.isfinite(r)]
    fit = [r for r in sens if r > 0 and math.isfinite(r)]
    if seen > 0 and ratio_up is not None and ratio_up <= 1.0:
        worst = max([rel0, *good])
        rtol = float(10 ** math.ceil(math.log10(4 * worst))) if worst > 0 else None
        return "float32", (
            f"float32 round-off inside the model: {seen} operation(s) take or make float32 tensors (a .float() cast, a "
            "constant built in the default dtype, torch.tensor(...) without dtype=), and with them in float64 the "
            f"failure disappears (ratio {ratio_up:.3g}). Compute them in float64, or accept the round-off with "
            f"rtol={rtol:.0e} (the largest relative error measured, {worst:.1e}, times 4, rounded up)"), rtol, None
    if seen > 0 and ratio_up is not None and ratio_up * PART <= ratio:
        return "float32 (most of it)", (
            f"mostly float32 round-off inside the model: with the {seen} float32 operation(s) in float64 the ratio "
            f"falls from {ratio:.3g} to {ratio_up:.3g}; what remains has another cause, so no tolerance is "
            "suggested"), None, None
    if moves is not None and moves >= MOVES:
        worst = max([rel0, *good])
        rtol = float(10 ** math.ceil(math.log10(4 * worst))) if worst > 0 else None
        return "float32 (stored constants)", (
            "round-off of constants stored in float32 (cached or computed in float32, then cast): moving each of "
            f"their entries by up to one float32 rounding moves the failure by {moves:.0%} of its size, so the error "
            "is of the size their rounding makes. Compute them in float64, or accept the round-off with "
            f"rtol={rtol:.0e} (the largest relative error measured, {worst:.1e}, times 4, rounded up)"), rtol, None
    if moves is not None and moves < STILL:  # the stored constants' rounding does not make this failure
        external, n_rounded = 0, 0
    slope = _slope(SCALES, sens) if len(sens) == len(SCALES) else None
    if len(fit) == len(SCALES) and slope is not None:
        fall = fit[0] / fit[-1]
        scaled = [r * s for r, s in zip(fit, SCALES, strict=True)]  # flat for a constant of fixed absolute size
        absolute = [e for e in errs if e > 0 and math.isfinite(e)]
        e_var = max(absolute) / min(absolute) if len(absolute) == len(SCALES) else math.inf
        # the error keeps its absolute size while the response moves 10 times more than it does
        kept = e_var <= FLAT and max(fit) / min(fit) >= FLAT * e_var
        change = f"; the error itself changes {e_var:.2g}-fold" if math.isfinite(e_var) else ""
        if (fall >= EPS_FALL and EPS_SLOPE_MIN <= slope <= EPS_SLOPE and max(scaled) / min(scaled) <= FLAT) or kept:
            return "absolute epsilon", (
                "a constant of fixed absolute size inside the model (an epsilon added to coordinates, their "
                "differences or norms, as F.pairwise_distance adds eps=1e-6 to every coordinate difference, or a "
                f"constant bias): the error, against the output's response to the inputs, changes "
                f"{max(fit) / min(fit):.2g}-fold (falls {fall:.2g}-fold) as the inputs grow "
                f"1e4-fold (log-log slope {slope:.2f}{change}). No tolerance is suggested: a relative one would "
                f"not accept it at small inputs; add the epsilon where it is invariant (to a squared norm) or drop "
                f"it{classes}"), None, None
        flat = max(fit) / min(fit) <= FLAT
        # rounding constants to float32 moves an output by a few float32 epsilons of it, never more
        beyond = rel0 > ROUNDING_REACH
        unchanged = ratio_up is not None and ratio_up * 2 >= ratio  # the float32 operations, run in float64
        if flat and (beyond or (seen > 0 and unchanged and not external and not n_rounded)):
            why = (f"{rel0:.1e} of the output, beyond the reach of float32 rounding ({ROUNDING_REACH:g})" if beyond
                   else f"the {seen} float32 operation(s), run in float64, leave it unchanged")
            return "defect", (f"a defect that scales with the inputs (the error keeps its size against the "
                              f"output's response at every input scale; {why}); no tolerance is suggested{classes}"), \
                None, None
        if flat and n_rounded and not seen:
            return "undetermined", None, None, (
                "the error may be the float32 rounding of those constants (built in float32, then cast): rebuild "
                "the model in float64 (torch.set_default_dtype(torch.float64) before building it) to tell; no "
                "tolerance is suggested")
        if flat and seen > 0:
            return "undetermined", None, None, (
                "float32 tensors are inside, but computing them in float64 does not remove the error: a constant "
                "stored in float32 keeps its rounded value; else a defect")
        if flat and (low or seen == 0):
            why = " and no operation runs in float32" if not low and seen == 0 else ""
            return "defect", (
                f"a defect that scales with the inputs (the error keeps its size against the output's response at "
                f"every input scale; {rel0:.1e} of the output as found{why}); no tolerance is suggested{classes}"), \
                None, None
        if slope >= -EPS_SLOPE and fit[-1] >= fit[0]:
            return "defect", (f"a defect that grows faster than the output's response with the inputs (log-log "
                              f"slope {slope:.2f}); no tolerance is suggested{classes}"), None, None
    if rel0 > ROUNDING_REACH or (seen > 0 and ratio_up is not None and ratio_up * 2 >= ratio and not external
                                 and not n_rounded):
        why = (f"{rel0:.1e} of the output, beyond the reach of float32 rounding ({ROUNDING_REACH:g})"
               if rel0 > ROUNDING_REACH else f"the {seen} float32 operation(s), run in float64, leave it unchanged")
        return "defect", f"a defect, not round-off ({why}); no tolerance is suggested{classes}", None, None
    if classes and not seen and not n_rounded:
        return "defect", f"not round-off, not an epsilon by the scale experiment{classes}", None, None
    return "undetermined", None, None, None
