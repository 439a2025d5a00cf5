"""Layer-wise equivariance at the parameter level (T2).

A network is layer-wise equivariant (LEN) iff the multiset of its neuron triples (dead and zero-output
neurons removed) is invariant under g.(w, b, v) = (rho_in(g)^{-T} w, b, rho_out(g) v) and
rho_out(g) b2 = b2. Up to positive rescaling the triples are first normalized to
(w/|w|, b/|w|, |w| v). Matching sorts/hashes the normalized triples (O(m log m)), never compares all
pairs; the hidden permutation representation and its orbits are recovered on success.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors.exceptions import ShapeError
from ..errors.validation import check_bool, check_choice, check_tolerance
from ..groups.finite import Subgroup
from ..nets.canonical import asinh_offset, norms, unit_rows_log
from ..nets.exact import primitive_rows, rational_or_none, scaled
from ..nets.relu_net import ReLUNet, cluster_rows
from ..nets.validation import check_net_and_reps
from ..reps.finite import PermutationRepresentation, Representation, subgroup_from_elements
from .comparison import fmt_pow2
from .equivariance import DEFAULT_TOL, LOW_PRECISION_TOL, _check_net, rational_matrix, read_module
from .identity import bias_fixed, check_conditioning, well_conditioned
from .verdict import Verdict

__all__ = ["Orbit", "LayerwiseVerdict", "check_layerwise", "neuron_rows", "act_on_neurons"]

EPS64 = float(np.finfo(np.float64).eps)


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
    semantics: str = "exact"
    hidden: PermutationRepresentation | None = field(default=None, repr=False)
    neurons: tuple[int, ...] = ()
    orbits: tuple[Orbit, ...] = ()
    removed: tuple[int, ...] = ()
    element: int | None = None
    word: str = ""
    neuron: int | None = None
    reason: str = ""
    failure: str = ""  # "no-partner", "multiplicity" or "bias" when the verdict fails

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
            return (f"layer-wise equivariant [{self.method}, {self.semantics} semantics{how}]: "
                    f"hidden permutation representation of degree {self.width} = orbits {sizes} "
                    f"(stabilizers {stabs}{more}); {len(self.removed)} dead/zero-output neuron(s) ignored"
                    + (f"\n  {self.reason}" if self.reason else ""))
        if self.holds is None:
            return f"UNDECIDED whether layer-wise equivariant [{self.method}]: {self.reason}"
        return f"NOT layer-wise equivariant [{self.method}, {self.semantics} semantics]: {self.reason}"


def neuron_rows(net: ReLUNet, up_to_scaling: bool) -> tuple[np.ndarray, np.ndarray]:
    """Live neuron indices and their rows for matching, normalized per neuron (scale-free, see :func:`_rows`).

    A neuron is dead when v = 0, or w = 0 and b <= 0 (exactly: never judged against other neurons).
    Two rows within ``tol`` (max-abs) are the same neuron up to a relative ``tol`` per neuron.
    """
    W1, b1, W2, _ = net.float_params()
    WB = np.concatenate([W1, b1[:, None]], axis=1)
    wzero = ~np.any(W1 != 0, axis=1)
    vzero = ~np.any(W2 != 0, axis=0)
    live = ~vzero & ~(wzero & (b1 <= 0))
    idx = np.flatnonzero(live)
    return idx, _rows(WB[idx], W2[:, idx].T, up_to_scaling)


def _rows(WB: np.ndarray, V: np.ndarray, up_to_scaling: bool) -> np.ndarray:
    """Scale-free rows: w as (unit w, log ||w||), b as asinh(b / ||w||) (up to scaling) or asinh(b), v as
    (unit v, log ||v||) with v replaced by ||w|| v up to scaling; a last column marks constant neurons."""
    d = WB.shape[1] - 1
    U, logw = unit_rows_log(WB[:, :d])
    Vu, logv = unit_rows_log(V)
    b = WB[:, d]
    const = ~np.isfinite(logw)  # w = 0
    logw_ = np.where(const, 0.0, logw)
    with np.errstate(divide="ignore"):
        logb = np.log(np.abs(b))
    if up_to_scaling:
        # (w, b, v) ~ (w / ||w||, b / ||w||, ||w|| v); a constant neuron (0, b, v) ~ (0, 1, b v)
        off = np.where(const, 1.0, asinh_offset(b, logw_))
        lv = np.where(const, logb + logv, logw_ + logv)
        return np.concatenate([U, off[:, None], Vu, lv[:, None], const[:, None] * 1.0], axis=1)
    return np.concatenate([U, logw_[:, None], np.arcsinh(b)[:, None], Vu, logv[:, None], const[:, None] * 1.0],
                          axis=1)


def _image_rows(net: ReLUNet, idx: np.ndarray, A_dual: np.ndarray, B: np.ndarray, up_to_scaling: bool) -> np.ndarray:
    W1, b1, W2, _ = net.float_params()
    WB = np.concatenate([W1[idx] @ A_dual.T, b1[idx, None]], axis=1)
    return _rows(WB, W2[:, idx].T @ B.T, up_to_scaling)


def normalize_rows(rows: np.ndarray, d: int) -> np.ndarray:
    """(w, b, v) -> (w/|w|, b/|w|, |w| v); constant neurons (w = 0) -> (0, 1, b v)."""
    w = rows[:, :d]
    n = norms(w)  # no underflow of ||w|| for tiny w (a power-of-two prescale)
    s = np.where(n > 0, n, rows[:, d])
    s = np.where(s > 0, s, 1.0)
    out = rows.copy()
    with np.errstate(over="ignore", under="ignore"):
        out[:, : d + 1] /= s[:, None]
        out[:, d + 1:] *= s[:, None]
    return out


def act_on_neurons(rows: np.ndarray, A_dual: np.ndarray, B: np.ndarray, d: int) -> np.ndarray:
    """g.(w, b, v) = (rho_in(g)^{-T} w, b, rho_out(g) v) on rows [w, b, v]; ``A_dual`` = rho_in(g)^{-T}."""
    return np.concatenate([rows[:, :d] @ A_dual.T, rows[:, d:d + 1], rows[:, d + 1:] @ B.T], axis=1)


def check_layerwise(net: ReLUNet, rho_in: Representation, rho_out: Representation, *, up_to_scaling: bool = True,
                    tol: float | None = None, semantics: str = "auto") -> LayerwiseVerdict:
    """Decide T2: is the neuron multiset invariant under the group, and rho_out(g) b2 = b2?

    Exact (a property of the given numbers) when the representation matrices are rational, and alone for
    Fraction weights; otherwise, or when float64 weights match only up to round-off, with the tolerance
    semantics: every neuron's image matches a neuron to a relative ``tol`` (times the conditioning of
    rho_in(g)^-T and rho_out(g)), per neuron. On success the verdict carries the hidden permutation
    representation (the certificate, re-checkable with :func:`equifuzz.certificate.verify_permutation`).

    A torch ``nn.Sequential(Linear, ReLU, Linear)`` is read exactly and decided the same way, and the verdict
    says so; a float32 (float16, bfloat16) one with the tolerance semantics at 1e-4 unless ``semantics`` or
    ``tol`` say otherwise (``tol`` defaults to 1e-8 for float64 weights).
    """
    tol = check_tolerance("tol", tol, allow_none=True)  # a float from here on (a Fraction or int is accepted)
    scope, eps = "", EPS64
    read = None if isinstance(net, ReLUNet) else read_module(net)
    if read is not None:
        net, dtype, scope = read
        eps = _unit_roundoff(dtype)
        if dtype != "float64" and semantics == "auto":
            semantics = "tolerance"
            tol = LOW_PRECISION_TOL if tol is None else tol
            scope += (f", with the tolerance semantics at tolerance {tol:g} because the module computes in "
                      f"{dtype}")
    tol = DEFAULT_TOL if tol is None else tol
    net = check_net_and_reps("net", net, rho_in, rho_out)
    up_to_scaling = check_bool("up_to_scaling", up_to_scaling)
    tol = check_tolerance("tol", tol)
    _check_net(net, rho_in, rho_out)
    semantics = check_choice("semantics", semantics, ("auto", "exact", "tolerance"))
    v = _check_layerwise(net, rho_in, rho_out, up_to_scaling, tol, semantics, eps)
    if scope:
        v = dataclasses.replace(v, reason=f"{scope}; {v.reason}" if v.reason else scope)
    return v


def _unit_roundoff(dtype: str) -> float:
    """The unit round-off of a module's arithmetic (float64's for dtypes numpy does not name)."""
    try:
        return float(np.finfo(np.dtype(dtype)).eps)
    except TypeError:
        return 2.0 ** -7 if dtype == "bfloat16" else float(np.finfo(np.float64).eps)


def _check_layerwise(net: ReLUNet, rho_in: Representation, rho_out: Representation, up_to_scaling: bool,
                     tol: float, semantics: str, eps: float = EPS64) -> LayerwiseVerdict:
    """:func:`check_layerwise` for arguments it has validated (a ReLUNet, representations of one finite group
    and of its dimensions, a float tolerance, a known ``semantics``): no validation here."""
    G = rho_in.group
    rational = semantics != "tolerance" and all(
        rational_matrix(rho_in.dual()(g)) is not None and rational_matrix(rho_out(g)) is not None
        for g in G.generators)
    if semantics == "exact" and not rational:
        raise ShapeError("exact semantics needs rational representation matrices")
    note = ""
    if rational:
        v = _layerwise(net, rho_in, rho_out, up_to_scaling, 0.0, exact=True)
        if v.holds or net.exact or semantics == "exact":
            return v
        worst = max(np.linalg.cond(rho_in.dual()(g)) * np.linalg.cond(rho_out(g)) for g in G.generators)
        if not well_conditioned(float(worst), tol):
            # the float rows, with round-off of the matrices allowed per block: a neuron that still has no
            # partner is beyond round-off, and the exact failure stands
            vt = _layerwise(net, rho_in, rho_out, up_to_scaling, tol, exact=False, allow_ill_conditioned=True,
                            eps=eps)
            if vt.holds is False and vt.failure == "no-partner":
                return v
            return dataclasses.replace(v, holds=None, reason=(
                f"exactly, the numbers are not layer-wise equivariant ({v.reason}); at condition number "
                f"{worst:.3g} float64 cannot judge whether that is round-off: pass exact weights (Fractions)"))
        note = f"exactly, the numbers are not layer-wise equivariant ({v.reason})"
    vt = _layerwise(net, rho_in, rho_out, up_to_scaling, tol, exact=False, eps=eps)
    if note and vt.holds:
        return dataclasses.replace(vt, reason=note + f"; within tolerance {vt.tolerance:.3g} per neuron")
    # both fail: the float verdict names a neuron whose image is missing beyond round-off (the exact one may
    # name a neuron that only round-off separates from its partner)
    return vt


def _layerwise(net: ReLUNet, rho_in: Representation, rho_out: Representation, up_to_scaling: bool, tol: float,
               *, exact: bool, allow_ill_conditioned: bool = False, eps: float = EPS64) -> LayerwiseVerdict:
    G = rho_in.group
    tol_ = 0.0 if exact else tol
    if not exact:
        # round-off of the matrices enters each block of a row as eps * cond: the w block through rho_in,
        # the v block through rho_out; rows are divided blockwise so that one tolerance applies
        cond_in = max((float(np.linalg.cond(rho_in.dual()(g))) for g in G.generators), default=1.0)
        cond_out = max((float(np.linalg.cond(rho_out(g))) for g in G.generators), default=1.0)
        if not allow_ill_conditioned:
            check_conditioning(cond_in * cond_out, tol, "the generators")
        d, p = net.d, net.p
        wcols = d + 1 if up_to_scaling else d + 2
        block = np.ones(wcols + p + 2)
        # a matrix-vector product with k terms is off by at most k eps ||M|| ||x||: relative k eps cond(M)
        err_w, err_v = (d + 1) * EPS64 * cond_in, (p + 1) * EPS64 * cond_out  # float64 matrices
        block[:wcols] = 1.0 + err_w / max(tol, 1e-300)
        block[wcols:wcols + p + 1] = 1.0 + (err_v + (err_w if up_to_scaling else 0.0)) / max(tol, 1e-300)
    base = dict(tolerance=tol_, up_to_scaling=up_to_scaling, method="exact" if exact else "float64",
                semantics="exact" if exact else "tolerance")
    if exact:
        idx, keys, act = _exact_rows(net, rho_in, rho_out, up_to_scaling)
        labels = _exact_labels(keys)
    else:
        idx, rows = neuron_rows(net, up_to_scaling)
        rows = rows / block
        labels = cluster_rows(rows, tol_)
    removed = tuple(int(i) for i in np.setdiff1d(np.arange(net.width), idx))
    n_cls = int(labels.max()) + 1 if labels.size else 0
    members = [np.flatnonzero(labels == c) for c in range(n_cls)]
    first = np.array([m[0] for m in members], dtype=np.int64)

    sigma: dict[int, np.ndarray] = {}
    for g in G.generators:
        if exact:
            images = [act(keys[i], g) for i in first]  # None: not an integer key, so matches nothing
            lookup = {keys[i]: c for c, i in enumerate(first)}
            img = np.array([lookup.get(k, -1) for k in images], dtype=np.int64)
        else:
            reps_rows = rows[first]
            imgs = _image_rows(net, idx[first], rho_in.dual()(g), rho_out(g), up_to_scaling) / block
            lab = cluster_rows(np.concatenate([reps_rows, imgs]), tol_)
            owner = np.full(int(lab.max()) + 1 if lab.size else 0, -1, dtype=np.int64)
            owner[lab[:n_cls]] = np.arange(n_cls)
            img = owner[lab[n_cls:]]
        bad = np.flatnonzero(img < 0)
        if bad.size:
            i = int(idx[first[bad[0]]])
            why = (f"neuron {i} (w={_fmt(net.W1[i])}, b={_fmt(net.b1[i])}, v={_fmt(net.W2[:, i])}) is mapped by "
                   f"{G.word_str(g)} to a triple that matches no neuron of the network")
            return LayerwiseVerdict(False, **base, element=g, word=G.word_str(g), neuron=i, removed=removed,  # type: ignore[arg-type]
                                    failure="no-partner", reason=why)
        counts = np.array([len(m) for m in members])
        if len(set(img.tolist())) != n_cls or np.any(counts[img] != counts):
            c = int(np.flatnonzero(counts[img] != counts)[0]) if np.any(counts[img] != counts) else 0
            i = int(idx[first[c]])
            why = (f"neuron {i} occurs {counts[c]} time(s) but its image under {G.word_str(g)} occurs "
                   f"{counts[img[c]]} time(s)")
            return LayerwiseVerdict(False, **base, element=g, word=G.word_str(g), neuron=i, removed=removed,  # type: ignore[arg-type]
                                    failure="multiplicity", reason=why)
        sigma[g] = img
    # output bias fixed by rho_out: exactly, or under the round-off rule of the equivariance oracle (against
    # the network's constant scale, not the bias's own size: an averaged bias is round-off of that scale)
    for g in G.generators:
        if exact:
            Bq = rational_matrix(rho_out(g))
            moved = Bq @ net.b2 - net.b2  # type: ignore[operator]
            b2_moves = any(x != 0 for x in moved)
        else:
            cond = float(np.linalg.cond(rho_in.dual()(g))) * float(np.linalg.cond(rho_out(g)))
            b2_moves = not bias_fixed(net.float_params(), rho_out(g), tol_, cond, eps)
        if b2_moves:
            why = f"output bias b2 = {_fmt(net.b2)} is not fixed by rho_out({G.word_str(g)})"
            return LayerwiseVerdict(False, **base, element=g, word=G.word_str(g), removed=removed,  # type: ignore[arg-type]
                                    failure="bias", reason=why)

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
    o = np.asarray(x)
    if o.dtype == object and any(v != 0 and not 2.0 ** -1000 < abs(Fraction(v)) < 2.0 ** 1000 for v in o.ravel()):
        # Fractions beyond float64's normal range: each entry over its own power of two (1e+400, 1e-400)
        return _fmt_big(Fraction(o.item())) if not o.ndim else "[" + ", ".join(
            _fmt_big(Fraction(v)) for v in o.ravel()) + "]"
    a = np.asarray(x, dtype=np.float64)
    return np.array2string(a, precision=6, separator=", ") if a.ndim else f"{float(a):.6g}"


def _fmt_big(q: Fraction) -> str:
    e = q.numerator.bit_length() - q.denominator.bit_length() if q != 0 else 0
    return fmt_pow2(float(q / Fraction(2) ** e), e)


# -- exact mode --------------------------------------------------------------------------------


def _exact_rows(net: ReLUNet, rho_in: Representation, rho_out: Representation, up_to_scaling: bool):  # type: ignore[no-untyped-def]
    """Live neurons as exact integer keys, and the action of a generator on keys.

    With (w, b) = N1_i s1 and v = N2_i s2 (:mod:`equifuzz.nets.exact`), a key is, up to scaling, the primitive
    integer row k of (w, b) (positive gcd g) followed by g N2_i (the v of the normalized neuron
    (k, g s1 v) in units of s1 s2); without scaling, the integer rows themselves. Keys are canonical, so
    two neurons are equal (up to positive scaling) iff their keys are."""
    d = net.d
    m = net.width
    WB = scaled(np.concatenate([np.asarray(net.W1, dtype=object).reshape(m, d),
                                np.asarray(net.b1, dtype=object).reshape(m, 1)], axis=1))
    N1, N2 = WB.ints, scaled(net.W2).ints
    idx = [i for i in range(m) if any(x != 0 for x in N2[:, i])
           and (any(x != 0 for x in N1[i, :d]) or N1[i, d] > 0)]
    if up_to_scaling:
        prim, gs = primitive_rows(N1[idx]) if idx else ([], [])
        keys = [k + tuple(int(g) * int(x) for x in N2[:, i]) for k, g, i in zip(prim, gs, idx, strict=True)]
    else:
        keys = [tuple(int(x) for x in N1[i]) + tuple(int(x) for x in N2[:, i]) for i in idx]
    G = rho_in.group
    mats = {}
    for g in G.generators:
        Aq, Bq = rational_or_none(rho_in.dual()(g)), rational_or_none(rho_out(g))
        assert Aq is not None and Bq is not None
        mats[g] = (Aq.ints, Aq.scale.numerator, Aq.scale.denominator, Bq.ints, Bq.scale.numerator,
                   Bq.scale.denominator)

    def act(key: tuple[int, ...], g: int) -> tuple[int, ...] | None:
        NA, a, b, NB, c, e = mats[g]
        kw = np.array(key[:d], dtype=object)
        vv = np.array(key[d + 1:], dtype=object)
        row = np.concatenate([a * NA.dot(kw) if d else kw, [b * key[d]]])
        Bv = c * NB.dot(vv) if len(vv) else vv
        if up_to_scaling:
            (k2,), (g2,) = primitive_rows(row[None])
            num, den = [int(g2) * int(x) for x in Bv], b * e
        else:  # w' = a NA w / b must be integer, b unchanged, v' = c NB v / e
            if any(int(x) % b for x in row[:d]):
                return None
            k2 = tuple(int(x) // b for x in row[:d]) + (key[d],)
            num, den = [int(x) for x in Bv], e
        if any(x % den for x in num):
            return None
        return k2 + tuple(x // den for x in num)

    return np.array(idx, dtype=np.int64), keys, act


def _exact_labels(keys: list[tuple[Fraction, ...]]) -> np.ndarray:
    index: dict[tuple[Fraction, ...], int] = {}
    return np.array([index.setdefault(k, len(index)) for k in keys], dtype=np.int64)
