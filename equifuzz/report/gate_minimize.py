"""Shrink a failure of a function under test (the gate's): the simplest failing element, fewest input
rows, roundest input values.

Each step is kept only when the case still fails the same way (error above tolerance, and finite when
the failure found was finite). Elements: the generators
first (finite groups) or the covering subgroup's generators and elements (continuous groups), and
the translation dropped when it is not needed. Rows: when every input block is a tensor with the same
leading length (no block that does not transform), halves are kept while the failure survives, then
single rows are dropped. Values: inputs rounded to integers, else to one or two decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from ..elements import Element, covering
from ..groups import ContinuousGroup, FiniteGroup
from ..oracles.error import Measure, Trial
from ..search.probe import Probe, measure

__all__ = ["minimize_trial"]


def _identity(group: FiniteGroup | ContinuousGroup, g: Element) -> Element:
    if isinstance(group, FiniteGroup):
        return Element("node permutation", index=0, perm=g.perm)
    return Element("node permutation", matrix=np.eye(group.dim), perm=g.perm)


def _simple_elements(group: FiniteGroup | ContinuousGroup, g: Element) -> Iterator[Element]:
    t, p = g.translation, g.perm
    if p is not None:  # the relabelling alone, then the group element alone
        yield _identity(group, g).replace(translation=t)
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


def minimize_trial(probe: Probe, group: FiniteGroup | ContinuousGroup, trial: Trial, *, rtol: float,
                   atol: float | None, max_checks: int = 48,
                   measure_elements: Callable[[list[Any], list[Element]], list[Trial]] | None = None
                   ) -> tuple[Trial, list[str]]:
    """The smallest failing trial found within ``max_checks`` evaluations, and what each step did.

    A step is kept only when the failure stays what it was: above tolerance, and finite when the failure
    found was finite (rounding inputs can put two points on one spot, where a model with 1/r terms
    returns inf or NaN: a different failure, not a smaller one). ``measure_elements(xs, elements)``, when
    given, measures many elements on one input set at once (the gate's batched evaluation): the simpler
    elements are then tried in one such evaluation, which counts as one check, and the first failing one
    in their order is kept."""
    log: list[str] = []
    checks = 0
    finite = _finite(trial.m)

    def keeps(t: Trial) -> bool:
        return t.ratio > 1.0 and (_finite(t.m) or not finite)

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
    if trial.g.perm is not None and trial.g.label != "node permutation":
        t = attempt(trial.xs, trial.g.replace(perm=None))
        if t is not None:
            log.append("node permutation dropped (the group element alone fails)")
            trial = t

    blocks = trial.xs
    rows = {x.shape[0] for x in blocks if isinstance(x, torch.Tensor) and x.ndim >= 2}
    sliceable = all(a.transforms for a in probe.in_actions) and len(rows) == 1
    if sliceable:
        n = rows.pop()
        while n > 1 and checks < max_checks:
            for part in (slice(0, n // 2), slice(n // 2, n)):
                t = attempt([x[part] for x in trial.xs], trial.g)
                if t is not None:
                    trial, n = t, t.xs[0].shape[0]
                    break
            else:
                break
        if n > 1:
            i = 0
            while i < n and n > 1 and checks < max_checks:
                keep = [j for j in range(n) if j != i]
                t = attempt([x[keep] for x in trial.xs], trial.g)
                if t is not None:
                    trial, n = t, n - 1
                else:
                    i += 1
        log.append(f"{n} input row(s)")

    for decimals in (0, 1, 2):
        xs = [torch.round(x, decimals=decimals) if a.transforms else x
              for a, x in zip(probe.in_actions, trial.xs, strict=True)]
        t = attempt(xs, trial.g)
        if t is not None:
            log.append("inputs rounded to integers" if decimals == 0 else f"inputs rounded to {decimals} decimal(s)")
            trial = t
            break
    log.append(f"{checks} check(s)")
    return trial, log
