"""The adversarial families of issue 20 (see ``adversarial_table.py``): the textbook float symmetrization with
non-trivial outputs, lone neurons 1e-100..1e-300 times the rest, values beyond float64's range, subnormal weights.

Built like the families of ``_families.py`` (whose blocks they use): truths by construction, never from the oracles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from _families import Case, _base, _drop, _gen, _not_equivariant, kink_count, regular_hidden, reps
from _truth import averaged_net, orbit_net, stack

import equifuzz as ef
from equifuzz.reps import Representation


def symmetrization_reps() -> dict[str, tuple[Representation, Representation]]:
    """(rho_in, rho_out) with non-trivial outputs: ``ef.reps.rotation`` by 2 pi / n (irrational for C3, C5..C8, D3;
    exact integers for C4 and D4), C4 by a rotation written with np.cos / np.sin (cos(pi / 2) = 6e-17) and
    hand-written integer matrices (rational)."""
    C4, D4, D3 = ef.groups.cyclic(4), ef.groups.dihedral(4), ef.groups.dihedral(3)
    c4 = _gen(C4, [[0, -1], [1, 0]])
    d4 = _gen(D4, [[0, -1], [1, 0]], [[1, 0], [0, -1]])
    out: dict[str, tuple[Representation, Representation]] = {}
    for n in (3, 4, 5, 6, 7, 8):
        G = ef.groups.cyclic(n)
        r = ef.reps.rotation(G)
        out[f"C{n} rotation / same"] = (r, r)
        out[f"C{n} rotation / rotation + trivial"] = (r, ef.reps.direct_sum(r, ef.reps.trivial(G)))
    for G in (D3, D4):
        r = ef.reps.rotation(G)
        out[f"{G.name} rotation / same"] = (r, r)
        out[f"{G.name} rotation / sign + rotation"] = (r, ef.reps.direct_sum(ef.reps.sign(G), r))
    t = np.pi / 2
    cs = _gen(C4, [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])  # cos(pi / 2) = 6.1e-17, as a user writes it
    out["C4 rotation by np.cos / np.sin (6e-17 entries) / same"] = (cs, cs)
    out["C4 integer rotation / same"] = (c4, c4)
    out["D4 integer / same"] = (d4, d4)
    out["D4 integer / sign + same"] = (d4, ef.reps.direct_sum(ef.reps.sign(D4), d4))
    return out


def bias_within_roundoff_rule(c: np.ndarray, b: np.ndarray, V: np.ndarray) -> np.ndarray:
    """c, shrunk where needed to at most 4 sum_i ||v_i|| |b_i|: the float average of c leaves about |G| eps ||c||,
    which the round-off rule (identity.py) measures against the neurons feeding the constant; past that the
    residue would be the network's whole constant (f(0) = b2 != g b2), not round-off."""
    feed = float(np.sum(np.linalg.norm(V, axis=0) * np.abs(b)))
    n = float(np.linalg.norm(c))
    return c if n <= 4 * feed else c * (4 * feed / n)


