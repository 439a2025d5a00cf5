"""Two-layer ReLU networks f(x) = W2 relu(W1 x + b1) + b2 and their canonical form.

The canonical ("even") form writes f(x) = sum_H 1/2 c_H |u_H . x + beta_H| + L x + e over the
distinct boundary hyperplanes H with a non-zero channel vector c_H; it is a complete functional
invariant on R^d. In float mode hyperplanes carry unit normals (first clearly non-zero component
positive); in exact mode (``fractions.Fraction`` weights) normals are scaled so that their first
non-zero component is 1, which keeps every quantity rational.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors.exceptions import InvalidArgument, NonFiniteError, ShapeError
from ..errors.validation import check_array, check_fraction_entries, check_type, describe
from .canonical import cluster_sums, float_form, norms, norms_exp, roundoff_threshold

__all__ = ["ReLUNet", "CanonicalForm", "from_torch", "cluster_rows", "cluster_unoriented", "DisjointSets",
           "float_views", "HYPERPLANE_TOL"]

class FloatRangeError(NonFiniteError, OverflowError):
    """Fraction weights that have no float64 copy (beyond 1.8e308); an OverflowError too, for callers that
    catch the conversion's own error."""


HYPERPLANE_TOL = 1e-8  # two normalized hyperplanes (u, beta) closer than this (relative) are one


def _is_exact_array(a: np.ndarray) -> bool:
    return a.dtype == object


def _as_param(x: Any, name: str, exact: bool) -> np.ndarray:
    if type(x).__module__.startswith("torch") or isinstance(x, (str, bytes, dict, set)):
        x = check_array(name, x, finite=False)
    if exact:
        try:
            arr = np.array(x, dtype=object)
        except (TypeError, ValueError) as exc:  # ragged nesting
            raise ShapeError(f"{name} must be a rectangular array, got {describe(x)}: {exc}") from None
        if arr.dtype == object and any(isinstance(v, (list, tuple, np.ndarray)) for v in arr.ravel()):
            raise ShapeError(f"{name} must be a rectangular array, got {describe(x)}")
        flat = arr.ravel()
        check_fraction_entries(name, flat)
        for i, v in enumerate(flat):
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                flat[i] = Fraction(int(v))
            elif isinstance(v, Fraction):
                pass
            elif isinstance(v, (float, np.floating)):
                if not np.isfinite(v):
                    raise NonFiniteError(f"{name} holds NaN or inf")
                flat[i] = Fraction(float(v))
            else:
                raise ShapeError(f"{name} entries must be numbers, got {type(v).__name__}")
        return flat.reshape(arr.shape)
    arr = check_array(name, x, finite=False)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0].tolist()
        raise NonFiniteError(f"{name} holds NaN or inf (first at index {bad})")
    return arr


def _wants_exact(*xs: Any) -> bool:
    """Exact mode when any weight is a Fraction; then no weight may be a non-integer float (stated rule).

    Mixing Fractions with floats such as 1/3 is refused rather than guessed: pass every weight as a
    Fraction, or ``exact=True`` to convert each float exactly (every float64 is a dyadic rational).
    """
    fractions, floats = False, None
    for x in xs:
        if x is None or type(x).__module__.startswith("torch"):
            continue
        try:
            a = np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x
        except (TypeError, ValueError):
            continue  # ragged: the shape check reports it
        if a.dtype == object and a.size:
            for v in a.ravel():
                if isinstance(v, Fraction):
                    fractions = True
                elif isinstance(v, (float, np.floating)) and floats is None and not float(v).is_integer():
                    floats = v
    if fractions and floats is not None:
        raise InvalidArgument(
            f"the weights mix Fractions with the non-integer float {floats!r}; pass every weight as a Fraction "
            "(e.g. Fraction(1, 3)), or exact=True to convert each float exactly (every float64 is a dyadic "
            "rational, so 1/3 becomes 6004799503160661/18014398509481984)")
    return fractions


