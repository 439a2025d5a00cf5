"""Shrink a failure of a function under test (the gate's): the simplest failing element, fewest input
rows, roundest input values -- without swapping the failure for another one.

Each step is kept only when the case still fails *the same way*:

- the error is above tolerance, and finite when the failure found was finite;
- the element keeps its class (:func:`element_kind`): proper or improper (the sign of det of the
  element's matrix, or of the first transforming input block's matrix for a finite group), and it
  never gains a translation or a relabelling; it loses one, or its group part (down to the identity,
  leaving a translation or a relabelling alone), only when the failure stays without it;
- the error-to-tolerance ratio stays within a factor ``RATIO_FACTOR`` of the ratio found (either way:
  a reflection failure of relative size 0.2 is not swapped for a rotation failure at round-off, nor a
  failure at 1e-6 for one made by points brought together);
- no two points (rows of a block of points) come closer than ``MIN_DISTANCE_FRACTION`` of their
  distance in the input as found (rounding may not make points coincide or nearly so).

Elements: the generators first (finite groups) or the covering subgroup's generators and elements
(continuous groups), then the translation and the relabelling dropped when they are not needed. Rows:
when every input block is a tensor with the same leading length (no block that does not transform),
halves are kept while the failure survives, then single rows are dropped (``rows`` records which rows
of the input as found remain). Values: inputs rounded to integers, else to one or two decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..groups.continuous import ContinuousGroup
from ..groups.elements import Element, covering
from ..groups.finite import FiniteGroup
from ..oracles.error import Measure, Trial
from ..search.probe import Action, Probe, measure

__all__ = ["minimize_trial", "Minimized", "element_kind", "improper", "what_failed", "RATIO_FACTOR",
           "MIN_DISTANCE_FRACTION"]

#: a step keeps the error-to-tolerance ratio within this factor of the ratio found (either way)
RATIO_FACTOR = 10.0
#: a step keeps every pair of points at least this fraction of their distance in the input as found
MIN_DISTANCE_FRACTION = 0.5


def improper(g: Element, in_actions: Sequence[Action]) -> bool | None:
    """Whether g reverses orientation: det of its matrix < 0 (continuous groups), else of the matrix it
    acts by on the first transforming input block; None when no matrix says."""
    if g.matrix is not None:
        return bool(np.linalg.det(np.asarray(g.matrix, dtype=np.float64)) < 0)
    for a in in_actions:
        if a.transforms:
            try:
                M = np.asarray(a.matrix(g), dtype=np.float64)
            except Exception:
                return None
            return bool(np.linalg.det(M) < 0) if M.ndim == 2 and M.shape[0] == M.shape[1] else None
    return None


def _moves(g: Element) -> bool:
    if g.matrix is not None:
        return not np.allclose(np.asarray(g.matrix), np.eye(np.asarray(g.matrix).shape[0]), rtol=0.0, atol=1e-15)
    return g.index not in (None, 0)


def _relabels(g: Element) -> bool:
    return g.perm is not None and not np.array_equal(np.asarray(g.perm), np.arange(len(g.perm)))


def _translates(g: Element) -> bool:
    return g.translation is not None and bool(np.any(np.asarray(g.translation) != 0))


def element_kind(g: Element, in_actions: Sequence[Action]) -> dict[str, Any]:
    """The class of g: improper (bool or None), whether its group part moves anything (not the
    identity), whether it translates, whether it relabels the nodes."""
    return {"improper": improper(g, in_actions), "moves": _moves(g), "translation": _translates(g),
            "relabelling": _relabels(g)}


def what_failed(g: Element, in_actions: Sequence[Action]) -> str:
    """The element's parts in words: "a reflection with a translation", "a translation alone", ..."""
    k = element_kind(g, in_actions)
    parts = []
    if k["moves"]:
        parts.append({True: "a reflection (improper element)", False: "a rotation (proper element)"}.get(
            k["improper"], "a group element"))
    if k["translation"]:
        parts.append("a translation")
    if k["relabelling"]:
        parts.append("a node relabelling")
    if not parts:
        return "the identity"
    if len(parts) == 1:
        return parts[0] + (" alone" if not k["moves"] else "")
    return parts[0] + " with " + " and ".join(parts[1:])


