"""Bad input raises a named subclass of EquifuzzError whose message says what is wrong and where."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import equifuzz as ef
from equifuzz import groups as eg
from equifuzz import reps as er
from equifuzz import strategies as efs

ROT90 = np.array([[0.0, -1.0], [1.0, 0.0]])


def _rot(theta):
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def test_all_errors_share_the_base_class():
    for name in ef.errors.__all__:
        assert issubclass(getattr(ef, name), ef.EquifuzzError)


# ---------------------------------------------------------------------------------------------
# representations


def test_non_homomorphic_generator_image_names_the_pair():
    G = eg.cyclic(4)  # r must satisfy r^4 = e; a 60-degree rotation does not
    with pytest.raises(ef.HomomorphismError) as info:
        er.from_generators(G, [_rot(np.pi / 3)])
    msg = str(info.value)
    assert "not a homomorphism" in msg
    assert "g = r^3 (element 3)" in msg and "h = r (element 1)" in msg
    assert "max entry error" in msg and "tolerance" in msg


@given(st.integers(2, 8), st.floats(1e-6, 1e-2))
def test_slightly_wrong_matrices_are_rejected(n, eps):
    """A perturbation far above the tolerance (1e-8) of one element's matrix is always caught."""
    G = eg.cyclic(n)
    mats = er.rotation(G).matrices.copy()
    mats[n - 1, 0, 0] += eps
    with pytest.raises(ef.HomomorphismError, match=r"rho\(g h\) != rho\(g\) rho\(h\)"):
        er.from_matrices(G, mats)


def test_identity_must_map_to_identity():
    G = eg.cyclic(2)
    with pytest.raises(ef.HomomorphismError, match=r"rho\(e\) is not the identity"):
        er.from_matrices(G, np.stack([2 * np.eye(2), np.eye(2)]))


def test_non_homomorphic_signed_permutation():
    G = eg.cyclic(3)  # a 3-cycle with one sign flip has order 6, not 3
    with pytest.raises(ef.HomomorphismError, match="not a homomorphism"):
        er.signed_permutation(G, {1: [1, 2, 0]}, {1: [1, 1, -1]})


@pytest.mark.parametrize(
    "shape, expected",
    [((3, 2, 2), r"\(4, d, d\), got \(3, 2, 2\)"), ((4, 2, 3), r"\(4, d, d\), got \(4, 2, 3\)"),
     ((4, 2), r"got \(4, 2\)")],
)
def test_wrong_shapes(shape, expected):
    with pytest.raises(ef.ShapeError, match=expected):
        er.from_matrices(eg.cyclic(4), np.ones(shape))


def test_wrong_number_of_generator_images():
    with pytest.raises(ef.ShapeError, match="2 generator matrices for the 1 generators of C4"):
        er.from_generators(eg.cyclic(4), [ROT90, ROT90])


def test_generator_images_of_different_sizes():
    with pytest.raises(ef.ShapeError, match="square and of one size"):
        er.from_generators(eg.dihedral(4), [ROT90, np.eye(3)])


def test_change_of_basis_of_wrong_shape():
    with pytest.raises(ef.ShapeError, match=r"must be \(2, 2\), got \(3, 3\)"):
        er.change_basis(er.rotation(eg.cyclic(4)), np.eye(3))


@pytest.mark.filterwarnings("error")  # caught before any arithmetic warns about it
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_matrices(bad):
    G = eg.cyclic(4)
    m = ROT90.copy()
    m[0, 1] = bad
    with pytest.raises(ef.NonFiniteError, match=r"rho\(r\) \(element 1\) holds NaN or inf"):
        er.from_generators(G, [m])
    with pytest.raises(ef.NonFiniteError, match="generator 0 holds NaN or inf"):
        eg.from_matrices([m])
    with pytest.raises(ef.NonFiniteError, match="change of basis holds NaN or inf"):
        er.change_basis(er.rotation(G), m)


def test_singular_matrices():
    G = eg.cyclic(2)
    with pytest.raises(ef.SingularMatrixError, match=r"rho\(r\) \(element 1\) is singular \(condition number"):
        er.from_generators(G, [np.diag([1.0, 0.0])])
    with pytest.raises(ef.SingularMatrixError, match="change of basis is singular"):
        er.change_basis(er.trivial(G, 2), np.ones((2, 2)))


# ---------------------------------------------------------------------------------------------
# groups


def test_irrational_rotation_does_not_close():
    with pytest.raises(ef.GroupClosureError, match="more than max_order=100 elements; raise max_order"):
        eg.from_matrices([_rot(1.0)], max_order=100)


