"""Network families used by the campaign: what each builder promises, checked by the oracles."""

from __future__ import annotations

import numpy as np
import pytest

import equifuzz as ef
from equifuzz.families import flipped_net, layerwise_net, random_net, reversing_directions

SETTINGS = [
    (ef.groups.cyclic(2), "rotation"), (ef.groups.cyclic(4), "rotation"), (ef.groups.cyclic(6), "rotation"),
    (ef.groups.dihedral(3), "regular"), (ef.groups.dihedral(4), "rotation"), (ef.groups.klein4(), "regular"),
    (ef.groups.symmetric(3), "regular"),
]


def _rep(G, kind):
    return ef.reps.rotation(G) if kind == "rotation" else ef.reps.regular(G)


@pytest.mark.parametrize("G,kind", SETTINGS, ids=[f"{G.name}-{k}" for G, k in SETTINGS])
@pytest.mark.parametrize("seed", range(4))
def test_flipped_nets_are_equivariant_not_layerwise(G, kind, seed):
    rho_in, rho_out = _rep(G, kind), ef.reps.trivial(G)
    f = flipped_net(rho_in, rho_out, np.random.default_rng(seed))
    if f is None:  # allowed only when no construction exists for this draw: D4 rotation reverses lines
        assert reversing_directions(rho_in), "a None draw must come from a null space miss, not a missing direction"
        return
    assert ef.check_equivariant(f, rho_in, rho_out).holds
    assert not ef.check_layerwise(f, rho_in, rho_out).holds
    r = ef.realizability(f, rho_in, rho_out, f.width)
    assert r.realizable is False and r.lower == 2 * f.width


def test_flipped_net_needs_a_reversed_direction():
    G = ef.groups.cyclic(3)
    assert reversing_directions(ef.reps.rotation(G)) == []
    assert flipped_net(ef.reps.rotation(G), ef.reps.trivial(G), np.random.default_rng(0)) is None


@pytest.mark.parametrize("seed", range(5))
def test_layerwise_and_random(seed):
    G = ef.groups.dihedral(4)
    rho_in, rho_out = ef.reps.rotation(G), ef.reps.rotation(G)
    rng = np.random.default_rng(seed)
    L = layerwise_net(rho_in, rho_out, 3, rng)
    assert ef.check_layerwise(L, rho_in, rho_out).holds
    R = random_net(2, 2, 3, rng)
    assert not ef.check_equivariant(R, rho_in, rho_out).holds
    Z = random_net(2, 1, 4, rng, integer=True, hidden_bias=False, output_bias=False)
    assert set(np.unique(Z.W1)) <= set(range(-3, 4)) and not Z.hidden_bias and not Z.output_bias
