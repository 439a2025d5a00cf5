"""T2: a network is layer-wise equivariant iff its neuron multiset is invariant and rho_out fixes b2.

check_layerwise is held to a brute-force multiset matcher on every kind of draw; on success the hidden
permutation representation it recovers must be a homomorphism satisfying the LEN equations
W1 rho_in(g) = P_g W1, P_g b1 = b1, W2 P_g = rho_out(g) W2 (exactly, without rescaling) and layer-wise
networks must be equivariant functions.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, target
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import strategies as efs

from ._support import equivariant_draws, len_equation_residual, multiset_invariant, small_pairs

pytestmark = pytest.mark.equifuzz


ORIGINS = ["len", "rescaled", "gen-not-len", "mutant", "random"]


@st.composite
def any_nets(draw: st.DrawFn, origin: str):
    """Networks of one origin: layer-wise, rescaled layer-wise, equivariant of both kinds, mutants, unconstrained."""
    if origin == "random":
        rho_in, rho_out = draw(small_pairs())
        return draw(efs.relu_nets(rho_in.dim, rho_out.dim, width=st.integers(1, 6))), rho_in, rho_out, origin
    if origin in ("len", "rescaled"):
        rho_in, rho_out = draw(small_pairs())
        dn = draw(efs.layerwise_nets(rho_in, rho_out))
        net = dn.net
        if origin == "rescaled" and net.width:
            # positive rescaling of one neuron: same function, LEN only up to scaling
            i = draw(st.integers(0, net.width - 1))
            c = draw(st.sampled_from([2.0, 0.5, 3.0]))
            W1, b1, W2, b2 = (np.array(a) for a in net.float_params())
            W1[i] *= c
            b1[i] *= c
            W2[:, i] /= c
            net = ef.ReLUNet(W1, b1 if net.hidden_bias else None, W2, b2 if net.output_bias else None)
        return net, rho_in, rho_out, origin
    if origin == "gen-not-len":
        dn = draw(equivariant_draws(origin))
        return dn.net, dn.rho_in, dn.rho_out, f"equivariant:{dn.kind}"
    dn = draw(equivariant_draws())
    m = draw(efs.mutants(dn))
    return m.net, dn.rho_in, dn.rho_out, f"mutant:{m.kind}"


@pytest.mark.parametrize("origin", ORIGINS)
@given(data=st.data())
def test_layerwise_iff_neuron_multiset_invariant(origin, data):
    net, rho_in, rho_out, origin = data.draw(any_nets(origin), label="case")
    event(origin)
    for up_to_scaling in (False, True):
        verdict = ef.check_layerwise(net, rho_in, rho_out, up_to_scaling=up_to_scaling)
        brute = multiset_invariant(net, rho_in, rho_out, up_to_scaling=up_to_scaling)
        assert verdict.holds == brute, (origin, up_to_scaling, verdict, brute)
        if verdict.holds:
            assert ef.check_equivariant(net, rho_in, rho_out).holds, (origin, "LEN but not equivariant")
            live = net.subnet(list(verdict.neurons)) if verdict.neurons else None
            if live is not None and not up_to_scaling:
                res = len_equation_residual(live, verdict.hidden, rho_in, rho_out)
                target(res, label="LEN equation residual of the recovered hidden representation")
                assert res < 1e-9, (origin, res)
            assert sum(o.size for o in verdict.orbits) == verdict.width
            for o in verdict.orbits:  # orbit-stabilizer: |orbit| = [G : K]
                assert o.size == o.stabilizer.index
    if origin == "len":
        assert ef.check_layerwise(net, rho_in, rho_out, up_to_scaling=False).holds
    if origin.startswith("mutant") or origin == "equivariant:gen-not-len":
        assert not ef.check_layerwise(net, rho_in, rho_out).holds, origin


@given(small_pairs(), st.data())
def test_recovered_hidden_representation_matches_the_drawn_one(pair, data):
    """Orbit-built networks: the recovered hidden representation has the drawn orbit types (T2)."""
    rho_in, rho_out = pair
    dn = data.draw(efs.layerwise_nets(rho_in, rho_out, hidden_bias=True, integer_weights=False))
    net = dn.net
    verdict = ef.check_layerwise(net, rho_in, rho_out, up_to_scaling=False)
    assert verdict.holds, verdict
    # the drawn hidden representation satisfies the LEN equations on the whole network
    assert len_equation_residual(net, dn.hidden, rho_in, rho_out) < 1e-9
    # the recovered permutation fixes a neuron whenever the drawn one does (it maps a neuron to one
    # with the same triple); with no two live neurons alike the two characters agree exactly
    live = list(verdict.neurons)
    if live == list(range(net.width)):
        drawn = dn.hidden.character()
        found = verdict.hidden.character()
        assert np.all(found >= drawn), (found, drawn)
        rows = np.concatenate([net.W1, net.b1[:, None], net.W2.T], axis=1)
        gaps = [np.max(np.abs(rows[i] - rows[j])) for i in range(len(rows)) for j in range(i)]
        if not gaps or min(gaps) > 1e-6 * max(1.0, float(np.abs(rows).max())):
            assert np.array_equal(found, drawn), (found, drawn)
            assert sorted(o.size for o in verdict.orbits) == sorted(K.index for K in dn.stabilizers)
