"""T4: any layer-wise network realizing f has width >= sum over kink orbits of |G| / |Stab+(H)|.

Every layer-wise network the project can produce that computes f (drawn orbit-built networks,
symmetrized networks, the orbit-merged compensation, realizability witnesses) is held to the bound,
which is also recomputed by brute force; any network at all needs one neuron per kink hyperplane.
"""

from __future__ import annotations

import pytest
from hypothesis import given, target
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import strategies as efs

from ._support import equivariant_draws, lower_bound_bruteforce, small_pairs

pytestmark = pytest.mark.equifuzz


@pytest.mark.parametrize("kind", efs.EQUIVARIANT_KINDS)
@given(data=st.data())
def test_layerwise_realizations_respect_the_lower_bound(kind, data):
    dn = data.draw(equivariant_draws(kind), label="drawn")
    net, rho_in, rho_out = dn.net, dn.rho_in, dn.rho_out
    r = ef.realizability(net, rho_in, rho_out, 0)
    lower, n_kinks = lower_bound_bruteforce(net, rho_in)
    assert r.lower == lower and r.gn_lower == n_kinks, (r, lower, n_kinks)
    # realizations: the network itself when layer-wise, and its orbit-merged compensation (T5b)
    widths = []
    lw = ef.check_layerwise(net, rho_in, rho_out)
    if lw.holds:
        widths.append(lw.width)  # live neurons; dead ones do not count towards realizing f
    comp = ef.compensate(net, rho_in, rho_out)
    assert ef.check_layerwise(comp, rho_in, rho_out).holds and ef.equivalent(comp, net).holds
    widths.append(comp.width)
    target(float(lower - min(widths)), label="lower bound - narrowest layer-wise realization")
    assert min(widths) >= lower, (dn, widths, lower)
    if lower > 0:
        assert ef.realizability(net, rho_in, rho_out, lower - 1).realizable is False
    # any network computing f has at least one neuron per kink hyperplane
    assert net.width >= n_kinks


@given(small_pairs(), st.data())
def test_every_network_has_a_neuron_per_kink(pair, data):
    rho_in, rho_out = pair
    net = data.draw(efs.relu_nets(rho_in.dim, rho_out.dim))
    k = net.canonical().n_hyperplanes
    target(float(k - net.width), label="kinks - width")
    assert k <= net.width
