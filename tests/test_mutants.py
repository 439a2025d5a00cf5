"""Self-test of the harness: every planted defect is caught, and no equivariant draw is ever flagged.

Each mutant kind is non-equivariant by construction (see ``equifuzz.strategies._mutants``), for
reasons that do not involve the oracles; the oracles must say so. Sized defects are drawn down to a
relative size of 1e-7, ten times the oracles' default tolerance, times the conditioning of the
representations: the oracle measures a defect against the scale of f(rho_in(g) x) - rho_out(g) f(x),
which a change of basis of condition number c stretches or shrinks by up to c on each side.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, target
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import strategies as efs

pytestmark = pytest.mark.equifuzz


def _nontrivial(pair) -> bool:
    rho_in, rho_out = pair
    G = rho_in.group
    return any(not np.allclose(r(g), np.eye(r.dim)) for g in G.generators for r in (rho_in, rho_out))


def _conditioning(rho_in, rho_out) -> float:
    """max over generators of cond(rho_in(g)) * cond(rho_out(g)): 1 for orthogonal representations."""
    G = rho_in.group
    return max([np.linalg.cond(rho_in(g)) * np.linalg.cond(rho_out(g)) for g in G.generators] + [1.0])


def _nontrivial_out(pair) -> bool:
    rho_out = pair[1]
    return any(not np.allclose(rho_out(g), np.eye(rho_out.dim)) for g in rho_out.group.generators)


PAIRS = {
    # what each kind needs: an action to break; a non-trivial rho_out; a non-orthogonal representation
    "drop_neuron": efs.rep_pairs(change_of_basis=st.booleans()).filter(_nontrivial),
    "perturb": efs.rep_pairs(change_of_basis=st.booleans()).filter(_nontrivial),
    "bias_nontrivial": efs.rep_pairs(change_of_basis=st.booleans()).filter(_nontrivial_out),
    "flip_sign": efs.rep_pairs(change_of_basis=st.booleans()).filter(_nontrivial),
    "transposed_action": efs.rep_pairs(change_of_basis=True).filter(_nontrivial),
    "nonpermutation_hidden": efs.rep_pairs(change_of_basis=st.booleans()).filter(_nontrivial),
}


def _witness_gap(net, rho_in, rho_out, x, g) -> float:
    f = net.to_float()
    return float(np.max(np.abs(f(rho_in(g) @ x) - rho_out(g) @ f(x))))


@pytest.mark.parametrize("kind", efs.MUTANT_KINDS)
@given(data=st.data())
def test_every_mutant_kind_is_caught(kind, data):
    rho_in, rho_out = data.draw(PAIRS[kind], label="representations")
    dn = data.draw(efs.equivariant_nets(rho_in, rho_out), label="equivariant network")
    # per-neuron tolerance: up to |G| neurons of an orbit can share the defective neuron's hyperplane
    kappa = _conditioning(rho_in, rho_out) * rho_in.group.order
    m = data.draw(efs.mutants(dn, kinds=[kind], epsilon=efs.epsilons().map(lambda e: min(0.5, e * kappa))),
                  label="mutant")
    assert m.kind == kind
    event(f"base {dn.kind}/{dn.construction}")
    if m.epsilon is not None:
        event(f"epsilon 1e{int(np.floor(np.log10(m.epsilon)))}")
    verdict = ef.check_equivariant(m.net, rho_in, rho_out)
    if m.epsilon is not None:
        # the margin by which the defect clears the tolerance, per unit of planted size
        target(-verdict.max_error / m.epsilon, label="-(residual / epsilon)")
    assert not verdict.holds, (m, verdict)
    assert not ef.check_layerwise(m.net, rho_in, rho_out).holds, m  # layer-wise would imply equivariant
    if m.witness is not None:  # the witness is a real violation, by direct evaluation
        x, g = m.witness
        assert _witness_gap(m.net, rho_in, rho_out, x, g) > 0


@pytest.mark.parametrize("kind", ["perturb", "bias_nontrivial"])
@given(data=st.data())
def test_the_smallest_sized_defects_are_caught(kind, data):
    """Sized defects at 1e-7 .. 1e-6 of the weight scale (times the conditioning, and times |G|) clear the
    default tolerance 1e-8. The tolerance is per neuron: every neuron on a kink hyperplane may move by 1e-8 of
    itself, and an orbit can put up to |G| neurons on one hyperplane (all of them when rho_in is trivial), so a
    defect of one neuron is measured against up to |G| neurons' sizes on each side of f(g x) = g f(x)."""
    rho_in, rho_out = data.draw(PAIRS[kind], label="representations")
    dn = data.draw(efs.equivariant_nets(rho_in, rho_out), label="equivariant network")
    kappa = _conditioning(rho_in, rho_out) * rho_in.group.order
    m = data.draw(efs.mutants(dn, kinds=[kind], epsilon=st.sampled_from([1e-7, 2e-7, 5e-7, 1e-6]).map(
        lambda e: e * kappa)), label="mutant")
    verdict = ef.check_equivariant(m.net, rho_in, rho_out)
    target(-verdict.max_error / m.epsilon, label="-(residual / epsilon)")
    assert not verdict.holds, (m, verdict)