def test_permutations_past_max_order():
    with pytest.raises(ef.GroupClosureError, match="permutations generate more than max_order=10"):
        eg.from_permutations([(1, 2, 3, 4, 0), (1, 0, 2, 3, 4)], max_order=10)  # S5, order 120


@pytest.mark.parametrize("m", [[[2.0]], [[2.0, 0.0], [0.0, 0.5]], [[1.0, 1e6], [0.0, 1.0]]])
def test_matrix_of_infinite_order_is_a_closure_error(m):
    """Growing entries mean infinite order; they must not be folded into a bogus finite table."""
    with pytest.raises(ef.GroupClosureError, match="do not generate a finite group|more than max_order"):
        eg.from_matrices([np.array(m)], max_order=200)


def test_not_a_permutation():
    with pytest.raises(ef.ShapeError, match=r"generator 1 = \[0, 0, 1\] is not a permutation of 0..2"):
        eg.from_permutations([(1, 2, 0), (0, 0, 1)])


@pytest.mark.parametrize("call", [lambda G: G.mul(99, 0), lambda G: G.inv(-1), lambda G: G.word(4),
                                  lambda G: er.trivial(G)(99), lambda G: G.subgroup([7])])
def test_unknown_element(call):
    with pytest.raises(ef.UnknownElementError, match=r"is not an element of C4: elements are 0..3"):
        call(eg.cyclic(4))


def test_non_integer_element():
    with pytest.raises(ef.UnknownElementError, match="1.5 is not an element index of C4"):
        eg.cyclic(4).mul(1.5, 0)
    with pytest.raises(KeyError):  # UnknownElementError is also a KeyError
        eg.cyclic(4).mul(True, 0)


# the smallest loop that is not a group: a Latin square with identity 0 in which 1 * 1 = 0
NON_ASSOCIATIVE = np.array([
    [0, 1, 2, 3, 4],
    [1, 0, 3, 4, 2],
    [2, 4, 0, 1, 3],
    [3, 2, 4, 0, 1],
    [4, 3, 1, 2, 0],
])


def test_non_associative_latin_square():
    with pytest.raises(ef.GroupAxiomError, match=r"not associative: \(\d\*\d\)\*\d != \d\*\(\d\*\d\)") as info:
        eg.from_table(NON_ASSOCIATIVE, [1, 2])
    # the named triple really violates associativity
    x, a, y = (int(c) for c in str(info.value).split(": ")[1][:7] if c.isdigit())
    t = NON_ASSOCIATIVE
    assert t[t[x, a], y] != t[x, t[a, y]]


def test_missing_identity():
    with pytest.raises(ef.GroupAxiomError, match="element 0 is not the identity"):
        eg.from_table(np.array([[1, 0], [0, 1]]), [1])


def test_repeated_entry_means_no_inverse():
    with pytest.raises(ef.GroupAxiomError, match="row 1 of the Cayley table repeats an element, so 1 has no inverse"):
        eg.from_table(np.array([[0, 1, 2], [1, 1, 0], [2, 0, 1]]), [1])


def test_generators_must_generate():
    with pytest.raises(ef.GroupAxiomError, match=r"generators \[\] do not generate the group: element 1"):
        eg.from_table(np.array([[0, 1], [1, 0]]), [])


def test_entries_out_of_range_and_shape():
    with pytest.raises(ef.GroupAxiomError, match=r"entries must lie in 0..1"):
        eg.from_table(np.array([[0, 1], [1, 2]]), [1])
    with pytest.raises(ef.ShapeError, match="non-empty square array"):
        eg.from_table(np.zeros((2, 3), dtype=int), [1])


def test_bad_family_size():
    with pytest.raises(ef.InvalidArgument, match=r"cyclic\(n\): n must be a positive int, got 0"):
        eg.cyclic(0)


# ---------------------------------------------------------------------------------------------
# mismatched groups


@pytest.mark.parametrize("combine", [er.direct_sum, er.tensor, er.dim_hom, er.intertwiners])
def test_representations_of_different_groups(combine):
    r1, r2 = er.trivial(eg.cyclic(4)), er.trivial(eg.klein4())
    with pytest.raises(ef.GroupMismatchError, match="trivial1 is a representation of V4, not of C4"):
        combine(r1, r2)


def test_subgroup_of_another_group():
    K = eg.klein4().subgroups()[1]
    with pytest.raises(ef.GroupMismatchError, match="belongs to V4, not to C4"):
        er.coset(eg.cyclic(4), K)


