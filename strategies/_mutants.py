"""Planted, labelled defects in equivariant networks, for testing the oracles themselves.

Every mutant is non-equivariant by construction, for a reason that does not use the oracles:

- ``drop_neuron``: f' = f - v relu(w.x + b) for a live neuron that g does not fix. A single neuron is
  equivariant only when rho_in(g)^{-T} w = w and rho_out(g) v = v for all g (a reversed hyperplane
  would need rho_out(g) v = v for the kink and = -v for the linear part), so f' is not equivariant.
- ``perturb``: one weight changed by delta (relative size ``epsilon``, down to 1e-7). On W2 or b2 the
  change is a single neuron delta e_j relu(w.x + b) (or a constant delta e_j) that g does not fix,
  sized so that its defect is ``epsilon``: where g fixes w, delta is divided by how far g moves e_j;
  W2 of a neuron whose kink some g reverses (b = 0) is not used, since there the change would show
  only as a linear part, which the oracles measure against the summed neuron sizes.
  On W1 or b1 the change D = v relu(w'.x + b') - v relu(w.x + b) kinks on H and H' != H, and the
  site is chosen so that {H, H'} is not G-invariant; an equivariant D would need an invariant kink set.
- ``bias_nontrivial``: the output bias moved by a vector of the non-trivial isotypic part of rho_out.
- ``transposed_action``: the network built with rho(g)^T in place of rho(g), i.e. equivariant for the
  duals rho^*: x -> M_out f(M_in^{-1} x) with M = 1/|G| sum rho(g)^T rho(g) (needs a non-orthogonal rho).
- ``flip_sign``: one neuron's (w, b) negated, adding the affine map -v (w.x + b), which is chosen
  not to be equivariant (v w^T not in Hom_G or v b not fixed).
- ``nonpermutation_hidden``: W1 -> Q W1, b1 -> Q b1, W2 -> W2 Q^{-1} with Q = I + t E_ab (not
  monomial) for two neurons on different oriented hyperplanes: a linear network would not change, but
  ReLU does not commute with Q (on one oriented hyperplane it would: relu(s t) = s relu(t), s > 0).

``transposed_action`` and ``nonpermutation_hidden`` are kept only with a *witness*: an input x and an
element g with ||f(g x) - g f(x)|| above 100 times a bound on the floating-point error of the
evaluation. The other kinds record a witness when the search finds one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from equifuzz.nets.relu_net import ReLUNet
from equifuzz.reps.finite import Representation

from ._checks import InvalidStrategyArgument as InvalidArgument
from ._checks import check_dims, check_names, check_net, check_real, check_seed
from ._groups import seeds
from ._nets import DrawnNet, _check_reps, _projector

__all__ = ["MUTANT_KINDS", "Mutant", "mutants", "plant", "find_witness", "epsilons"]

#: The defect kinds, simplest first.
MUTANT_KINDS: tuple[str, ...] = (
    "drop_neuron",
    "perturb",
    "bias_nontrivial",
    "flip_sign",
    "transposed_action",
    "nonpermutation_hidden",
)

_MACRO = 1e-3  # a neuron "moves" under g when its image differs by more than this (relative)
_SEEDS = seeds()


@dataclass(frozen=True)
class Mutant:
    """A network with one planted defect. ``epsilon`` is the relative size of a sized defect.

    ``original`` is the equivariant network it came from; ``site`` names what was changed;
    ``witness`` is (x, g) with f(rho_in(g) x) != rho_out(g) f(x) beyond round-off, when one was found.
    """

    net: ReLUNet
    kind: str
    epsilon: float | None
    description: str
    original: ReLUNet = field(repr=False)
    site: tuple = ()
    witness: tuple[np.ndarray, int] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        eps = "" if self.epsilon is None else f", epsilon={self.epsilon:.3g}"
        return f"Mutant({self.kind}{eps}: {self.description}; {self.net!r})"


# ---------------------------------------------------------------------------------------------
# witnesses (direct evaluation; independent of the canonical form)


def _rounding_bound(net: ReLUNet, X: np.ndarray) -> np.ndarray:
    """Per row, a bound on the float64 error of evaluating the network (absolute-value network)."""
    W1, b1, W2, b2 = net.float_params()
    h = np.abs(X) @ np.abs(W1).T + np.abs(b1)
    y = h @ np.abs(W2).T + np.abs(b2)
    n = net.d + net.width + net.p + 4
    return 4 * n * np.finfo(float).eps * np.max(y, axis=1)


def _witness_inputs(net: ReLUNet, rng: np.random.Generator) -> np.ndarray:
    d = net.d
    X = [rng.standard_normal((64, d)), 10 * rng.standard_normal((16, d))]
    W1, b1, _, _ = net.float_params()
    for i in range(min(net.width, 32)):
        w = W1[i]
        nw = float(np.linalg.norm(w))
        if nw == 0:
            continue
        x0 = -b1[i] * w / nw ** 2
        Z = rng.standard_normal((4, d))
        Z -= np.outer(Z @ w, w) / nw ** 2
        t = np.array([-1e-3, 1e-3, -0.5, 0.5])[:, None] * (1 + np.linalg.norm(x0))
        X.append(x0 + Z + t * w / nw)
    return np.concatenate(X)


def find_witness(net: ReLUNet, rho_in: Representation, rho_out: Representation, seed: int = 0,
                 margin: float = 100.0) -> tuple[np.ndarray, int, float] | None:
    """(x, g, gap): an input and element with ||f(g x) - g f(x)|| > ``margin`` x the round-off bound.

    Searches Gaussian inputs at two scales and points beside every neuron's hyperplane, over all
    group elements. None when no such input was found (which proves nothing).
    """
    net = _check_net_reps(net, rho_in, rho_out)
    seed = check_seed(seed)
    margin = check_real("margin", margin, min=0.0, strict=True)
    X = _witness_inputs(net, np.random.default_rng(seed))
    f = net.to_float()
    FX = f(X)
    bx = _rounding_bound(f, X)
    best: tuple[np.ndarray, int, float] | None = None
    best_ratio = margin
    for g in rho_in.group.elements:
        if g == 0:
            continue
        A, B = rho_in(g), rho_out(g)
        XA = X @ A.T
        gap = np.max(np.abs(f(XA) - FX @ B.T), axis=1)
        bound = _rounding_bound(f, XA) + np.max(np.abs(B), axis=1).sum() * bx + 1e-300
        ratio = gap / bound
        i = int(np.argmax(ratio))
        if ratio[i] > best_ratio:
            best_ratio = float(ratio[i])
            best = (X[i].copy(), int(g), float(gap[i]))
    return best


# ---------------------------------------------------------------------------------------------
# helpers


def _check_net_reps(net: object, rho_in: object, rho_out: object) -> ReLUNet:
    _check_reps(rho_in, rho_out)
    net = check_net("net", net)
    check_dims("net", net.d, net.p, rho_in, rho_out)
    return net  # type: ignore[return-value]


def _gens(rho_in: Representation, rho_out: Representation) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(rho_in(g), rho_in^*(g), rho_out(g)) for the generators g."""
    G = rho_in.group
    dual = rho_in.dual()
    return [(rho_in(g), dual(g), rho_out(g)) for g in G.generators]


