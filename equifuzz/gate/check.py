"""The measurement behind the gate: f(g.x) against g.f(x) for every output block, element and input.

``Probe`` calls the function under test on float64 blocks cast to its own dtype and device, and returns
float64 outputs on that device; ``measure`` compares both sides for one element. The error of output
block k is the largest entry of |f(g.x)_k - g.f(x)_k|; its tolerance is

    atol + rtol * scale_k,     scale_k = max |entry| of f(x)_k and f(g.x)_k over the inputs,

with ``rtol = eps(dtype) ** RTOL_POWER`` (two thirds of the digits) and ``atol = ATOL_EPS *
eps(dtype) * max_k scale_k`` unless given (eps of the dtype the function computes in: 1.2e-7 for
float32, 2.2e-16 for float64). The atol term covers a block that is zero up to round-off of larger
intermediate values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors import ShapeError
from .actions import Action, Element, apply_many, apply_pairs

__all__ = ["Probe", "Measure", "measure", "compare", "compare_many", "compare_pairs", "difference", "transform_inputs",
           "transform_pairs",
           "default_tolerances",
           "RTOL_POWER", "ATOL_EPS"]

#: rtol = eps(dtype) ** RTOL_POWER: 2.4e-5 for float32, 3.7e-11 for float64.
RTOL_POWER = 2.0 / 3.0
#: atol = ATOL_EPS * eps(dtype) * (largest output entry over all blocks).
ATOL_EPS = 64.0


def default_tolerances(dtype: torch.dtype, rtol: float | None, atol: float | None) -> tuple[float, float | None]:
    """(rtol, atol) for a function computing in ``dtype``; ``atol`` None means "from the output scale"."""
    eps = float(torch.finfo(dtype).eps)
    return (eps ** RTOL_POWER if rtol is None else float(rtol)), atol


def _cast(x: Any, dtype: torch.dtype) -> Any:
    """Every floating tensor in ``x`` (a tensor, or tuples, lists and dicts of them) cast to ``dtype``."""
    if isinstance(x, torch.Tensor):
        return x.to(dtype) if x.is_floating_point() else x
    if isinstance(x, (tuple, list)):
        return type(x)(_cast(v, dtype) for v in x)
    if isinstance(x, dict):
        return {k: _cast(v, dtype) for k, v in x.items()}
    return x


class Probe:
    """The function under test, called on float64 blocks and returning float64 blocks.

    Transforming input blocks are cast to ``dtype`` (the function's own) on ``device``; blocks that do
    not transform are passed as given, or with ``cast_all`` (the float64 re-check) with every floating
    tensor in them cast to ``dtype`` too. A callable that rejects tensors is called with numpy arrays.

    The function runs with gradients enabled (``torch.enable_grad``), so a model may differentiate
    inside, e.g. forces as -dE/dx with ``torch.autograd.grad`` after ``x.requires_grad_()``: every
    transforming block it receives is a fresh leaf tensor (a copy; the gate's own inputs are never
    changed). Outputs are detached.
    """

    def __init__(self, fn: Callable[..., Any], dtype: torch.dtype, device: torch.device,
                 in_actions: Sequence[Action], out_actions: Sequence[Action], out_tuple: bool, *,
                 cast_all: bool = False) -> None:
        self.fn, self.dtype, self.device = fn, dtype, device
        self.in_actions, self.out_actions, self.out_tuple = list(in_actions), list(out_actions), out_tuple
        self.cast_all = cast_all
        self.calls = 0
        self._numpy = False
        self.eps = float(torch.finfo(dtype).eps)

    def args(self, xs: Sequence[Any]) -> list[Any]:
        """The arguments the function receives for the float64 blocks ``xs``."""
        out = []
        for a, x in zip(self.in_actions, xs, strict=True):
            if a.transforms:
                out.append(x.detach().to(self.dtype, copy=True))
            else:
                out.append(_cast(x, self.dtype) if self.cast_all else x)
        return out

    def __call__(self, xs: Sequence[Any]) -> list[torch.Tensor]:
        args = self.args(xs)
        self.calls += 1
        with torch.enable_grad():
            if not self._numpy:
                try:
                    y = self.fn(*args)
                except (TypeError, AttributeError):
                    if isinstance(self.fn, torch.nn.Module):
                        raise
                    self._numpy = True
            if self._numpy:
                y = self.fn(*[a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else a for a in args])
        return self._outputs(y)

    def _outputs(self, y: Any) -> list[torch.Tensor]:
        if self.out_tuple:
            if not isinstance(y, (tuple, list)):
                raise ShapeError(f"rho_out names {len(self.out_actions)} output blocks, but the function "
                                 "returned a single output")
            ys = list(y)
        elif isinstance(y, (tuple, list)) and y and isinstance(y[0], (torch.Tensor, np.ndarray)):
            raise ShapeError(f"the function returned {len(y)} outputs, but rho_out names one block; pass a tuple "
                             "rho_out with one representation (or None) per output")
        else:
            ys = [y]
        if len(ys) != len(self.out_actions):
            raise ShapeError(f"the function returned {len(ys)} output(s), but rho_out names {len(self.out_actions)}")
        out = []
        for k, (a, t) in enumerate(zip(self.out_actions, ys, strict=True)):
            t = t.detach() if isinstance(t, torch.Tensor) else torch.as_tensor(np.asarray(t, dtype=np.float64))
            t = t.to(device=self.device, dtype=torch.float64)
            if a.dim is not None and (t.ndim == 0 or t.shape[-1] != a.dim):
                raise ShapeError(f"output {k} ({a.name}) has shape {tuple(t.shape)}; its representation has "
                                 f"dimension {a.dim}, which must be the size of the last axis")
            out.append(t)
        return out


@dataclass(frozen=True)
class Measure:
    """One element on one set of inputs: per output block the error, its tolerance and the output scale."""

    errors: tuple[float, ...]
    tolerances: tuple[float, ...]
    scales: tuple[float, ...]
    atol: float
    rtol: float

    @property
    def ratios(self) -> tuple[float, ...]:
        return tuple(0.0 if e == 0 else (e / t if t > 0 else float("inf"))
                     for e, t in zip(self.errors, self.tolerances, strict=True))

    @property
    def ratio(self) -> float:
        return max(self.ratios, default=0.0)

    @property
    def block(self) -> int:
        r = self.ratios
        return int(np.argmax(r)) if r else 0


def _maxabs(t: torch.Tensor) -> float:
    if t.numel() == 0:
        return 0.0
    m = t.abs().max()
    return float("inf") if torch.isnan(m) else float(m)


def transform_inputs(probe: Probe, xs: Sequence[Any], g: Element) -> list[Any]:
    """g.x: every transforming input block acted on by g, the others as they are."""
    return [a.apply(g, x) if a.transforms or a.permutes else x for a, x in zip(probe.in_actions, xs, strict=True)]


def measure(probe: Probe, xs: Sequence[Any], ys: Sequence[torch.Tensor], g: Element, *,
            rtol: float, atol: float | None) -> Measure:
    """Compare f(g.x) with g.f(x) block by block (``ys`` = f(x), already computed)."""
    return compare(probe, ys, probe(transform_inputs(probe, xs, g)), g, rtol=rtol, atol=atol)


def compare(probe: Probe, ys: Sequence[torch.Tensor], ygs: Sequence[torch.Tensor], g: Element, *,
            rtol: float, atol: float | None) -> Measure:
    """The measure of one element from ``ys`` = f(x) and ``ygs`` = f(g.x)."""
    errors, scales = [], []
    for k, (a, y, yg) in enumerate(zip(probe.out_actions, ys, ygs, strict=True)):
        if y.shape != yg.shape:
            raise ShapeError(f"output {k} ({a.name}) has shape {tuple(y.shape)} at x but {tuple(yg.shape)} at g.x "
                             f"({g.label}): the function's output shape must not depend on the group element")
        target = a.apply(g, y)
        errors.append(_maxabs(yg - target))
        scales.append(max(_maxabs(y), _maxabs(yg)))
    return _measure(errors, scales, probe.eps, rtol=rtol, atol=atol)


def _maxabs_many(t: torch.Tensor) -> list[float]:
    """_maxabs of every t[e] (NaN counts as inf)."""
    if t.numel() == 0:
        return [0.0] * t.shape[0]
    m = t.abs().reshape(t.shape[0], -1).amax(dim=1)
    return torch.where(torch.isnan(m), torch.full_like(m, float("inf")), m).tolist()


def compare_many(probe: Probe, ys: Sequence[torch.Tensor], ygs: Sequence[Sequence[torch.Tensor]],
                 elements: Sequence[Element], *, rtol: float, atol: float | None) -> list[Measure]:
    """``compare`` for many elements at once: ``ygs[e]`` = f(g_e.x); the same numbers, fewer operations."""
    if not elements:
        return []
    errors = [[0.0] * len(probe.out_actions) for _ in elements]
    scales = [[0.0] * len(probe.out_actions) for _ in elements]
    for k, (a, y) in enumerate(zip(probe.out_actions, ys, strict=True)):
        for g, yg in zip(elements, ygs, strict=True):
            if yg[k].shape != y.shape:
                raise ShapeError(f"output {k} ({a.name}) has shape {tuple(y.shape)} at x but {tuple(yg[k].shape)} at "
                                 f"g.x ({g.label}): the function's output shape must not depend on the group element")
        YG = torch.stack([yg[k] for yg in ygs])
        err = _maxabs_many(YG - apply_many(a, elements, y))
        sy, syg = _maxabs(y), _maxabs_many(YG)
        for e in range(len(elements)):
            errors[e][k], scales[e][k] = err[e], max(sy, syg[e])
    return [_measure(errors[e], scales[e], probe.eps, rtol=rtol, atol=atol) for e in range(len(elements))]


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
            if ys[k].shape != ygs[k].shape:
                raise ShapeError(f"output {k} ({a.name}) has shape {tuple(ys[k].shape)} at x but "
                                 f"{tuple(ygs[k].shape)} at g.x ({g.label}): the function's output shape must not "
                                 "depend on the group element")
        if len({tuple(ys[k].shape) for ys in yss}) > 1:
            return [compare(probe, ys, ygs, g, rtol=rtol, atol=atol) for ys, ygs, g in zip(yss, ygss, elements,
                                                                                             strict=True)]
        Y, YG = torch.stack([ys[k] for ys in yss]), torch.stack([ygs[k] for ygs in ygss])
        err = _maxabs_many(YG - torch.stack(apply_pairs(a, elements, list(Y.unbind(0)))))
        sy, syg = _maxabs_many(Y), _maxabs_many(YG)
        for e in range(len(elements)):
            errors[e][k], scales[e][k] = err[e], max(sy[e], syg[e])
    return [_measure(errors[e], scales[e], probe.eps, rtol=rtol, atol=atol) for e in range(len(elements))]


def _measure(errors: Sequence[float], scales: Sequence[float], eps: float, *, rtol: float,
             atol: float | None) -> Measure:
    finite = [s for s in scales if np.isfinite(s)]
    atol_ = float(atol) if atol is not None else ATOL_EPS * eps * max(finite, default=0.0)
    tols = tuple(atol_ + rtol * (s if np.isfinite(s) else 0.0) for s in scales)
    return Measure(tuple(errors), tols, tuple(scales), atol_, rtol)


def difference(probe: Probe, ys: Sequence[torch.Tensor], zs: Sequence[torch.Tensor], *, rtol: float,
               atol: float | None) -> Measure:
    """The measure of |ys - zs| block by block (two evaluations that must agree), with the gate's tolerance."""
    errors = [_maxabs(y - z) for y, z in zip(ys, zs, strict=True)]
    scales = [max(_maxabs(y), _maxabs(z)) for y, z in zip(ys, zs, strict=True)]
    return _measure(errors, scales, probe.eps, rtol=rtol, atol=atol)