def test_unsupported_constructions():
    with pytest.raises(ef.RepresentationError, match="C3 has no natural sign character; pass an index-2 subgroup"):
        er.sign(eg.cyclic(3))
    with pytest.raises(ef.RepresentationError, match="rotation.*needs a cyclic or dihedral group, got S3"):
        er.rotation(eg.symmetric(3))
    with pytest.raises(ef.RepresentationError, match="needs a subgroup of index 2"):
        er.sign(eg.cyclic(4), eg.cyclic(4).subgroups()[0])


# ---------------------------------------------------------------------------------------------
# strategies say how to fix the call


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: efs.groups(max_order=0), "max_order must be a positive int, got 0"),
        (lambda: efs.groups(max_order=2.5), r"max_order must be a positive int, got 2.5 \(float\)"),
        (lambda: efs.groups(families=["cyclic", "free"]), r"unknown families \['free'\]; choose from"),
        (lambda: efs.groups(families="cyclic"), r"write families=\['cyclic'\]"),
        (lambda: efs.groups(max_order=3, families=["quaternion"]), "raise max_order"),
        (lambda: efs.representations(eg.cyclic(3), kinds=["spin"]), r"unknown kinds \['spin'\]"),
        (lambda: efs.representations(eg.cyclic(3), max_dim=0), "max_dim must be a positive int, got 0"),
        (lambda: efs.representations(eg.cyclic(3), change_of_basis="yes"), "change_of_basis must be True or False"),
        (lambda: efs.representations("C3"), "needs a FiniteGroup"),
        (lambda: efs.subgroups(3), "needs a FiniteGroup"),
    ],
)
def test_strategy_arguments(make, words):
    with pytest.raises(InvalidArgument, match=words):
        make()


@given(st.data())
def test_strategy_kind_that_does_not_apply(data):
    with pytest.raises(InvalidArgument, match=r"no summand of the kinds \['rotation'\] fits S3"):
        data.draw(efs.representations(eg.symmetric(3), kinds=["rotation"]))


# ---------------------------------------------------------------------------------------------
# sizes: refused before anything is allocated, saying how big and what to use instead


@pytest.mark.parametrize("make, words", [
    (lambda: eg.cyclic(10**7), r"cyclic\(10000000\) has 10000000 elements: its Cayley table would hold "
                               r"10000000\^2 entries \(800 TB\).*so2\(\)"),
    (lambda: eg.symmetric(9), r"symmetric\(9\) has 362880 elements.*\(1.05 TB\).*use n <= 7"),
    (lambda: eg.dihedral(10**4), r"dihedral\(10000\) has 20000 elements"),
    (lambda: eg.abelian(100, 100), r"abelian\(100, 100\) has 10000 elements"),
    (lambda: eg.direct_product(eg.cyclic(100), eg.cyclic(100)), "C100 x C100 has 10000 elements"),
    (lambda: eg.from_permutations([(1, 0)], max_order=10**9), "max_order = 1000000000 is too large"),
    (lambda: er.regular(eg.cyclic(2000)), r"regular\(C2000\): 2000 matrices of size 2000 x 2000 would take "
                                          r"64 GB.*coset\(G, K\)"),
    (lambda: er.trivial(eg.cyclic(4), 10**5), r"4 matrices of size 100000 x 100000 would take 320 GB"),
    (lambda: er.tensor(er.regular(eg.cyclic(100)), er.regular(eg.cyclic(100))), r"tensor\(r1, r2\)"),
])
def test_too_large_is_refused_before_allocating(make, words):
    with pytest.raises(ef.TooLargeError, match=words):
        make()


# ---------------------------------------------------------------------------------------------
# the cases of the issue: once raw tracebacks or quiet wrong answers, now typed errors


def _example_a():
    C2 = eg.cyclic(2)
    net = ef.ReLUNet([[1, 0], [0, 1], [-1, -1]], None, [[1, 1, 1]], None)
    return C2, net, er.from_generators(C2, [-np.eye(2)]), er.trivial(C2)


def test_degenerate_generator_matrices():
    G = eg.cyclic(2)
    with pytest.raises(ef.ShapeError, match="must not be empty"):
        er.from_generators(G, [np.zeros((0, 0))])
    with pytest.raises(ef.ShapeError, match="rectangular"):
        er.from_matrices(G, [np.eye(2), np.eye(3)])