def _moved(x: np.ndarray, mats: Sequence[np.ndarray]) -> float:
    """max_g ||M_g x - x|| / ||x|| (0 for x = 0)."""
    n = float(np.linalg.norm(x))
    if n == 0:
        return 0.0
    return max((float(np.linalg.norm(M @ x - x)) / n for M in mats), default=0.0)


def _scales(net: ReLUNet) -> tuple[float, float]:
    """(top, total): the largest and the summed neuron size ||(w_i, b_i)|| ||v_i|| (+ ||b2|| in total).

    Kink defects are sized against ``top`` and constant defects against ``total``, the two weight
    scales a relative tolerance on a network refers to. (Sized defects are not planted in the zero
    network, which has no scale to be relative to.)
    """
    W1, b1, W2, b2 = net.float_params()
    sizes = np.hypot(np.linalg.norm(W1, axis=1), b1) * np.linalg.norm(W2, axis=0)
    top = float(sizes.max()) if sizes.size else 0.0
    total = float(sizes.sum()) + float(np.linalg.norm(b2))
    return max(top, 1e-12 * total), total


def _live(net: ReLUNet) -> np.ndarray:
    W1, b1, W2, _ = net.float_params()
    wn = np.linalg.norm(W1, axis=1)
    vn = np.linalg.norm(W2, axis=0)
    return (vn > 0) & ((wn > 0) | (b1 > 0))


