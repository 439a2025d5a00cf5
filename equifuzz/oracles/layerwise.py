"""Layer-wise equivariance at the parameter level (T2).

A network is layer-wise equivariant (LEN) iff the multiset of its neuron triples (dead and zero-output
neurons removed) is invariant under g.(w, b, v) = (rho_in(g)^{-T} w, b, rho_out(g) v) and
rho_out(g) b2 = b2. Up to positive rescaling the triples are first normalized to
(w/|w|, b/|w|, |w| v). Matching sorts/hashes the normalized triples (O(m log m)), never compares all
pairs; the hidden permutation representation and its orbits are recovered on success.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..groups import Subgroup
from ..nets import ReLUNet, cluster_rows
from ..reps import PermutationRepresentation, Representation, subgroup_from_elements
from ..validation import check_bool, check_net_and_reps, check_tolerance
from .equivariance import DEFAULT_TOL, _check_net, rational_matrix
from .verdict import Verdict

__all__ = ["Orbit", "LayerwiseVerdict", "check_layerwise", "neuron_rows", "act_on_neurons"]


@dataclass(frozen=True)
class Orbit:
    """A G-orbit of hidden neurons: indices into the network, and the stabilizer of the first."""

    neurons: tuple[int, ...]
    stabilizer: Subgroup

    @property
    def size(self) -> int:
        return len(self.neurons)


@dataclass(frozen=True)
class LayerwiseVerdict(Verdict):
    """Whether the network is layer-wise equivariant; on success the hidden permutation representation.

    ``hidden`` acts on the live neurons ``neurons`` (in that order); ``orbits`` decompose them.
    On failure ``neuron`` is a neuron whose image under ``word`` has no partner.
    """

    tolerance: float
    up_to_scaling: bool
    method: str
    hidden: PermutationRepresentation | None = field(default=None, repr=False)
    neurons: tuple[int, ...] = ()
    orbits: tuple[Orbit, ...] = ()
    removed: tuple[int, ...] = ()
    element: int | None = None
    word: str = ""
    neuron: int | None = None
    reason: str = ""

    @property
    def orbit_sizes(self) -> list[int]:
        return sorted((o.size for o in self.orbits), reverse=True)

    @property
    def width(self) -> int:
        return len(self.neurons)

    def __str__(self) -> str:
        if self.holds:
            sizes = " + ".join(str(s) for s in self.orbit_sizes) or "0"
            stabs = ", ".join(f"|K|={o.stabilizer.order}" for o in self.orbits[:8])
            more = ", ..." if len(self.orbits) > 8 else ""
            how = ", up to positive scaling" if self.up_to_scaling else ""
            return (f"layer-wise equivariant [{self.method}{how}]: "
                    f"hidden permutation representation of degree {self.width} = orbits {sizes} "
                    f"(stabilizers {stabs}{more}); {len(self.removed)} dead/zero-output neuron(s) ignored")
        return f"NOT layer-wise equivariant [{self.method}]: {self.reason}"


def neuron_rows(net: ReLUNet, up_to_scaling: bool, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Live neuron indices and their (normalized) rows [w, b, v] as float64."""
    W1, b1, W2, _ = net.float_params()
    wn = np.linalg.norm(W1, axis=1)
    vn = np.linalg.norm(W2, axis=0)
    wbn = np.sqrt(wn ** 2 + b1 ** 2)  # w counts as zero against the largest ||(w_i, b_i)||, as in canonical()
    wzero = wn <= tol * max(float(wbn.max()) if wbn.size else 0.0, 1e-300)
    vzero = vn <= tol * max(float(vn.max()) if vn.size else 0.0, 1e-300)
    live = ~vzero & ~(wzero & (b1 <= 0))
    idx = np.flatnonzero(live)
    rows = np.concatenate([W1[idx], b1[idx, None], W2[:, idx].T], axis=1)
    rows[wzero[idx], :net.d] = 0.0  # constant neurons: w below the tolerance is exactly zero
    if up_to_scaling:
        rows = normalize_rows(rows, net.d)
    return idx, rows


def normalize_rows(rows: np.ndarray, d: int) -> np.ndarray:
    """(w, b, v) -> (w/|w|, b/|w|, |w| v); constant neurons (w = 0) -> (0, 1, b v)."""
    w = rows[:, :d]
    n = np.linalg.norm(w, axis=1)
    s = np.where(n > 0, n, rows[:, d])
    s = np.where(s > 0, s, 1.0)
    out = rows.copy()
    out[:, : d + 1] /= s[:, None]
    out[:, d + 1:] *= s[:, None]
    return out


