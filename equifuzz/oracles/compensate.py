"""Compensation by symmetrization (T5a) and orbit merging (T5b).

(S f)(x) = 1/|G| sum_h rho_out(h)^-1 f(rho_in(h) x) is a layer-wise equivariant network of width
|G| m: neuron (h, i) = (rho_in(h)^T w_i, b_i, rho_out(h)^-1 v_i / |G|). With ``merge=True`` neurons
with the same normalized (w, b) are merged orbit by orbit, giving width
sum over distinct orbits of normalized (w, b) of |orbit| <= |G| m. If f is equivariant, S f = f.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors.exceptions import RepresentationError
from ..errors.validation import check_bool, check_tolerance
from ..nets.canonical import asinh_offset, cluster_sums, norm, norms, norms_exp, roundoff_threshold, unit_rows_log
from ..nets.exact import scaled
from ..nets.relu_net import ReLUNet, cluster_rows
from ..nets.validation import check_net_and_reps
from ..reps.characters import fixed_basis
from ..reps.finite import Representation
from .equivariance import DEFAULT_TOL, _check_net, canonical_verdict, rational_matrix
from .identity import check_conditioning, well_conditioned
from .scaling import balanced, extreme_weights, far_hyperplanes, fits_float, unbalanced

__all__ = ["symmetrize", "compensate"]


def _exact_mats(rho: Representation, inverse_transpose: bool = False) -> np.ndarray | None:
    G = rho.group
    out = []
    for g in G.elements:
        M = rho(g)
        if inverse_transpose:
            M = rho(G.inv(g)).T
        q = rational_matrix(M)
        if q is None:
            return None
        out.append(q)
    return np.stack(out)


def symmetrize(net: ReLUNet, rho_in: Representation, rho_out: Representation) -> ReLUNet:
    """The width-|G| m network S f (T5a); exact when the weights are Fractions and the reps rational."""
    net = check_net_and_reps("net", net, rho_in, rho_out)
    _check_net(net, rho_in, rho_out)
    return _symmetrize(net, rho_in, rho_out)


def _symmetrize(net: ReLUNet, rho_in: Representation, rho_out: Representation) -> ReLUNet:
    """:func:`symmetrize` for arguments already validated."""
    G = rho_in.group
    n = G.order
    inv = G.inverses
    if net.exact:
        A = _exact_mats(rho_in)  # rho_in(h)
        Bi = _exact_mats(rho_out)
        if A is not None and Bi is not None:
            # integer arithmetic over common scales (equifuzz.nets.exact): no Fraction is normalized in the products
            Aq, Bq = scaled(A), scaled(Bi[inv])  # rho_in(h); rho_out(h)^-1 = rho_out(h^-1)
            N1, N2, Nb2 = scaled(net.W1), scaled(net.W2), scaled(net.b2)
            # rows w_i^T rho_in(h) = (rho_in(h)^T w_i)^T
            W1 = _fractions(np.concatenate([N1.ints.dot(Aq.ints[h]) for h in range(n)]), N1.scale * Aq.scale)
            b1 = np.concatenate([net.b1] * n)
            W2 = _fractions(np.concatenate([Bq.ints[h].dot(N2.ints) for h in range(n)], axis=1),
                            N2.scale * Bq.scale / n)
            b2 = _fractions(sum((Bq.ints[h].dot(Nb2.ints) for h in range(n)), np.zeros(net.p, dtype=object)),
                            Nb2.scale * Bq.scale / n)
            return ReLUNet(W1, b1 if net.hidden_bias else None, W2, b2 if net.output_bias else None, exact=True)
    W1, b1, W2, b2 = net.float_params()
    A = rho_in.matrices
    Binv = rho_out.matrices[inv]
    W1s = np.einsum("md,hde->hme", W1, A).reshape(n * net.width, net.d)
    W2s = np.einsum("hpq,qm->phm", Binv, W2).reshape(net.p, n * net.width) / n
    b1s = np.tile(b1, n)
    b2s = np.einsum("hpq,q->p", Binv, b2) / n
    # the average is the projection onto Fix(rho_out); when it cancels to round-off of |b2| it is zero,
    # not a non-fixed constant of size 1e-17 that relative checks would read as a whole bias
    # (the round-off rule of equifuzz.oracles.identity, with the construction's own scale: the bias averaged)
    if norm(b2s) <= roundoff_threshold(0.0, float(np.abs(Binv).max()) * norm(b2), 0.0):
        b2s = np.zeros_like(b2s)
    return ReLUNet(W1s, b1s if net.hidden_bias else None, W2s, b2s if net.output_bias else None)


def _fractions(ints: np.ndarray, scale: Fraction) -> np.ndarray:
    out = np.empty(ints.shape, dtype=object)
    out.reshape(-1)[:] = [Fraction(int(v)) * scale for v in ints.ravel()]
    return out


def compensate(net: ReLUNet, rho_in: Representation, rho_out: Representation, *, merge: bool = True,
               tol: float = DEFAULT_TOL) -> ReLUNet:
    """A layer-wise equivariant network computing S f (equal to f when f is equivariant).

    ``merge=False`` gives the plain width-|G| m symmetrization; ``merge=True`` merges neurons with
    the same normalized (w, b), one orbit at a time, and drops orbits whose merged output is zero.
    When the representations are rational but not monomial (an integer change of basis, say), float64
    round-off in the images rho_in(h)^T w is not small against the neurons, so the float weights are
    converted exactly and the result is exact (Fraction weights): exactly layer-wise, and exactly S f.
    """
    net = check_net_and_reps("net", net, rho_in, rho_out)
    merge = check_bool("merge", merge)
    tol = check_tolerance("tol", tol)
    _check_net(net, rho_in, rho_out)
    return compensate_validated(net, rho_in, rho_out, merge, tol)


def compensate_validated(net: ReLUNet, rho_in: Representation, rho_out: Representation, merge: bool, tol: float
                         ) -> ReLUNet:
    """:func:`compensate` for arguments it has validated (a ReLUNet, finite-group representations of its
    dimensions, a float tolerance): the oracles above it call this, so one call validates once."""
    if not net.exact and not _monomial(rho_in, rho_out):
        exact_ok = _exactly_rational(rho_in, rho_out) and _rational(rho_in, rho_out)
        cond = max(np.linalg.cond(rho_in(g)) * np.linalg.cond(rho_out(g)) for g in rho_in.group.generators)
        if not well_conditioned(float(cond), tol) and not (
                exact_ok and _holds_exactly(net, rho_in, rho_out)):
            # float64 weights that are not exactly equivariant, in a basis too ill-conditioned for float64 to
            # tell their round-off from a defect: S f cannot be trusted to be f up to round-off
            check_conditioning(float(cond), tol, "the generators")
        if exact_ok:
            net = net.to_exact()
    if merge and extreme_weights(net):
        # merge f's neurons scaled by powers of two (the same function over 2^s), then scale back: no weight
        # product of the merge overflows or underflows
        bal = None if far_hyperplanes(net) else balanced(net)
        if bal is not None:
            out = _compensate(bal[0], rho_in, rho_out, merge, tol)
            if fits_float(out, bal[1]):
                return unbalanced(out, bal[1])
        # weights that float64 cannot balance (a kink beyond 2^1000 of the origin, entries spanning more than
        # its exponent range), or a result it cannot hold (a function of size 1e-600 needs subnormal factors,
        # which lose bits): exactly, where the representations allow it
        if _exactly_rational(rho_in, rho_out) and _rational(rho_in, rho_out):
            return _compensate(net.to_exact(), rho_in, rho_out, merge, tol)
        raise RepresentationError(
            "compensate: the weights span more than float64's exponent range (a kink beyond 2^1000 of the origin, "
            "entries 2^2000 apart, or neuron sizes below 2^-2000 that only subnormal factors hold) and the "
            "representations are not rational, so neither float64 nor exact arithmetic can merge them exactly; "
            "rescale the network (the function times a power of two) or pass rational representations")
    return _compensate(net, rho_in, rho_out, merge, tol)


def _compensate(net: ReLUNet, rho_in: Representation, rho_out: Representation, merge: bool, tol: float
                ) -> ReLUNet:
    S = _symmetrize(net, rho_in, rho_out)
    if not merge:
        return S
    if S.exact:
        return _merge_exact(S, rho_in, rho_out)
    return _merge_float(S, rho_in, rho_out, tol)


def _holds_exactly(net: ReLUNet, rho_in: Representation, rho_out: Representation) -> bool:
    v = canonical_verdict(net, rho_in, rho_out, None, semantics="exact")
    return v is not None and v.holds is True


def _monomial(*reps: Representation) -> bool:
    """Every generator matrix is, up to round-off zeros such as cos(pi/2), a signed permutation matrix:
    float64 images are then exact up to those zeros."""
    for rho in reps:
        for g in rho.group.generators:
            q = rational_matrix(rho(g))
            if q is None:
                return False
            nz = q != 0
            if not (np.all(nz.sum(axis=1) == 1) and all(abs(x) == 1 for x in q[nz])):
                return False
    return True


def _exactly_rational(*reps: Representation) -> bool:
    """The float64 generator matrices are their rational values exactly (no round-off to remove)."""
    for rho in reps:
        for g in rho.group.generators:
            q = rational_matrix(rho(g))
            if q is None or any(float(a) != float(b) for a, b in zip(q.ravel(), rho(g).ravel(), strict=True)):
                return False
    return True


def _rational(*reps: Representation) -> bool:
    return all(_exact_mats(rho) is not None for rho in reps)


def _keys(W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-neuron normalized (w, b): unit w, ||w||, and the clustering keys [unit w, asinh(b / ||w||)]."""
    U, logw = unit_rows_log(W)
    with np.errstate(over="ignore", under="ignore"):
        return U, norms(W), np.concatenate([U, asinh_offset(b, logw)[:, None]], axis=1)


