"""The gate's batched measurement: f(g.x) against g.f(x) for many elements or (input, element) pairs.

The function under test is called through :class:`equifuzz.search.probe.Probe`; the error of every
output block and its tolerance are those of :mod:`equifuzz.oracles.error` (one rule for every check):
``compare_many`` and ``compare_pairs`` compute the same numbers as ``compare`` for one element, in
batched products.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..elements import Element
from ..oracles.error import ATOL_EPS, RTOL_POWER, Measure, default_tolerances, max_abs, max_abs_many, measure_blocks
from ..search.probe import Probe, check_shapes, compare, measure, transform_inputs
from .actions import apply_many, apply_pairs

__all__ = ["Probe", "Measure", "measure", "compare", "compare_many", "compare_pairs", "difference", "transform_inputs",
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


def difference(probe: Probe, ys: Sequence[torch.Tensor], zs: Sequence[torch.Tensor], *, rtol: float,
               atol: float | None) -> Measure:
    """The measure of |ys - zs| block by block (two evaluations that must agree), with the gate's tolerance."""
    errors = [max_abs(y - z) for y, z in zip(ys, zs, strict=True)]
    scales = [max(max_abs(y), max_abs(z)) for y, z in zip(ys, zs, strict=True)]
    return measure_blocks(errors, scales, probe.eps, rtol=rtol, atol=atol)