def _neuron_moves(w: np.ndarray, v: np.ndarray, gens: list) -> bool:
    """Whether the single neuron v relu(w.x + b) is not equivariant (some generator moves w or v)."""
    return _moved(w, [D for _, D, _ in gens]) > _MACRO or _moved(v, [B for _, _, B in gens]) > _MACRO


def _reach(w: np.ndarray, v: np.ndarray, gens: list) -> float:
    """How much of a change delta v on the channel of a neuron with input weights w shows as a defect, per unit:
    all of it when some generator moves w (the image kink lacks the change), else only as far as the
    generators move v (a change along Fix(rho_out) is no defect), so a sized change is divided by this."""
    if _moved(w, [D for _, D, _ in gens]) > _MACRO:
        return 1.0
    return min(1.0, _moved(v, [B for _, _, B in gens]))


def _hyperplane(w: np.ndarray, b: float) -> np.ndarray:
    n = float(np.linalg.norm(w))
    return np.concatenate([w, [b]]) / n


def _hp_dist(h1: np.ndarray, h2: np.ndarray) -> float:
    """Distance between hyperplanes given as (u, beta) with unit u, either orientation."""
    return float(min(np.max(np.abs(h1 - h2)), np.max(np.abs(h1 + h2))))


def _pair_invariant(w: np.ndarray, b: float, w2: np.ndarray, b2: float, gens: list) -> bool:
    """Whether the set {H, H'} of two distinct hyperplanes is mapped into itself by every generator."""
    H, H2 = _hyperplane(w, b), _hyperplane(w2, b2)
    tau = 1e-3 * _hp_dist(H, H2)
    for _, D, _ in gens:
        for ww, bb in ((w, b), (w2, b2)):
            img = _hyperplane(D @ ww, bb)
            if min(_hp_dist(img, H), _hp_dist(img, H2)) > tau:
                return False
    return True


def _rebuild(net: ReLUNet, W1: np.ndarray | None = None, b1: np.ndarray | None = None, W2: np.ndarray | None = None,
             b2: np.ndarray | None = None, *, force_output_bias: bool = False) -> ReLUNet:
    f = net.to_float()
    W1_, b1_, W2_, b2_ = (np.array(a, dtype=np.float64) for a in f.float_params())
    W1_ = W1_ if W1 is None else W1
    b1_ = b1_ if b1 is None else b1
    W2_ = W2_ if W2 is None else W2
    b2_ = b2_ if b2 is None else b2
    return ReLUNet(W1_, b1_ if f.hidden_bias else None, W2_, b2_ if (f.output_bias or force_output_bias) else None)


# ---------------------------------------------------------------------------------------------
# the kinds


def _drop_neuron(net, rho_in, rho_out, rng, eps):  # type: ignore[no-untyped-def]
    gens = _gens(rho_in, rho_out)
    W1, b1, W2, _ = net.float_params()
    cands = [i for i in np.flatnonzero(_live(net)) if _neuron_moves(W1[i], W2[:, i], gens)]
    if not cands:
        return None
    i = int(rng.choice(cands))
    keep = [j for j in range(net.width) if j != i]
    return (net.to_float().subnet(keep), None, f"dropped neuron {i} (moved by the group)", ("neuron", i))