class ReLUNet:
    """f(x) = W2 relu(W1 x + b1) + b2 with W1 (m, d), b1 (m,), W2 (p, m), b2 (p,); biases may be None.

    Weights are float64 arrays, or ``Fraction`` object arrays in exact mode (chosen when any weight
    is a Fraction, or with ``exact=True``).
    """

    def __init__(self, W1: Any, b1: Any, W2: Any, b2: Any = None, *, exact: bool | None = None) -> None:
        if exact is not None and not isinstance(exact, (bool, np.bool_)):
            raise InvalidArgument(f"exact must be True, False or None, got {describe(exact)}")
        if exact is None:
            exact = _wants_exact(W1, b1, W2, b2)
        self.exact = bool(exact)
        self.W1 = _as_param(W1, "W1", self.exact)
        self.W2 = _as_param(W2, "W2", self.exact)
        if self.W1.ndim != 2:
            raise ShapeError(f"W1 must be a matrix (width m, input dim d), got shape {self.W1.shape}")
        if self.W2.ndim != 2:
            raise ShapeError(f"W2 must be a matrix (output dim p, width m), got shape {self.W2.shape}")
        m, _ = self.W1.shape
        if self.W1.shape[1] == 0 or self.W2.shape[0] == 0:
            raise ShapeError(f"a network maps R^d -> R^p with d, p >= 1, got W1 of shape {self.W1.shape} and W2 of "
                             f"shape {self.W2.shape}")
        if self.W2.shape[1] != m:
            raise ShapeError(f"W1 has {m} rows (hidden units) but W2 has {self.W2.shape[1]} columns")
        self.hidden_bias = b1 is not None
        self.output_bias = b2 is not None
        zero = Fraction(0) if self.exact else 0.0
        self.b1 = _as_param(b1, "b1", self.exact) if b1 is not None else np.full(m, zero, dtype=self.W1.dtype)
        self.b2 = (_as_param(b2, "b2", self.exact) if b2 is not None
                   else np.full(self.W2.shape[0], zero, dtype=self.W2.dtype))
        if self.b1.shape != (m,):
            raise ShapeError(f"b1 must have shape ({m},) to match W1, got {self.b1.shape}")
        if self.b2.shape != (self.W2.shape[0],):
            raise ShapeError(f"b2 must have shape ({self.W2.shape[0]},) to match W2, got {self.b2.shape}")
        for a in (self.W1, self.b1, self.W2, self.b2):
            a.setflags(write=False)

    # -- shape -----------------------------------------------------------------------------------
    @property
    def width(self) -> int:
        return int(self.W1.shape[0])

    @property
    def d(self) -> int:
        return int(self.W1.shape[1])

    @property
    def p(self) -> int:
        return int(self.W2.shape[0])

    @property
    def scale(self) -> float:
        """A weight scale for relative tolerances: max over neurons of ||w_i|| ||v_i|| (+ biases)."""
        W1, b1, W2, b2 = self.float_params()
        # norms and their products over powers of two: no intermediate overflow or underflow (inf only when
        # the scale itself exceeds float64)
        wm, ew = norms_exp(np.concatenate([W1, b1[:, None]], axis=1))
        vm, ev = norms_exp(W2.T)
        with np.errstate(over="ignore", under="ignore"):
            s = float(np.max(np.ldexp(wm * vm, ew + ev))) if self.width else 0.0
        return max(s, float(np.max(np.abs(b2))) if self.p else 0.0, 1e-300)

    def neurons(self) -> list[tuple[np.ndarray, Any, np.ndarray]]:
        """The triples (w_i, b_i, v_i)."""
        return [(self.W1[i], self.b1[i], self.W2[:, i]) for i in range(self.width)]

    def params(self) -> dict[str, np.ndarray | None]:
        return {"W1": self.W1, "b1": self.b1 if self.hidden_bias else None,
                "W2": self.W2, "b2": self.b2 if self.output_bias else None}

    # -- evaluation ------------------------------------------------------------------------------
    def __call__(self, x: Any) -> Any:
        """Evaluate on a batch (n, d) or a single input (d,): numpy float64, Fraction or torch."""
        if type(x).__module__.startswith("torch"):
            return self._torch_call(x)
        if self.exact and isinstance(x, np.ndarray) and x.dtype == object:
            xs = x
        else:
            xs = np.asarray(x, dtype=np.float64)
        single = xs.ndim == 1
        xs = xs[None] if single else xs
        if xs.ndim != 2 or xs.shape[1] != self.d:
            raise ShapeError(f"inputs must have shape (n, {self.d}) or ({self.d},), got {np.shape(x)}")
        if xs.dtype == object:
            h = xs @ self.W1.T + self.b1
            h = np.where(h > 0, h, np.array(Fraction(0), dtype=object))
            y = h @ self.W2.T + self.b2
        else:
            W1, b1, W2, b2 = self.float_params()
            y = np.maximum(xs @ W1.T + b1, 0.0) @ W2.T + b2
        return y[0] if single else y

    def float_params(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        try:
            return tuple(np.asarray(a, dtype=np.float64) for a in (self.W1, self.b1, self.W2, self.b2))  # type: ignore[return-value]
        except OverflowError:
            raise FloatRangeError("the network has Fraction weights beyond float64's range (above 1.8e308), so it "
                                 "has no float64 copy; the oracles decide it exactly (float_views gives float data "
                                 "of the same function over a power of two)") from None

    def _torch_call(self, x: Any) -> Any:
        import torch

        W1, b1, W2, b2 = (torch.as_tensor(a, dtype=x.dtype, device=x.device) for a in self.float_params())
        return torch.relu(x @ W1.T + b1) @ W2.T + b2

    def to_torch(self, dtype: Any = None) -> Any:
        """An ``nn.Sequential(Linear, ReLU, Linear)`` computing the same function."""
        import torch
        from torch import nn

        dtype = dtype or torch.float64
        W1, b1, W2, b2 = self.float_params()
        l1 = nn.Linear(self.d, self.width, bias=self.hidden_bias, dtype=dtype)
        l2 = nn.Linear(self.width, self.p, bias=self.output_bias, dtype=dtype)
        with torch.no_grad():
            l1.weight.copy_(torch.tensor(W1))
            l2.weight.copy_(torch.tensor(W2))
            if self.hidden_bias:
                l1.bias.copy_(torch.tensor(b1))
            if self.output_bias:
                l2.bias.copy_(torch.tensor(b2))
        return nn.Sequential(l1, nn.ReLU(), l2)

    # -- conversions and constructions -----------------------------------------------------------
    def to_exact(self, max_denominator: int | None = None) -> ReLUNet:
        """Exact copy; with ``max_denominator`` each weight is rounded to the nearest such fraction."""
        def conv(a: np.ndarray | None) -> np.ndarray | None:
            if a is None:
                return None
            flat = [Fraction(v) if isinstance(v, Fraction) else Fraction(float(v)) for v in np.ravel(a)]
            if max_denominator is not None:
                flat = [v.limit_denominator(max_denominator) for v in flat]
            return np.array(flat + [None], dtype=object)[:-1].reshape(np.shape(a))
        p = self.params()
        return ReLUNet(conv(p["W1"]), conv(p["b1"]), conv(p["W2"]), conv(p["b2"]), exact=True)

    def to_float(self) -> ReLUNet:
        W1, b1, W2, b2 = self.float_params()
        return ReLUNet(W1, b1 if self.hidden_bias else None, W2, b2 if self.output_bias else None, exact=False)

    def subnet(self, neurons: Sequence[int]) -> ReLUNet:
        """The network keeping only the listed hidden units (same biases flags)."""
        idx = list(neurons)
        p = self.params()
        return ReLUNet(self.W1[idx], None if p["b1"] is None else self.b1[idx], self.W2[:, idx], p["b2"],
                       exact=self.exact)

    def transformed(self, A: np.ndarray, B: np.ndarray) -> ReLUNet:
        """The network x -> B f(A x)."""
        A = _match(A, self.exact)
        B = _match(B, self.exact)
        p = self.params()
        return ReLUNet(self.W1 @ A, p["b1"], B @ self.W2, None if p["b2"] is None else B @ self.b2,
                       exact=self.exact)

    def __sub__(self, other: ReLUNet) -> ReLUNet:
        """The width-(m1 + m2) network computing f1 - f2."""
        exact = self.exact or other.exact
        a = self if self.exact == exact else self.to_exact()
        b = other if other.exact == exact else other.to_exact()
        hb = a.hidden_bias or b.hidden_bias
        ob = a.output_bias or b.output_bias
        return ReLUNet(
            np.concatenate([a.W1, b.W1]), np.concatenate([a.b1, b.b1]) if hb else None,
            np.concatenate([a.W2, -b.W2], axis=1), (a.b2 - b.b2) if ob else None, exact=exact,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (exact weights as strings ``"p/q"``)."""
        def enc(a: np.ndarray | None) -> Any:
            if a is None:
                return None
            if self.exact:
                return np.vectorize(str, otypes=[object])(a).tolist()
            return np.asarray(a, dtype=np.float64).tolist()
        return {"exact": self.exact, **{k: enc(v) for k, v in self.params().items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReLUNet:
        """The network of :meth:`to_dict` (keys W1, W2, optional b1, b2 and exact; exact weights "p/q")."""
        check_type("data", data, dict, "a dict as written by ReLUNet.to_dict()")
        unknown = sorted(set(map(str, data)) - {"exact", "W1", "b1", "W2", "b2"})
        missing = [k for k in ("W1", "W2") if k not in data]
        if unknown or missing:
            raise InvalidArgument(f"data must have the keys W1, W2 (and optionally b1, b2, exact) of "
                                  f"ReLUNet.to_dict(); missing {missing}, unknown {unknown}")
        exact = data.get("exact", False)
        if not isinstance(exact, bool):
            raise InvalidArgument(f"data['exact'] must be true or false, got {describe(exact)}")

        def dec(key: str) -> Any:
            a = data.get(key)
            if a is None or not exact:
                return a
            try:
                arr = np.array(a, dtype=object)
                return np.vectorize(Fraction, otypes=[object])(arr) if arr.size else arr
            except (TypeError, ValueError, ZeroDivisionError) as exc:
                raise InvalidArgument(f"data[{key!r}] must hold exact weights as strings 'p/q' with q != 0: "
                                      f"{type(exc).__name__}: {exc}") from None
        return cls(dec("W1"), dec("b1"), dec("W2"), dec("b2"), exact=exact)

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "float64"
        return (f"ReLUNet(d={self.d}, width={self.width}, p={self.p}, hidden_bias={self.hidden_bias}, "
                f"output_bias={self.output_bias}, {kind})")

    # -- canonical form --------------------------------------------------------------------------
    def canonical(self, tol: float = HYPERPLANE_TOL) -> CanonicalForm:
        """Boundary hyperplanes with non-zero channel vectors, the linear part L and constant e.

        ``tol`` is relative: hyperplanes closer than ``tol`` (in (u, beta), scaled by 1 + |beta|) are
        merged and channels with norm below ``tol * scale`` are dropped. Exact mode ignores it.
        """
        if self.exact:
            return _canonical_exact(self)
        return _canonical_float(self, tol)


def _match(A: Any, exact: bool) -> np.ndarray:
    if exact:
        return _as_param(A, "matrix", True)
    return np.asarray(A, dtype=np.float64)


@dataclass(frozen=True)
class CanonicalForm:
    """f(x) = sum_H 1/2 c_H |n_H . x + beta_H| + L x + e (hyperplanes sorted lexicographically).

    ``normalization`` is ``"unit"`` (||n_H|| = 1, float) or ``"projective"`` (first non-zero entry 1,
    exact); ``tol`` is the tolerance that was used to build it (0 for exact).
    """

    normals: np.ndarray
    offsets: np.ndarray
    channels: np.ndarray
    linear: np.ndarray
    constant: np.ndarray
    normalization: str
    tol: float = 0.0
    neuron_hyperplane: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)

    @property
    def n_hyperplanes(self) -> int:
        return int(self.normals.shape[0])

    def __call__(self, x: Any) -> np.ndarray:
        xs = np.asarray(x, dtype=self.normals.dtype if self.normals.dtype == object else np.float64)
        single = xs.ndim == 1
        xs = xs[None] if single else xs
        if self.n_hyperplanes:
            z = xs @ self.normals.T + self.offsets
            absz = np.where(z >= 0, z, -z)
            y = (absz @ self.channels) / 2 + xs @ self.linear.T + self.constant
        else:  # no kink term: an empty object-array product is a float 0.0 and would spoil exact values
            y = xs @ self.linear.T + self.constant
        return y[0] if single else y

    def points_on(self, k: int) -> np.ndarray:
        """The point of hyperplane k closest to the origin: -beta n / ||n||^2."""
        n = np.asarray(self.normals[k], dtype=np.float64)
        return -float(self.offsets[k]) * n / float(n @ n)


def cluster_rows(X: np.ndarray, tol: float) -> np.ndarray:
    """Labels 0..k-1 grouping rows of X that lie within ``tol`` (max-abs) of a cluster's first row.

    Rows are sorted along a fixed generic projection, cut where consecutive projections differ by
    more than the tolerance allows, and each piece is checked against its first row; pieces that fail
    the check are split greedily. O(n log n) for well-separated data.
    """
    n = X.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    r = np.cos(np.arange(1, X.shape[1] + 1) * 1.2345) + 1.5  # fixed, positive, generic weights
    s = X @ r
    order = np.argsort(s, kind="stable")
    gap = np.diff(s[order]) > 2 * tol * r.sum()
    seg = np.concatenate([[0], np.cumsum(gap)])
    starts = np.flatnonzero(np.concatenate([[True], gap]))
    first = order[starts][seg]
    ok = np.all(np.abs(X[order] - X[first]) <= tol, axis=1)
    labels_sorted = seg.copy()
    next_label = int(seg[-1]) + 1
    bad_segs = np.unique(seg[~ok])
    for sg in bad_segs:  # rare: points close in projection but not in space
        idx = np.flatnonzero(seg == sg)
        reps: list[int] = []
        for i in idx:
            for j in reps:
                if np.all(np.abs(X[order[i]] - X[order[j]]) <= tol):
                    labels_sorted[i] = labels_sorted[j]
                    break
            else:
                labels_sorted[i] = next_label if reps else sg
                if reps:
                    next_label += 1
                reps.append(int(i))
    labels = np.empty(n, dtype=np.int64)
    labels[order] = labels_sorted
    _, labels = np.unique(labels, return_inverse=True)
    return labels.ravel()


class DisjointSets:
    """Union-find over 0..n-1; each class is represented by its smallest member."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def cluster_unoriented(X: np.ndarray, tol: float) -> np.ndarray:
    """Cluster unit rows within ``tol``, joining clusters that are antipodal (one hyperplane, both
    orientations: the orientation rule is discontinuous at near-zero leading entries)."""
    labels = cluster_rows(X, tol)
    k = int(labels.max()) + 1 if labels.size else 0
    if k < 2:
        return labels
    first = np.full(k, -1)
    first[labels[::-1]] = np.arange(labels.size)[::-1]
    R = X[first]
    both = cluster_rows(np.concatenate([R, -R]), tol)
    owner: dict[int, int] = {}
    for i in range(k):
        owner.setdefault(int(both[i]), i)
    sets = DisjointSets(k)
    for j in range(k):
        mate = owner.get(int(both[k + j]))
        if mate is not None and mate != j:
            sets.union(mate, j)
    roots = np.array([sets.find(i) for i in range(k)])
    _, out = np.unique(roots[labels], return_inverse=True)
    return out.ravel()


def float_views(*nets: ReLUNet) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """float64 weights of the networks, for float screens and canonical data; for Fraction weights beyond
    float64's range, of the same functions with each neuron's (w, b) over a power of two (v times it) and all
    outputs over one common power of two 2^s (identities between the networks are homogeneous in it), exact
    until the final rounding. The common s is 0 whenever every weight converts as it is."""
    def exp2(q: Fraction) -> int:
        return q.numerator.bit_length() - q.denominator.bit_length() if q != 0 else 0

    def in_range(net: ReLUNet) -> bool:  # every non-zero weight a normal float64 (subnormals lose bits)
        return not net.exact or all(abs(exp2(Fraction(x))) < 1000 for a in (net.W1, net.b1, net.W2, net.b2)
                                    for x in np.ravel(a) if x != 0)

    if all(in_range(n) for n in nets):
        return [n.float_params() for n in nets]

    two = Fraction(2)
    views = []
    for net in nets:
        WB = [[Fraction(x) for x in row] + [Fraction(b)] for row, b in zip(net.W1, net.b1, strict=True)]
        ex = [max((exp2(x) for x in row if x != 0), default=0) for row in WB]
        V = [[Fraction(x) * two ** e for x, e in zip(col, ex, strict=True)] for col in net.W2]
        views.append((WB, ex, V, [Fraction(x) for x in net.b2], net.d))
    s = max([exp2(x) for _, _, V, b2, _ in views for row in V + [b2] for x in row if x != 0], default=0)
    out = []
    for WB, ex, V, b2, d in views:
        W1 = np.array([[float(x / two ** e) for x in row[:d]] for row, e in zip(WB, ex, strict=True)],
                      dtype=np.float64).reshape(len(WB), d)
        b1 = np.array([float(row[d] / two ** e) for row, e in zip(WB, ex, strict=True)], dtype=np.float64)
        W2 = np.array([[float(x / two ** s) for x in row] for row in V], dtype=np.float64).reshape(len(V), len(WB))
        out.append((W1, b1, W2, np.array([float(x / two ** s) for x in b2], dtype=np.float64)))
    return out


def _canonical_float(net: ReLUNet, tol: float) -> CanonicalForm:
    """Per-neuron float canonical form: neurons with w != 0 are kinks; hyperplanes whose keys
    [n, asinh(beta)] are within ``tol`` are one; a hyperplane is dropped when its channel cancels to ``tol``
    of the summed sizes ||w_i|| ||v_i|| of its own neurons."""
    F = float_form(*net.float_params())  # scale-free data; reported in the network's own units
    labels = cluster_unoriented(F.keys, tol)
    k = int(labels.max()) + 1 if labels.size else 0
    first = np.full(k, -1)
    first[labels[::-1]] = np.arange(labels.size)[::-1]
    normals, offsets = F.normals[first], F.offsets[first]
    channels, mass, E = cluster_sums(F.unit_channels, F.unit_mass, F.channel_exp, labels, k)
    # the round-off rule (equifuzz.oracles.identity): a merged channel against the mass of its own neurons
    keep = norms(channels) > roundoff_threshold(mass, mass, tol) if k else np.zeros(0, dtype=bool)
    order = np.lexsort(np.concatenate([normals, offsets[:, None]], axis=1).T[::-1]) if k else np.zeros(0, int)
    order = order[keep[order]]
    neuron_h = np.full(net.width, -1, dtype=np.int64)
    remap = np.full(k, -1, dtype=np.int64)
    remap[order] = np.arange(order.size)
    neuron_h[F.neuron] = remap[labels]
    ex = F.exponents
    with np.errstate(over="ignore", under="ignore"):
        return CanonicalForm(normals[order], offsets[order] + 0.0, np.ldexp(channels[order], E[order][:, None]),
                             np.ldexp(F.linear, ex.linear), np.ldexp(F.constant, ex.constant), "unit", tol, neuron_h)


def _canonical_exact(net: ReLUNet) -> CanonicalForm:
    m, d, p = net.width, net.d, net.p
    zero = Fraction(0)
    groups: dict[tuple[Fraction, ...], list[Fraction]] = {}
    neuron_key: list[tuple[Fraction, ...] | None] = []
    L = np.full((p, d), zero, dtype=object)
    e = net.b2.copy()
    for i in range(m):
        w, b, v = net.W1[i], net.b1[i], net.W2[:, i]
        nz = [j for j in range(d) if w[j] != 0]
        if not nz:
            if b > 0:
                e = e + v * b
            neuron_key.append(None)
            continue
        lead = w[nz[0]]
        a = abs(lead)
        key = tuple(list(w / lead) + [b / lead])
        ch = groups.setdefault(key, [zero] * p)
        for r in range(p):
            ch[r] += a * v[r]
        L = L + np.outer(v, w) / 2
        e = e + v * b / 2
        neuron_key.append(key)
    keys = sorted(k for k, c in groups.items() if any(x != 0 for x in c))
    index = {k: i for i, k in enumerate(keys)}
    normals = np.array([list(k[:-1]) for k in keys] + [[zero] * d], dtype=object)[:-1].reshape(len(keys), d)
    offsets = np.array([k[-1] for k in keys] + [zero], dtype=object)[:-1]
    channels = np.array([groups[k] for k in keys] + [[zero] * p], dtype=object)[:-1].reshape(len(keys), p)
    neuron_h = np.array([index.get(k, -1) if k is not None else -1 for k in neuron_key], dtype=np.int64)
    return CanonicalForm(normals, offsets, channels, L, np.asarray(e, dtype=object), "projective", 0.0, neuron_h)


def from_torch(module: Any) -> ReLUNet:
    """A ReLUNet from ``nn.Sequential(nn.Linear, nn.ReLU, nn.Linear)`` (float64 copy of the weights)."""
    from torch import nn

    layers = list(module) if isinstance(module, nn.Sequential) else None
    if (layers is None or len(layers) != 3 or not isinstance(layers[0], nn.Linear)
            or not isinstance(layers[1], nn.ReLU) or not isinstance(layers[2], nn.Linear)):
        raise ShapeError("from_torch expects nn.Sequential(nn.Linear, nn.ReLU, nn.Linear), "
                         f"got {type(module).__name__}: {module}")
    l1, _, l2 = layers

    def arr(t: Any) -> np.ndarray | None:
        return None if t is None else t.detach().to("cpu").double().numpy()

    return ReLUNet(arr(l1.weight), arr(l1.bias), arr(l2.weight), arr(l2.bias))