def _merge_float(S: ReLUNet, rho_in: Representation, rho_out: Representation, tol: float) -> ReLUNet:
    G = rho_in.group
    W1, b1, W2, b2 = S.float_params()
    d, p = S.d, S.p
    live = np.any(W1 != 0, axis=1)  # per neuron: only w = 0 is a constant neuron
    # constant neurons (w = 0) fold into the output bias when there is one
    const = ~live & (b1 > 0)
    keep_const = const if not S.output_bias else np.zeros_like(const)
    if S.output_bias:
        b2 = b2 + W2[:, const] @ b1[const]
    idx = np.flatnonzero(live)
    U, wn, X = _keys(W1[idx], b1[idx])
    # merged channel per normalized neuron, sum ||w|| v, over powers of two (each row over its own, each
    # cluster over its largest): orbits 1e-400 times smaller than the largest keep their channels
    wm, ew = norms_exp(W1[idx])
    vm, ev = norms_exp(W2[:, idx].T)
    labels = cluster_rows(X, tol)
    k = int(labels.max()) + 1 if labels.size else 0
    Csum, mass, E = cluster_sums(np.ldexp(W2[:, idx].T, -ev[:, None]) * wm[:, None], vm * wm, ew + ev, labels, k)
    first = np.full(k, -1)
    first[labels[::-1]] = np.arange(labels.size)[::-1]
    # orbits of normalized neurons: build each orbit from one representative so that the weights
    # along the orbit are exact images (strict layer-wise equivariance, not only up to scaling)
    done = np.zeros(k, dtype=bool)
    rows_W1, rows_b1, cols_W2 = [], [], []
    dual = rho_in.dual().matrices
    Bm = rho_out.matrices
    reps_rows = X[first]
    for c in range(k):
        if done[c]:
            continue
        # the representative keeps its own scale (w, b), and carries the merged channel as v = C / ||w||:
        # unit w with v = C would push the whole size into v, where it can underflow
        r = first[c]
        with np.errstate(under="ignore", over="ignore"):
            w, b, v = W1[idx[r]], b1[idx[r]], np.ldexp(Csum[c] / wm[r], int(E[c] - ew[r]))
        imgs_w = dual @ w  # (|G|, d)
        _, _, imgs_rows = _keys(imgs_w, np.full(G.order, b))
        lab = cluster_rows(np.concatenate([reps_rows, imgs_rows]), tol)
        owner = {int(lab[j]): j for j in range(k)}
        seen_cls = set()
        # a merged neuron whose channel cancels to ``tol`` of its own summands carries no kink
        carries = norm(Csum[c]) > roundoff_threshold(mass[c], mass[c], tol)  # the round-off rule
        for g in G.elements:
            cls = owner.get(int(lab[k + g]))
            if cls is None or cls in seen_cls:
                continue
            seen_cls.add(cls)
            done[cls] = True
            if carries:
                rows_W1.append(imgs_w[g])
                rows_b1.append(b)
                cols_W2.append(Bm[g] @ v)
    ci = np.flatnonzero(keep_const)
    W1m = np.array(rows_W1 + [np.zeros(d)] * len(ci)).reshape(-1, d)
    b1m = np.array(rows_b1 + list(b1[ci]))
    W2m = np.concatenate([np.array(cols_W2).reshape(-1, p).T, W2[:, ci]], axis=1) if (cols_W2 or ci.size) \
        else np.zeros((p, 0))
    if S.output_bias:
        # b2 (the symmetrized bias plus the folded constant neurons) is fixed by rho_out in exact
        # arithmetic; what lies outside Fix(rho_out) is round-off, e.g. of channels v and rho_out(g) v = -v
        # that cancel. Left there, a residue of 1e-16 would be a constant that the group moves.
        # A bias that is exactly fixed already stays as it is (the exact semantics can certify it).
        if any(np.any(rho_out(g) @ b2 != b2) for g in rho_in.group.generators):
            B = fixed_basis(rho_out)
            b2 = B @ (B.T @ b2)
    return ReLUNet(W1m, b1m if S.hidden_bias else None, W2m, b2 if S.output_bias else None)