@pytest.mark.parametrize("kind", efs.EQUIVARIANT_KINDS)
@given(data=st.data())
def test_no_equivariant_draw_is_flagged(kind, data):
    pair = efs.rep_pairs(change_of_basis=st.booleans())
    if kind == "gen-not-len":
        pair = pair.filter(lambda pr: efs.build_flipped_net(pr[0], pr[1], [0, 1, 2], 0) is not None)
    rho_in, rho_out = data.draw(pair, label="representations")
    dn = data.draw(efs.equivariant_nets(rho_in, rho_out, (kind,)), label="equivariant network")
    verdict = ef.check_equivariant(dn.net, rho_in, rho_out)
    target(verdict.max_error, label="residual of an equivariant draw")
    assert verdict.holds, (dn, verdict)
    assert ef.check_layerwise(dn.net, rho_in, rho_out).holds == (dn.kind == "len"), dn


def test_kinds_that_need_structure_are_not_planted_without_it():
    G = ef.groups.cyclic(2)
    triv = ef.reps.trivial(G)
    net = ef.ReLUNet([[1.0]], [0.5], [[2.0]], [1.0])  # equivariant for the trivial action
    for kind in efs.MUTANT_KINDS:  # nothing moves: no defect can be planted
        assert efs.plant(kind, net, triv, triv, 0) is None, kind


def test_a_sized_output_change_is_sized_by_how_far_the_group_moves_it():
    """A perturbed output weight of a neuron the group fixes is a defect only through (I - rho_out(g)) e_j. In a
    basis where g barely moves e_j (here by 1.4e-3), the planted change is scaled up so that its defect is still
    ``epsilon`` and clears the tolerance (a seed of the sized-defect property drew such a basis)."""
    G = ef.groups.cyclic(2)
    u, a = np.array([1.0, -1.0, 0.0]) / np.sqrt(2), np.array([1.0, -1.0, 1e-3]) / np.sqrt(2)  # a . u = 1
    B = np.eye(3) - 2 * np.outer(u, a)  # an involution, condition number ~1, moving e_3 by only 1.4e-3
    rho_in = ef.reps.trivial(G)
    rho_out = ef.reps.from_generators(G, [B])
    v = (np.eye(3) + B) / 2 @ np.array([0.3, -1.0, 0.8])  # in Fix(rho_out)
    net = ef.ReLUNet([[1.0]], None, v[:, None], None)
    assert ef.check_equivariant(net, rho_in, rho_out).holds
    eps = 2e-7 * _conditioning(rho_in, rho_out) * G.order
    sites = set()
    for seed in range(12):
        m = efs.plant("perturb", net, rho_in, rho_out, seed, epsilon=eps)
        sites.add(m.site)
        verdict = ef.check_equivariant(m.net, rho_in, rho_out)
        assert not verdict.holds, (m.description, str(verdict))
    assert ("W2", 0, 2) in sites  # the output coordinate that g moves least was drawn