def _identity(group: FiniteGroup | ContinuousGroup, g: Element) -> Element:
    if isinstance(group, FiniteGroup):
        return Element("node permutation", index=0, perm=g.perm)
    return Element("node permutation", matrix=np.eye(group.dim), perm=g.perm)


def _simple_elements(group: FiniteGroup | ContinuousGroup, g: Element) -> Iterator[Element]:
    t, p = g.translation, g.perm
    if p is not None or t is not None:  # the relabelling or translation alone, then the group element alone
        yield _identity(group, g).replace(label="node permutation" if p is not None else "pure translation",
                                          translation=t)
    if isinstance(group, FiniteGroup):
        for h in group.generators:
            yield Element(f"g = {group.word_str(h)}", index=h, translation=t, perm=p)
        return
    cover = covering(group)
    order = list(dict.fromkeys([*cover.generators, *range(1, cover.order)]))
    for h in order:
        yield Element(f"covering element {cover.word_str(h)}", matrix=cover.labels[h], translation=t,  # type: ignore[index]
                      perm=p)


def _finite(m: Measure) -> bool:
    return all(np.isfinite(v) for v in (*m.errors, *m.scales))


def _closest(x: torch.Tensor) -> torch.Tensor | None:
    """Pairwise distances of the rows (axis -2) of a block of points, per leading index."""
    if x.ndim < 2 or x.shape[-2] < 2:
        return None
    return torch.cdist(x.double(), x.double())


def _apart(probe: Probe, before: list[Any], after: list[Any]) -> bool:
    """Whether every pair of points in ``after`` is at least MIN_DISTANCE_FRACTION of its distance in
    ``before`` (same rows)."""
    for a, x, y in zip(probe.in_actions, before, after, strict=True):
        if not (a.translates and isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)) or x.shape != y.shape:
            continue
        dx, dy = _closest(x), _closest(y)
        if dx is None or dy is None:
            continue
        off = dx > 0
        if bool((dy[off] < MIN_DISTANCE_FRACTION * dx[off]).any()):
            return False
    return True


@dataclass
class Minimized:
    """The minimized trial, what each step did, and which rows of the input as found remain."""

    trial: Trial
    log: list[str]
    rows: list[int] | None


def minimize_trial(probe: Probe, group: FiniteGroup | ContinuousGroup, trial: Trial, *, rtol: float,
                   atol: float | None, max_checks: int = 48,
                   measure_elements: Callable[[list[Any], list[Element]], list[Trial]] | None = None
                   ) -> tuple[Trial, list[str]]:
    """The smallest failing trial found within ``max_checks`` evaluations, and what each step did
    (:func:`minimize` with its rows dropped)."""
    done = minimize(probe, group, trial, rtol=rtol, atol=atol, max_checks=max_checks,
                    measure_elements=measure_elements)
    return done.trial, done.log