def act_on_neurons(rows: np.ndarray, A_dual: np.ndarray, B: np.ndarray, d: int) -> np.ndarray:
    """g.(w, b, v) = (rho_in(g)^{-T} w, b, rho_out(g) v) on rows [w, b, v]; ``A_dual`` = rho_in(g)^{-T}."""
    return np.concatenate([rows[:, :d] @ A_dual.T, rows[:, d:d + 1], rows[:, d + 1:] @ B.T], axis=1)


def _block_scales(rows: np.ndarray, d: int) -> np.ndarray:
    def s(block: np.ndarray) -> float:
        return max(float(np.max(np.abs(block))) if block.size else 0.0, 1e-300)
    return np.concatenate([np.full(d, s(rows[:, :d])), [s(rows[:, d])], np.full(rows.shape[1] - d - 1,
                                                                                  s(rows[:, d + 1:]))])


def check_layerwise(net: ReLUNet, rho_in: Representation, rho_out: Representation, *, up_to_scaling: bool = True,
                    tol: float = DEFAULT_TOL) -> LayerwiseVerdict:
    """Decide T2: is the neuron multiset invariant under the group, and rho_out(g) b2 = b2?"""
    net = check_net_and_reps("net", net, rho_in, rho_out)
    up_to_scaling = check_bool("up_to_scaling", up_to_scaling)
    tol = check_tolerance("tol", tol)
    _check_net(net, rho_in, rho_out)
    G = rho_in.group
    d = net.d
    exact = net.exact and all(rational_matrix(rho_in.dual()(g)) is not None and rational_matrix(rho_out(g)) is not None
                              for g in G.generators)
    method = "exact" if exact else "float64"
    tol_ = 0.0 if exact else tol
    base = dict(tolerance=tol_, up_to_scaling=up_to_scaling, method=method)

    if exact:
        idx, keys, act = _exact_rows(net, rho_in, rho_out, up_to_scaling)
        labels = _exact_labels(keys)
    else:
        idx, rows = neuron_rows(net, up_to_scaling, tol)
        scales = _block_scales(rows, d)
        labels = cluster_rows(rows / scales, tol)
    removed = tuple(int(i) for i in np.setdiff1d(np.arange(net.width), idx))
    n_cls = int(labels.max()) + 1 if labels.size else 0
    members = [np.flatnonzero(labels == c) for c in range(n_cls)]
    first = np.array([m[0] for m in members], dtype=np.int64)

    sigma: dict[int, np.ndarray] = {}
    for g in G.generators:
        if exact:
            images = [act(keys[i], g) for i in first]
            lookup = {keys[i]: c for c, i in enumerate(first)}
            img = np.array([lookup.get(k, -1) for k in images], dtype=np.int64)
        else:
            A_dual, B = rho_in.dual()(g), rho_out(g)
            reps_rows = rows[first]
            imgs = act_on_neurons(reps_rows, A_dual, B, d)
            if up_to_scaling:
                imgs = normalize_rows(imgs, d)
            lab = cluster_rows(np.concatenate([reps_rows, imgs]) / scales, tol)
            owner = np.full(int(lab.max()) + 1 if lab.size else 0, -1, dtype=np.int64)
            owner[lab[:n_cls]] = np.arange(n_cls)
            img = owner[lab[n_cls:]]
        bad = np.flatnonzero(img < 0)
        if bad.size:
            i = int(idx[first[bad[0]]])
            return LayerwiseVerdict(False, **base, element=g, word=G.word_str(g), neuron=i, removed=removed,  # type: ignore[arg-type]
                                    reason=(f"neuron {i} (w={_fmt(net.W1[i])}, b={_fmt(net.b1[i])}, "
                                            f"v={_fmt(net.W2[:, i])}) is mapped by {G.word_str(g)} to a triple that "
                                            "matches no neuron of the network"))
        counts = np.array([len(m) for m in members])
        if len(set(img.tolist())) != n_cls or np.any(counts[img] != counts):
            c = int(np.flatnonzero(counts[img] != counts)[0]) if np.any(counts[img] != counts) else 0
            i = int(idx[first[c]])
            return LayerwiseVerdict(False, **base, element=g, word=G.word_str(g), neuron=i, removed=removed,  # type: ignore[arg-type]
                                    reason=(f"neuron {i} occurs {counts[c]} time(s) but its image under "
                                            f"{G.word_str(g)} occurs {counts[img[c]]} time(s)"))
        sigma[g] = img
    # output bias fixed by rho_out, relative to the network's size (summed neurons plus the bias), as
    # check_equivariant measures a constant residual
    b2 = np.asarray(net.b2, dtype=np.float64)
    W1f, b1f, W2f, _ = net.float_params()
    size = float((np.sqrt((W1f ** 2).sum(1) + b1f ** 2) * np.sqrt((W2f ** 2).sum(0))).sum()) + float(np.linalg.norm(b2))
    for g in G.generators:
        if exact:
            Bq = rational_matrix(rho_out(g))
            moved = Bq @ net.b2 - net.b2  # type: ignore[operator]
            b2_moves = any(x != 0 for x in moved)
        else:
            b2_moves = bool(np.linalg.norm(rho_out(g) @ b2 - b2) > tol * max(size, 1e-300))
        if b2_moves:
            return LayerwiseVerdict(False, **base, element=g, word=G.word_str(g), removed=removed,  # type: ignore[arg-type]
                                    reason=f"output bias b2 = {_fmt(net.b2)} is not fixed by rho_out({G.word_str(g)})")

    m = len(idx)
    gen_perm = {}
    for g, img in sigma.items():
        perm = np.empty(m, dtype=np.int64)
        for c, mem in enumerate(members):
            perm[mem] = members[img[c]]
        gen_perm[g] = perm
    perms = np.empty((G.order, m), dtype=np.int64)
    perms[0] = np.arange(m)
    # rho(h a) = rho(h) rho(a): perm[ha] = perm[h][perm[a]], h = prefix of the word; shorter words first so
    # that the prefix is always done (element indices need not follow word length)
    for x in sorted(G.elements, key=lambda y: len(G.word(y))):
        w = G.word(x)
        if w:
            h = G.evaluate_word(w[:-1])
            a = G.generators[w[-1]]
            perms[x] = perms[h][gen_perm[a]]
    hidden = PermutationRepresentation(G, perms, name=f"hidden[{m}]")
    orbits = []
    stab_cache: dict[bytes, Subgroup] = {}
    for orb in hidden.orbits():
        fix = np.flatnonzero(perms[:, orb[0]] == orb[0])
        key = fix.tobytes()
        if key not in stab_cache:
            stab_cache[key] = subgroup_from_elements(G, fix)
        orbits.append(Orbit(tuple(int(idx[i]) for i in orb), stab_cache[key]))
    return LayerwiseVerdict(True, **base, hidden=hidden, neurons=tuple(int(i) for i in idx),  # type: ignore[arg-type]
                            orbits=tuple(orbits), removed=removed)


