"""The adversarial families: networks with truth by construction (see ``adversarial_table.py``).

Each family is a generator of :class:`Case` records: a network, rho_in, rho_out and its truths. Layer-wise
networks come from ``_truth.orbit_net`` / ``_truth.averaged_net``; the rest are transformations whose effect
on every truth is known (rescaling, splitting, cancelling pairs, planted defects).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from _truth import averaged_net, fraction_net, orbit_net, rescale_neurons, stack

import equifuzz as ef
from equifuzz.reps import Representation


@dataclass
class Case:
    label: str
    net: ef.ReLUNet
    rho_in: Representation
    rho_out: Representation
    equivariant: bool
    layerwise: bool | None = None
    equiv_to: list[tuple[ef.ReLUNet, bool]] = field(default_factory=list)
    widths: list[tuple[int, bool]] = field(default_factory=list)
    hidden: Representation | None = None
    compensate: bool = True


# -- groups and representations ------------------------------------------------------------------


def _gen(G: ef.groups.FiniteGroup, *mats: Any) -> Representation:
    return ef.reps.from_generators(G, [np.array(m, float) for m in mats])


def reps() -> dict[str, tuple[Representation, Representation]]:
    """Named (rho_in, rho_out) pairs; rational ones are exact integer or permutation matrices."""
    C2, C4, D4 = ef.groups.cyclic(2), ef.groups.cyclic(4), ef.groups.dihedral(4)
    C12, C5, D5 = ef.groups.cyclic(12), ef.groups.cyclic(5), ef.groups.dihedral(5)
    swap, neg = _gen(C2, [[0, 1], [1, 0]]), _gen(C2, [[-1]])
    c4 = _gen(C4, [[0, -1], [1, 0]])
    d4 = _gen(D4, [[0, -1], [1, 0]], [[1, 0], [0, -1]])
    out = {
        "C2 swap / trivial": (swap, ef.reps.trivial(C2)),
        "C2 swap / swap": (swap, swap),
        "C2 -1 / trivial": (neg, ef.reps.trivial(C2)),
        "C2 -1 / sign": (neg, ef.reps.sign(C2)),
        "C4 rotation (integer) / trivial": (c4, ef.reps.trivial(C4)),
        "C4 rotation (integer) / rotation": (c4, c4),
        "D4 (integer) / trivial": (d4, ef.reps.trivial(D4)),
        "D4 (integer) / D4": (d4, d4),
        "C12 rotation 30 deg / trivial": (ef.reps.rotation(C12), ef.reps.trivial(C12)),
        "C12 rotation 30 deg / rotation": (ef.reps.rotation(C12), ef.reps.rotation(C12)),
        "C5 rotation 72 deg / trivial": (ef.reps.rotation(C5), ef.reps.trivial(C5)),
        "D5 rotation 72 deg / D5": (ef.reps.rotation(D5), ef.reps.rotation(D5)),
    }
    return out


def conditioned_reps() -> dict[str, tuple[Representation, Representation]]:
    D4, C12 = ef.groups.dihedral(4), ef.groups.cyclic(12)
    d4 = _gen(D4, [[0, -1], [1, 0]], [[1, 0], [0, -1]])
    Q3, Q4 = np.array([[1, 1e3], [0, 1]]), np.array([[1, 1e4], [0, 1]])
    Q10 = np.array([[1.0, 10.0], [0.0, 1.0]])
    return {
        "D4 (integer) in basis [[1,1e3],[0,1]] / trivial": (ef.reps.change_basis(d4, Q3), ef.reps.trivial(D4)),
        "D4 (integer) in basis [[1,1e3],[0,1]] / same": (ef.reps.change_basis(d4, Q3), ef.reps.change_basis(d4, Q3)),
        "D4 (integer) in basis [[1,1e4],[0,1]] / trivial": (ef.reps.change_basis(d4, Q4), ef.reps.trivial(D4)),
        "D4 rotation (float cos) in basis [[1,1e3],[0,1]] / trivial":
            (ef.reps.change_basis(ef.reps.rotation(D4), Q3), ef.reps.trivial(D4)),
        "C12 rotation in basis [[1,10],[0,1]] / trivial":
            (ef.reps.change_basis(ef.reps.rotation(C12), Q10), ef.reps.trivial(C12)),
    }


def large_reps() -> dict[str, tuple[Representation, Representation]]:
    S5, S6, A5 = ef.groups.symmetric(5), ef.groups.symmetric(6), ef.groups.alternating(5)
    return {
        "S5 standard / trivial": (ef.reps.standard(S5), ef.reps.trivial(S5)),
        "S5 standard / standard": (ef.reps.standard(S5), ef.reps.standard(S5)),
        "A5 standard / trivial": (ef.reps.standard(A5), ef.reps.trivial(A5)),
        "S6 standard / trivial": (ef.reps.standard(S6), ef.reps.trivial(S6)),
    }


# -- building blocks -----------------------------------------------------------------------------


def _base(rng: np.random.Generator, k: int, d: int, p: int, integer: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if integer:
        W = rng.integers(-4, 5, size=(k, d)).astype(float)
        W[np.all(W == 0, axis=1), 0] = 1.0
        b = rng.integers(-3, 4, size=k).astype(float)
        b[b == 0] = 1.0
    else:
        W, b = rng.normal(size=(k, d)), rng.normal(size=k)
    return W, b, rng.normal(size=(p, k))


def kink_count(net: ef.ReLUNet) -> int:
    """Distinct kink hyperplanes of a network: exactly for integer (w, b); otherwise unit (n, beta) with the
    sign of the first clear entry, rounded to 8 digits (orbits built in float through irrational matrices meet
    their own copies only to round-off), counted when the summed channel sum ||w_i|| v_i is not negligible."""
    W1, b1, W2, _ = net.to_float().float_params()
    if np.all(W1 == np.round(W1)) and np.all(b1 == np.round(b1)):  # integer hyperplanes: exactly
        keys: dict[tuple[Fraction, ...], np.ndarray] = {}
        for i in range(net.width):
            w = [Fraction(int(x)) for x in W1[i]]
            lead = next((x for x in w if x != 0), None)
            if lead is not None:
                key = tuple(x / lead for x in w) + (Fraction(int(b1[i])) / lead,)
                keys[key] = keys.get(key, 0) + float(np.linalg.norm(W1[i])) * W2[:, i]
        return sum(1 for c in keys.values() if float(np.abs(c).max()) > 0)
    seen: dict[tuple[float, ...], np.ndarray] = {}
    for i in range(net.width):
        nw = float(np.linalg.norm(W1[i]))
        if nw == 0:
            continue
        u, beta = W1[i] / nw, b1[i] / nw
        lead = u[np.flatnonzero(np.abs(u) > 1e-6)[0]]
        sgn = 1.0 if lead > 0 else -1.0
        key = tuple(np.round(np.r_[u * sgn, beta * sgn], 8) + 0.0)
        seen[key] = seen.get(key, 0) + nw * W2[:, i]
    big = max((float(np.abs(c).max()) for c in seen.values()), default=0.0)
    return sum(1 for c in seen.values() if float(np.abs(c).max()) > 1e-9 * big)


def regular_hidden(G: ef.groups.FiniteGroup, k: int) -> Representation:
    r = ef.reps.regular(G)
    return r if k == 1 else ef.reps.direct_sum(*[r] * k)


def _len_case(label: str, rho_in: Representation, rho_out: Representation, W: np.ndarray, b: np.ndarray | None,
              V: np.ndarray, b2: np.ndarray | None = None, *, generic: bool = True) -> Case:
    """An orbit-built LEN network, equivalent to the group average of the same neurons (times |G|)."""
    G = rho_in.group
    f = orbit_net(rho_in, rho_out, W, b, V, b2)
    a = averaged_net(rho_in, rho_out, W, b, V * G.order, b2)
    widths = [(f.width, True)]
    if generic:
        widths.append((kink_count(f) - 1, False))
    hidden = regular_hidden(G, W.shape[0]) if G.order * W.shape[0] <= 64 else None
    return Case(label, f, rho_in, rho_out, True, True, [(a, True)], widths, hidden)


def _not_equivariant(label: str, f: ef.ReLUNet, rho_in: Representation, rho_out: Representation,
                     reference: ef.ReLUNet | None = None) -> Case:
    eq = [(reference, False)] if reference is not None else []
    return Case(label, f, rho_in, rho_out, False, False, eq, [(f.width, False), (rho_in.group.order * f.width, False)])


def _perturb_one(net: ef.ReLUNet, i: int, rel: float) -> ef.ReLUNet:
    W2 = np.array(net.W2, float)
    W2[:, i] *= 1 + rel
    return ef.ReLUNet(net.W1, net.b1 if net.hidden_bias else None, W2, net.b2 if net.output_bias else None)


def _drop(net: ef.ReLUNet, i: int) -> ef.ReLUNet:
    keep = np.arange(net.width) != i
    return ef.ReLUNet(net.W1[keep], net.b1[keep] if net.hidden_bias else None, net.W2[:, keep],
                      net.b2 if net.output_bias else None)


# -- the families --------------------------------------------------------------------------------


def fam_decoys(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Decoy neurons: a dead-weight constant neuron with a huge bias, tiny-output neurons."""
    C2 = ef.groups.cyclic(2)
    neg, triv = _gen(C2, [[-1]]), ef.reps.trivial(C2)
    zero = ef.ReLUNet(np.zeros((0, 1)), None, np.zeros((1, 0)), None)
    relu = ef.ReLUNet([[1.0]], None, [[1.0]], None)
    f = ef.ReLUNet([[1.0], [0.0]], [0.0, 1e10], [[1.0, 0.0]], None)  # relu(x) + 0 * relu(1e10)
    yield Case("relu(x) + 0*relu(0x + 1e10), C2 -1", f, neg, triv, False, False, [(zero, False), (relu, True)],
               [(0, False), (1, False), (2, False)])
    items = list(reps().items())
    for t in range(n):
        label, (ri, ro) = items[int(rng.integers(len(items)))]
        W, b, V = _base(rng, 2, ri.dim, ro.dim, integer=bool(t % 2))
        core = orbit_net(ri, ro, W, b, V)
        big = 10.0 ** rng.integers(6, 13)
        # a constant neuron (w = 0) with a huge bias and zero output: invisible
        dead = ef.ReLUNet(np.zeros((1, ri.dim)), [big], np.zeros((ro.dim, 1)), None)
        c = _len_case(f"{label}: LEN + zero-output neuron, bias {big:.0e}", ri, ro, W, b, V)
        c.net = stack(core, dead)
        c.widths = [(core.width, True), (kink_count(core) - 1, False)]
        c.hidden = None
        yield c
        # a lone neuron with tiny output on a generic hyperplane: not equivariant however small
        tiny = 10.0 ** rng.integers(-12, -5)
        w1 = rng.normal(size=(1, ri.dim))
        lone = ef.ReLUNet(w1, [float(rng.normal())], tiny * rng.normal(size=(ro.dim, 1)), None)
        yield _not_equivariant(f"{label}: LEN + lone neuron of output {tiny:.0e}", stack(core, lone), ri, ro, core)
        # a lone neuron with a huge bias (kink far away) next to the LEN network
        far = ef.ReLUNet(w1, [big], rng.normal(size=(ro.dim, 1)), None)
        yield _not_equivariant(f"{label}: LEN + lone neuron with bias {big:.0e}", stack(core, far), ri, ro, core)