def _perturb(net, rho_in, rho_out, rng, eps):  # type: ignore[no-untyped-def]
    gens = _gens(rho_in, rho_out)
    f = net.to_float()
    W1, b1, W2, b2 = (np.array(a) for a in f.float_params())
    d, p = f.d, f.p
    top, total = _scales(f)
    if total == 0:
        return None
    live = _live(f)
    eye_p = np.eye(p)
    sites: list[tuple] = []
    for i in np.flatnonzero(live):
        for j in range(p):
            sites.append(("W2", int(i), j))
        if np.linalg.norm(W1[i]) > 0:
            for j in range(d):
                sites.append(("W1", int(i), j))
            if f.hidden_bias:
                sites.append(("b1", int(i)))
    if f.output_bias:
        sites += [("b2", j) for j in range(p)]
    order = rng.permutation(len(sites))
    sign = float(rng.choice([-1.0, 1.0]))
    for k in order:
        site = sites[k]
        if site[0] == "W2":
            _, i, j = site
            if not _neuron_moves(W1[i], eye_p[j], gens):
                continue
            nw = float(np.linalg.norm(W1[i]))  # channel change delta ||w_i|| (or constant delta b_i)
            if b1[i] == 0 and nw > 0 and any(np.linalg.norm(D @ W1[i] + W1[i]) <= 1e-9 * nw for _, D, _ in gens):
                continue  # relu(-t) - relu(t) = -t: at a reversed kink the change would be only linear
            delta = sign * eps * top / ((nw if nw > 0 else float(b1[i])) * _reach(W1[i], eye_p[j], gens))
            W2n = W2.copy()
            W2n[j, i] += delta
            return (_rebuild(f, W2=W2n), eps, f"W2[{j}, {i}] += {delta:.3g}", site)
        if site[0] == "b2":
            _, j = site
            if _moved(eye_p[j], [B for _, _, B in gens]) <= _MACRO:
                continue
            delta = sign * eps * total / min(1.0, _moved(eye_p[j], [B for _, _, B in gens]))
            b2n = b2.copy()
            b2n[j] += delta
            return (_rebuild(f, b2=b2n), eps, f"b2[{j}] += {delta:.3g}", site)
        i = site[1]
        nwb = float(np.hypot(np.linalg.norm(W1[i]), b1[i]))
        delta = sign * eps * nwb
        w2, bb = W1[i].copy(), float(b1[i])
        if site[0] == "W1":
            w2[site[2]] += delta
        else:
            bb += delta
        if np.linalg.norm(w2) == 0:
            continue
        H, H2 = _hyperplane(W1[i], float(b1[i])), _hyperplane(w2, bb)
        if _hp_dist(H, H2) < 0.1 * eps or _pair_invariant(W1[i], float(b1[i]), w2, bb, gens):
            continue
        if site[0] == "W1":
            W1n = W1.copy()
            W1n[i] = w2
            return (_rebuild(f, W1=W1n), eps, f"W1[{i}, {site[2]}] += {delta:.3g}", site)
        b1n = b1.copy()
        b1n[i] = bb
        return (_rebuild(f, b1=b1n), eps, f"b1[{i}] += {delta:.3g}", site)
    return None


def _bias_nontrivial(net, rho_in, rho_out, rng, eps):  # type: ignore[no-untyped-def]
    f = net.to_float()
    p = f.p
    total = _scales(f)[1]
    if total == 0:
        return None
    P = _projector(rho_out.matrices, rho_in.group.elements)
    z = rng.standard_normal(p)
    t = z - P @ z
    if np.linalg.norm(t) < 1e-6 * np.linalg.norm(z):
        return None
    delta = eps * total * t / np.linalg.norm(t)
    return (_rebuild(f, b2=f.b2 + delta, force_output_bias=True), eps,
            f"b2 += {np.array2string(delta, precision=3)} (non-trivial part of rho_out)", ("b2",))