def _fmt(x: Any) -> str:
    a = np.asarray(x, dtype=np.float64)
    return np.array2string(a, precision=6, separator=", ") if a.ndim else f"{float(a):.6g}"


# -- exact mode --------------------------------------------------------------------------------


def _exact_rows(net: ReLUNet, rho_in: Representation, rho_out: Representation, up_to_scaling: bool):  # type: ignore[no-untyped-def]
    d = net.d
    zero = Fraction(0)
    idx, keys = [], []
    for i in range(net.width):
        w, b, v = net.W1[i], net.b1[i], net.W2[:, i]
        if all(x == 0 for x in v) or (all(x == 0 for x in w) and b <= 0):
            continue
        idx.append(i)
        keys.append(_normalize_exact(tuple(w) + (b,) + tuple(v), d, up_to_scaling))
    G = rho_in.group
    mats = {g: (rational_matrix(rho_in.dual()(g)), rational_matrix(rho_out(g))) for g in G.generators}

    def act(key: tuple[Fraction, ...], g: int) -> tuple[Fraction, ...]:
        A, B = mats[g]
        w = np.array(key[:d], dtype=object)
        v = np.array(key[d + 1:], dtype=object)
        w2 = tuple(A @ w) if d else ()
        v2 = tuple(B @ v) if len(v) else ()
        return _normalize_exact(tuple(x + zero for x in w2) + (key[d],) + tuple(x + zero for x in v2), d,
                                up_to_scaling)

    return np.array(idx, dtype=np.int64), keys, act


def _normalize_exact(t: tuple[Fraction, ...], d: int, up_to_scaling: bool) -> tuple[Fraction, ...]:
    t = tuple(Fraction(x) for x in t)
    if not up_to_scaling:
        return t
    w = t[:d]
    nz = [x for x in w if x != 0]
    s = abs(nz[0]) if nz else (t[d] if t[d] > 0 else Fraction(1))
    return tuple(x / s for x in t[: d + 1]) + tuple(x * s for x in t[d + 1:])


def _exact_labels(keys: list[tuple[Fraction, ...]]) -> np.ndarray:
    index: dict[tuple[Fraction, ...], int] = {}
    return np.array([index.setdefault(k, len(index)) for k in keys], dtype=np.int64)
