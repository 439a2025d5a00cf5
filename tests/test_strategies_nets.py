"""The network, mutant and input strategies: contracts, shrinking targets and argument checking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import equifuzz as ef
from equifuzz import strategies as efs
from equifuzz.builders import examples


def _c4():
    G = ef.groups.cyclic(4)
    return ef.reps.rotation(G), ef.reps.trivial(G)


# -- relu_nets ---------------------------------------------------------------------------------


@given(st.integers(1, 4), st.integers(1, 3), st.data())
def test_relu_nets_respect_their_arguments(d, p, data):
    hb, ob = data.draw(st.booleans()), data.draw(st.booleans())
    net = data.draw(efs.relu_nets(d, p, width=st.integers(2, 5), hidden_bias=hb, output_bias=ob,
                                  integer_weights=True))
    assert (net.d, net.p) == (d, p) and 2 <= net.width <= 5
    assert (net.hidden_bias, net.output_bias) == (hb, ob)
    for a in net.float_params():
        assert np.array_equal(a, np.round(a)) and np.all(np.abs(a) <= 3)


def test_relu_nets_shrink_to_one_small_integer_neuron():
    net = find(efs.relu_nets(3, 2), lambda n: True)
    assert net.width == 1 and not net.hidden_bias and not net.output_bias
    assert np.all(np.abs(net.W1) <= 1) and np.all(np.abs(net.W2) <= 1)


def test_builders_are_deterministic_in_the_seed():
    a = efs.build_relu_net(3, 2, 4, seed=7)
    b = efs.build_relu_net(3, 2, 4, seed=7)
    assert all(np.array_equal(x, y) for x, y in zip(a.float_params(), b.float_params(), strict=True))
    rho_in, rho_out = _c4()
    f1 = efs.build_flipped_net(rho_in, rho_out, [0, 0, 0], 3)
    f2 = efs.build_flipped_net(rho_in, rho_out, [0, 0, 0], 3)
    assert np.array_equal(f1[0].W1, f2[0].W1) and np.array_equal(f1[0].W2, f2[0].W2)


# -- layer-wise and equivariant networks ------------------------------------------------------------


@given(efs.rep_pairs(change_of_basis=st.booleans()), st.data())
def test_layerwise_nets_follow_their_hidden_representation(pair, data):
    rho_in, rho_out = pair
    dn = data.draw(efs.layerwise_nets(rho_in, rho_out))
    assert dn.kind == "len" and dn.construction == "orbits"
    assert dn.hidden.dim == dn.net.width == sum(K.index for K in dn.stabilizers)
    assert ef.check_layerwise(dn.net, rho_in, rho_out, up_to_scaling=False).holds
    # W1 rho_in(g) = P_g W1 and W2 P_g = rho_out(g) W2 for every element
    W1, b1, W2, b2 = dn.net.float_params()
    for g in rho_in.group.elements:
        P = dn.hidden(g)
        assert np.allclose(W1 @ rho_in(g), P @ W1, atol=1e-9)
        assert np.allclose(W2 @ P, rho_out(g) @ W2, atol=1e-9)
        assert np.allclose(P @ b1, b1) and np.allclose(rho_out(g) @ b2, b2, atol=1e-9)


def test_layerwise_nets_with_given_orbit_types():
    rho_in, rho_out = _c4()
    G = rho_in.group
    K2 = G.subgroup([2])
    dn = find(efs.layerwise_nets(rho_in, rho_out, hidden=[K2, K2]), lambda d: True)
    assert dn.net.width == 4 and [K.order for K in dn.stabilizers] == [2, 2]


@given(efs.rep_pairs(change_of_basis=st.booleans()), st.data())
def test_equivariant_nets_are_tagged_truthfully(pair, data):
    rho_in, rho_out = pair
    dn = data.draw(efs.equivariant_nets(rho_in, rho_out))
    assert ef.check_equivariant(dn.net, rho_in, rho_out).holds
    layerwise = ef.check_layerwise(dn.net, rho_in, rho_out).holds
    if dn.kind == "len":
        assert layerwise and dn.construction in ("orbits", "symmetrized")
    else:
        assert dn.kind == "gen-not-len" and dn.construction == "flipped" and not layerwise
        assert dn.lower == 2 * dn.net.width
        assert ef.realizability(dn.net, rho_in, rho_out, dn.net.width).realizable is False


def test_equivariant_nets_shrink_to_a_single_fixed_neuron():
    rho_in, rho_out = _c4()
    dn = find(efs.equivariant_nets(rho_in, rho_out), lambda d: True)
    assert dn.kind == "len" and dn.net.width == 1 and dn.stabilizers[0].order == 4


def test_gen_not_len_generalizes_examples_a_and_b():
    """C4 rotations with an invariant output: three orbits of two hyperplanes, as in Example B."""
    rho_in, rho_out = _c4()
    dn = find(efs.equivariant_nets(rho_in, rho_out, ["gen-not-len"]), lambda d: True)
    assert dn.kind == "gen-not-len" and dn.net.width == 6 and dn.lower == 12
    G = ef.groups.cyclic(2)
    minus = ef.reps.from_generators(G, [-np.eye(2)])
    dn = find(efs.equivariant_nets(minus, ef.reps.trivial(G), ["gen-not-len"]), lambda d: True)
    assert dn.net.width == 3 and dn.lower == 6  # Example A's shape: three lines through 0


def test_reversing_elements():
    G = ef.groups.cyclic(3)
    assert efs.reversing_elements(ef.reps.rotation(G)) == []
    G4 = ef.groups.cyclic(4)
    rev = efs.reversing_elements(ef.reps.rotation(G4))
    assert [s for s, _ in rev] == [2] and np.allclose(rev[0][1], np.eye(2))  # R^2 = -I reverses every line


@pytest.mark.parametrize("call", [
    lambda: efs.relu_nets(0, 1),
    lambda: efs.relu_nets(2, 1, width="3"),
    lambda: efs.equivariant_nets(*_c4(), kinds=["gn"]),
    lambda: efs.equivariant_nets(*_c4(), kinds="len"),
    lambda: efs.layerwise_nets(_c4()[0], ef.reps.trivial(ef.groups.cyclic(3))),
    lambda: efs.mutants(ef.ReLUNet([[1.0, 0.0]], None, [[1.0]]), kinds=["drop_neuron"]),
    lambda: efs.mutants(find(efs.layerwise_nets(*_c4()), lambda d: True), kinds=["typo"]),
    lambda: efs.inputs(_c4()[0], families=["everything"]),
    lambda: efs.inputs(_c4()[0], ef.ReLUNet([[1.0]], None, [[1.0]])),
])
def test_bad_arguments_say_how_to_fix_the_call(call):
    with pytest.raises(InvalidArgument):
        call().validate()


# -- mutants -----------------------------------------------------------------------------------


def test_mutants_shrink_to_dropping_a_neuron():
    case = examples.example_b()
    dn = efs.DrawnNet(case.net, case.rho_in, case.rho_out, "gen-not-len", "flipped", 0)
    m = find(efs.mutants(dn), lambda m: True)
    assert m.kind == "drop_neuron" and m.net.width == 5 and m.original is dn.net


def test_planted_defects_are_labelled():
    G = ef.groups.cyclic(4)
    rho_in = ef.reps.change_basis(ef.reps.rotation(G), efs.change_of_basis_matrix(2, 5))  # not orthogonal
    rho_out = ef.reps.rotation(G)
    net, _ = efs.build_layerwise_net(rho_in, rho_out, [G.subgroup([])], seed=3)
    for kind in efs.MUTANT_KINDS:
        m = efs.plant(kind, net, rho_in, rho_out, seed=1, epsilon=1e-3)
        assert m is not None and m.kind == kind and m.description and kind in repr(m)
        assert (m.epsilon is not None) == (kind in ("perturb", "bias_nontrivial"))
        assert m.original is net
        assert not ef.check_equivariant(m.net, rho_in, rho_out).holds


def test_epsilons_range():
    assert find(efs.epsilons(), lambda e: True) == 0.1
    assert find(efs.epsilons(), lambda e: e < 2e-7) == 1e-7


# -- inputs ------------------------------------------------------------------------------------


@given(efs.rep_pairs(), st.data())
def test_inputs_have_the_right_shape_and_are_finite(pair, data):
    rho_in, rho_out = pair
    net = data.draw(efs.relu_nets(rho_in.dim, rho_out.dim))
    X = data.draw(efs.inputs(rho_in, net))
    assert X.ndim == 2 and X.shape[1] == rho_in.dim and X.shape[0] >= 1
    assert np.all(np.isfinite(X))


def test_input_families():
    rho_in, _ = _c4()
    net = ef.ReLUNet([[1.0, 2.0], [0.0, 1.0]], [0.5, -1.0], [[1.0, 1.0]])
    X = efs.build_inputs(rho_in, 0, {"boundary": 50}, net)
    assert X.shape == (50, 2)
    W1, b1 = net.W1, net.b1
    dist = np.min(np.abs(X @ W1.T + b1) / np.linalg.norm(W1, axis=1), axis=1)
    assert np.all(dist <= 1e-3 * (1 + np.linalg.norm(X, axis=1)))  # on or beside a boundary hyperplane
    huge = efs.build_inputs(rho_in, 0, {"huge": 5, "tiny": 5})
    norms = np.linalg.norm(huge, axis=1)
    assert np.all(norms[:5] > 1e3) and np.all(norms[5:] < 1e-3)
    D4 = ef.groups.dihedral(4)
    rot = ef.reps.rotation(D4)
    subs = D4.subgroups()
    for i, K in enumerate(subs):  # points of the fixed subspace of each subgroup
        fixed = efs.build_inputs(rot, 0, {"fixed": 5}, subgroup_index=i)
        assert all(np.allclose(rot(k) @ x, x) for x in fixed for k in K.elements)
        assert np.allclose(fixed, 0.0) == (ef.reps.dim_fix(rot, K) == 0)


def test_input_strategy_shrinks_to_one_gaussian_point():
    rho_in, _ = _c4()
    X = find(efs.inputs(rho_in), lambda X: True)
    assert X.shape == (1, 2)
