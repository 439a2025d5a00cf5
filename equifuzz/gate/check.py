"""The gate's batched measurement: f(g.x) against g.f(x) for many elements or (input, element) pairs.

The function under test is called through :class:`equifuzz.search.probe.Probe`; the error of every
output block and its tolerance are those of :mod:`equifuzz.oracles.error` (one rule for every check):
``compare_many``, ``compare_pairs`` and ``compare_stacked`` compute the same numbers as ``compare`` for
one element, in batched products.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..groups.elements import Element
from ..oracles.error import ATOL_EPS, RTOL_POWER, Measure, default_tolerances, max_abs, max_abs_many, measure_blocks
from ..search.probe import Probe, check_shapes, compare, measure, transform_inputs
from .actions import Linear, apply_many, apply_pairs, apply_stacked

__all__ = ["Probe", "Measure", "measure", "compare", "compare_many", "compare_pairs", "compare_stacked", "difference",
           "transform_inputs",
           "transform_pairs", "default_tolerances", "RTOL_POWER", "ATOL_EPS"]


def compare_many(probe: Probe, ys: Sequence[torch.Tensor], ygs: Sequence[Sequence[torch.Tensor]],
                 elements: Sequence[Element], *, rtol: float, atol: float | None) -> list[Measure]:
    """``compare`` for many elements at once: ``ygs[e]`` = f(g_e.x); the same numbers, fewer operations."""
    if not elements:
        return []
    errors = [[0.0] * len(probe.out_actions) for _ in elements]
    scales = [[0.0] * len(probe.out_actions) for _ in elements]
    for k, (a, y) in enumerate(zip(probe.out_actions, ys, strict=True)):
        for g, yg in zip(elements, ygs, strict=True):
            check_shapes(k, a, y, yg[k], g)
        YG = torch.stack([yg[k] for yg in ygs])
        err = max_abs_many(YG - apply_many(a, elements, y))
        sy, syg = max_abs(y), max_abs_many(YG)
        for e in range(len(elements)):
            errors[e][k], scales[e][k] = err[e], max(sy, syg[e])
    return [measure_blocks(errors[e], scales[e], probe.eps, rtol=rtol, atol=atol) for e in range(len(elements))]


def transform_pairs(probe: Probe, xss: Sequence[Sequence[Any]], elements: Sequence[Element]) -> list[list[Any]]:
    """g_e.x_e for every pair (x_e, g_e), block by block in batched products."""
    moved: list[list[Any]] = [[] for _ in elements]
    for j, a in enumerate(probe.in_actions):
        blocks = [xs[j] for xs in xss]
        out = apply_pairs(a, elements, blocks) if a.transforms or a.permutes else blocks
        for e, b in enumerate(out):
            moved[e].append(b)
    return moved


def compare_pairs(probe: Probe, yss: Sequence[Sequence[torch.Tensor]], ygss: Sequence[Sequence[torch.Tensor]],
                  elements: Sequence[Element], *, rtol: float, atol: float | None) -> list[Measure]:
    """``compare`` for pairs (f(x_e), f(g_e.x_e)), the same numbers in batched operations."""
    if len({tuple(y.shape) for ys in yss for y in ys[:1]}) > 1 or len(elements) < 2:
        return [compare(probe, ys, ygs, g, rtol=rtol, atol=atol) for ys, ygs, g in zip(yss, ygss, elements,
                                                                                         strict=True)]
    errors = [[0.0] * len(probe.out_actions) for _ in elements]
    scales = [[0.0] * len(probe.out_actions) for _ in elements]
    for k, a in enumerate(probe.out_actions):
        for g, ys, ygs in zip(elements, yss, ygss, strict=True):
            check_shapes(k, a, ys[k], ygs[k], g)
        if len({tuple(ys[k].shape) for ys in yss}) > 1:
            return [compare(probe, ys, ygs, g, rtol=rtol, atol=atol) for ys, ygs, g in zip(yss, ygss, elements,
                                                                                             strict=True)]
        Y, YG = torch.stack([ys[k] for ys in yss]), torch.stack([ygs[k] for ygs in ygss])
        err = max_abs_many(YG - torch.stack(apply_pairs(a, elements, list(Y.unbind(0)))))
        sy, syg = max_abs_many(Y), max_abs_many(YG)
        for e in range(len(elements)):
            errors[e][k], scales[e][k] = err[e], max(sy[e], syg[e])
    return [measure_blocks(errors[e], scales[e], probe.eps, rtol=rtol, atol=atol) for e in range(len(elements))]


def _measures(errors: Sequence[Sequence[float]], scales: Sequence[Sequence[float]], eps: float, *, rtol: float,
             atol: float | None) -> list[Measure]:
    """The measure of every row (one element's errors and scales per output block)."""
    return [measure_blocks(err, sc, eps, rtol=rtol, atol=atol) for err, sc in zip(errors, scales, strict=True)]


def compare_stacked(probe: Probe, Y: Sequence[torch.Tensor], YG: Sequence[torch.Tensor], elements: Sequence[Element],
                    *, rtol: float, atol: float | None) -> list[Measure]:
    """``check.compare`` of every element e at once: output block k of f(x_e) is ``Y[k][e]`` and of f(g_e.x_e)
    ``YG[k][e]``; or, with S input sets and ``YG[k]`` of shape (S, E, ...), ``Y[k]`` of shape (S, ...) is
    f(x_s) of set s and every element acts on it (measures in order set by set). The same numbers (error
    max |f(g.x) - g.f(x)|, scale max of both sides' max |entry|, NaN counting as inf) in a few batched
    operations."""
    rows = []
    for a, y, yg in zip(probe.out_actions, Y, YG, strict=True):
        lead = yg.shape[:yg.ndim - y.ndim + 1]  # (E,) or (S, E)
        n = lead.numel()
        if yg.numel() == 0:
            rows.append(torch.zeros(2, n, dtype=torch.float64, device=yg.device))
            continue
        if len(lead) == 2:  # every element on f(x_s) of every set s
            target = _linear_many(a, elements, y) if isinstance(a, Linear) \
                else torch.stack([apply_many(a, elements, ys) for ys in y.unbind(0)])
            sy = y.abs().reshape(lead[0], 1, -1).amax(dim=2).expand(lead).reshape(n)
        else:
            target = apply_stacked(a, elements, y)
            sy = y.abs().reshape(n, -1).amax(dim=1)
        err = (yg - target).abs_().reshape(n, -1).amax(dim=1)
        rows.append(torch.stack([err, torch.maximum(sy, yg.abs().reshape(n, -1).amax(dim=1))]))
    R = torch.nan_to_num(torch.stack(rows, 2), nan=float("inf"), posinf=float("inf")).tolist()  # (2, rows, K)
    return _measures(R[0], R[1], probe.eps, rtol=rtol, atol=atol)


def _linear_many(a: Linear, elements: Sequence[Element], Y: torch.Tensor) -> torch.Tensor:
    """Every element acting on every set's block: (S, ...) -> (S, E, ...), one matrix product."""
    S, E = Y.shape[0], len(elements)
    return apply_many(a, elements, Y).movedim(0, 1) if E else Y.new_zeros((S, 0, *Y.shape[1:]))


def difference(probe: Probe, ys: Sequence[torch.Tensor], zs: Sequence[torch.Tensor], *, rtol: float,
               atol: float | None) -> Measure:
    """The measure of |ys - zs| block by block (two evaluations that must agree), with the gate's tolerance."""
    errors = [max_abs(y - z) for y, z in zip(ys, zs, strict=True)]
    scales = [max(max_abs(y), max_abs(z)) for y, z in zip(ys, zs, strict=True)]
    return measure_blocks(errors, scales, probe.eps, rtol=rtol, atol=atol)