def _flip_sign(net, rho_in, rho_out, rng, eps):  # type: ignore[no-untyped-def]
    gens = _gens(rho_in, rho_out)
    f = net.to_float()
    W1, b1, W2, _ = (np.array(a) for a in f.float_params())
    cands = []
    for i in np.flatnonzero(_live(f)):
        w, b, v = W1[i], float(b1[i]), W2[:, i]
        size = float(np.linalg.norm(v) * np.hypot(np.linalg.norm(w), b))
        L = np.outer(v, w)
        bad = 0.0
        for A, _, B in gens:
            bad = max(bad, float(np.linalg.norm(B @ L - L @ A)), float(np.linalg.norm(B @ v * b - v * b)))
        if bad > _MACRO * size:
            cands.append(int(i))
    if not cands:
        return None
    i = int(rng.choice(cands))
    W1n, b1n = W1.copy(), b1.copy()
    W1n[i], b1n[i] = -W1[i], -b1[i]
    return (_rebuild(f, W1=W1n, b1=b1n), None, f"neuron {i}: (w, b) -> (-w, -b)", ("neuron", i))


def _transposed_action(net, rho_in, rho_out, rng, eps):  # type: ignore[no-untyped-def]
    if rho_in.is_orthogonal and rho_out.is_orthogonal:
        return None
    Si, So = rho_in.orthogonalizer(), rho_out.orthogonalizer()
    Mi, Mo = Si @ Si, So @ So
    f = net.to_float()
    mutant = f.transformed(np.linalg.inv(Mi), Mo)
    return (mutant, None, "built for rho(g)^T in place of rho(g): x -> M_out f(M_in^-1 x)", ("representation",))


def _nonpermutation_hidden(net, rho_in, rho_out, rng, eps):  # type: ignore[no-untyped-def]
    f = net.to_float()
    W1, b1, W2, _ = f.float_params()
    live = [int(i) for i in np.flatnonzero(_live(f)) if np.linalg.norm(W1[i]) > 0]
    # neurons on one oriented hyperplane mix harmlessly (relu(s t) = s relu(t) for s > 0): skip such pairs
    pairs = [(a, b) for a in live for b in live
             if a != b and np.max(np.abs(_hyperplane(W1[a], float(b1[a])) - _hyperplane(W1[b], float(b1[b])))) > _MACRO]
    if not pairs:
        return None
    a, b = pairs[int(rng.integers(len(pairs)))]
    t = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5))
    Q = np.eye(f.width)
    Q[a, b] = t
    Qinv = np.eye(f.width)
    Qinv[a, b] = -t
    return (_rebuild(f, W1=Q @ W1, b1=Q @ b1, W2=W2 @ Qinv), None,
            f"hidden basis change Q = I + {t:.3g} E[{a},{b}] (not monomial)", ("hidden", a, b))


_PLANTERS = {
    "drop_neuron": _drop_neuron,
    "perturb": _perturb,
    "bias_nontrivial": _bias_nontrivial,
    "flip_sign": _flip_sign,
    "transposed_action": _transposed_action,
    "nonpermutation_hidden": _nonpermutation_hidden,
}
_NEED_WITNESS = ("transposed_action", "nonpermutation_hidden")


