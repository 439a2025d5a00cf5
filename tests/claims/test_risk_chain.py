"""The risk chain inf_{GN_m} R <= inf_{GEN_m} R <= inf_{LEN_m} R, each step strict in an example.

GN vs GEN: G = Z2 acting on R by x -> -x, target |x|, x ~ U[-1, 1], width 1. Risks of 1-D networks are
computed exactly (Gauss-Legendre on the pieces between breakpoints, exact for the quadratic integrand).
inf over GN_1 is 1 - 2 sqrt(2)/3, attained by max(x, sqrt 2 - 1) = relu(x - t) + t; inf over GEN_1 is
Var|x| = 1/12 (an equivariant width-1 network is constant, T1); at width 2 all three are exact.
Monte Carlo estimates (equifuzz.risk) must match within 4 standard errors.

GEN vs LEN: Example A is in GEN_3 (risk 0) but not in LEN_3; with Fix(-I) = 0 a width-3 layer-wise
network is one orbit {relu(w.x + b), relu(-w.x + b)} plus a constant, and its best squared risk under
N(0, I_2) is about 0.104.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, target
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import strategies as efs
from equifuzz.builders import examples

pytestmark = pytest.mark.equifuzz

GN1 = 1 - 2 * np.sqrt(2) / 3
GEN1 = 1 / 12
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(3)


def exact_risk_1d(net: ef.ReLUNet) -> float:
    """E (f(x) - |x|)^2 for x ~ U[-1, 1], exactly up to round-off (f is piecewise linear)."""
    W1, b1, _, _ = net.float_params()
    w = W1[:, 0]
    breaks = [-b1[i] / w[i] for i in range(net.width) if w[i] != 0]
    pts = np.unique(np.clip(np.array([-1.0, 0.0, 1.0] + breaks), -1.0, 1.0))
    total = 0.0
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        x = (a + b) / 2 + (b - a) / 2 * _NODES
        err = net.to_float()(x[:, None])[:, 0] - np.abs(x)
        total += float(np.sum((b - a) / 2 * _WEIGHTS * err ** 2))
    return total / 2


def _z2_on_line():
    case = examples.example_gn_gen()
    return case.rho_in, case.rho_out, case


def best_gn1() -> ef.ReLUNet:
    t = np.sqrt(2) - 1
    return ef.ReLUNet([[1.0]], [-t], [[1.0]], [t])


def test_reference_values():
    _, _, case = _z2_on_line()
    assert case.reference["gn1_risk"] == pytest.approx(GN1, abs=1e-15)
    assert case.reference["gen1_risk"] == pytest.approx(GEN1, abs=1e-15)
    assert GN1 < GEN1  # strict: GN_1 beats GEN_1


def test_gn1_infimum_is_attained_and_matches_monte_carlo():
    net = best_gn1()
    assert exact_risk_1d(net) == pytest.approx(GN1, abs=1e-14)
    # the threshold t = sqrt 2 - 1 is optimal: risk(t) = (2 t^3 - (t - 1)^3) / 6 on the family max(x, t)
    for t in np.linspace(0.2, 0.6, 41):
        r = exact_risk_1d(ef.ReLUNet([[1.0]], [-t], [[1.0]], [t]))
        assert r == pytest.approx((2 * t ** 3 - (t - 1) ** 3) / 6, abs=1e-14)
        assert r >= GN1 - 1e-15
    mc = ef.risk(net, lambda x: np.abs(x), ef.oracles.uniform_cube(1), n=200_000, seed=0)
    assert abs(mc.value - GN1) <= 4 * mc.stderr, mc


def test_gen1_infimum_matches_monte_carlo():
    rho_in, rho_out, _ = _z2_on_line()
    const = ef.ReLUNet([[0.0]], [1.0], [[0.5]], None)  # the constant 1/2 = E|x|
    assert ef.check_equivariant(const, rho_in, rho_out).holds
    assert exact_risk_1d(const) == pytest.approx(GEN1, abs=1e-15)
    mc = ef.risk(const, lambda x: np.abs(x), ef.oracles.uniform_cube(1), n=200_000, seed=1)
    assert abs(mc.value - GEN1) <= 4 * mc.stderr, mc


@given(efs.relu_nets(1, 1, width=1))
def test_no_width_one_network_beats_the_gn_infimum(net):
    r = exact_risk_1d(net)
    target(GN1 - r, label="GN_1 infimum - risk")
    assert r >= GN1 - 1e-12


@given(efs.relu_nets(1, 1, width=1, integer_weights=True))
def test_no_equivariant_width_one_network_beats_the_gen_infimum(net):
    rho_in, rho_out, _ = _z2_on_line()
    if ef.check_equivariant(net, rho_in, rho_out).holds:
        r = exact_risk_1d(net)
        target(GEN1 - r, label="GEN_1 infimum - risk")
        assert r >= GEN1 - 1e-12


@given(st.data())
def test_drawn_gen1_networks_respect_the_gen_infimum(data):
    rho_in, rho_out, _ = _z2_on_line()
    dn = data.draw(efs.layerwise_nets(rho_in, rho_out, max_orbits=1, max_width=1))
    assert dn.net.width == 1
    assert exact_risk_1d(dn.net) >= GEN1 - 1e-12


def test_width_two_is_exact_for_all_three():
    rho_in, rho_out, case = _z2_on_line()
    net = case.net  # relu(x) + relu(-x) = |x|
    assert ef.check_layerwise(net, rho_in, rho_out).holds  # so it is in LEN_2 within GEN_2 within GN_2
    assert exact_risk_1d(net) == 0.0


def _len3_example_a_risk(X: np.ndarray, T: np.ndarray, theta: float, beta: float) -> tuple[float, np.ndarray]:
    z = X @ np.array([np.cos(theta), np.sin(theta)])
    F = np.stack([np.maximum(z + beta, 0) + np.maximum(-z + beta, 0), np.ones_like(z)], axis=1)
    coef, *_ = np.linalg.lstsq(F, T, rcond=None)
    return float(np.mean((F @ coef - T) ** 2)), coef


def test_example_a_separates_gen3_from_len3():
    case = examples.example_a()
    net, rho_in, rho_out = case.net, case.rho_in, case.rho_out
    assert net.width == 3 and ef.check_equivariant(net, rho_in, rho_out).holds  # in GEN_3: risk 0
    assert ef.realizability(net, rho_in, rho_out, 3).realizable is False  # not in LEN_3
    # LEN_3 = {v [relu(u.x + b) + relu(-u.x + b)] + c}: fit direction and offset on a grid, v and c by
    # least squares, then evaluate the fitted network on fresh samples
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4000, 2))
    T = net(X)[:, 0]
    grid = [(t, b) for t in np.linspace(0, np.pi, 37) for b in np.linspace(-1.5, 1.5, 31)]
    _, theta, beta = min((_len3_example_a_risk(X, T, t, b)[0], t, b) for t, b in grid)
    for step in (np.pi / 72, 0.05, np.pi / 288, 0.0125):  # local refinement
        cands = [(theta + i * step, beta + j * step) for i in (-1, 0, 1) for j in (-1, 0, 1)]
        _, theta, beta = min((_len3_example_a_risk(X, T, t, b)[0], t, b) for t, b in cands)
    _, (v, c) = _len3_example_a_risk(X, T, theta, beta)
    u = np.array([np.cos(theta), np.sin(theta)])
    fitted = ef.ReLUNet(np.stack([u, -u]), [beta, beta], [[v, v]], [c])
    assert ef.check_layerwise(fitted, rho_in, rho_out).holds and fitted.width == 2
    est = ef.risk(fitted, net, ef.oracles.gaussian(2), n=200_000, seed=2)
    # stated tolerance: 4 standard errors of the estimate plus 0.003 for the finite grid and fit sample
    assert abs(est.value - examples.example_a().reference["len_risk"][3]) <= 4 * est.stderr + 0.003, est
    assert est.value > 0.09  # bounded away from GEN_3's 0
