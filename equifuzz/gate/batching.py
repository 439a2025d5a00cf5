"""Whether the gate batches: the decision when ``batch_dim`` is not given, and the first evaluation.

``assert_equivariant(batch_dim="auto")`` (the default) stacks the input sets along their leading axis
(axis 0, :class:`batch.Batcher`) when the function maps the entries of that axis independently, and
otherwise evaluates every input set on its own; ``batch_dim=b`` declares the axis (the claim is checked
and a false one raises :class:`batch.BatchIndependenceError`), ``batch_dim=None`` never batches. The
verdict says which, and why not (:attr:`Batching.note`). The automatic decision, cheapest first:

1. Shapes (no call). Every input block of every set must be a tensor with a leading axis besides the
   axes its action works on, of one size across the blocks of a set; sets of different shapes (images
   of several sizes) are stacked with the sets of their own shape. Not batched otherwise: a leading axis
   of nodes (``NodeWise`` on a 2-axis tensor, an N x N ``Adjacency``) is not a batch of independent
   entries for a message-passing model, and an edge list (2, E) numbers the nodes of one graph.
2. Layers that couple or randomize entries (no call). A BatchNorm (torch's or e3nn's) in training mode
   normalizes with statistics over the batch; a dropout layer (torch's or e3nn's, p > 0) in training
   mode draws random masks, and a random function can agree with itself by luck, so it is named, not
   probed. Neither is batched.
3. e3nn's own modules (:func:`equifuzz.adapters.e3nn.maps_entries_independently`: Linear, the tensor
   products, SphericalHarmonics, Norm, Gate, ...; not BatchNorm or Dropout) map every entry of their
   leading axes on its own: batched without an experiment.
4. Otherwise an experiment: the first evaluation is made stacked (x and g.x of every input set and
   element, in as few calls as the memory budget allows), and f of one input set per shape is evaluated
   alone: the set whose x sits furthest from the start of its stacked call (the last set), so that
   neither a statistic over the batch nor a term that depends on the position along the axis can agree
   by construction. Its outputs alone and inside the stack must agree within the gate's tolerance. Entries
   that interact (a mean or a normalization over the batch, messages between nodes on the leading axis,
   a position along it, randomness) make them differ: every input set is then evaluated on its own,
   reusing the output computed alone. A stacked call that raises, or whose outputs lose the leading
   axis (an energy summed over the rows), is not batched either. The experiment costs one call per shape
   when batching holds (the stacked call is the evaluation itself), and the stacked call when it does not;
   :attr:`GateVerdict.n_evaluations` counts both.
5. A failure found batched is re-measured with single calls before it is reported (:meth:`confirms`);
   if it does not reproduce, the gate starts over unbatched.

With a staged first evaluation (:func:`search.staging`: a continuous group, no node relabellings) the
decision and the experiment are made on its first stage, and the other elements, when the first stage
is not far below the tolerance, are then measured the way it decided (:func:`first_evaluation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ..errors.exceptions import ShapeError
from ..groups.elements import Element
from ..oracles.error import Trial
from .batch import Batcher
from .check import Probe, difference, measure
from .nodes import Adjacency, EdgeIndex, NodeWise
from .search import Float64Version, Staging, evaluate, evaluate_many

__all__ = ["AUTO", "Batching", "first_evaluation", "unbatchable_shapes", "coupling_layers"]

#: the default of ``assert_equivariant(batch_dim=)``: decide by the rules of this module
AUTO = "auto"


@dataclass
class Batching:
    """How the gate evaluates: along axis ``dim`` in stacked calls (``batcher``), or one set at a time
    (``dim`` None); whether the caller declared it, and the one-line account the verdict carries."""

    dim: int | None
    note: str
    declared: bool = False
    batcher: Batcher | None = None
    trials: list[Trial] = field(default_factory=list)
    #: the verdict's line on a staged first evaluation (``search.Staging.note``), else ""
    stage: str = ""

    def confirms(self, probe: Probe, trial: Trial, *, rtol: float, atol: float | None) -> bool:
        """Whether a failing ``trial`` found by automatic batching fails with single calls too (2 calls);
        a declared or unbatched evaluation needs no confirmation."""
        if self.declared or self.batcher is None:
            return True
        ys = probe(trial.xs)
        return measure(probe, trial.xs, ys, trial.g, rtol=rtol, atol=atol).ratio > 1.0

    def restart_unbatched(self, probe: Probe, sets: Sequence[list[Any]], elements: Sequence[Element], *,
                          rtol: float, atol: float | None) -> Batching:
        """Every set on its own, after a batched failure that single calls did not reproduce."""
        note = (f"not batched: a failure found with the sets stacked along axis {self.dim} did not reproduce "
                "with single calls, so stacked and single calls differ (entries that interact, or randomness) "
                "in a way the first comparison missed")
        return _unbatched(probe, sets, elements, note, rtol=rtol, atol=atol)


def _unbatched(probe: Probe, sets: Sequence[list[Any]], elements: Sequence[Element], note: str, *, rtol: float,
               atol: float | None, known: dict[int, list[torch.Tensor]] | None = None) -> Batching:
    trials: list[Trial] = []
    for s, xs in enumerate(sets):
        trials += evaluate(probe, xs, elements, rtol=rtol, atol=atol, ys=(known or {}).get(s))
    return Batching(None, note, trials=trials)


def _axis(axis: int, ndim: int) -> int | None:
    return axis % ndim if -ndim <= axis < ndim else None


def unbatchable_shapes(in_actions: Sequence[Any], sets: Sequence[Sequence[Any]]) -> str | None:
    """Why the input sets cannot be stacked along a leading batch axis (rule 1), or None. Sets of
    different shapes (images of several sizes) are stacked with the sets of their own shape."""
    for xs in sets:
        sizes = set()
        for j, (a, x) in enumerate(zip(in_actions, xs, strict=True)):
            where = f"input block {j} ({a.name})"
            if not isinstance(x, torch.Tensor):
                return f"{where} is a {type(x).__name__}, not a tensor with a leading batch axis"
            if x.ndim < 2:
                return f"{where} has shape {tuple(x.shape)}: no leading batch axis besides its feature axis"
            if isinstance(a, EdgeIndex) and x.ndim == 2:
                return (f"{where} is an edge list of shape {tuple(x.shape)}: it numbers the nodes of one graph, so "
                        "its leading axis is no batch")
            if isinstance(a, NodeWise) and _axis(a.axis, x.ndim) == 0:
                return (f"{where} has its nodes on the leading axis (shape {tuple(x.shape)}, node axis {a.axis}): "
                        "the nodes of one graph are not independent entries for a model that passes messages "
                        "between them")
            if isinstance(a, Adjacency) and 0 in {_axis(ax, x.ndim) for ax in a.axes}:
                return f"{where} is indexed by nodes on its leading axis (shape {tuple(x.shape)})"
            sizes.add(int(x.shape[0]))
        if len(sizes) > 1:
            return f"the input blocks have different leading sizes {sorted(sizes)}: no common batch axis"
    return None


def _shape_groups(sets: Sequence[Sequence[Any]]) -> list[list[int]]:
    """The indices of the input sets, grouped by the shapes of their blocks (each group stacks)."""
    groups: dict[tuple[tuple[int, ...], ...], list[int]] = {}
    for i, xs in enumerate(sets):
        groups.setdefault(tuple(tuple(x.shape) for x in xs), []).append(i)
    return list(groups.values())


def coupling_layers(fn: Any) -> str | None:
    """The first layer of ``fn`` that couples or randomizes batch entries in its present mode (rule 2), as
    a phrase naming it, or None."""
    if not isinstance(fn, torch.nn.Module):
        return None
    for path, m in fn.named_modules():
        if not m.training:
            continue
        kind = type(m).__name__
        e3nn = type(m).__module__.startswith("e3nn.")
        where = f"{kind} at {path or 'the top level'!r}"
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) or (e3nn and kind == "BatchNorm"):
            return f"{where} is in training mode: it normalizes with statistics over the batch"
        dropout = isinstance(m, torch.nn.modules.dropout._DropoutNd) or (e3nn and kind == "Dropout")
        if dropout and float(getattr(m, "p", 1.0)) > 0.0:
            return (f"{where} is in training mode: it draws random masks, so entries computed alone and in a "
                    "stack cannot be compared (call module.eval() to gate the deterministic model)")
    return None


def _known(fn: Any) -> str | None:
    """Rule 3: the e3nn module class that maps every entry of its leading axes on its own, or None."""
    if not isinstance(fn, torch.nn.Module) or not type(fn).__module__.startswith("e3nn."):
        return None
    from ..adapters.e3nn import maps_entries_independently

    return type(fn).__name__ if maps_entries_independently(fn) else None


def _stacked_first(probe: Probe, sets: Sequence[list[Any]], groups: Sequence[Sequence[int]],
                   elements: Sequence[Element], *, rtol: float,
                   atol: float | None) -> tuple[Batcher, list[Trial], list[list[torch.Tensor]]]:
    """The first evaluation stacked, the sets of each shape together: the trials in set order, f of every set."""
    batcher = Batcher(probe, 0, declared=False)
    E = len(elements)
    per_set: list[list[Trial]] = [[] for _ in sets]
    ys_sets: list[list[torch.Tensor]] = [[] for _ in sets]
    for idx in groups:
        trials, ys = evaluate_many(probe, batcher, [sets[i] for i in idx], elements, rtol=rtol, atol=atol)
        for j, i in enumerate(idx):
            per_set[i], ys_sets[i] = trials[j * E:(j + 1) * E], ys[j]
    return batcher, [t for ts in per_set for t in ts], ys_sets


def first_evaluation(fn: Any, probe: Probe, sets: Sequence[list[Any]], elements: Sequence[Element],
                     batch_dim: int | str | None, *, rtol: float, atol: float | None,
                     staged: Staging | None = None, float64: Float64Version | None = None) -> Batching:
    """Decide how to evaluate (module docstring) and measure every element on every input set that way;
    with ``staged``, the elements of its first stage, then the others unless the first stage is far below
    the tolerance (``Staging.grows``). For a float32/float16 function (``float64``: its float64 version) a
    first stage that passes but is not far below is measured again in float64 against the same tolerance,
    and that decides (``gate.search``). The trials are in set order, then in the order of ``elements``
    (the function's own measures)."""
    if staged is None:
        return _decide(fn, probe, sets, elements, batch_dim, rtol=rtol, atol=atol)
    first = [elements[i] for i in staged.first]
    batching = _decide(fn, probe, sets, first, batch_dim, rtol=rtol, atol=atol)
    worst = max((t.ratio for t in batching.trials), default=0.0)
    worst64 = None
    if staged.grows(worst) and worst <= 1.0 and float64 is not None:
        worst64 = _worst_in_float64(float64, batching, sets, first, rtol=rtol, atol=atol)
    batching.stage = staged.note(worst, worst64)
    if not staged.grows(worst if worst64 is None else worst64):
        return batching
    chosen = set(staged.first)
    rest = [i for i in range(len(elements)) if i not in chosen]
    later = [elements[i] for i in rest]
    if batching.batcher is not None:
        more, _ = evaluate_many(probe, batching.batcher, sets, later, rtol=rtol, atol=atol)
    else:
        n1 = len(staged.first)
        more = [t for s, xs in enumerate(sets)
                for t in evaluate(probe, xs, later, rtol=rtol, atol=atol, ys=list(batching.trials[s * n1].ys))]
    by_set: list[dict[int, Trial]] = [{} for _ in sets]
    for k, t in enumerate(batching.trials):
        by_set[k // len(staged.first)][staged.first[k % len(staged.first)]] = t
    for k, t in enumerate(more):
        by_set[k // len(rest)][rest[k % len(rest)]] = t
    batching.trials = [d[i] for d in by_set for i in range(len(elements))]
    return batching


def _worst_in_float64(float64: Float64Version, batching: Batching, sets: Sequence[list[Any]],
                      elements: Sequence[Element], *, rtol: float, atol: float | None) -> float | None:
    """The worst ratio of ``elements`` on ``sets`` measured on the function's float64 version, the way
    ``batching`` evaluates; None when the float64 version cannot be built or run."""
    p64 = float64.get()
    if p64 is None:
        return None
    try:
        if batching.batcher is not None:
            b64 = Batcher(p64, batching.batcher.dim, batching.batcher.rows_per_call, declared=False)
            trials, _ = evaluate_many(p64, b64, sets, elements, rtol=rtol, atol=atol)
        else:
            trials = [t for xs in sets for t in evaluate(p64, xs, elements, rtol=rtol, atol=atol)]
    except Exception:  # the float64 version does not run: the function's own ratio decides
        return None
    return max((t.ratio for t in trials), default=0.0)


def _decide(fn: Any, probe: Probe, sets: Sequence[list[Any]], elements: Sequence[Element],
            batch_dim: int | str | None, *, rtol: float, atol: float | None) -> Batching:
    """Decide how to evaluate (module docstring) and measure every element on every input set that way."""
    if batch_dim is None:
        return _unbatched(probe, sets, elements, "not batched (batch_dim=None)", rtol=rtol, atol=atol)
    if batch_dim != AUTO:
        assert isinstance(batch_dim, int)
        batcher = Batcher(probe, batch_dim)
        trials, ys_sets = evaluate_many(probe, batcher, sets, elements, rtol=rtol, atol=atol)
        s = _offset_set(batcher, sets, len(elements)) or 0
        m = batcher.check_independence(sets[s], probe(sets[s]), ys_sets[s], rtol=rtol, atol=atol)
        return Batching(batch_dim, f"batched along axis {batch_dim} (batch_dim={batch_dim}; input set {s} alone "
                                   f"agreed with the same entries inside the stack: ratio {m.ratio:.2g} of the "
                                   "tolerance)",
                        declared=True, batcher=batcher, trials=trials)
    why = unbatchable_shapes(probe.in_actions, sets) or coupling_layers(fn)
    if why is not None:
        return _unbatched(probe, sets, elements, f"not batched: {why}", rtol=rtol, atol=atol)
    known = _known(fn)
    groups = _shape_groups(sets)
    try:
        batcher, trials, ys_sets = _stacked_first(probe, sets, groups, elements, rtol=rtol, atol=atol)
    except ShapeError as exc:  # an output without the leading axis, or sets that do not join
        return _unbatched(probe, sets, elements, f"not batched: {exc}",
                          rtol=rtol, atol=atol)
    except Exception as exc:  # the function cannot take a stack; a genuine error recurs below, unbatched
        return _unbatched(probe, sets, elements, f"not batched: the function raised on input sets stacked along "
                          f"axis 0 ({type(exc).__name__}: {str(exc)[:200]})", rtol=rtol, atol=atol)
    if known is not None:
        return Batching(0, f"batched along axis 0 (e3nn's {known} maps every entry of its leading axes on its "
                           "own)", batcher=batcher, trials=trials)
    chosen = []  # per shape, the set furthest from the start of its call
    for idx in groups:
        at = _offset_set(batcher, [sets[i] for i in idx], len(elements))
        if at is None:
            return _unbatched(probe, sets, elements, f"not batched: input set {idx[0]} starts every call it is in "
                              "(the only set of its shape, or one set per call within the memory budget), so no "
                              "comparison can show that entries along axis 0 are independent", rtol=rtol, atol=atol)
        chosen.append(idx[at])
    alone = {s: probe(sets[s]) for s in chosen}
    found = [(s, difference(probe, alone[s], ys_sets[s], rtol=rtol, atol=atol)) for s in chosen]
    s, m = max(found, key=lambda sm: sm[1].ratio)
    if m.ratio > 1.0:
        k = m.block
        return _unbatched(probe, sets, elements,
                          f"not batched: entries along axis 0 interact (input set {s} alone and inside a stack of "
                          f"the sets along axis 0 give outputs {k} differing by {m.errors[k]:.3e} > tolerance "
                          f"{m.tolerances[k]:.3e}: a statistic or normalization over the axis, messages between "
                          "its entries, a dependence on the position along it, or randomness)",
                          rtol=rtol, atol=atol, known=alone)
    which = f"input set {s}" if len(chosen) == 1 else f"input sets {', '.join(map(str, chosen))} (one per shape)"
    return Batching(0, f"batched along axis 0 ({which} alone agreed with the same entries inside the stack: "
                       f"ratio {m.ratio:.2g} of the tolerance)", batcher=batcher, trials=trials)


def _offset_set(batcher: Batcher, sets: Sequence[list[Any]], n_elements: int) -> int | None:
    """The input set whose x sat furthest from the start of its stacked call (evaluate_many stacks x_s and
    its n_elements transforms, set after set, in calls of ``per`` entries), or None if every x started a
    call (one entry per call)."""
    rows = int(sets[0][0].shape[0]) if isinstance(sets[0][0], torch.Tensor) else 0
    per = max(1, (batcher.rows_per_call or rows) // max(rows, 1))
    best, where = None, 0
    for s in range(len(sets)):
        offset = (s * (1 + n_elements)) % per
        if offset > where or (best is None and offset > 0):
            best, where = s, offset
    return best

