"""Exact arithmetic on network weights: arrays of Python integers with one rational scale.

Every float64 is a dyadic rational m 2^e, so a float array is exactly ``ints * 2^e0`` with integer
entries; a ``Fraction`` array is exactly ``ints / D`` with D the common denominator. Sums and products
of such arrays stay integer arrays with a known scale, which is what makes the exact oracles fast:
no Fraction is normalized inside the hot loops (Python integers are arbitrary precision, so 1e-300
and 1e300 weights are exact too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["Scaled", "scaled", "rational_matrix", "rational_or_none", "primitive_rows"]


@dataclass(frozen=True)
class Scaled:
    """The exact array ``ints * scale``: ``ints`` an object array of Python ints, ``scale`` > 0."""

    ints: np.ndarray
    scale: Fraction

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.ints.shape)

    def fractions(self) -> np.ndarray:
        out = np.empty(self.ints.shape, dtype=object)
        for idx, v in np.ndenumerate(self.ints):
            out[idx] = Fraction(v) * self.scale
        return out

    def floats(self) -> np.ndarray:
        return np.vectorize(lambda v: float(Fraction(v) * self.scale), otypes=[np.float64])(self.ints) \
            if self.ints.size else np.zeros(self.ints.shape)

    def rescaled(self, scale: Fraction) -> Scaled:
        """The same values over ``scale``, which must divide every value exactly."""
        q = self.scale / scale
        if q.denominator != 1:
            raise ValueError("rescaled: the new scale does not divide the values")
        k = q.numerator
        return Scaled(_obj(self.ints) * k if k != 1 else self.ints, scale)


def _obj(a: np.ndarray) -> np.ndarray:
    return a if a.dtype == object else a.astype(object)


def _from_floats(a: np.ndarray) -> Scaled:
    a = np.asarray(a, dtype=np.float64)
    if a.size == 0 or not np.any(a):
        return Scaled(np.zeros(a.shape, dtype=np.int64).astype(object), Fraction(1))
    m, e = np.frexp(a)  # a = m 2^e, 0.5 <= |m| < 1: m 2^53 is an integer
    mant = (m * 2.0 ** 53).astype(np.int64)
    ex = e.astype(np.int64) - 53
    nz = mant != 0
    e0 = int(ex[nz].min())
    shift = np.where(nz, ex - e0, 0)
    ints = np.left_shift(mant.astype(object), shift.astype(object))  # Python ints, shifted in one C loop
    return Scaled(ints, Fraction(2) ** e0)


def _from_fractions(a: np.ndarray) -> Scaled:
    flat = [Fraction(v) for v in a.ravel()]
    den = math.lcm(*(f.denominator for f in flat)) if flat else 1
    ints = np.empty(a.shape, dtype=object)
    ints.reshape(-1)[:] = [f.numerator * (den // f.denominator) for f in flat] if flat else []
    return Scaled(ints, Fraction(1, den))


def scaled(a: Any) -> Scaled:
    """``a`` (floats, ints or Fractions) as an exact :class:`Scaled` array."""
    arr = np.asarray(a)
    if arr.dtype == object:
        if all(isinstance(v, (float, np.floating)) for v in arr.ravel()):
            return _from_floats(arr.astype(np.float64))
        return _from_fractions(arr)
    if arr.dtype.kind in "iub":
        return Scaled(arr.astype(object), Fraction(1))
    return _from_floats(arr)


def common(*arrays: Scaled) -> tuple[list[np.ndarray], Fraction]:
    """The arrays as integer arrays over one common scale (the gcd of their scales)."""
    num = math.gcd(*(a.scale.numerator for a in arrays))
    den = math.lcm(*(a.scale.denominator for a in arrays))
    s = Fraction(num, den)
    return [a.rescaled(s).ints for a in arrays], s


def rational_matrix(M: Any, max_denominator: int = 10**6) -> np.ndarray | None:
    """``M`` as a Fraction array when every entry is, to a few units in the last place of the matrix's
    largest entry, a fraction of denominator at most ``max_denominator``; None otherwise.

    The bound is relative to the float's own spacing, not absolute: sqrt(3)/2 lies within 1e-12 of
    fractions with denominators below 10^6, and treating such an approximation as exact would check a
    matrix that is not a representation. Round-off zeros such as cos(pi/2) = 6e-17 count as 0.
    """
    M = np.asarray(M, dtype=np.float64)
    key = (M.shape, M.tobytes(), max_denominator)
    if key in _RATIONAL:  # the same few representation matrices are read again and again
        q = _RATIONAL[key]
        return None if q is None else q.copy()
    q = _rational_matrix(M, max_denominator)
    if len(_RATIONAL) >= 4096:
        _RATIONAL.clear()
    _RATIONAL[key] = q
    return None if q is None else q.copy()


_RATIONAL: dict[tuple[Any, ...], np.ndarray | None] = {}  # rational_matrix's answers, by the float64 bytes


def _rational_matrix(M: np.ndarray, max_denominator: int) -> np.ndarray | None:
    scale = float(np.max(np.abs(M))) if M.size else 0.0
    out = np.empty(M.shape, dtype=object)
    R = np.round(M)
    if scale > 0 and np.all(np.abs(R - M) <= 4 * np.spacing(scale)):  # integer matrices: the common case, fast
        out.reshape(-1)[:] = [Fraction(int(v)) for v in R.ravel()]
        return out
    for idx, x in np.ndenumerate(M):
        xf = float(x)
        tol = 4 * float(np.spacing(max(abs(xf), scale)))
        # every real lies within 1/den^2 of a fraction of denominator <= den: only denominators small enough
        # that such an accident is a thousand times less likely than the tolerance make the test meaningful
        # (entries of size 1e6 have a spacing of 1e-10, and any real is within 1e-12 of some p/q, q <= 10^6)
        den = max(1, min(max_denominator, int((1e-3 / tol) ** 0.5)))
        q = Fraction(xf).limit_denominator(den)
        if abs(float(q) - xf) > tol:
            return None
        out[idx] = q
    return out


def rational_or_none(M: np.ndarray, max_denominator: int = 10**6) -> Scaled | None:
    """:func:`rational_matrix` as integers over one scale (None when M is not rational)."""
    F = np.asarray(M, dtype=np.float64)
    key = (F.shape, F.tobytes(), max_denominator)
    if key not in _SCALED:
        q = rational_matrix(F, max_denominator)
        if len(_SCALED) >= 4096:
            _SCALED.clear()
        _SCALED[key] = None if q is None else _from_fractions(q)
    hit = _SCALED[key]
    return None if hit is None else Scaled(hit.ints.copy(), hit.scale)


_SCALED: dict[tuple[Any, ...], Scaled | None] = {}


def primitive_rows(R: np.ndarray, orient_cols: int | None = None) -> tuple[list[tuple[int, ...]], list[int]]:
    """Each non-zero integer row as (primitive row, factor) with row = factor * primitive.

    The factor is positive, unless ``orient_cols`` is given: then the primitive row's first non-zero
    entry among its first ``orient_cols`` columns is positive and the factor carries the sign.
    """
    keys: list[tuple[int, ...]] = []
    factors: list[int] = []
    for row in R:
        vals = [int(v) for v in row]
        g = math.gcd(*vals)
        if orient_cols is not None:
            lead = next((v for v in vals[:orient_cols] if v != 0), 0)
            if lead < 0:
                g = -g
        keys.append(tuple(v // g for v in vals))
        factors.append(g)
    return keys, factors
