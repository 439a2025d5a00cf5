"""Properties of the oracles over drawn groups, representations (orthogonal or not) and networks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, note
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import ReLUNet
from equifuzz import strategies as efs

from ._strategies import equivariance_gap, integer_nets, nets, settings
from .conftest import assert_forms_close


@st.composite
def setting_and_net(draw, *, nontrivial: bool = False, rational: bool = False, integer: bool = False,
                    max_width: int = 4):
    s = draw(settings(nontrivial=nontrivial, rational=rational))
    net = draw(integer_nets(s, max_width=max_width) if integer else nets(s, max_width=max_width))
    note(f"{s!r}; {net!r}")
    return s, net


# -- compensation (T5) -----------------------------------------------------------------------------


@given(setting_and_net(), st.booleans())
def test_compensated_networks_are_equivariant_and_layerwise(case, merge: bool) -> None:
    s, net = case
    S = ef.compensate(net, s.rho_in, s.rho_out, merge=merge)
    G = s.G
    if merge:
        assert S.width <= G.order * net.width
    else:
        assert S.width == G.order * net.width
    eq = ef.check_equivariant(S, s.rho_in, s.rho_out)
    assert eq.holds, str(eq)
    lw = ef.check_layerwise(S, s.rho_in, s.rho_out)
    assert lw.holds, str(lw)
    # orbit-stabilizer on the recovered hidden permutation representation
    for o in lw.orbits:
        assert o.size * o.stabilizer.order == G.order
    # merged and unmerged compensations compute the same function S f
    other = ef.compensate(net, s.rho_in, s.rho_out, merge=not merge)
    assert ef.equivalent(S, other).holds


@given(setting_and_net())
def test_symmetrization_fixes_equivariant_networks(case) -> None:
    """S(S f) = S f, and S f is the group average of f (checked on random inputs)."""
    s, net = case
    S = ef.symmetrize(net, s.rho_in, s.rho_out)
    assert ef.equivalent(ef.compensate(S, s.rho_in, s.rho_out), S).holds
    x = np.random.default_rng(0).standard_normal((16, s.d))
    avg = sum(net(x @ s.rho_in(h).T) @ np.linalg.inv(s.rho_out(h)).T for h in s.G.elements) / s.G.order
    scale = net.scale * (1 + np.abs(x).max())
    np.testing.assert_allclose(S(x), avg, rtol=0, atol=1e-10 * scale)


# -- random networks are not equivariant --------------------------------------------------------


@given(setting_and_net(nontrivial=True))
def test_random_networks_are_not_equivariant(case) -> None:
    s, net = case
    v = ef.check_equivariant(net, s.rho_in, s.rho_out)
    assert not v.holds, str(v)
    assert v.max_error > v.tolerance
    assert v.element is not None and v.element in s.G.generators and v.word
    assert v.reason and v.input is not None
    gap = equivariance_gap(net, s, v.element, v.input)
    assert gap > 1e-6 * net.scale * (1 + np.linalg.norm(v.input))
    np.testing.assert_allclose(gap, v.input_error, rtol=1e-9, atol=1e-12 * net.scale)
    assert v.word in str(v) and "NOT equivariant" in str(v)
    sampled = ef.check_equivariant(net, s.rho_in, s.rho_out, method="sampled")
    assert not sampled.holds, str(sampled)
    assert equivariance_gap(net, s, sampled.element, sampled.input) > 0


@given(setting_and_net(), st.sampled_from(["random", "compensated", "unmerged"]))
def test_canonical_and_sampled_verdicts_agree(case, kind: str) -> None:
    s, net = case
    if kind != "random":
        net = ef.compensate(net, s.rho_in, s.rho_out, merge=(kind == "compensated"))
    exact = ef.check_equivariant(net, s.rho_in, s.rho_out, method="canonical")
    zero = ReLUNet(np.zeros((0, s.d)), None, np.zeros((s.p, 0)), None)
    if ef.equivalent(net, zero).holds:
        # f = 0 up to round-off (e.g. symmetrized onto an output without fixed vectors): equivariant, but a
        # sampled relative error compares round-off with round-off and cannot judge it
        assert exact.holds
        x = np.random.default_rng(0).standard_normal((32, s.d))
        assert np.abs(net(x)).max(initial=0.0) <= 1e-12 * (net.scale if net.width else 1.0) * (1 + np.abs(x).max())
        return
    sampled = ef.check_equivariant(net, s.rho_in, s.rho_out, method="sampled")
    assert exact.holds == sampled.holds, f"{exact}\n{sampled}"
    if kind != "random":
        assert exact.holds
    # the torch module built from the network gets the same sampled verdict
    t = ef.check_equivariant(net.to_torch(), s.rho_in, s.rho_out, method="sampled")
    assert t.holds == sampled.holds


# -- canonical form -------------------------------------------------------------------------------


@given(setting_and_net(max_width=6), efs.seeds())
def test_canonical_form_computes_the_same_function(case, seed: int) -> None:
    s, net = case
    form = net.canonical()
    assert form.n_hyperplanes <= net.width
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.standard_normal((64, s.d)), 100 * rng.standard_normal((16, s.d))])
    # also points exactly on each kink hyperplane
    if form.n_hyperplanes:
        x = np.concatenate([x, np.stack([form.points_on(k) for k in range(form.n_hyperplanes)])])
    err = np.abs(form(x) - net(x)).max(axis=1) if s.p else np.zeros(len(x))
    scale = net.scale * (1 + np.abs(x).max(axis=1))
    assert np.all(err <= 1e-10 * scale), float((err / scale).max())


@given(setting_and_net(integer=True, rational=True))
def test_exact_canonical_form_computes_the_same_function(case) -> None:
    from fractions import Fraction

    s, net = case
    E = net.to_exact()
    form = E.canonical()
    rng = np.random.default_rng(0)
    xs = rng.integers(-5, 6, size=(12, s.d))
    X = np.array([[Fraction(int(v), 3) for v in row] for row in xs], dtype=object)
    assert np.array_equal(form(X), E(X))


# -- equivalence is invariant under reparametrizations ---------------------------------------------


@st.composite
def net_and_transform(draw):
    s, net = draw(setting_and_net(max_width=5))
    seed = draw(efs.seeds())
    return s, net, seed


def _neurons(net: ReLUNet):
    W1, b1, W2, b2 = net.float_params()
    return W1.copy(), b1.copy(), W2.copy(), b2.copy()


def _build(net: ReLUNet, W1, b1, W2, b2) -> ReLUNet:
    return ReLUNet(W1, b1 if net.hidden_bias else None, W2, b2 if net.output_bias else None)


def _assert_equivalence_class(net: ReLUNet, same: ReLUNet, seed: int) -> None:
    assert ef.equivalent(net, same).holds
    assert ef.equivalent(same, net).holds
    # and it separates the same networks as the original: a perturbed copy is not equivalent to either
    rng = np.random.default_rng(seed)
    W1, b1, W2, b2 = _neurons(net)
    i = int(rng.integers(net.width))
    W2[:, i] += 1e-3 * (1 + np.abs(W2[:, i]))
    other = _build(net, W1, b1, W2, b2)
    assert not ef.equivalent(net, other).holds
    assert not ef.equivalent(same, other).holds


@given(net_and_transform())
def test_equivalent_under_neuron_permutation(case) -> None:
    s, net, seed = case
    perm = np.random.default_rng(seed).permutation(net.width)
    W1, b1, W2, b2 = _neurons(net)
    _assert_equivalence_class(net, _build(net, W1[perm], b1[perm], W2[:, perm], b2), seed)


@given(net_and_transform())
def test_equivalent_under_positive_rescaling(case) -> None:
    s, net, seed = case
    c = np.exp(np.random.default_rng(seed).uniform(-3, 3, size=net.width))
    W1, b1, W2, b2 = _neurons(net)
    _assert_equivalence_class(net, _build(net, W1 * c[:, None], b1 * c, W2 / c, b2), seed)


@given(net_and_transform(), st.floats(0.05, 0.95))
def test_equivalent_under_neuron_splitting(case, t: float) -> None:
    s, net, seed = case
    i = int(np.random.default_rng(seed).integers(net.width))
    W1, b1, W2, b2 = _neurons(net)
    for frac in (0.5, t):  # v -> v/2 + v/2, and an uneven split
        W2s = np.concatenate([W2, (1 - frac) * W2[:, [i]]], axis=1)
        W2s[:, i] *= frac
        split = _build(net, np.concatenate([W1, W1[[i]]]), np.concatenate([b1, b1[[i]]]), W2s, b2)
        assert split.width == net.width + 1
        _assert_equivalence_class(net, split, seed)


@given(net_and_transform())
def test_adding_a_cancelling_pair_adds_a_linear_function(case) -> None:
    """Neurons (w, b, v), (-w, -b, -v) add v (w.x + b): hyperplanes and channels stay, L += v w^T, e += v b."""
    s, net, seed = case
    rng = np.random.default_rng(seed)
    W1, b1, W2, b2 = _neurons(net)
    for kind in ("new", "existing"):
        if kind == "new":
            w, v = rng.standard_normal(s.d), rng.standard_normal(s.p)
            b = float(rng.standard_normal()) if net.hidden_bias else 0.0
        else:  # on an existing kink hyperplane, rescaled
            i = int(rng.integers(net.width))
            w, b, v = 1.7 * W1[i], 1.7 * b1[i], rng.standard_normal(s.p)
        bigger = _build(net, np.concatenate([W1, [w, -w]]), np.concatenate([b1, [b, -b]]),
                        np.concatenate([W2, np.stack([v, -v], axis=1)], axis=1), b2)
        f0, f1 = net.canonical(), bigger.canonical()
        scale = net.scale + bigger.scale
        assert f1.n_hyperplanes == f0.n_hyperplanes
        np.testing.assert_allclose(f1.normals, f0.normals, rtol=0, atol=1e-12)
        np.testing.assert_allclose(f1.offsets, f0.offsets, rtol=0, atol=1e-12 * (1 + np.abs(f0.offsets).max(initial=0)))
        np.testing.assert_allclose(f1.channels, f0.channels, rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(f1.linear, f0.linear + np.outer(v, w), rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(f1.constant, f0.constant + v * b, rtol=0, atol=1e-12 * scale)
        # the added function v (w.x + b) is not zero, so the networks are not equivalent
        assert not ef.equivalent(bigger, net).holds


# -- exact (Fraction) and float modes agree ----------------------------------------------------


@given(setting_and_net(integer=True, rational=True))
def test_fraction_and_float_modes_agree(case) -> None:
    s, net = case
    E = net.to_exact()
    assert E.exact and not net.exact
    # canonical forms
    assert_forms_close(E.canonical(), net.canonical(), rtol=1e-12, scale=net.scale)
    # equivariance verdicts, on the network and on its (exact) symmetrization
    # the float path (tolerance semantics, forced) against the exact one (Fraction weights)
    ve = ef.check_equivariant(E, s.rho_in, s.rho_out)
    vf = ef.check_equivariant(net, s.rho_in, s.rho_out, semantics="tolerance")
    assert ve.method == "canonical-exact" and vf.method == "canonical-float64"
    assert ef.check_equivariant(net, s.rho_in, s.rho_out).holds == ve.holds  # auto: exact on the float weights
    assert ve.holds == vf.holds, f"{ve}\n{vf}"
    SE = ef.symmetrize(E, s.rho_in, s.rho_out)
    assert SE.exact
    SF = SE.to_float()
    assert ef.check_equivariant(SE, s.rho_in, s.rho_out).holds
    assert ef.check_equivariant(SF, s.rho_in, s.rho_out).holds
    assert ef.equivalent(SF, ef.symmetrize(net, s.rho_in, s.rho_out)).holds
    # layer-wise verdicts and hidden representations
    for a, b in ((E, net), (SE, SF), (ef.compensate(E, s.rho_in, s.rho_out), ef.compensate(net, s.rho_in, s.rho_out))):
        la, lb = ef.check_layerwise(a, s.rho_in, s.rho_out), ef.check_layerwise(b, s.rho_in, s.rho_out,
                                                                                   semantics="tolerance")
        assert la.method == "exact" and lb.method == "float64"
        assert la.holds == lb.holds, f"{la}\n{lb}"
        if la.holds:
            assert la.orbit_sizes == lb.orbit_sizes
            assert np.array_equal(la.hidden.character(), lb.hidden.character())
    # equivalence verdicts
    assert ef.equivalent(E, SE).holds == ef.equivalent(net, SF).holds
    assert_forms_close(SE.canonical(), SF.canonical(), rtol=1e-12, scale=net.scale)
    assert_forms_close(ef.compensate(E, s.rho_in, s.rho_out).canonical(),
                       ef.compensate(net, s.rho_in, s.rho_out).canonical(), rtol=1e-12, scale=net.scale)
