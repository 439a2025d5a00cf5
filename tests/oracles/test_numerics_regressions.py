"""Regressions of issue 20 (items 1-3): float-symmetrized networks, extreme scales, exact rotations.

Every oracle answers the truth or undecided with its reason, never a wrong definite answer; the oracles
agree with each other on one network (the round-off rule of ``equifuzz.oracles.identity``).
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

import equifuzz as ef
from equifuzz.certificate import check_verdict
from equifuzz.nets.canonical import float_form, norm, norms, norms_exp, roundoff_threshold
from equifuzz.oracles.comparison import _qnorms, fmt_pow2


def _symmetrized(n: int, seed: int, *, hidden_bias: bool = True, width: int = 3):
    """The textbook float average over C_n acting by rotation on R^2 in and out."""
    rng = np.random.default_rng(seed)
    rot = ef.reps.rotation(ef.groups.cyclic(n))
    W, b = rng.normal(size=(width, 2)), (rng.normal(size=width) if hidden_bias else np.zeros(width))
    V, c = rng.normal(size=(2, width)), rng.normal(size=2)
    Ws, bs, Vs = [], [], []
    for h in range(n):
        R = rot(h)
        for i in range(width):
            Ws.append(R.T @ W[i])
            bs.append(b[i])
            Vs.append(np.linalg.inv(R) @ V[:, i] / n)
    b2 = np.mean([np.linalg.inv(rot(h)) @ c for h in range(n)], axis=0)
    return ef.ReLUNet(np.array(Ws), np.array(bs), np.column_stack(Vs), b2), rot


def _lone(small: float, big: float = 1.0, n: int = 7):
    """An exact C_n orbit of 7 neurons (output size ``big``) plus one lone neuron of output size ``small``."""
    rot = ef.reps.rotation(ef.groups.cyclic(n))
    Rh = [rot(h) for h in range(n)]
    W1 = np.array([M @ [0.7, -0.4] for M in Rh] + [[0.3, -0.8]])
    b1 = np.array([0.9] * n + [0.5])
    W2 = np.column_stack([big * (M @ [1.0, 0.5]) for M in Rh] + [[small, small]])
    return ef.ReLUNet(W1, b1, W2, None), rot


# -- item 1: float symmetrization -----------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7, 8])
def test_float_symmetrized_network_is_layerwise_and_equivariant(n: int) -> None:
    for seed in range(2):
        net, rot = _symmetrized(n, seed)
        assert abs(net.b2).max() < 1e-15  # the averaged bias is round-off, moved by the rotation
        eq = ef.check_equivariant(net, rot, rot)
        lw = ef.check_layerwise(net, rot, rot)
        assert eq.holds is True, str(eq)
        assert lw.holds is True, str(lw)
        assert lw.width == 3 * n
        assert check_verdict(net, rot, rot, eq) and check_verdict(net, rot, rot, lw)


def test_float_symmetrized_network_oracles_agree() -> None:
    # layer-wise => realizable at its own width (with a layer-wise witness); compensate(f) is layer-wise
    # and equivalent to f
    net, rot = _symmetrized(5, 0)
    rz = ef.realizability(net, rot, rot, width=15)
    assert rz.realizable is True, str(rz)
    assert ef.check_layerwise(rz.witness, rot, rot).holds is True
    comp = ef.compensate(net, rot, rot)
    assert ef.check_layerwise(comp, rot, rot).holds is True
    assert ef.equivalent(comp, net).holds is True


def test_symmetrized_bias_without_hidden_biases_is_a_real_defect() -> None:
    # nothing else feeds the constant: f(0) = b2 != rho(r) b2, exactly and to any relative tolerance;
    # every oracle says so (no contradiction), with an exact witness
    net, rot = _symmetrized(5, 1, hidden_bias=False)
    assert np.any(rot(1) @ net.b2 != net.b2)  # the case under test: the fixed draw's average is moved
    eq = ef.check_equivariant(net, rot, rot)
    assert eq.holds is False and check_verdict(net, rot, rot, eq)
    assert ef.check_layerwise(net, rot, rot).holds is False
    assert ef.realizability(net, rot, rot, width=15).realizable is False


@pytest.mark.parametrize("family, n", [("cyclic", 2), ("cyclic", 4), ("dihedral", 2), ("dihedral", 4)])
def test_rotations_by_multiples_of_90_degrees_are_integer_matrices(family: str, n: int) -> None:
    G = getattr(ef.groups, family)(n)
    M = ef.reps.rotation(G).matrices
    assert np.array_equal(M, np.round(M)) and set(np.unique(M)) <= {-1.0, 0.0, 1.0}
    assert not np.any(np.signbit(M) & (M == 0))  # no -0.0


@pytest.mark.parametrize("n", [3, 6, 12])
def test_rational_rotation_entries_are_exact(n: int) -> None:
    # cos and sin at multiples of 30 degrees are exactly 0, +-1/2, +-1 where rational (Niven)
    M = ef.reps.rotation(ef.groups.cyclic(n)).matrices
    for k in range(n):
        th = 2 * math.pi * k / n
        ref = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
        assert np.allclose(M[k], ref, atol=4e-16)
        for got, want in zip(M[k].ravel(), ref.ravel(), strict=True):
            near = min((-1.0, -0.5, 0.0, 0.5, 1.0), key=lambda r: abs(r - want))
            if abs(near - want) < 1e-12:  # rational in the reals: exact in the matrix
                assert got == near, (k, M[k])


def test_c4_rotation_decides_in_exact_semantics() -> None:
    rot = ef.reps.rotation(ef.groups.cyclic(4))
    W = np.array([[1.0, 2.0], [-2.0, 1.0], [-1.0, -2.0], [2.0, -1.0]])
    V = np.array([[1.0, -0.5, -1.0, 0.5], [0.5, 1.0, -0.5, -1.0]])  # v_h = rho(h) v_0
    net = ef.ReLUNet(W, [0.5] * 4, V, None)
    v = ef.check_equivariant(net, rot, rot)
    assert v.holds is True and v.semantics == "exact", str(v)


# -- item 2: a lone neuron far smaller than the rest -----------------------------------------------------


@pytest.mark.parametrize("big, small", [(1.0, 1e-160), (1.0, 1e-170), (1.0, 1e-310), (1e200, 1e-200),
                                        (1e300, 1e-300), (1e-150, 1e-320)])
def test_lone_tiny_neuron_fails_with_a_checked_witness(big: float, small: float) -> None:
    net, rot = _lone(small, big)
    v = ef.check_equivariant(net, rot, rot)
    assert v.holds is False, str(v)
    assert check_verdict(net, rot, rot, v)
    assert ef.check_layerwise(net, rot, rot).holds is False


def test_norms_do_not_underflow_or_overflow() -> None:
    X = np.array([[1e-170, 1e-170], [3e-320, 4e-320], [1e300, 1e300], [0.0, 0.0], [3.0, 4.0]])
    n = norms(X)
    assert n[0] == pytest.approx(math.sqrt(2) * 1e-170, rel=1e-15)
    assert n[1] == pytest.approx(5e-320, rel=1e-3)  # subnormal: as exact as its spacing allows
    assert n[2] == pytest.approx(math.sqrt(2) * 1e300, rel=1e-15)
    assert n[3] == 0.0 and n[4] == 5.0
    assert norm(np.full(4, 1e200)) == pytest.approx(2e200)
    m, e = norms_exp(np.array([[1e308, 1e308]]))
    assert math.ldexp(float(m[0]), int(e[0]) - 1) == pytest.approx(math.sqrt(2) * 1e308 / 2)


# -- item 3: values beyond float64's range ----------------------------------------------------------------


@pytest.mark.parametrize("s", [1e160, 1e300, 1e-160, 1e-300])
def test_values_beyond_float64_give_a_verdict_not_an_overflow(s: float) -> None:
    C2 = ef.groups.cyclic(2)
    sign, triv = ef.reps.from_generators(C2, [-np.eye(1)]), ef.reps.trivial(C2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bad = ef.ReLUNet([[s], [-s]], None, [[s, 2 * s]], None)  # s^2 (relu(x) + 2 relu(-x)): not invariant
        v = ef.check_equivariant(bad, sign, triv)
        assert v.holds is False and check_verdict(bad, sign, triv, v)
        assert "e+" in v.reason or "e-" in v.reason or s < 1
        good = ef.ReLUNet([[s], [-s]], None, [[s, s]], None)  # s^2 |x|: invariant
        assert ef.check_equivariant(good, sign, triv).holds is True
        assert ef.check_layerwise(good, sign, triv).holds is True
        assert ef.realizability(good, sign, triv, width=2).realizable is True


def test_exact_norms_beyond_float64() -> None:
    (a, b), e = _qnorms([Fraction(3 * 10 ** 400), Fraction(4 * 10 ** 400)], [Fraction(1, 10 ** 500)])
    assert abs(Fraction(a) * Fraction(2) ** e / (5 * 10 ** 400) - 1) < 1e-15  # exact parts, no overflow
    assert 0.0 <= b < 1e-300  # 1e-500 relative to the largest: below float64, not an error
    assert fmt_pow2(a, e) == "5e+400"
    assert fmt_pow2(0.75, -2000).endswith("e-603")


# -- extremes: per-neuron rescaling, global scales, subnormal weights -------------------------------------


def _orbit_net(rot, rng, m: int = 2):
    G = rot.group
    W, b, V = rng.normal(size=(m, 2)), rng.normal(size=m), rng.normal(size=(2, m))
    Ws, bs, Vs = [], [], []
    for h in G.elements:
        for i in range(m):
            Ws.append(rot(h).T @ W[i])
            bs.append(b[i])
            Vs.append(rot(G.inv(h)) @ V[:, i] / G.order)
    return np.array(Ws), np.array(bs), np.column_stack(Vs)


@pytest.mark.parametrize("group", ["C4", "C7", "D4"])
@pytest.mark.parametrize("change", ["2^k", "reals", "global 1e-300", "global 1e300", "subnormal v", "subnormal w"])
def test_extreme_scales_keep_every_oracle_right(group: str, change: str) -> None:
    G = {"C4": ef.groups.cyclic(4), "C7": ef.groups.cyclic(7), "D4": ef.groups.dihedral(4)}[group]
    rot = ef.reps.rotation(G)
    rng = np.random.default_rng(sum(map(ord, group + change)))
    W1, b1, W2 = _orbit_net(rot, rng)
    m = W1.shape[0]
    if change == "2^k":
        s = np.ldexp(1.0, rng.integers(-900, 900, size=m))
    elif change == "reals":
        s = 10.0 ** rng.uniform(-150, 150, size=m)
    else:
        s = np.ones(m)
    W1, b1, W2 = W1 * s[:, None], b1 * s, W2 / s
    if change.startswith("global"):
        g = float(change.split()[1])
        W1, b1, W2 = W1 * g, b1 * g, W2 * g
    elif change == "subnormal v":
        W2 = W2 * 1e-310
    elif change == "subnormal w":
        W1, b1 = W1 * 1e-310, b1 * 1e-310
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        net = ef.ReLUNet(W1, b1, W2, None)
        assert ef.check_equivariant(net, rot, rot).holds is True
        assert ef.check_layerwise(net, rot, rot).holds is True
        rz = ef.realizability(net, rot, rot, width=m)
        assert rz.realizable is True, str(rz)
        comp = ef.compensate(net, rot, rot)
        assert np.all(np.isfinite(comp.W1)) and np.all(np.isfinite(comp.W2))
        assert ef.check_layerwise(comp, rot, rot).holds is True
        assert ef.equivalent(comp, net).holds is True
        # the same network with one lone neuron 1e-200 times smaller is not equivariant (truth flips)
        tiny = np.abs(W2).max() * 1e-200 or np.abs(W2).max() * 1e-3  # 1e-200 smaller, where float64 has it
        lone = ef.ReLUNet(np.vstack([W1, [[0.3, -0.8]]]), np.append(b1, 0.5), np.hstack([W2, np.full((2, 1), tiny)]),
                          None)
        v = ef.check_equivariant(lone, rot, rot)
        assert v.holds is not True, str(v)
        assert ef.check_layerwise(lone, rot, rot).holds is not True


def test_round_off_rule_is_relative_to_the_network_scale() -> None:
    # the same 1e-17 datum: negligible against a network of size 1, a defect against its own size alone
    assert 1e-17 <= roundoff_threshold(1e-17, 1.0, 1e-8, 1.0, 4)
    assert not 1e-17 <= roundoff_threshold(1e-18, 1e-17, 1e-8, 1.0, 4)
    F = float_form(np.array([[1.0, 0.0]]), np.array([1.0]), np.array([[1.0], [0.0]]), np.array([1e-17, 0.0]))
    # the constant's network scale ||v|| |b| + ||b2|| = 1 + 1e-17 (in units of 2**exponents.constant)
    assert math.ldexp(F.constant_mass, F.exponents.constant) == pytest.approx(1.0)


def test_exact_witness_within_the_round_off_rule_does_not_fail_a_rational_representation() -> None:
    # C4 is now an integer representation (exact semantics first); the float average of c ~ 1e6 leaves
    # b2 ~ 1e-11, moved by the rotation. Where every neuron is off (x = 0) the exact error shows, but it is
    # round-off of the network's constant scale (||v|| |b| ~ 1e5 per neuron): equivariant under the rule,
    # in agreement with check_layerwise, realizability and compensate
    rng = np.random.default_rng(5)
    rot = ef.reps.rotation(ef.groups.cyclic(4))
    W, b = rng.normal(size=(1, 2)), rng.normal(size=1)
    V, c = rng.normal(size=(2, 1)) * 7.3e5, rng.normal(size=2) * 7.3e5
    Ws = np.array([rot(h).T @ W[0] for h in range(4)])
    Vs = np.column_stack([np.linalg.inv(rot(h)) @ V[:, 0] / 4 for h in range(4)])
    b2 = np.mean([np.linalg.inv(rot(h)) @ c for h in range(4)], axis=0)
    net = ef.ReLUNet(Ws, np.repeat(b, 4), Vs, b2)
    assert np.any(rot(1) @ b2 != b2) and b[0] < 0  # exactly not fixed; all neurons off at 0
    v = ef.check_equivariant(net, rot, rot)
    assert v.holds is True and v.semantics == "tolerance", str(v)
    assert ef.check_layerwise(net, rot, rot).holds is True
    assert ef.realizability(net, rot, rot, width=4).realizable is True
    assert ef.equivalent(ef.compensate(net, rot, rot), net).holds is True


@pytest.mark.parametrize("w, b", [(1e-300, 1e10), (1e-320, 1.0), (1e-200, 1e200), (1e300, 1e-300), (1e300, 1e-320)])
@pytest.mark.parametrize("v", [1.0, 1e-300, 1e300])
def test_kinks_beyond_float64s_range_never_get_a_wrong_answer(w: float, b: float, v: float) -> None:
    # relu(w x + b) + relu(-w x + b) is invariant under x -> -x (kink at -b / w, up to 1e320 from the origin);
    # weights 1 : 2 are not. compensate keeps the function (exactly, where float64 cannot balance the neuron)
    C2 = ef.groups.cyclic(2)
    sign, triv = ef.reps.from_generators(C2, [-np.eye(1)]), ef.reps.trivial(C2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        good = ef.ReLUNet([[w], [-w]], [b, b], [[v, v]], None)
        bad = ef.ReLUNet([[w], [-w]], [b, b], [[v, 2 * v]], None)
        assert ef.check_equivariant(good, sign, triv).holds is True
        assert ef.check_layerwise(good, sign, triv).holds is True
        assert ef.realizability(good, sign, triv, 2).realizable is not False
        assert ef.equivalent(ef.compensate(good, sign, triv), good).holds is True
        assert ef.check_equivariant(bad, sign, triv).holds is not True
        assert ef.check_layerwise(bad, sign, triv).holds is False
        assert ef.realizability(bad, sign, triv, 2).realizable is not True


def test_round_off_identity_matrix_keeps_its_eigenspace() -> None:
    # a change of basis leaves rho_out(e) = I + 1e-16; the kink orbit's output space (trivial stabilizer) is all
    # of R^2, not the empty null space of the round-off matrix rho_out(e) - I judged against its own size
    C2 = ef.groups.cyclic(2)
    negI = ef.reps.from_generators(C2, [-np.eye(2)])
    Q = np.array([[0.6, -0.8], [0.8, 0.6]])
    out = ef.reps.change_basis(ef.reps.direct_sum(ef.reps.sign(C2), ef.reps.trivial(C2)), Q)
    W2 = Q @ np.array([[-1.0, 1.0, 0.0], [0.75, 0.75, 0.25]])
    net = ef.ReLUNet([[0.8, 0.4], [-0.8, -0.4], [0, 0]], [0.9, 0.9, 0.3], W2, None)  # an orbit + a constant neuron
    assert ef.check_layerwise(net, negI, out).holds is True
    rz = ef.realizability(net, negI, out, width=3)
    assert rz.realizable is True, str(rz)
    assert ef.equivalent(rz.witness, net).holds is True


def test_compensate_keeps_an_orbit_1e400_times_smaller() -> None:
    C2 = ef.groups.cyclic(2)
    swap, triv = ef.reps.from_generators(C2, [np.array([[0.0, 1.0], [1.0, 0.0]])]), ef.reps.trivial(C2)
    f = ef.ReLUNet([[1, 2], [2, 1], [7e-201, -3e-201], [-3e-201, 7e-201]], [1, 1, 0, 0],
                   [[1, 1, 1.1e-200, 1.1e-200]], None)
    c = ef.compensate(f, swap, triv)
    assert c.width == 4 and ef.equivalent(c, f).holds is True
    assert ef.check_layerwise(c, swap, triv).holds is True
    rz = ef.realizability(f, swap, triv, 4)
    assert rz.realizable is True and ef.equivalent(rz.witness, f).holds is True
    assert ef.realizability(f, swap, triv, 2).realizable is False


def test_layerwise_decides_a_float32_module_and_says_so() -> None:
    torch = pytest.importorskip("torch")
    net, rot = _symmetrized(5, 0)
    W1, b1, W2, b2 = (a.astype(np.float32) for a in net.float_params())  # a float32 copy: round-off of eps32
    m = torch.nn.Sequential(torch.nn.Linear(2, 15), torch.nn.ReLU(), torch.nn.Linear(15, 2)).float()
    with torch.no_grad():
        m[0].weight[:], m[0].bias[:] = torch.tensor(W1), torch.tensor(b1)
        m[2].weight[:], m[2].bias[:] = torch.tensor(W2), torch.tensor(b2)
    v = ef.check_layerwise(m, rot, rot)
    assert v.holds is True and "float32" in v.reason and "tolerance" in v.reason, str(v)


def test_hyperplane_orbits_keep_near_offsets_apart_next_to_a_far_one() -> None:
    # kinks at x = -+1, -+2 and -+1e200: offsets are compared relative to their own size, not the farthest
    from equifuzz.oracles.realizability import hyperplane_orbits

    C2 = ef.groups.cyclic(2)
    sign, triv = ef.reps.from_generators(C2, [-np.eye(1)]), ef.reps.trivial(C2)
    net = ef.ReLUNet([[1.0], [-1.0], [1.0], [-1.0], [1e-200], [-1e-200]], [1, 1, 2, 2, 1, 1],
                     [[1, 1, 0.5, 0.5, 3, 3]], None)
    orbits, _, _ = hyperplane_orbits(net, sign)
    assert sorted(len(o.hyperplanes) for o in orbits) == [2, 2, 2]
    assert ef.realizability(net, sign, triv, 6).realizable is True
    assert ef.realizability(net, sign, triv, 5).realizable is False


def test_compensate_of_subnormal_weights_is_exact() -> None:
    # sizes ~1e-631: no float64 network holds S f exactly (subnormal factors lose bits when halved); with a
    # rational representation compensate answers in exact arithmetic instead
    C2 = ef.groups.cyclic(2)
    neg, triv = ef.reps.from_generators(C2, [np.array([[-1.0]])]), ef.reps.trivial(C2)
    f = ef.ReLUNet([[-5.01515355e-316], [5.01515355e-316], [-6.23610325e-316], [6.23610325e-316]],
                   [-2.1992793e-316, -2.1992793e-316, -4.05692386e-316, -4.05692386e-316],
                   [[-8.60589836e-316, -8.60589836e-316, 3.92812163e-316, 3.92812163e-316]], None)
    assert ef.check_equivariant(f, neg, triv).holds is True
    c = ef.compensate(f, neg, triv)
    assert ef.equivalent(c, f).holds is True and ef.check_layerwise(c, neg, triv).holds is True
    rz = ef.realizability(f, neg, triv, 4)
    assert rz.realizable is True and ef.equivalent(rz.witness, f).holds is True


def test_fraction_weights_beyond_float64() -> None:
    C2 = ef.groups.cyclic(2)
    sign, triv = ef.reps.from_generators(C2, [-np.eye(1)]), ef.reps.trivial(C2)
    s = Fraction(10) ** 400
    good = ef.ReLUNet([[s], [-s]], None, [[s, s]], None)
    assert ef.check_equivariant(good, sign, triv).holds is True
    assert ef.check_layerwise(good, sign, triv).holds is True
    rz = ef.realizability(good, sign, triv, 2)
    assert rz.realizable is True and ef.equivalent(rz.witness, good).holds is True
    bad = ef.ReLUNet([[s], [-s]], None, [[s, 2 * s]], None)
    lw = ef.check_layerwise(bad, sign, triv)
    assert lw.holds is False and "1e+400" in lw.reason
    assert ef.check_equivariant(bad, sign, triv).holds is False
    assert ef.realizability(bad, sign, triv, 2).realizable is False
    tiny = ef.ReLUNet([[1 / s], [-1 / s]], None, [[1 / s, 2 / s]], None)
    assert "1e-400" in ef.check_layerwise(tiny, sign, triv).reason
    with pytest.raises(OverflowError, match="beyond float64"):
        good.to_float()
