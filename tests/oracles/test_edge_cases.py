"""Edge cases of the canonical form (THEORY.md section 2), each in float64 and exact mode."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import equifuzz as ef
from equifuzz import ReLUNet

from .conftest import assert_forms_close, unit_form

MODES = ["float", "exact"]


def make(W1, b1, W2, b2, mode: str) -> ReLUNet:
    net = ReLUNet(np.array(W1, float), None if b1 is None else np.array(b1, float), np.array(W2, float),
                  None if b2 is None else np.array(b2, float))
    return net.to_exact() if mode == "exact" else net


def grid(d: int) -> np.ndarray:
    return np.random.default_rng(7).integers(-6, 7, size=(40, d)) / 4.0


@pytest.mark.parametrize("mode", MODES)
def test_duplicate_neurons_on_one_hyperplane_add_their_channels(mode: str) -> None:
    # (w, b), (2w, 2b) and the reversed (-w, -b) all lie on the hyperplane x1 + 2 x2 = 1
    w, b = np.array([1.0, 2.0]), -1.0
    net = make([w, 2 * w, -w], [b, 2 * b, -b], [[1.0, 0.5, -3.0], [0.0, 1.0, 2.0]], None, mode)
    form = net.canonical()
    assert form.n_hyperplanes == 1
    N, beta, C, L, e = unit_form(form)
    nw = np.linalg.norm(w)
    np.testing.assert_allclose(N[0], w / nw, atol=1e-15)
    np.testing.assert_allclose(beta[0], b / nw, atol=1e-15)
    # c_H = sum ||w_i|| v_i, whatever the orientation of w_i
    expected = nw * np.array([1.0, 0.0]) + 2 * nw * np.array([0.5, 1.0]) + nw * np.array([-3.0, 2.0])
    np.testing.assert_allclose(C[0], expected, atol=1e-14)
    x = grid(2)
    np.testing.assert_allclose(np.asarray(form(x), float), np.asarray(net(x), float), atol=1e-13)


@pytest.mark.parametrize("mode", MODES)
def test_cancelling_pair_leaves_no_kink(mode: str) -> None:
    # relu(z) - relu(-z) = z with z = w.x + b: no kink, linear part v w^T, constant v b
    w, b, v = np.array([1.0, -2.0, 0.5]), 1.5, np.array([2.0, -1.0])
    net = make([w, -w], [b, -b], np.stack([v, -v], axis=1), None, mode)
    form = net.canonical()
    assert form.n_hyperplanes == 0
    np.testing.assert_allclose(np.asarray(form.linear, float), np.outer(v, w), atol=1e-15)
    np.testing.assert_allclose(np.asarray(form.constant, float), v * b, atol=1e-15)
    affine = make(np.zeros((0, 3)), None, np.zeros((2, 0)), v * b, mode)
    assert not ef.equivalent(net, affine).holds  # the linear part is still there
    x = grid(3)
    np.testing.assert_allclose(np.asarray(net(x), float), x @ np.outer(v, w).T + v * b, atol=1e-13)


@pytest.mark.parametrize("mode", MODES)
def test_zero_weight_neuron_is_a_constant(mode: str) -> None:
    base = make([[1.0, 1.0]], [0.0], [[2.0]], [0.5], mode)
    on = make([[1.0, 1.0], [0.0, 0.0]], [0.0, 3.0], [[2.0, -1.5]], [0.5], mode)  # relu(3) = 3: adds -4.5
    off = make([[1.0, 1.0], [0.0, 0.0]], [0.0, -3.0], [[2.0, -1.5]], [0.5], mode)  # relu(-3) = 0: adds nothing
    f0, f_on, f_off = base.canonical(), on.canonical(), off.canonical()
    assert f0.n_hyperplanes == f_on.n_hyperplanes == f_off.n_hyperplanes == 1
    assert float(f_on.constant[0]) == pytest.approx(float(f0.constant[0]) - 4.5, abs=1e-15)
    assert_forms_close(f_off, f0, rtol=1e-15)
    assert ef.equivalent(off, base).holds and not ef.equivalent(on, base).holds
    shifted = make([[1.0, 1.0]], [0.0], [[2.0]], [0.5 - 4.5], mode)
    assert ef.equivalent(on, shifted).holds


@pytest.mark.parametrize("mode", MODES)
def test_zero_output_neuron_contributes_nothing(mode: str) -> None:
    base = make([[1.0, -1.0], [2.0, 1.0]], [1.0, 0.0], [[1.0, 2.0]], None, mode)
    extra = make([[1.0, -1.0], [2.0, 1.0], [3.0, 7.0]], [1.0, 0.0, -2.0], [[1.0, 2.0, 0.0]], None, mode)
    assert_forms_close(extra.canonical(), base.canonical(), rtol=1e-15)
    assert extra.canonical().n_hyperplanes == 2
    assert ef.equivalent(extra, base).holds
    assert ef.equivalent(extra.subnet([0, 1]), base).holds


@pytest.mark.parametrize("mode", MODES)
def test_parallel_hyperplanes_stay_distinct(mode: str) -> None:
    # same normal, offsets 0, 1 and -1 (the last written with the opposite orientation)
    w = np.array([3.0, 4.0])
    net = make([w, w, -w], [0.0, 1.0, 1.0], [[1.0, 1.0, 1.0]], None, mode)
    form = net.canonical()
    assert form.n_hyperplanes == 3
    N, beta, C, _, _ = unit_form(form)
    np.testing.assert_allclose(N, np.tile(w / 5, (3, 1)), atol=1e-15)
    np.testing.assert_allclose(np.sort(beta), [-0.2, 0.0, 0.2], atol=1e-15)
    np.testing.assert_allclose(C, 5.0, atol=1e-14)
    merged = make([w], [0.0], [[3.0]], None, mode)  # one kink line carrying everything is another function
    assert not ef.equivalent(net, merged).holds


@pytest.mark.parametrize("mode", MODES)
def test_no_hidden_bias(mode: str) -> None:
    W1, W2 = [[1.0, 2.0], [-1.0, 0.5]], [[1.0, -2.0]]
    net = make(W1, None, W2, [1.0], mode)
    assert not net.hidden_bias and net.params()["b1"] is None
    form = net.canonical()
    assert form.n_hyperplanes == 2 and all(float(b) == 0.0 for b in form.offsets)  # every kink through 0
    zeros = make(W1, [0.0, 0.0], W2, [1.0], mode)
    assert zeros.hidden_bias
    assert ef.equivalent(net, zeros).holds
    assert_forms_close(form, zeros.canonical(), rtol=1e-15)
    x = grid(2)
    np.testing.assert_allclose(np.asarray(net(x), float), np.maximum(x @ np.array(W1).T, 0) @ np.array(W2).T + 1.0)
    # compensation keeps the flag
    from equifuzz import groups, reps

    G = groups.cyclic(2)
    rho = reps.from_generators(G, [-np.eye(2)])
    assert not ef.compensate(net, rho, reps.trivial(G)).hidden_bias


@pytest.mark.parametrize("mode", MODES)
def test_no_output_bias(mode: str) -> None:
    W1, b1, W2 = [[1.0, 2.0], [-1.0, 0.5]], [1.0, -2.0], [[1.0, -2.0]]
    net = make(W1, b1, W2, None, mode)
    assert not net.output_bias and net.params()["b2"] is None
    form = net.canonical()
    # e = 1/2 sum v_i b_i when b2 is absent
    assert float(form.constant[0]) == pytest.approx(0.5 * (1.0 * 1.0 + (-2.0) * (-2.0)), abs=1e-15)
    zeros = make(W1, b1, W2, [0.0], mode)
    assert ef.equivalent(net, zeros).holds
    assert not ef.equivalent(net, make(W1, b1, W2, [1e-3], mode)).holds
    assert np.asarray(net(np.zeros(2)), float)[0] == pytest.approx(1.0)  # relu(1) - 2 relu(-2)


def test_exact_mode_keeps_fractions() -> None:
    net = ReLUNet([[Fraction(1, 3), Fraction(2, 3)]], [Fraction(-1, 7)], [[Fraction(5, 2)]], None)
    assert net.exact
    form = net.canonical()
    assert form.normalization == "projective" and form.tol == 0.0
    assert list(form.normals[0]) == [1, 2] and form.offsets[0] == Fraction(-3, 7)
    assert form.channels[0][0] == Fraction(5, 6)  # |lead| v = 1/3 * 5/2
    X = np.array([[Fraction(1), Fraction(1, 2)], [Fraction(-2), Fraction(0)]], dtype=object)
    assert np.array_equal(form(X), net(X))


def test_rounding_level_weight_is_a_kink_far_away_judged_per_neuron():
    """w at rounding level with a clear bias is still a neuron with w != 0: relu(0.947 + w.x) kinks 3e16 away
    and, exactly, is not rotation invariant. The verdict rests on the exact numbers, with a witness whose
    error is measured against that neuron's own variation (never against other neurons)."""
    from equifuzz.certificate import verify_witness

    G = ef.groups.cyclic(4)
    rho_in, rho_out = ef.reps.rotation(G), ef.reps.trivial(G)
    net = ef.ReLUNet([[-3.28e-17, 2.21e-17]], [0.947], [[1.304]], None)
    assert net.canonical().n_hyperplanes == 1
    v = ef.check_equivariant(net, rho_in, rho_out)
    assert v.holds is False and v.semantics == "exact"
    assert v.witness is not None and verify_witness(net, net, v.witness)
    assert not ef.check_layerwise(net, rho_in, rho_out).holds
    # the exactly constant neuron (w = 0) is invariant, layer-wise and has no kink
    const = ef.ReLUNet([[0.0, 0.0]], [0.947], [[1.304]], None)
    assert const.canonical().n_hyperplanes == 0
    assert ef.check_equivariant(const, rho_in, rho_out).holds
    assert ef.check_layerwise(const, rho_in, rho_out).holds
    assert ef.compensate(const, rho_in, rho_out).canonical().n_hyperplanes == 0


def test_irrational_matrices_are_not_taken_for_rational_ones() -> None:
    """sqrt(3)/2 is within 1e-12 of fractions with denominator < 10^6; exact mode must not use them."""
    from equifuzz.oracles.equivariance import rational_matrix

    assert rational_matrix(np.array([[np.sqrt(3) / 2]])) is None
    q = rational_matrix(np.array([[1 / 3, 0.1 + 0.2, -0.5, np.cos(np.pi / 2)]]))  # round-off of rationals
    assert q is not None and list(q[0]) == [Fraction(1, 3), Fraction(3, 10), Fraction(-1, 2), Fraction(0)]
    C3 = ef.groups.cyclic(3)
    rot, triv = ef.reps.rotation(C3), ef.reps.trivial(C3)
    net = ReLUNet([[1, 0]], None, [[1]], None)
    with pytest.raises(ef.ShapeError, match="not rational"):
        ef.check_equivariant(net, rot, triv, method="exact")
    sym = ef.symmetrize(net, rot, triv)  # float symmetrization: the auto method stays in float64 and holds
    v = ef.check_equivariant(sym, rot, triv)
    assert v.holds and v.method == "canonical-float64"