def minimize(probe: Probe, group: FiniteGroup | ContinuousGroup, trial: Trial, *, rtol: float,
             atol: float | None, max_checks: int = 48,
             measure_elements: Callable[[list[Any], list[Element]], list[Trial]] | None = None) -> Minimized:
    """Shrink ``trial`` within ``max_checks`` evaluations, every step keeping the failure (module
    docstring). ``measure_elements(xs, elements)``, when given, measures many elements on one input set
    at once (the gate's batched evaluation): the simpler elements are then tried in one such
    evaluation, which counts as one check, and the first in their order that keeps the failure wins."""
    log: list[str] = [f"kept: the element's class ({what_failed(trial.g, probe.in_actions)}), a ratio within "
                      f"x{RATIO_FACTOR:g} of {trial.ratio:.3g}, every pair of points at least "
                      f"{MIN_DISTANCE_FRACTION:g} of its distance as found"]
    checks = 0
    finite = _finite(trial.m)
    found_ratio = trial.ratio
    found_improper = improper(trial.g, probe.in_actions)
    found_t, found_p = _translates(trial.g), _relabels(trial.g)

    def keeps(t: Trial) -> bool:
        if not (t.ratio > 1.0 and (_finite(t.m) or not finite)):
            return False
        if finite and not found_ratio / RATIO_FACTOR <= t.ratio <= found_ratio * RATIO_FACTOR:
            return False
        if (_translates(t.g) and not found_t) or (_relabels(t.g) and not found_p):
            return False
        return not _moves(t.g) or improper(t.g, probe.in_actions) == found_improper

    def attempt(xs: list[Any], g: Element) -> Trial | None:
        nonlocal checks
        if checks >= max_checks:
            return None
        checks += 1
        try:
            ys = probe(xs)
            t = Trial(xs, ys, g, measure(probe, xs, ys, g, rtol=rtol, atol=atol))
        except Exception:  # a smaller input the function cannot take is simply not kept
            return None
        return t if keeps(t) else None

    simpler = None
    if measure_elements is not None and max_checks > 0:
        checks += 1
        try:
            simpler = next((t for t in measure_elements(trial.xs, list(_simple_elements(group, trial.g))) if keeps(t)),
                           None)
        except Exception:  # the batched evaluation failed: nothing simpler is kept
            simpler = None
    else:
        for g in _simple_elements(group, trial.g):
            simpler = attempt(trial.xs, g)
            if simpler is not None:
                break
    if simpler is not None:
        if simpler.g.label != trial.g.label:
            log.append(f"element {trial.g.label} -> {simpler.g.label}")
        trial = simpler
    if trial.g.translation is not None:
        t = attempt(trial.xs, trial.g.replace(translation=None))
        if t is not None:
            log.append("translation dropped")
            trial = t
    if trial.g.perm is not None:
        t = attempt(trial.xs, trial.g.replace(perm=None, label=trial.g.label if _moves(trial.g) else
                                              "pure translation"))
        if t is not None:
            log.append("node permutation dropped (the failure stays without it)")
            trial = t

    blocks = trial.xs
    rows = {x.shape[0] for x in blocks if isinstance(x, torch.Tensor) and x.ndim >= 2}
    sliceable = all(a.transforms for a in probe.in_actions) and len(rows) == 1
    kept: list[int] | None = None
    if sliceable:
        n = rows.pop()
        kept = list(range(n))
        while n > 1 and checks < max_checks:
            for part in (slice(0, n // 2), slice(n // 2, n)):
                t = attempt([x[part] for x in trial.xs], trial.g)
                if t is not None:
                    trial, n, kept = t, t.xs[0].shape[0], kept[part]
                    break
            else:
                break
        if n > 1:
            i = 0
            while i < n and n > 1 and checks < max_checks:
                keep = [j for j in range(n) if j != i]
                t = attempt([x[keep] for x in trial.xs], trial.g)
                if t is not None:
                    trial, n, kept = t, n - 1, [kept[j] for j in keep]
                else:
                    i += 1
        log.append(f"{n} input row(s)")

    for decimals in (0, 1, 2):
        xs = [torch.round(x, decimals=decimals) if a.transforms else x
              for a, x in zip(probe.in_actions, trial.xs, strict=True)]
        if not _apart(probe, trial.xs, xs):
            continue  # rounding would bring points together: not tried
        t = attempt(xs, trial.g)
        if t is not None:
            log.append("inputs rounded to integers" if decimals == 0 else f"inputs rounded to {decimals} decimal(s)")
            trial = t
            break
    log.append(f"{checks} check(s)")
    return Minimized(trial, log, kept)