def test_arrays_where_representations_are_needed():
    C2, net, rho_in, rho_out = _example_a()
    with pytest.raises(ef.InvalidArgument, match=r"rho_in must be a Representation.*got an array of shape \(1, 1\)"):
        ef.check_equivariant(net, -np.eye(1), np.eye(1))
    with pytest.raises(ef.InvalidArgument, match=r"net must be a ReLUNet.*got \[\[1.0\]\] \(list\)"):
        ef.check_layerwise([[1.0]], rho_in, rho_out)


def test_torch_sequential_is_converted_and_other_modules_refused():
    from torch import nn

    C2, net, rho_in, rho_out = _example_a()
    seq = net.to_torch()
    assert not ef.check_layerwise(seq, rho_in, rho_out).holds
    assert ef.equivalent(ef.compensate(seq, rho_in, rho_out), net).holds
    assert ef.equivalent(seq, net).holds
    other = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    with pytest.raises(ef.InvalidArgument, match=r"nn.Sequential\(nn.Linear, nn.ReLU, nn.Linear\), got the torch "
                                                 "module Sequential"):
        ef.check_layerwise(other, rho_in, rho_out)


@pytest.mark.parametrize("kw, words", [
    ({"method": "sampled", "n_inputs": 0}, "n_inputs must be a positive int, got 0"),
    ({"tol": -1}, "tol must be a finite number >= 0, got -1.0"),
    ({"tol": float("nan")}, "tol must be a finite number >= 0, got nan"),
    ({"tol": True}, r"tol must be a finite number >= 0 or None, got True \(bool\)"),
    ({"seed": -1}, "seed must be a non-negative int, got -1"),
])
def test_check_equivariant_arguments(kw, words):
    C2, net, rho_in, rho_out = _example_a()
    with pytest.raises(ef.InvalidArgument, match=words):
        ef.check_equivariant(net, rho_in, rho_out, **kw)


def test_bool_is_not_an_int():
    C2, net, rho_in, rho_out = _example_a()
    with pytest.raises(ef.InvalidArgument, match=r"width must be a non-negative int, got True \(bool\)"):
        ef.realizability(net, rho_in, rho_out, width=True)


def test_len_dimension_needs_a_permutation_hidden_representation():
    C2, net, rho_in, rho_out = _example_a()
    with pytest.raises(ef.RepresentationError, match="rho_hidden must be a permutation representation"):
        ef.len_dimension(rho_in, rho_in, rho_out)
    assert ef.len_dimension(rho_in, er.regular(C2), rho_out) == 5


def test_risk_target_of_another_output_dimension():
    from equifuzz.oracles import gaussian

    C2, net, rho_in, rho_out = _example_a()
    target = ef.ReLUNet(np.eye(2), None, np.eye(2), None)
    with pytest.raises(ef.ShapeError, match=r"target maps inputs of shape \(4, 2\) to an array of shape \(4, 2\); "
                                            r"expected shape \(4, 1\)"):
        ef.risk(net, target, gaussian(2), n=100)


@pytest.mark.parametrize("data, words", [
    ({"W1": [[1.0]]}, r"missing \['W2'\]"),
    ({"exact": True, "W1": [["1/0"]], "b1": None, "W2": [["1"]], "b2": None}, "q != 0"),
    ({"exact": "yes", "W1": [[1.0]], "W2": [[1.0]]}, r"data\['exact'\] must be true or false"),
    ([[1.0]], "data must be a dict"),
])
def test_from_dict_of_damaged_data(data, words):
    with pytest.raises(ef.InvalidArgument, match=words):
        ef.ReLUNet.from_dict(data)


def test_fractions_mixed_with_floats_are_refused_or_converted_by_the_stated_rule():
    from fractions import Fraction

    W1 = [[Fraction(1, 3), 1 / 3]]
    with pytest.raises(ef.InvalidArgument, match=r"mix Fractions with the non-integer float 0.333.*exact=True"):
        ef.ReLUNet(W1, None, [[1]], None)
    net = ef.ReLUNet(W1, None, [[1]], None, exact=True)  # floats converted exactly: 1/3 is a dyadic rational
    assert net.exact and net.W1[0, 1] == Fraction(1 / 3) != Fraction(1, 3)
    assert ef.ReLUNet([[Fraction(1, 3), 2.0]], None, [[1]], None).exact  # integer floats are exact already


def test_strategy_errors_are_both_equifuzz_and_hypothesis_errors():
    with pytest.raises(efs.InvalidStrategyArgument) as info:
        efs.groups(max_order=10**9)
    assert isinstance(info.value, ef.EquifuzzError) and isinstance(info.value, InvalidArgument)
    assert "max_order must be at most 5040, got 1000000000" in str(info.value)
