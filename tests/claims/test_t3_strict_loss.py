"""T3: enforcing equivariance layer-wise strictly loses expressive power at fixed width.

Drawn gen-not-len networks (Examples A and B generalized to other groups) are equivariant, not
layer-wise, and not realizable by any layer-wise network of their width (it is below the T4 lower
bound, twice the width); at the lower bound they are realizable, with a verified witness. Examples A
and B reproduce their reference values exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, target

import equifuzz as ef
from equifuzz.builders import examples

from ._support import gen_not_len_draws, lower_bound_bruteforce

pytestmark = pytest.mark.equifuzz


@given(gen_not_len_draws())
def test_gen_not_len_draws_lose_expressive_power(dn):
    net, rho_in, rho_out = dn.net, dn.rho_in, dn.rho_out
    m = net.width
    assert ef.check_equivariant(net, rho_in, rho_out).holds
    assert not ef.check_layerwise(net, rho_in, rho_out).holds
    assert not ef.check_layerwise(net, rho_in, rho_out, up_to_scaling=False).holds
    r = ef.realizability(net, rho_in, rho_out, m)
    # the quantity that would break the claim: the width reaching the lower bound
    target(float(m - r.lower), label="width - lower bound (breaks T3 at >= 0)")
    assert r.realizable is False, r
    assert r.lower == dn.lower == 2 * m, (r, dn)
    assert lower_bound_bruteforce(net, rho_in) == (2 * m, m)  # every kink is reversed; one neuron each
    at_lower = ef.realizability(net, rho_in, rho_out, r.lower)
    assert at_lower.realizable is True, at_lower
    w = at_lower.witness
    assert w.width <= r.lower
    assert ef.check_layerwise(w, rho_in, rho_out).holds
    assert ef.equivalent(w, net).holds


@pytest.mark.parametrize("exact", [False, True])
def test_example_a(exact):
    case = examples.example_a(exact=exact)
    net, rho_in, rho_out = case.net, case.rho_in, case.rho_out
    assert ef.check_equivariant(net, rho_in, rho_out).holds
    assert not ef.check_layerwise(net, rho_in, rho_out).holds
    for width in range(0, 6):
        assert ef.realizability(net, rho_in, rho_out, width).realizable is False, width
    r6 = ef.realizability(net, rho_in, rho_out, 6)
    assert r6.realizable is True
    assert (r6.lower, r6.upper, r6.naive_upper) == (6, 6, 6) == tuple(case.reference[k] for k in
                                                                        ("lower", "upper", "naive_upper"))
    # f = 1/2 (|x1| + |x2| + |x1 + x2|): the layer-wise witness computes exactly this function
    X = np.random.default_rng(0).standard_normal((64, 2))
    half_abs = 0.5 * (np.abs(X[:, 0]) + np.abs(X[:, 1]) + np.abs(X.sum(1)))
    assert np.allclose(r6.witness.to_float()(X)[:, 0], half_abs, rtol=1e-12, atol=1e-12)
    assert np.allclose(net.to_float()(X)[:, 0], half_abs, rtol=1e-12, atol=1e-12)


def test_example_b():
    case = examples.example_b()
    net, rho_in, rho_out = case.net, case.rho_in, case.rho_out
    assert ef.check_equivariant(net, rho_in, rho_out).holds
    assert not ef.check_layerwise(net, rho_in, rho_out).holds
    r = ef.realizability(net, rho_in, rho_out, 11)
    assert r.realizable is False
    assert (r.lower, r.upper, r.naive_upper) == (12, 12, 24)
    assert lower_bound_bruteforce(net, rho_in) == (12, 6)
    r12 = ef.realizability(net, rho_in, rho_out, 12)
    assert r12.realizable is True and r12.witness.width == 12
    assert ef.equivalent(r12.witness, net).holds
    lw = ef.check_layerwise(r12.witness, rho_in, rho_out)
    assert lw.holds and lw.orbit_sizes == [4, 4, 4]  # three regular orbits