def _merge_exact(S: ReLUNet, rho_in: Representation, rho_out: Representation) -> ReLUNet:
    G = rho_in.group
    d, p = S.d, S.p
    zero = Fraction(0)
    dual = [rational_matrix(rho_in.dual()(g)) for g in G.elements]
    Bm = [rational_matrix(rho_out(g)) for g in G.elements]
    b2 = S.b2.copy()
    groups: dict[tuple[Fraction, ...], list[Fraction]] = {}
    scale: dict[tuple[Fraction, ...], Fraction] = {}
    order: list[tuple[Fraction, ...]] = []
    const_cols = []
    for i in range(S.width):
        w, b, v = S.W1[i], S.b1[i], S.W2[:, i]
        nz = [x for x in w if x != 0]
        if not nz:
            if b > 0:
                if S.output_bias:
                    b2 = b2 + v * b
                else:
                    const_cols.append(i)
            continue
        s = abs(nz[0])
        key = tuple(x / s for x in w) + (b / s,)
        if key not in groups:
            groups[key] = [zero] * p
            order.append(key)
            scale[key] = s  # the first neuron's own scale: the merged neuron keeps it (no 1e300 offsets)
        for r in range(p):
            groups[key][r] += s * v[r]
    done: set[tuple[Fraction, ...]] = set()
    W1r, b1r, W2c = [], [], []
    for key in order:
        if key in done:
            continue
        sc = scale[key]
        w = np.array([x * sc for x in key[:d]], dtype=object)
        b = key[d] * sc
        v = np.array([x / sc for x in groups[key]], dtype=object)
        for g in G.elements:
            wg = dual[g] @ w
            s = abs([x for x in wg if x != 0][0])
            kg = tuple(x / s for x in wg) + (b / s,)
            if kg in done:
                continue
            done.add(kg)
            if any(x != 0 for x in v):
                W1r.append(list(wg))
                b1r.append(b)
                W2c.append(list(Bm[g] @ v))
    for i in const_cols:
        W1r.append([zero] * d)
        b1r.append(S.b1[i])
        W2c.append(list(S.W2[:, i]))
    W1 = np.array(W1r + [[zero] * d], dtype=object)[:-1].reshape(len(W1r), d)
    W2 = np.array(W2c + [[zero] * p], dtype=object)[:-1].reshape(len(W2c), p).T
    b1 = np.array(b1r + [zero], dtype=object)[:-1]
    return ReLUNet(W1, b1 if S.hidden_bias else None, W2, b2 if S.output_bias else None, exact=True)