def fam_float_symmetrized(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """The textbook float symmetrization of a random network with both biases (issue 20, case 1): neuron (h, i) =
    (rho_in(h)^T w_i, b_i, rho_out(h)^-1 v_i / |G|), b2 = mean_h rho_out(h)^-1 c; equivariant and layer-wise
    (the averaged b2 is zero in exact arithmetic where rho_out fixes nothing, 1e-17 in float). Planted: b2 left
    unaveraged."""
    items = list(symmetrization_reps().items())
    for t in range(2 * n):
        label, (ri, ro) = items[int(rng.integers(len(items)))]
        G = ri.group
        W, b, V = _base(rng, 3, ri.dim, ro.dim, integer=False)
        c = bias_within_roundoff_rule(rng.normal(size=ro.dim), b, V)
        f = averaged_net(ri, ro, W, b, V, c)
        ref = orbit_net(ri, ro, W, b, V / G.order, c)
        widths = [(f.width, True), (f.width + 1, True)]
        yield Case(f"{label}: symmetrized random net (3 neurons, both biases)", f, ri, ro, True, True,
                   [(ref, True)], widths, regular_hidden(G, 3) if G.order * 3 <= 32 else None)
        if t % 2 == 0:
            raw = ef.ReLUNet(f.W1, f.b1, f.W2, c)  # the output bias not averaged: moved by rho_out
            yield _not_equivariant(f"{label}: symmetrized, output bias left unaveraged", raw, ri, ro, f)


def _lone(rng: np.random.Generator, d: int, p: int, log_size: float) -> ef.ReLUNet:
    """One neuron on a generic hyperplane of size ||w|| ||v|| = 10^log_size, split evenly between w and v."""
    u, z = rng.normal(size=d), rng.normal(size=p)
    u, z = u / np.linalg.norm(u), z / np.linalg.norm(z)
    e = log_size / 2
    return ef.ReLUNet((u * 10.0 ** e)[None], [float(rng.uniform(0.5, 2)) * 10.0 ** e], (z * 10.0 ** e)[:, None], None)


def fam_lone_tiny(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """An orbit network plus one lone neuron 1e-100..1e-300 times its neurons (not equivariant however small; issue
    20, case 2), and the same neuron's whole orbit at that size (equivariant, layer-wise)."""
    C7 = ef.groups.cyclic(7)
    rot = ef.reps.rotation(C7)
    R = [np.linalg.matrix_power(rot(1), h) for h in range(7)]
    W1 = np.array([M @ [0.7, -0.4] for M in R] + [[0.3, -0.8]])
    W2 = np.column_stack([M @ [1.0, 0.5] for M in R] + [[1e-170, 1e-170]])
    core = ef.ReLUNet(W1[:7], [0.9] * 7, W2[:, :7], None)
    lone = ef.ReLUNet(W1, [0.9] * 7 + [0.5], W2, None)
    yield _not_equivariant("issue 20 case 2: C7 rotation, lone neuron with v = 1e-170", lone, rot, rot, core)
    items = list(symmetrization_reps().items()) + list(reps().items())
    for t in range(2 * n):
        label, (ri, ro) = items[int(rng.integers(len(items)))]
        if all(np.array_equal(ri(g), np.eye(ri.dim)) for g in ri.group.generators):
            continue
        W, b, V = _base(rng, 2, ri.dim, ro.dim, integer=bool(t % 2))
        base = orbit_net(ri, ro, W, b, V)
        ratio = float(rng.uniform(-300, -100))
        lone = _lone(rng, ri.dim, ro.dim, ratio)
        yield _not_equivariant(f"{label}: orbit net + lone neuron 1e{ratio:.0f} of it", stack(base, lone), ri, ro, base)
        whole = orbit_net(ri, ro, lone.W1, lone.b1, lone.W2)
        yield Case(f"{label}: orbit net + a whole orbit 1e{ratio:.0f} of it", stack(base, whole), ri, ro, True, True,
                   [(base, False)], [(base.width + whole.width, True)], None)


def fam_beyond_range(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Weights whose products leave float64's range (w, v ~ 1e160..1e250: f ~ 1e500) or fall below it (1e-160..1e-250),
    and issue 20's case 3 (s = 1e160)."""
    C2 = ef.groups.cyclic(2)
    neg, triv = _gen(C2, [[-1]]), ef.reps.trivial(C2)
    s = 1e160
    yield Case("issue 20 case 3: s relu(s x) + 2 s relu(-s x), s = 1e160, C2 -1", ef.ReLUNet([[s], [-s]], None,
               [[s, 2 * s]], None), neg, triv, False, False, [], [(2, False)])
    other = ef.ReLUNet([[1.0], [-1.0]], None, [[1e100, 1e100]], None)
    yield Case("s relu(s x) + s relu(-s x), s = 1e160, C2 -1", ef.ReLUNet([[s], [-s]], None, [[s, s]], None), neg,
               triv, True, True, [(other, False)], [(2, True), (1, False)])
    items = list(symmetrization_reps().items()) + list(reps().items())
    for t in range(n):
        label, (ri, ro) = items[int(rng.integers(len(items)))]
        e = float(rng.uniform(160, 250)) * (1 if t % 2 == 0 else -1)
        W, b, V = _base(rng, 2, ri.dim, ro.dim, integer=bool(t % 3 == 0))
        f = orbit_net(ri, ro, W, b, V)
        g = ef.ReLUNet(f.W1 * 10.0 ** e, f.b1 * 10.0 ** e, f.W2 * 10.0 ** e, None)
        widths = [(g.width, True)]
        yield Case(f"{label}: orbit net, both layers x 1e{e:.0f}", g, ri, ro, True, True, [], widths,
                   regular_hidden(ri.group, 2) if ri.group.order * 2 <= 32 else None)
        if kink_count(f) == f.width:  # every neuron on its own hyperplane: dropping one breaks equivariance
            bad = _drop(g, int(rng.integers(g.width)))
            yield _not_equivariant(f"{label}: both layers x 1e{e:.0f}, one neuron dropped", bad, ri, ro, g)


def fam_subnormal(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Subnormal weights: orbit networks under signed-permutation matrices (rounding to a subnormal commutes with
    them, so the orbits stay exact) scaled by 2^-1040..2^-1060 on one layer or both; planted: a neuron dropped,
    a lone subnormal neuron."""
    items = [(k, v) for k, v in reps().items() if "deg" not in k]
    for t in range(n):
        label, (ri, ro) = items[int(rng.integers(len(items)))]
        W, b, V = _base(rng, 2, ri.dim, ro.dim, integer=bool(t % 2))
        f = orbit_net(ri, ro, W, b, V)
        k = int(rng.integers(1040, 1061))
        where = ("output weights", "first layer", "both layers")[t % 3]
        s1 = np.ldexp(1.0, -k) if where != "output weights" else 1.0
        s2 = np.ldexp(1.0, -k) if where != "first layer" else 1.0
        if where == "both layers":
            s1 = s2 = np.ldexp(1.0, -k // 2 - 520)  # each subnormal-adjacent, the product far below
        g = ef.ReLUNet(f.W1 * s1, f.b1 * s1, f.W2 * s2, None)
        yield Case(f"{label}: orbit net, {where} x 2^-{k}", g, ri, ro, True, True, [], [(g.width, True)], None)
        if kink_count(f) == f.width:  # every neuron on its own hyperplane: dropping one breaks equivariance
            bad = _drop(g, int(rng.integers(g.width)))
            yield _not_equivariant(f"{label}: {where} x 2^-{k}, one neuron dropped", bad, ri, ro, g)
        w1 = rng.normal(size=(1, ri.dim)) * s1
        lone = ef.ReLUNet(w1, [float(rng.normal()) * s1], rng.normal(size=(ro.dim, 1)) * s2, None)
        if not all(np.array_equal(ri(g_), np.eye(ri.dim)) for g_ in ri.group.generators):
            yield _not_equivariant(f"{label}: {where} x 2^-{k}, plus a lone subnormal neuron", stack(g, lone), ri, ro,
                                   g)


EXTREME_FAMILIES: dict[str, Callable[[np.random.Generator, int], Iterator[Case]]] = {
    "float-symmetrized, non-trivial outputs": fam_float_symmetrized,
    "lone tiny neurons 1e-100..1e-300": fam_lone_tiny,
    "values beyond float64's range": fam_beyond_range,
    "subnormal weights": fam_subnormal,
}
