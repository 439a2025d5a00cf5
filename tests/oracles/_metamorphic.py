"""Networks with their truth by construction, and changes whose effect on that truth is known.

Used by ``test_metamorphic.py``. A :class:`Known` network carries its truths: equivariant (T1), layer-wise
up to positive scaling (T2, None where a change leaves it unknown), realizable at given widths, and
networks on the same spaces together with whether they compute the same function. The truths come from
the construction (orbits of neurons, textbook float symmetrization, planted defects), never from the
oracles under test.

"Equivariant" is meant in the documented semantics (``equifuzz/oracles/identity.py``): float networks
whose exact numbers differ from an equivariant network only by the round-off of their float construction
are equivariant; a planted defect is at least 1e-3 of the neuron it hits, or a whole lone neuron however
small, and is not.

Every change keeps each non-zero weight within [1e-300, 1e300] (its exponents are drawn inside what
fits), so that float64 holds the numbers the construction means; products such as w * v may still
leave float64's range (1e600), which the oracles must handle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from equifuzz import ReLUNet
from equifuzz import reps as efr
from equifuzz.builders import build_flipped_net, build_layerwise_net, build_relu_net
from equifuzz.reps import Representation

LO, HI = -300.0, 300.0  # log10 range every non-zero weight is kept in


@dataclass(frozen=True)
class Known:
    """A network with its truths (see the module docstring); ``history`` names the changes applied."""

    net: ReLUNet
    rho_in: Representation
    rho_out: Representation
    equivariant: bool
    layerwise: bool | None
    realizable: dict[int, bool] = field(default_factory=dict)
    same_as: tuple[tuple[ReLUNet, bool], ...] = ()
    history: tuple[str, ...] = ()
    integer: bool = False  # every weight an integer (so the int dtype is lossless)

    def __repr__(self) -> str:
        n = self.net
        return (f"Known({' -> '.join(self.history)}; G={self.rho_in.group.name}, rho_in={self.rho_in.name}, "
                f"rho_out={self.rho_out.name}, width={n.width}, equivariant={self.equivariant}, "
                f"layerwise={self.layerwise}, realizable={self.realizable})")


def params(net: ReLUNet) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    W1, b1, W2, b2 = net.to_float().float_params()
    return W1.copy(), b1.copy(), W2.copy(), b2.copy()


def params_or_none(net: ReLUNet) -> tuple[Any, Any, Any, Any]:
    """W1, b1, W2, b2 with None for an absent bias (for reproducers)."""
    W1, b1, W2, b2 = params(net)
    return W1, b1 if net.hidden_bias else None, W2, b2 if net.output_bias else None


def rebuild(net: ReLUNet, W1: Any, b1: Any, W2: Any, b2: Any, *, hidden_bias: bool | None = None,
            output_bias: bool | None = None) -> ReLUNet:
    hb = net.hidden_bias if hidden_bias is None else hidden_bias
    ob = net.output_bias if output_bias is None else output_bias
    return ReLUNet(W1, b1 if hb else None, W2, b2 if ob else None)


def log_range(a: np.ndarray) -> tuple[float, float]:
    """log10 of the smallest and largest non-zero |entry| (+inf, -inf when all are zero)."""
    x = np.abs(np.asarray(a, dtype=np.float64))
    x = x[x != 0]
    if not x.size:
        return np.inf, -np.inf
    return float(np.log10(x.min())), float(np.log10(x.max()))


def fits(net: ReLUNet) -> bool:
    lo, hi = log_range(np.concatenate([a.ravel() for a in params(net)]))
    return lo >= LO - 1e-9 and hi <= HI + 1e-9


def room(*arrays: np.ndarray) -> tuple[float, float]:
    """The exponents e with 10^e * entries inside [1e-300, 1e300] for every array: (lowest, highest)."""
    lo, hi = np.inf, -np.inf
    for a in arrays:
        alo, ahi = log_range(a)
        lo, hi = min(lo, alo), max(hi, ahi)
    if lo == np.inf:
        return -np.inf, np.inf
    return LO - lo, HI - hi


def pick(u: float, lo: float, hi: float, want_lo: float, want_hi: float) -> float:
    """A point of [want_lo, want_hi] ∩ [lo, hi] at relative position u (the nearest end of [lo, hi] when they are
    disjoint; NaN when [lo, hi] itself is empty: nothing fits)."""
    if lo > hi:
        return float("nan")
    a, b = max(lo, want_lo), min(hi, want_hi)
    if a > b:
        return hi if want_lo > hi else lo
    return a + u * (b - a)


# -- bases ----------------------------------------------------------------------------------------


def subgroups_with_room(rho_in: Representation, rho_out: Representation, max_width: int) -> list:
    G = rho_in.group
    return [K for K in G.subgroups() if K.index <= max_width]


def orbits(rho_in: Representation, rho_out: Representation, stabilizers: list, seed: int, *, hidden_bias: bool,
           output_bias: bool, integer: bool) -> Known:
    """A union of neuron orbits (equifuzz.builders.build_layerwise_net): equivariant and layer-wise."""
    net, _ = build_layerwise_net(rho_in, rho_out, stabilizers, seed, hidden_bias=hidden_bias,
                                 output_bias=output_bias, integer_weights=integer)
    return Known(net, rho_in, rho_out, True, True, {net.width: True}, history=(f"orbits{len(stabilizers)}",),
                 integer=integer)


def flipped(rho_in: Representation, rho_out: Representation, picks: list[int], seed: int, *,
            output_bias: bool) -> Known | None:
    """One neuron per reversed hyperplane (equifuzz.builders.build_flipped_net): equivariant, not layer-wise,
    not realizable below twice its width (T4)."""
    built = build_flipped_net(rho_in, rho_out, picks, seed, output_bias=output_bias, integer_weights=True)
    if built is None:
        return None
    net, _ = built
    return Known(net, rho_in, rho_out, True, False, {net.width: False}, history=("flipped",))


def textbook_symmetrization(net: ReLUNet, rho_in: Representation, rho_out: Representation) -> ReLUNet:
    """The group average written out in float64 the textbook way: neuron (h, i) =
    (rho_in(h)^T w_i, b_i, rho_out(h)^-1 v_i / |G|), b2 = mean_h rho_out(h)^-1 c."""
    G = rho_in.group
    W1, b1, W2, b2 = params(net)
    inv = [np.linalg.inv(rho_out(h)) for h in G.elements]
    rows = np.concatenate([W1 @ rho_in(h) for h in G.elements])  # rows w^T rho_in(h) = (rho_in(h)^T w)^T
    cols = np.concatenate([Bi @ W2 / G.order for Bi in inv], axis=1)
    bias = np.tile(b1, G.order)
    out = sum(Bi @ b2 for Bi in inv) / G.order
    return rebuild(net, rows, bias, cols, out)


def defect(base: Known, kind: str, seed: int, epsilon: float) -> Known | None:
    """``base`` with one planted defect (``equifuzz.strategies.plant``: non-equivariant by construction)."""
    from equifuzz.strategies import plant

    m = plant(kind, base.net, base.rho_in, base.rho_out, seed, epsilon=epsilon)
    if m is None:
        return None
    n = m.net.width
    G = base.rho_in.group
    return Known(m.net, base.rho_in, base.rho_out, False, False, {n: False, G.order * n: False},
                 same_as=((base.net, False),), history=base.history + (f"defect {kind} {epsilon:.0e}",))


def averaged_bias_is_roundoff(net: ReLUNet, rho_out: Representation) -> bool:
    """Whether the round-off that the float average of b2 leaves (up to about |G| eps ||b2||) is round-off in the
    documented rule (identity.py), which judges the constant against the neurons that feed it (sum ||v_i|| |b_i|
    over live neurons) and the averaged bias. Where those are small against ||b2|| (no hidden biases and no
    fixed part of b2, say), the residue is the whole constant, f(0) = b2 != g b2, and the symmetrized network is
    not equivariant: symmetrization would not keep the truth there."""
    W1, b1, W2, b2 = params(net)
    if not net.output_bias or not np.any(b2):
        return True
    G = rho_out.group
    fixed = sum(rho_out(h) for h in G.elements) @ b2 / G.order
    wlive = np.any(W1 != 0, axis=1)
    feeds = np.any(W2 != 0, axis=0) & ((wlive & (b1 != 0)) | (~wlive & (b1 > 0)))
    logs = [log_norm(W2[:, i]) + log_norm(b1[i:i + 1]) for i in np.flatnonzero(feeds)] + [log_norm(fixed)]
    return max(logs) >= log_norm(b2) - np.log10(4)  # log10 of the largest term (a lower bound of the sum)


def random_symmetrized(rho_in: Representation, rho_out: Representation, width: int, seed: int) -> Known:
    """The textbook float symmetrization of a random network (both biases): equivariant and layer-wise."""
    f = build_relu_net(rho_in.dim, rho_out.dim, width, seed)
    if not averaged_bias_is_roundoff(f, rho_out):  # (see there) the output bias dropped instead
        f = ReLUNet(f.W1, f.b1, f.W2, None)
    S = textbook_symmetrization(f, rho_in, rho_out)
    return Known(S, rho_in, rho_out, True, True, {S.width: True}, history=(f"random{width}", "symmetrize"))


# -- changes --------------------------------------------------------------------------------------


Change = Callable[[Known, np.random.Generator], Known]


def _then(k: Known, name: str, **kw: Any) -> Known:
    return replace(k, history=k.history + (name,), **kw)


def _same(k: Known, new: ReLUNet) -> tuple[tuple[ReLUNet, bool], ...]:
    """The references of ``k`` plus ``k.net`` itself: ``new`` computes the same function as ``k.net``."""
    return k.same_as + ((k.net, True),)


def permute(k: Known, rng: np.random.Generator) -> Known:
    W1, b1, W2, b2 = params(k.net)
    p = rng.permutation(k.net.width)
    new = rebuild(k.net, W1[p], b1[p], W2[:, p], b2)
    return _then(k, "permute", net=new, same_as=_same(k, new))


def _per_neuron_room(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, i: int) -> tuple[float, float]:
    """Exponents e with (10^e w, 10^e b, v / 10^e) inside the range."""
    lo1, hi1 = room(W1[i], b1[i:i + 1])
    lo2, hi2 = room(W2[:, i])
    return max(lo1, -hi2), min(hi1, -lo2)


def _rescale(k: Known, rng: np.random.Generator, power_of_two: bool) -> Known:
    W1, b1, W2, b2 = params(k.net)
    for i in range(k.net.width):
        lo, hi = _per_neuron_room(W1, b1, W2, i)
        e = pick(float(rng.random()), lo, hi, -150.0, 150.0)
        if np.isnan(e):
            continue
        if power_of_two:
            s = np.ldexp(1.0, int(np.clip(np.round(e * np.log2(10)), np.ceil(lo * np.log2(10)),
                                          np.floor(hi * np.log2(10)))))
        else:
            s = 10.0 ** e
        W1[i], b1[i], W2[:, i] = W1[i] * s, b1[i] * s, W2[:, i] / s
    new = rebuild(k.net, W1, b1, W2, b2)
    return _then(k, "rescale 2^k" if power_of_two else "rescale 1e-150..1e150", net=new, same_as=_same(k, new),
                 integer=False)


def rescale_pow2(k: Known, rng: np.random.Generator) -> Known:
    return _rescale(k, rng, True)


def rescale_real(k: Known, rng: np.random.Generator) -> Known:
    return _rescale(k, rng, False)


def split_one(k: Known, rng: np.random.Generator) -> Known:
    """One live neuron (w, b, v) -> (w, b, t v) + (w, b, (1 - t) v): the same function; layer-wise unknown."""
    W1, b1, W2, b2 = params(k.net)
    if k.net.width == 0:
        return k
    i = int(rng.integers(k.net.width))
    t = 0.5 if rng.random() < 0.5 else float(rng.uniform(0.05, 0.95))
    col = W2[:, i].copy()
    W2[:, i] = t * col
    new = rebuild(k.net, np.concatenate([W1, W1[i:i + 1]]), np.concatenate([b1, b1[i:i + 1]]),
                  np.concatenate([W2, ((1 - t) * col)[:, None]], axis=1), b2)
    if not fits(new):
        return k
    return _then(k, f"split one {t:.3g}", net=new, same_as=_same(k, new), layerwise=None,
                 integer=k.integer and t == 0.5 and bool(np.all(W2 == np.round(W2))))


def split_all(k: Known, rng: np.random.Generator) -> Known:
    """Every neuron (w, b, v) -> (w, b, v / 2) + (2 w, 2 b, v / 4): the same function, layer-wise stays."""
    W1, b1, W2, b2 = params(k.net)
    new = rebuild(k.net, np.concatenate([W1, 2 * W1]), np.concatenate([b1, 2 * b1]),
                  np.concatenate([W2 / 2, W2 / 4], axis=1), b2)
    if not fits(new) or new.width > 96:
        return k
    return _then(k, "split all", net=new, same_as=_same(k, new), integer=False)


def zero_output(k: Known, rng: np.random.Generator) -> Known:
    """A neuron with a random (w, b) and v = 0: the same function, the same truths (zero-output neurons are
    ignored by T2)."""
    W1, b1, W2, b2 = params(k.net)
    w = rng.standard_normal(k.net.d) * 10.0 ** rng.uniform(-3, 3)
    b = float(rng.standard_normal()) * 10.0 ** rng.uniform(-3, 3)
    new = ReLUNet(np.concatenate([W1, w[None]]), np.concatenate([b1, [b]]),
                  np.concatenate([W2, np.zeros((k.net.p, 1))], axis=1), b2 if k.net.output_bias else None)
    return _then(k, "zero-output neuron", net=new, same_as=_same(k, new), integer=False)


def acts_trivially(rho_in: Representation, rho_out: Representation) -> bool:
    """Every generator acts as the identity on both sides, up to the round-off of a change of basis (then every
    network is equivariant, a lone neuron included)."""
    return all(np.allclose(rho_in(g), np.eye(rho_in.dim), rtol=0, atol=1e-9)
               and np.allclose(rho_out(g), np.eye(rho_out.dim), rtol=0, atol=1e-9) for g in rho_in.group.generators)


def neuron_sizes(net: ReLUNet) -> np.ndarray:
    """log10 of ||w_i|| ||v_i|| (||v_i|| |b_i| for w = 0), scale-free; -inf for zero neurons."""
    W1, b1, W2, _ = params(net)
    out = np.full(net.width, -np.inf)
    for i in range(net.width):
        lw = log_norm(W1[i]) if np.any(W1[i]) else log_norm(b1[i:i + 1])
        out[i] = lw + log_norm(W2[:, i])
    return out


def log_norm(x: np.ndarray) -> float:
    x = np.abs(np.asarray(x, dtype=np.float64))
    m = float(x.max(initial=0.0))
    if m == 0:
        return -np.inf
    return float(np.log10(m) + 0.5 * np.log10(np.sum((x / m) ** 2)))


def lone_tiny(k: Known, rng: np.random.Generator) -> Known:
    """One lone neuron on a generic hyperplane, 1e-100..1e-300 times the largest neuron (as far as the range
    allows): no neuron or group element pairs it, so the network is not equivariant, however small it is."""
    if acts_trivially(k.rho_in, k.rho_out):
        return k
    W1, b1, W2, b2 = params(k.net)
    d, p = k.net.d, k.net.p
    sizes = neuron_sizes(k.net)
    top = float(sizes.max(initial=-np.inf))
    top = top if np.isfinite(top) else 0.0
    ratio = float(rng.uniform(-300, -100))
    target = max(top + ratio, 2 * LO + 4)  # log10 ||w|| ||v|| of the lone neuron, as far as the range allows
    ew = pick(float(rng.random()), max(LO + 2, target - (HI - 2)), min(HI - 2, target - (LO + 2)), LO + 2, HI - 2)
    ev = target - ew
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    z = rng.standard_normal(p)
    z /= np.linalg.norm(z)
    w, b, v = u * 10.0 ** ew, float(rng.uniform(0.5, 2.0)) * 10.0 ** ew, z * 10.0 ** ev
    new = ReLUNet(np.concatenate([W1, w[None]]), np.concatenate([b1, [b]]), np.concatenate([W2, v[:, None]], 1),
                  b2 if k.net.output_bias else None)
    if not fits(new):
        return k
    n = new.width
    return _then(k, f"lone neuron 1e{target - top:.0f}", net=new, equivariant=False, layerwise=False,
                 realizable={n: False, n + 1: False}, same_as=((k.net, False),), integer=False)


def global_scale(k: Known, rng: np.random.Generator) -> Known:
    """(W1, b1) * 10^a, W2 * 10^c and b2 * 10^(a + c): the function times 10^(a + c), a and c in [-300, 300] as
    far as the range allows (c = -a half the time: the same function). Powers of two (exact) half the time."""
    W1, b1, W2, b2 = params(k.net)
    lo1, hi1 = room(W1, b1)
    lo2, hi2 = room(W2)
    lob, hib = room(b2)
    balanced = bool(rng.random() < 0.5)
    two = bool(rng.random() < 0.5)
    if balanced:  # a within the first layer's room and -a within W2's
        a = pick(float(rng.random()), max(lo1, -hi2), min(hi1, -lo2), -300.0, 300.0)
        c = -a
    else:  # c within W2's room, and a + c within b2's
        a = pick(float(rng.random()), lo1, hi1, -300.0, 300.0)
        c = pick(float(rng.random()), max(lo2, lob - a, LO - a), min(hi2, hib - a, HI - a), -300.0, 300.0)
    if np.isnan(a) or np.isnan(c):
        return k
    if two:
        ka, kc = int(np.floor(a * np.log2(10))), int(np.floor(c * np.log2(10)))
        kc = -ka if balanced else kc
        sa, sc, sb = np.ldexp(1.0, ka), np.ldexp(1.0, kc), np.ldexp(1.0, ka + kc)
    else:
        sa, sc, sb = 10.0 ** a, 10.0 ** c, 10.0 ** (a + c)
    with np.errstate(over="ignore", under="ignore"):
        parts = (W1 * sa, b1 * sa, W2 * sc, b2 * sb)
    if not all(np.all(np.isfinite(x)) for x in parts):
        return k
    new = rebuild(k.net, *parts)
    if not fits(new):
        return k
    if balanced:
        same = _same(k, new)
    else:
        # the old network with its output times 10^(a + c), where that fits
        lo, hi = room(W2, b2)
        same = ((rebuild(k.net, W1, b1, W2 * sb, b2 * sb), True),) if lo <= np.log10(sb) <= hi else ()
    name = f"global x 1e{a:.0f} / 1e{c:.0f}" + (" (2^k)" if two else "") + (" balanced" if balanced else "")
    return _then(k, name, net=new, same_as=same, integer=False)


def random_orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.sign(np.diag(R))[None, :]


def signed_permutation(n: int, rng: np.random.Generator) -> np.ndarray:
    return np.eye(n)[rng.permutation(n)] * rng.choice([-1.0, 1.0], size=n)[:, None]


def change_basis(k: Known, rng: np.random.Generator) -> Known:
    """rho -> Q rho Q^T with Q orthogonal (random, or a signed permutation), on both sides; W1 -> W1 Q_in^T,
    (W2, b2) -> Q_out (W2, b2): every truth is kept (the references move alike)."""
    exact = bool(rng.random() < 0.3)
    Qi = signed_permutation(k.net.d, rng) if exact else random_orthogonal(k.net.d, rng)
    Qo = signed_permutation(k.net.p, rng) if exact else random_orthogonal(k.net.p, rng)
    ri, ro = efr.change_basis(k.rho_in, Qi), efr.change_basis(k.rho_out, Qo)

    def move(net: ReLUNet) -> ReLUNet:
        W1, b1, W2, b2 = params(net)
        return rebuild(net, W1 @ Qi.T, b1, Qo @ W2, Qo @ b2)

    new = move(k.net)
    if not fits(new):
        return k
    same = tuple((m, t) for r, t in k.same_as if fits(m := move(r)))
    return _then(k, "basis " + ("signed permutation" if exact else "orthogonal"), net=new, rho_in=ri, rho_out=ro,
                 same_as=same, integer=k.integer and exact)


def symmetrize(k: Known, rng: np.random.Generator) -> Known:
    """The textbook float symmetrization: equivariant and layer-wise; the same function as before exactly
    when the network was equivariant."""
    G = k.rho_in.group
    if G.order * k.net.width > 96:
        return k
    if not averaged_bias_is_roundoff(k.net, k.rho_out):
        return k
    S = textbook_symmetrization(k.net, k.rho_in, k.rho_out)
    if not fits(S):
        return k
    realizable = {S.width: True}
    if k.equivariant:
        realizable = {**k.realizable, **realizable}
        same = _same(k, S)
    else:
        same = ((k.net, False),)
    return _then(k, "symmetrize", net=S, equivariant=True, layerwise=True, realizable=realizable, same_as=same,
                 integer=False)


CHANGES: dict[str, Change] = {
    "permute": permute,
    "rescale_pow2": rescale_pow2,
    "rescale_real": rescale_real,
    "split_one": split_one,
    "split_all": split_all,
    "zero_output": zero_output,
    "lone_tiny": lone_tiny,
    "global_scale": global_scale,
    "change_basis": change_basis,
    "symmetrize": symmetrize,
}

# -- the weights as the user may pass them ---------------------------------------------------------


def monomial(rho: Representation) -> bool:
    """Every generator matrix has entries 0 and +-1 only (a signed permutation): rounding commutes with it."""
    return all(np.all(np.isin(rho(g), (-1.0, 0.0, 1.0))) for g in rho.group.generators)


def round_to_float32(k: Known) -> Known:
    """The weights rounded to float32, where that keeps the truths: signed-permutation representations (rounding
    commutes with them, so orbits stay orbits), no flipped base, uneven split or per-neuron real rescaling (their
    equivariance rests on sums or ratios that rounding would move by 1e-8), every entry in float32's normal range.
    The function moves by float32 round-off, so the references go and only the realizability truths of the
    network itself stay."""
    W1, b1, W2, b2 = params(k.net)
    lo, hi = log_range(np.concatenate([a.ravel() for a in (W1, b1, W2, b2)]))
    if (not (monomial(k.rho_in) and monomial(k.rho_out)) or lo < -37 or hi > 37
            or any(h.startswith(("flipped", "split one", "rescale 1e")) for h in k.history)):
        return k
    new = rebuild(k.net, *(a.astype(np.float32).astype(np.float64) for a in (W1, b1, W2, b2)))
    realizable = {new.width: True} if k.layerwise else {m: t for m, t in k.realizable.items() if not t}
    return _then(k, "rounded to float32", net=new, same_as=(), realizable=realizable)


DTYPES = ("float64", "float32", "int", "lists", "torch64", "torch32")


def as_dtype(net: ReLUNet, dtype: str) -> tuple[ReLUNet, str]:  # noqa: C901
    """The same numbers passed as float32 arrays, int arrays, nested lists or torch tensors (float32 and int
    only when lossless; else float64). Returns the network built from them and the dtype actually used."""
    arrays = [net.W1, net.b1 if net.hidden_bias else None, net.W2, net.b2 if net.output_bias else None]
    arrays = [None if a is None else np.asarray(a, dtype=np.float64) for a in arrays]
    present = [a for a in arrays if a is not None]

    def lossless(t: Any) -> bool:
        with np.errstate(over="ignore"):
            return all(np.array_equal(a.astype(t).astype(np.float64), a) for a in present)

    if dtype in ("float32", "torch32") and not lossless(np.float32):
        dtype = "float64"
    if dtype == "int" and not all(np.all(a == np.round(a)) and np.abs(a).max(initial=0) < 2**31 for a in present):
        dtype = "float64"
    conv: Callable[[np.ndarray], Any]
    if dtype == "float64":
        conv = np.asarray
    elif dtype == "float32":
        def conv(a: np.ndarray) -> Any:
            return a.astype(np.float32)
    elif dtype == "int":
        def conv(a: np.ndarray) -> Any:
            return a.astype(np.int64)
    elif dtype == "lists":
        def conv(a: np.ndarray) -> Any:
            return a.tolist()
    else:
        import torch

        tdt = torch.float64 if dtype == "torch64" else torch.float32

        def conv(a: np.ndarray) -> Any:
            return torch.tensor(a, dtype=tdt)
    W1, b1, W2, b2 = (None if a is None else conv(a) for a in arrays)
    return ReLUNet(W1, b1, W2, b2), dtype
