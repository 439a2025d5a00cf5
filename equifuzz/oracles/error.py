"""The measured equivariance error of a function under test, apart from any assertion on it.

For one element g and inputs x, output block k has the error max |f(g.x)_k - g.f(x)_k| and the tolerance

    atol + rtol * scale_k,     scale_k = max |entry| of f(x)_k and f(g.x)_k,

with ``rtol = eps(dtype) ** RTOL_POWER`` (two thirds of the digits) and ``atol = ATOL_EPS * eps(dtype) *
max_k scale_k`` unless given (eps of the dtype the function computes in: 1.2e-7 for float32, 2.2e-16 for
float64). The atol term covers a block that is zero up to round-off of larger intermediate values. A NaN
anywhere is an infinite error (it never passes); an infinite scale adds nothing to the tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..groups.elements import Element

__all__ = ["Measure", "Trial", "equivariance_error", "measure_blocks", "max_abs", "max_abs_many",
           "default_tolerances", "RTOL_POWER", "ATOL_EPS"]

#: rtol = eps(dtype) ** RTOL_POWER: 2.4e-5 for float32, 3.7e-11 for float64.
RTOL_POWER = 2.0 / 3.0
#: atol = ATOL_EPS * eps(dtype) * (largest output entry over all blocks).
ATOL_EPS = 64.0


def default_tolerances(dtype: torch.dtype, rtol: float | None, atol: float | None) -> tuple[float, float | None]:
    """(rtol, atol) for a function computing in ``dtype``; ``atol`` None means "from the output scale"."""
    eps = float(torch.finfo(dtype).eps)
    return (eps ** RTOL_POWER if rtol is None else float(rtol)), atol


@dataclass(frozen=True)
class Measure:
    """One element on one set of inputs: per output block the error, its tolerance and the output scale."""

    errors: tuple[float, ...]
    tolerances: tuple[float, ...]
    scales: tuple[float, ...]
    atol: float
    rtol: float

    def __post_init__(self) -> None:  # the ratios once per measure (the gate sorts thousands of measures)
        r = tuple(0.0 if e == 0 else (e / t if t > 0 else float("inf"))
                  for e, t in zip(self.errors, self.tolerances, strict=True))
        object.__setattr__(self, "_ratios", r)
        object.__setattr__(self, "_ratio", max(r, default=0.0))

    @property
    def ratios(self) -> tuple[float, ...]:
        return self._ratios  # type: ignore[attr-defined,no-any-return]

    @property
    def ratio(self) -> float:
        return self._ratio  # type: ignore[attr-defined,no-any-return]

    @property
    def block(self) -> int:
        r = self.ratios
        return int(np.argmax(r)) if r else 0


@dataclass
class Trial:
    """One (inputs, element) pair with f(x) and its measure."""

    xs: list[Any]
    ys: list[torch.Tensor]
    g: Element
    m: Measure

    @property
    def ratio(self) -> float:
        return self.m.ratio


def max_abs(t: torch.Tensor) -> float:
    """The largest |entry| (NaN counts as inf; an empty tensor as 0)."""
    if t.numel() == 0:
        return 0.0
    m = t.abs().max()
    return float("inf") if torch.isnan(m) else float(m)


def max_abs_many(t: torch.Tensor) -> list[float]:
    """``max_abs`` of every t[e] along the leading axis."""
    if t.numel() == 0:
        return [0.0] * t.shape[0]
    m = t.abs().reshape(t.shape[0], -1).amax(dim=1)
    return torch.where(torch.isnan(m), torch.full_like(m, float("inf")), m).tolist()


def measure_blocks(errors: Sequence[float], scales: Sequence[float], eps: float, *, rtol: float,
                   atol: float | None) -> Measure:
    """The measure of per-block errors and output scales under the tolerance rule of the module docstring."""
    finite = [s for s in scales if math.isfinite(s)]
    atol_ = float(atol) if atol is not None else ATOL_EPS * eps * max(finite, default=0.0)
    tols = tuple(atol_ + rtol * (s if math.isfinite(s) else 0.0) for s in scales)
    return Measure(tuple(errors), tols, tuple(scales), atol_, rtol)


def equivariance_error(fgx: Sequence[torch.Tensor], gfx: Sequence[torch.Tensor], fx: Sequence[torch.Tensor], *,
                       eps: float, rtol: float, atol: float | None) -> Measure:
    """The measure of one element: ``fgx`` = f(g.x), ``gfx`` = g.f(x) and ``fx`` = f(x), block by block
    (blocks of equal shapes), with ``eps`` the machine epsilon of the dtype the function computes in."""
    errors = [max_abs(a - b) for a, b in zip(fgx, gfx, strict=True)]
    scales = [max(max_abs(y), max_abs(yg)) for y, yg in zip(fx, fgx, strict=True)]
    return measure_blocks(errors, scales, eps, rtol=rtol, atol=atol)