def fam_rescaled(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Neurons rescaled by (s w, s b, v / s), s in 1e-12..1e12 (10^k and 2^k)."""
    items = list(reps().items())
    for t in range(n):
        label, (ri, ro) = items[int(rng.integers(len(items)))]
        W, b, V = _base(rng, 2, ri.dim, ro.dim, integer=bool(t % 2))
        base = _len_case(label, ri, ro, W, b, V)
        f = base.net
        s = 10.0 ** rng.uniform(-12, 12, size=f.width) if t % 3 else np.ldexp(1.0, rng.integers(-40, 41, size=f.width))
        g = rescale_neurons(f, s)
        yield Case(f"{label}: neurons rescaled by 1e-12..1e12", g, ri, ro, True, True,
                   [(f, True)] + base.equiv_to, base.widths, base.hidden)
        i = int(rng.integers(f.width))
        bad = rescale_neurons(_perturb_one(f, i, 1e-3), s)
        yield _not_equivariant(f"{label}: rescaled, one output weight off by 1e-3", bad, ri, ro, g)


def fam_global_scale(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Global scales: (W1, b1) * 10^a, (W2, b2) * 10^c, a, c and a + c in [-300, 300]."""
    items = list(reps().items())
    C2 = ef.groups.cyclic(2)
    neg, triv = _gen(C2, [[-1]]), ef.reps.trivial(C2)
    s = 1e-160
    yield Case("s (relu(x) + 2 relu(-x)) s, s = 1e-160, C2 -1", ef.ReLUNet([[s], [-s]], None, [[s, 2 * s]], None),
               neg, triv, False, False, [(ef.ReLUNet([[1.0], [-1.0]], None, [[1e-320, 1e-320]], None), False)],
               [(2, False)])
    for t in range(n):
        label, (ri, ro) = items[int(rng.integers(len(items)))]
        a = int(rng.integers(-300, 301))
        c = int(rng.integers(max(-300, -300 - a), min(300, 300 - a) + 1))
        W, b, V = _base(rng, 2, ri.dim, ro.dim, integer=bool(t % 2))
        base = _len_case(label, ri, ro, W, b, V)
        f = base.net
        g = ef.ReLUNet(f.W1 * 10.0 ** a, f.b1 * 10.0 ** a, f.W2 * 10.0 ** c, None)
        ref = ef.ReLUNet(f.W1, f.b1, f.W2 * 10.0 ** (a + c), None)
        yield Case(f"{label}: weights x 1e{a} / 1e{c}", g, ri, ro, True, True, [(ref, True)], base.widths, base.hidden)
        bad = _drop(g, int(rng.integers(g.width)))
        yield _not_equivariant(f"{label}: x 1e{a} / 1e{c}, one neuron dropped", bad, ri, ro, g)


def fam_split(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Duplicated and split neurons: the same function, layer-wise only when whole orbits are split."""
    items = list(reps().items())
    for _ in range(n):
        label, (ri, ro) = items[int(rng.integers(len(items)))]
        W, b, V = _base(rng, 2, ri.dim, ro.dim, integer=False)  # generic: no neuron fixed by an element
        base = _len_case(label, ri, ro, W, b, V)
        f = base.net
        dup = stack(ef.ReLUNet(f.W1, f.b1, f.W2 / 2, None), ef.ReLUNet(f.W1 * 2, f.b1 * 2, f.W2 / 4, None))
        yield Case(f"{label}: every neuron split in two (one copy rescaled by 2)", dup, ri, ro, True, True,
                   [(f, True)], [(f.width, True)], None)
        i = int(rng.integers(f.width))
        a = 0.3
        W2 = np.array(f.W2, float)
        W2[:, i] *= a
        split = stack(ef.ReLUNet(f.W1, f.b1, W2, None),
                      ef.ReLUNet(f.W1[i:i + 1], f.b1[i:i + 1], f.W2[:, i:i + 1] * (1 - a), None))
        yield Case(f"{label}: one neuron split 0.3 / 0.7", split, ri, ro, True, False, [(f, True)],
                   [(f.width, True)], None)


def fam_linear(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """relu(z) - relu(-z) = z: linear parts made of cancelling pairs."""
    C2 = ef.groups.cyclic(2)
    swap, triv = _gen(C2, [[0, 1], [1, 0]]), ef.reps.trivial(C2)
    # x1 + x2 as relu(x1) - relu(-x1) + relu(x2 + 1) - relu(-x2 - 1) - 1: equivariant, not layer-wise
    f = ef.ReLUNet([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 1, -1], [[1, -1, 1, -1]], [-1.0])
    g = ef.ReLUNet([[1, 1], [-1, -1]], [0, 0], [[1, -1]], [0.0])
    yield Case("x1 + x2 from two cancelling pairs, C2 swap", f, swap, triv, True, False, [(g, True)],
               [(2, True), (1, False)])
    # THEORY section 4: relu(x1) + relu(x2) + x1 + x2: width 3 impossible, width 4 realizes it
    h = ef.ReLUNet([[1, 0], [0, 1], [1, 1], [-1, -1]], None, [[1, 1, 1, -1]], None)
    yield Case("relu(x1) + relu(x2) + x1 + x2, C2 swap", h, swap, triv, True, True, [],
               [(1, False), (3, False), (4, True)])
    items = list(reps().items())
    for t in range(n):
        label, (ri, ro) = items[int(rng.integers(len(items)))]
        W, b, V = _base(rng, 1, ri.dim, ro.dim, integer=bool(t % 2))
        core = _len_case(label, ri, ro, W, b, V).net
        Wp, bp, Vp = _base(rng, 1, ri.dim, ro.dim, integer=bool(t % 2))
        pairs = orbit_net(ri, ro, np.concatenate([Wp, -Wp]), np.concatenate([bp, -bp]), np.concatenate([Vp, -Vp], 1))
        # the pairs add the affine map x -> sum_h v_h (w_h . x + b): the truth of "equivalent to the core" is
        # whether that sum vanishes (decided here only when it clearly does or clearly does not)
        P = pairs.to_float()
        half = P.width // 2
        Lin = P.W2[:, :half] @ P.W1[:half]
        cst = P.W2[:, :half] @ P.b1[:half]
        size = float(np.abs(P.W2[:, :half]).max() * (np.abs(P.W1[:half]).max() + np.abs(P.b1[:half]).max()))
        aff = max(float(np.abs(Lin).max()), float(np.abs(cst).max()))
        eqv = [] if 1e-12 * size < aff < 1e-6 * size else [(core, aff <= 1e-12 * size)]
        yield Case(f"{label}: LEN + an orbit of cancelling pairs", stack(core, pairs), ri, ro, True, True, eqv,
                   [(core.width + pairs.width, True)], None)
        Wq, bq, Vq = _base(rng, 1, ri.dim, ro.dim, integer=False)  # generic: its linear part is not equivariant
        one = ef.ReLUNet(np.concatenate([Wq, -Wq]), np.concatenate([bq, -bq]), np.concatenate([Vq, -Vq], 1), None)
        yield _not_equivariant(f"{label}: LEN + one cancelling pair (non-equivariant linear part)",
                               stack(core, one), ri, ro, core)


def fam_coincident(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Nearly coincident hyperplanes (relative distance 1e-6..1e-3: different) and exactly coincident ones."""
    items = list(reps().items())
    for _ in range(n):
        label, (ri, ro) = items[int(rng.integers(len(items)))]
        W, b, V = _base(rng, 1, ri.dim, ro.dim, integer=False)
        delta = 10.0 ** rng.integers(-6, -2)
        W2 = W * (1 + delta * rng.choice([-1, 1], size=W.shape))
        V2 = rng.normal(size=V.shape)
        both = orbit_net(ri, ro, np.concatenate([W, W2]), np.concatenate([b, b]), np.concatenate([V, V2], 1))
        merged = orbit_net(ri, ro, W, b, V + V2)
        same = orbit_net(ri, ro, np.concatenate([W, W]), np.concatenate([b, b]), np.concatenate([V, V2], 1))
        G = ri.group
        yield Case(f"{label}: two orbits {delta:.0e} apart", both, ri, ro, True, True, [(merged, False)],
                   [(both.width, True), (kink_count(both) - 1, False)], regular_hidden(G, 2) if G.order <= 32 else None)
        yield Case(f"{label}: two orbits exactly coincident", same, ri, ro, True, True, [(merged, True)],
                   [(merged.width, True)], None)
        lone = ef.ReLUNet(W2, b, V2, None)
        one = orbit_net(ri, ro, W, b, V)
        yield _not_equivariant(f"{label}: an orbit + one neuron {delta:.0e} off it", stack(one, lone), ri, ro,
                               stack(one, ef.ReLUNet(W, b, V2, None)))


def fam_conditioned(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Bases of condition up to the accepted limit (rational integer bases and irrational representations)."""
    items = list(conditioned_reps().items())
    for t in range(n):
        label, (ri, ro) = items[t % len(items)]
        # integer neurons under the integer bases: the orbits are exact (float rounding through matrices of
        # condition 1e12 would move a neuron by up to 1e-4 of itself, far from any tolerance of 1e-8)
        W, b, V = _base(rng, 1, ri.dim, ro.dim, integer="integer" in label)
        if "integer" in label:
            V = np.round(V * 4) / 4 + 0.25
        c = _len_case(label, ri, ro, W, b, V)
        yield c
        i = int(rng.integers(c.net.width))
        yield _not_equivariant(f"{label}: one output weight off by 1e-3", _perturb_one(c.net, i, 1e-3), ri, ro, c.net)


def fam_large(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Large groups S5, S6, A5 by permutations; realizability between the bounds on S6 within its budget."""
    items = list(large_reps().items())
    for t in range(n):
        label, (ri, ro) = items[t % len(items)]
        W, b, V = _base(rng, 1, ri.dim, ro.dim, integer=False)
        c = _len_case(label, ri, ro, W, b, V)
        c.hidden = ri  # the coordinate permutation representation: a permutation hidden layer of width n
        yield c
        dropped = _drop(c.net, int(rng.integers(c.net.width)))
        yield _not_equivariant(f"{label}: one neuron of the orbit dropped", dropped, ri, ro, c.net)
    S6 = ef.groups.symmetric(6)
    ri, ro = ef.reps.standard(S6), ef.reps.trivial(S6)
    pairs = [(i, j) for i in range(6) for j in range(6) if i != j]
    W = np.array([np.eye(6)[i] - np.eye(6)[j] for i, j in pairs] + [np.ones(6), -np.ones(6)])
    f = ef.ReLUNet(W, None, [[1.0] * 30 + [1.0, -1.0]], None)  # sum_{i<j} |x_i - x_j| + sum x
    yield Case("S6: sum |x_i - x_j| + sum x", f, ri, ro, True, True, [], [(29, False), (30, False), (31, False),
                                                                         (32, True)], None)


def fam_irrational(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Irrational representations: rotations by 30 and 72 degrees (C12, C5, D5), and Example B."""
    items = [(k, v) for k, v in reps().items() if "deg" in k]
    for t in range(n):
        label, (ri, ro) = items[t % len(items)]
        W, b, V = _base(rng, 2, ri.dim, ro.dim, integer=False)
        c = _len_case(label, ri, ro, W, b, V)
        yield c
        i = int(rng.integers(c.net.width))
        yield _not_equivariant(f"{label}: one output weight off by 1e-4", _perturb_one(c.net, i, 1e-4), ri, ro, c.net)
    ex = ef.builders.examples.example_b()
    yield Case("Example B (C4, kinks at 30 degrees)", ex.net, ex.rho_in, ex.rho_out, True, False, [],
               [(6, False), (11, False), (12, True)], None)


def fam_fraction(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Fraction/float mixtures: exact semantics on the exact numbers."""
    C2 = ef.groups.cyclic(2)
    swap, triv = _gen(C2, [[0, 1], [1, 0]]), ef.reps.trivial(C2)
    fr = fraction_net([[1, 0], [0, 1]], ["1/10", "1/10"], [[1, 1]])
    fl = ef.ReLUNet([[1.0, 0.0], [0.0, 1.0]], [0.1, 0.1], [[1.0, 1.0]], None)
    dy = ef.ReLUNet([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], [[1.0, 1.0]], None)
    frd = fraction_net([[1, 0], [0, 1]], ["1/2", "1/2"], [[1, 1]])
    yield Case("Fraction 1/10 biases vs float 0.1", fr, swap, triv, True, True, [(fl, False), (frd, False)],
               [(2, True), (1, False)], ef.reps.regular(C2))
    yield Case("Fraction 1/2 biases vs float 0.5", frd, swap, triv, True, True, [(dy, True)], [(2, True), (1, False)])
    mixed = ef.ReLUNet(np.array([[Fraction(1), 0.0], [0.0, Fraction(1)]], dtype=object),
                       np.array([Fraction(1, 3), Fraction(1, 3)], dtype=object), np.array([[1.0, 1.0]]), None)
    yield Case("object array mixing Fraction and float", mixed, swap, triv, True, True,
               [(fraction_net([[1, 0], [0, 1]], ["1/3", "1/3"], [[1, 1]]), True)], [(2, True)])
    off = fraction_net([[1, 0], [0, 1]], ["1/3", "1/3"], [[1, Fraction(1) + Fraction(1, 10**30)]])
    yield _not_equivariant("Fraction, one output weight off by 1e-30", off, swap, triv, mixed)
    items = [(k, v) for k, v in reps().items() if "deg" not in k]
    for _ in range(n):
        label, (ri, ro) = items[int(rng.integers(len(items)))]
        W, b, V = _base(rng, 2, ri.dim, ro.dim, integer=True)
        V = np.round(V * 4) / 4 + 0.25
        f = orbit_net(ri, ro, W, b, V).to_exact()
        a = averaged_net(ri, ro, W, b, V * ri.group.order)  # float, dyadic: the same exact numbers
        yield Case(f"{label}: Fraction orbit network", f, ri, ro, True, True, [(a, True)],
                   [(f.width, True), (kink_count(f) - 1, False)],
                   regular_hidden(ri.group, 2) if ri.group.order <= 8 else None)
        W2 = np.array(f.W2, dtype=object)
        W2[0, 0] += Fraction(1, 10**20)
        bad = ef.ReLUNet(f.W1, f.b1, W2, None, exact=True)
        yield _not_equivariant(f"{label}: Fraction, one output weight off by 1e-20", bad, ri, ro, f)


def fam_examples(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Worked examples with known minimal widths (Example A: 6, Example B: 12; THEORY section 4)."""
    ex = ef.builders.examples.example_a()
    yield Case("Example A (C2 -I, invariant)", ex.net, ex.rho_in, ex.rho_out, True, False, [],
               [(3, False), (5, False), (6, True)], None)
    C4 = ef.groups.cyclic(4)
    c4 = _gen(C4, [[0, -1], [1, 0]])
    ident = ef.ReLUNet([[1, 0], [0, 1], [-1, 0], [0, -1]], None, [[1, 0, -1, 0], [0, 1, 0, -1]], None)
    yield Case("C4 rotation, f(x) = x", ident, c4, c4, True, True, [], [(1, False), (3, False), (4, True)],
               ef.reps.regular(C4))
    C2 = ef.groups.cyclic(2)
    neg = _gen(C2, [[-1]])
    yield Case("|x| on R, C2 -1 / trivial", ef.ReLUNet([[1.0], [-1.0]], None, [[1.0, 1.0]], None), neg,
               ef.reps.trivial(C2), True, True, [(ef.ReLUNet([[2.0], [-2.0]], None, [[0.5, 0.5]], None), True)],
               [(1, False), (2, True)], ef.reps.regular(C2))


def fam_issue(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """The ReLU cases of issue 12, verbatim."""
    C2 = ef.groups.cyclic(2)
    swap, triv = _gen(C2, [[0, 1], [1, 0]]), ef.reps.trivial(C2)
    ref = ef.ReLUNet([[1.0, 0.0], [0.0, 1.0]], None, [[1.0, 1.0]], None)
    f = ef.ReLUNet([[5e-9, 0.0], [0.0, 1.0]], None, [[2e8, 1.0]], None)
    # 5e-9 * 2e8 is 1 only to round-off: equivariant in the tolerance semantics
    yield Case("[[5e-9,0],[0,1]], v = [2e8, 1], C2 swap", f, swap, triv, True, True, [(ref, True)],
               [(2, True), (1, False)], ef.reps.regular(C2))
    for s in (1e8, 1e12):
        g = ef.ReLUNet([[s, 0.0], [0.0, 1.0]], None, [[1 / s, 1.0]], None)
        yield Case(f"relu(x1) + relu(x2), first neuron rescaled by {s:g}", g, swap, triv, True, True, [(ref, True)],
                   [(2, True), (1, False)])
    h = ef.ReLUNet([[1e-9, 1e-9], [1.0, 0.0]], None, [[1e9, 1.0]], None)
    yield Case("[[1e-9,1e-9],[1,0]], v = [1e9, 1], C2 swap", h, swap, triv, False, False, [(ref, False)],
               [(2, False)])
    D4 = ef.groups.dihedral(4)
    d4q = ef.reps.change_basis(ef.reps.rotation(D4), np.array([[1, 1e3], [0, 1]]))
    W, b, V = _base(rng, 1, 2, 1, integer=False)
    a = averaged_net(d4q, ef.reps.trivial(D4), W, b, V)
    yield Case("D4 rotation in basis [[1,1e3],[0,1]], a group average", a, d4q, ef.reps.trivial(D4), True, True, [],
               [(a.width, True)], None)


FAMILIES: dict[str, Callable[[np.random.Generator, int], Iterator[Case]]] = {
    "decoy neurons": fam_decoys,
    "rescaled neurons 1e-12..1e12": fam_rescaled,
    "global scales 1e-300..1e300": fam_global_scale,
    "duplicated / split neurons": fam_split,
    "relu(z) - relu(-z) linear parts": fam_linear,
    "nearly / exactly coincident hyperplanes": fam_coincident,
    "conditioned bases (to the accepted limit)": fam_conditioned,
    "large groups S5, S6, A5": fam_large,
    "irrational representations (30, 72 deg)": fam_irrational,
    "Fraction / float mixtures": fam_fraction,
    "worked examples (minimal widths)": fam_examples,
    "issue 12 cases": fam_issue,
}

from _families_extreme import EXTREME_FAMILIES  # noqa: E402  (it builds on the blocks above)

FAMILIES.update(EXTREME_FAMILIES)