def plant(kind: str, net: ReLUNet, rho_in: Representation, rho_out: Representation, seed: int,
          epsilon: float = 1e-3) -> Mutant | None:
    """Plant one defect of ``kind`` in the equivariant ``net`` (None when this net admits none).

    ``epsilon`` sizes ``perturb`` (relative to the neuron, or to the network scale for output weights)
    and ``bias_nontrivial`` (relative to the network scale); the other kinds are structural.
    """
    if not isinstance(kind, str) or kind not in _PLANTERS:
        raise InvalidArgument(f"unknown mutant kind {kind!r}; choose from {list(MUTANT_KINDS)}")
    net = _check_net_reps(net, rho_in, rho_out)
    seed = check_seed(seed)
    epsilon = check_real("epsilon", epsilon, min=0.0, max=0.5, strict=True)
    rng = np.random.default_rng(seed)
    out = _PLANTERS[kind](net, rho_in, rho_out, rng, float(epsilon))
    if out is None:
        return None
    mutant, eps, desc, site = out
    wit = find_witness(mutant, rho_in, rho_out, seed)
    if wit is None and kind in _NEED_WITNESS:
        return None
    return Mutant(mutant, kind, eps, desc, net, site, None if wit is None else (wit[0], wit[1]))


def epsilons(smallest: float = 1e-7) -> SearchStrategy[float]:
    """Relative defect sizes m * 10^-k (m in 1, 2, 5) from 0.5 down to ``smallest``, shrinking to 0.1."""
    smallest = check_real("smallest", smallest, min=0.0, max=0.5, strict=True)
    k_max = int(np.ceil(-np.log10(smallest)))
    return _draw_epsilon(k_max, float(smallest))


@st.composite
def _draw_epsilon(draw: st.DrawFn, k_max: int, smallest: float) -> float:
    k = draw(st.integers(1, k_max))
    m = draw(st.sampled_from((1, 2, 5)))
    return max(m * 10.0 ** (-k), smallest)


def mutants(net: ReLUNet | DrawnNet | SearchStrategy[DrawnNet], rho_in: Representation | None = None,
            rho_out: Representation | None = None, kinds: Sequence[str] = MUTANT_KINDS,
            epsilon: SearchStrategy[float] | None = None) -> SearchStrategy[Mutant]:
    """Mutants of an equivariant network: one planted, labelled defect each (see the module docstring).

    ``net`` is a network with its representations, a :class:`DrawnNet`, or a strategy for DrawnNets.
    The kind is drawn from ``kinds`` (shrinking towards ``drop_neuron``); a kind the network does not
    admit (e.g. ``bias_nontrivial`` with trivial rho_out, ``transposed_action`` with orthogonal
    representations) falls through to the next admitted one in ``kinds``; if none is admitted the
    draw is rejected. ``Mutant.kind`` says what was planted.
    """
    names = check_names("kinds", kinds, MUTANT_KINDS)
    if epsilon is not None and not isinstance(epsilon, SearchStrategy):
        raise InvalidArgument(f"epsilon must be a strategy for floats (e.g. epsilons()) or None, got {epsilon!r}")
    eps_strategy = epsilons() if epsilon is None else epsilon
    if isinstance(net, SearchStrategy):
        return net.flatmap(lambda dn: mutants(dn, kinds=names, epsilon=eps_strategy))
    if isinstance(net, DrawnNet):
        rho_in, rho_out, base = net.rho_in, net.rho_out, net.net
    else:
        base = net
        if rho_in is None or rho_out is None:
            raise InvalidArgument("mutants(net, rho_in, rho_out) needs the representations for a bare ReLUNet")
    base = _check_net_reps(base, rho_in, rho_out)

    return _draw_mutant(base, rho_in, rho_out, tuple(names), eps_strategy)


@st.composite
def _draw_mutant(draw: st.DrawFn, base: ReLUNet, rho_in: Representation, rho_out: Representation,
                 names: tuple[str, ...], eps_strategy: SearchStrategy[float]) -> Mutant:
    start = min(draw(st.integers(0, max(1, len(names) - 1))), len(names) - 1)
    eps = draw(eps_strategy)
    seed = draw(_SEEDS)
    for k in names[start:] + names[:start]:
        m = plant(k, base, rho_in, rho_out, seed, eps)
        if m is not None:
            return m
    reject()
