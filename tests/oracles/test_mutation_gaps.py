"""Properties that surviving mutants of the canonical form and the oracles showed untested
(benchmarks/README.md, "Mutation score"). Every case has its truth by construction."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import equifuzz as ef
from equifuzz import ReLUNet
from equifuzz.errors import EquifuzzError
from equifuzz.nets.canonical import float_form
from equifuzz.oracles.comparison import Defect, compare_float


def _rotation(deg: float) -> np.ndarray:
    t = np.deg2rad(deg)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def test_exact_canonical_form_maps_each_neuron_to_its_hyperplane() -> None:
    # neurons 0 and 2 lie on x1 + 2 x2 = 1 (2w, 2b and the reversed -w, -b), neuron 1 on x2 = 0 and
    # neuron 3 is constant (w = 0): hyperplanes sorted by (normal, offset) are x2 = 0 first, then x1 + 2 x2 = 1
    W1 = [[Fraction(2), Fraction(4)], [Fraction(0), Fraction(3)], [Fraction(-1), Fraction(-2)], [0, 0]]
    b1 = [Fraction(-2), Fraction(0), Fraction(1), Fraction(5)]
    W2 = [[Fraction(1), Fraction(1), Fraction(1), Fraction(1)]]
    form = ReLUNet(W1, b1, W2, None).canonical()
    assert form.normalization == "projective"
    assert form.n_hyperplanes == 2
    assert list(form.neuron_hyperplane) == [1, 0, 1, -1]


def test_exact_verdict_states_fraction_dtype() -> None:
    G = ef.groups.cyclic(2)
    rho = ef.reps.from_generators(G, [-np.eye(1)])
    net = ReLUNet([[Fraction(1)], [Fraction(-1)]], None, [[Fraction(1), Fraction(1)]], None)  # |x|: invariant
    v = ef.check_equivariant(net, rho, ef.reps.trivial(G))
    assert v.holds is True
    assert v.dtype == "fraction"
    assert ef.check_equivariant(net.to_float(), rho, ef.reps.trivial(G)).dtype == "float64"


def test_failing_sampled_verdict_says_why() -> None:
    # relu(x) under x -> -x with a trivial output: f(1) = 1, f(-1) = 0, never invariant
    G = ef.groups.cyclic(2)
    v = ef.check_equivariant(lambda x: np.maximum(np.asarray(x), 0.0), ef.reps.from_generators(G, [-np.eye(1)]),
                             ef.reps.trivial(G), method="sampled")
    assert v.holds is False
    assert "relative error" in v.reason
    assert v.input is not None and v.input_error > 0


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("kind", ["linear", "constant"])
def test_failing_equivalence_names_the_datum_that_differs(kind: str, exact: bool) -> None:
    # relu(x) - relu(-x) = x has no kink; doubling it changes only the linear part, shifting b2 only the constant
    base = ReLUNet([[1.0], [-1.0]], None, [[1.0, -1.0]], [0.0])
    other = (ReLUNet([[1.0], [-1.0]], None, [[2.0, -2.0]], [0.0]) if kind == "linear"
             else ReLUNet([[1.0], [-1.0]], None, [[1.0, -1.0]], [1.0]))
    if exact:
        base, other = base.to_exact(), other.to_exact()
    v = ef.equivalent(base, other)
    assert v.holds is False
    word = "linear parts" if kind == "linear" else "constants"
    assert v.reason.startswith(f"{word} differ by")
    assert ("constants" if kind == "linear" else "linear parts") not in v.reason


@pytest.mark.parametrize("kind", ["linear", "constant"])
def test_float_defect_threshold_is_relative_to_its_scale(kind: str) -> None:
    # constants 1 and 1.5, or linear parts x and 1.5 x (relu(x) - relu(-x) scaled): the defect 0.5 exceeds
    # the tolerance, measured against |1| + |1.5|
    tol = 1e-6
    if kind == "constant":
        nets = [ReLUNet([[0.0]], [0.0], [[0.0]], [c]) for c in (1.0, 1.5)]
    else:
        nets = [ReLUNet([[1.0], [-1.0]], None, [[c, -c]], None) for c in (1.0, 1.5)]
    f, g = (float_form(*n.float_params(), out_shift=0) for n in nets)
    defects, _ = compare_float(f, g, None, None, tol)
    assert [d.kind for d in defects] == [kind]
    d: Defect = defects[0]
    assert d.size == pytest.approx(0.5) and d.scale == pytest.approx(2.5)
    assert tol * d.scale <= d.threshold < d.size


@pytest.mark.parametrize("copies", [1, 64])
def test_round_off_in_cancelling_linear_parts_is_within_tolerance(copies: int) -> None:
    # copies of 3 relu(0.1 x) - relu(0.3 x): zero in the reals; in float64 the kink and the linear part keep
    # round-off growing with the number of neurons, which the tolerance semantics must absorb
    net = ReLUNet(np.array([[0.1], [0.3]] * copies), None, np.array([[3.0, -1.0] * copies]), None)
    zero = ReLUNet([[0.0]], [0.0], [[0.0]], None)
    assert float(net(np.array([1.0]))[0]) != 0.0
    v = ef.equivalent(net, zero, semantics="tolerance")
    assert v.holds is True


def test_representations_of_different_groups_are_refused() -> None:
    net = ReLUNet([[1.0], [-1.0]], None, [[1.0, 1.0]], None)
    c2, c3 = ef.groups.cyclic(2), ef.groups.cyclic(3)
    with pytest.raises(EquifuzzError):
        ef.check_equivariant(net, ef.reps.from_generators(c2, [-np.eye(1)]), ef.reps.trivial(c3))
    # the same group built twice is the same group
    v = ef.check_equivariant(net, ef.reps.from_generators(c2, [-np.eye(1)]), ef.reps.trivial(ef.groups.cyclic(2)))
    assert v.holds is True


def test_layerwise_verdict_on_an_irrational_representation_has_tolerance_semantics() -> None:
    # the five neurons relu(R^k e1 . x) form one orbit of C5 rotating R^2 by 72 degrees: layer-wise by construction
    G = ef.groups.cyclic(5)
    R = _rotation(72.0)
    W1 = np.array([np.linalg.matrix_power(R, k)[:, 0] for k in range(5)])
    net = ReLUNet(W1, None, np.ones((1, 5)), None)
    rho = ef.reps.from_generators(G, [R])
    v = ef.check_layerwise(net, rho, ef.reps.trivial(G))
    assert v.holds is True and v.semantics == "tolerance" and v.orbit_sizes == [5]
    e = ef.check_equivariant(net, rho, ef.reps.trivial(G))
    assert e.holds is True and e.semantics == "tolerance"
    assert e.certificate == tuple(f"{G.word_str(g)}: tolerance" for g in dict.fromkeys(G.generators) if g != 0)


def test_round_off_in_constant_neurons_is_within_tolerance() -> None:
    # two constant neurons (w = 0) give 3 * 0.1 - 1 * 0.3: zero in the reals, 5.6e-17 in float64;
    # under tolerance semantics the network is the zero function up to the round-off of its own weights
    net = ReLUNet([[0.0], [0.0]], [3.0, 1.0], [[0.1, -0.3]], None)
    zero = ReLUNet([[0.0]], [0.0], [[0.0]], None)
    assert float(net(np.array([0.0]))[0]) != 0.0  # the round-off is really there
    v = ef.equivalent(net, zero, semantics="tolerance")
    assert v.holds is True


def test_ill_conditioned_output_representation_is_refused() -> None:
    # C5 acting trivially on R and by a 72 degree rotation written in the basis Q (cond(Q) ~ 1e6) on R^2:
    # irrational matrices of condition ~1e12, whose round-off (eps * cond ~ 2e-4) float64 cannot resolve
    G = ef.groups.cyclic(5)
    Q = np.array([[1.0, 1e3], [0.0, 1.0]])
    rho_out = ef.reps.from_generators(G, [Q @ _rotation(72.0) @ np.linalg.inv(Q)])
    assert np.linalg.cond(rho_out(G.generators[0])) > 1e11
    net = ReLUNet([[1.0], [-1.0]], None, [[1.0, 1.0], [0.0, 0.0]], None)
    with pytest.raises(EquifuzzError, match="condition number"):
        ef.check_equivariant(net, ef.reps.trivial(G), rho_out)


def test_float_canonical_form_has_unit_normals() -> None:
    form = ReLUNet([[3.0, 4.0], [0.0, -2.0]], [1.0, 1.0], [[1.0, 1.0]], None).canonical()
    assert form.normalization == "unit"
    np.testing.assert_allclose(np.linalg.norm(form.normals, axis=1), 1.0, rtol=1e-15)


def test_sampled_check_fails_where_f_is_not_finite_only_at_an_image() -> None:
    # C2 acting by A = [[0, 10], [0.1, 0]] (A^2 = I); f is NaN where |x1| > 5000: the sampled inputs stay
    # within a few thousand, their images under A reach 10 times further, so only f(A x) is NaN there
    G = ef.groups.cyclic(2)
    A = np.array([[0.0, 10.0], [0.1, 0.0]])
    rho = ef.reps.from_generators(G, [A])

    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return np.where(np.abs(x[:, :1]) > 5000.0, np.nan, 0.0)

    v = ef.check_equivariant(f, rho, ef.reps.trivial(G), method="sampled", tol=1e-7)
    assert v.holds is False
    assert v.max_error == np.inf and v.tolerance == 1e-7
    assert v.input is not None and np.isfinite(f(v.input[None])).all()
    assert not np.isfinite(f((A @ v.input)[None])).all()
    assert "NaN or inf" in v.reason


def test_float32_torch_module_is_checked_at_float32_tolerance() -> None:
    torch = pytest.importorskip("torch")
    # x -> 2x commutes with every rotation; in float32 the two sides differ by float32 round-off only
    lin = torch.nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        lin.weight.copy_(2 * torch.eye(2))
    G = ef.groups.cyclic(5)
    rho = ef.reps.from_generators(G, [_rotation(72.0)])
    v = ef.check_equivariant(lin, rho, rho, method="sampled")
    assert v.dtype == "float32"
    assert v.holds is True and 1e-8 < v.max_error <= v.tolerance


def test_verdicts_print_what_they_decided() -> None:
    case_rho = ef.reps.from_generators(ef.groups.cyclic(2), [-np.eye(2)])
    triv = ef.reps.trivial(ef.groups.cyclic(2))
    net_a = ReLUNet([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], None, [[1.0, 1.0, 1.0]], None)  # Example A
    assert str(ef.check_equivariant(net_a, case_rho, triv)).startswith("equivariant")
    relu1 = ReLUNet([[1.0, 0.0]], None, [[1.0]], None)
    assert str(ef.check_equivariant(relu1, case_rho, triv)).startswith("NOT equivariant")
    absx = ReLUNet([[1.0, 0.0], [-1.0, 0.0]], None, [[1.0, 1.0]], None)
    assert str(ef.check_layerwise(absx, case_rho, triv)).startswith("layer-wise equivariant")
    assert str(ef.check_layerwise(net_a, case_rho, triv)).startswith("NOT layer-wise")
    assert str(ef.equivalent(absx, absx)).startswith("equivalent")
    assert str(ef.equivalent(absx, relu1)).startswith("NOT equivalent")


def test_exact_layerwise_check_matches_neurons_up_to_positive_scaling() -> None:
    # relu(x) + 1/2 relu(-2x) = |x| under x -> -x: the image (-1, 0, 1) of neuron 0 is neuron 1 = (-2, 0, 1/2)
    # up to the positive factor 2, and not otherwise
    G = ef.groups.cyclic(2)
    rho, triv = ef.reps.from_generators(G, [-np.eye(1)]), ef.reps.trivial(G)
    net = ReLUNet([[Fraction(1)], [Fraction(-2)]], None, [[Fraction(1), Fraction(1, 2)]], None)
    v = ef.check_layerwise(net, rho, triv)
    assert v.holds is True and v.semantics == "exact"
    assert v.neurons == (0, 1) and v.orbit_sizes == [2]
    assert ef.check_layerwise(net, rho, triv, up_to_scaling=False).holds is False
    assert ef.check_layerwise(net.to_float(), rho, triv).holds is True


def test_failing_layerwise_verdict_names_element_and_neuron() -> None:
    G = ef.groups.cyclic(2)
    rho, triv = ef.reps.from_generators(G, [-np.eye(1)]), ef.reps.trivial(G)
    word = G.word_str(G.generators[0])
    # relu(x) alone: its image relu(-x) is no neuron of the network
    v = ef.check_layerwise(ReLUNet([[1.0]], None, [[1.0]], None), rho, triv)
    assert v.holds is False and v.word == word and v.neuron == 0
    # relu(x) twice and relu(-x) once: the named neuron occurs a different number of times than its image
    w = np.array([1.0, 1.0, -1.0])
    v = ef.check_layerwise(ReLUNet(w[:, None], None, [[1.0, 1.0, 1.0]], None), rho, triv, up_to_scaling=False)
    assert v.holds is False and v.word == word and v.neuron is not None
    assert np.count_nonzero(w == w[v.neuron]) != np.count_nonzero(w == -w[v.neuron])


def _abs_net(w: Fraction, v: Fraction, b: Fraction = Fraction(0)) -> ReLUNet:
    """v relu(w x + b) + v relu(-w x - b) = v |w| |x + b / w| with exact weights."""
    return ReLUNet([[w], [-w]], [b, -b], [[v, v]], None)


@pytest.mark.parametrize("exact", [False, True])
def test_exact_channels_with_non_unit_scales_match(exact: bool) -> None:
    # 2^120 |x| written with weights 2^60 (a float64 2^60 is the integer 1 over the scale 2^8: channel scale
    # 2^16): invariant under x -> -x, exactly, and equal to itself written as 2^120 relu(x) + 2^120 relu(-x)
    G = ef.groups.cyclic(2)
    net = _abs_net(Fraction(2**60), Fraction(2**60))
    other = _abs_net(Fraction(1), Fraction(2**120))
    if not exact:
        net, other = net.to_float(), other.to_float()
    v = ef.check_equivariant(net, ef.reps.from_generators(G, [-np.eye(1)]), ef.reps.trivial(G))
    assert v.holds is True and v.semantics == "exact"
    e = ef.equivalent(net, other)
    assert e.holds is True and e.semantics == "exact"


@pytest.mark.parametrize("other, relative", [
    (_abs_net(Fraction(3), Fraction(3)), 0.8),  # channels 2 and 18 on x = 0: |2 - 18| / (2 + 18)
    (_abs_net(Fraction(4), Fraction(4)).to_float(), 15 / 17),  # float64 weights 4: channels 2 and 32
    (_abs_net(Fraction(1), Fraction(1), Fraction(-1)), 1.0),  # |x - 1|: no hyperplane in common, each defect whole
])
def test_exact_kink_defect_is_the_relative_channel_difference(other: ReLUNet, relative: float) -> None:
    v = ef.equivalent(_abs_net(Fraction(1), Fraction(1)), other)
    assert v.holds is False and v.semantics == "exact"
    assert v.max_difference == pytest.approx(relative, rel=1e-12)


@pytest.mark.parametrize("semantics", ["auto", "tolerance"])
def test_huge_output_bias_defects_fail_with_a_witness(semantics: str) -> None:
    # f(x) = (relu(x) + 1e200, relu(x) - 1e200): its two outputs differ by 2e200 everywhere, so it is not
    # invariant under swapping them, and not the network with both biases +1e200
    G = ef.groups.cyclic(2)
    swap = ef.reps.from_generators(G, [np.array([[0.0, 1.0], [1.0, 0.0]])])
    net = ReLUNet([[1.0]], None, [[1.0], [1.0]], [1e200, -1e200])
    v = ef.check_equivariant(net, ef.reps.trivial(G), swap, semantics=semantics)
    assert v.holds is False and v.witness is not None
    e = ef.equivalent(net, ReLUNet([[1.0]], None, [[1.0], [1.0]], [1e200, 1e200]), semantics=semantics)
    assert e.holds is False


def test_defect_a_few_tolerances_above_fails_with_an_exact_witness() -> None:
    # relu(x1) + (1 + 3e-8) relu(x2) + relu(x1 + x2 + 1/2) under the swap: f(1, 0) and f(0, 1) differ by 3e-8,
    # a few times the tolerance of the per-neuron bound; the exact numbers decide, with a witness
    G = ef.groups.cyclic(2)
    swap = ef.reps.from_generators(G, [np.array([[0.0, 1.0], [1.0, 0.0]])])
    net = ReLUNet([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, 0.5], [[1.0, 1.0 + 3e-8, 1.0]], None)
    assert float(net(np.array([0.0, 1.0]))[0] - net(np.array([1.0, 0.0]))[0]) != 0.0
    v = ef.check_equivariant(net, swap, ef.reps.trivial(G))
    assert v.holds is False and v.semantics == "exact" and v.witness is not None


def test_constant_from_output_bias_and_from_a_constant_neuron_agree_under_tolerance() -> None:
    # 8 relu(x) + 1 written with the output bias 1, or with a constant neuron relu(0 x + 1) of output weight 1:
    # one function; the float comparison rescales outputs by a power of two (8 is far from 1) on both sides
    with_bias = ReLUNet([[1.0]], [0.0], [[8.0]], [1.0])
    with_neuron = ReLUNet([[1.0], [0.0]], [0.0, 1.0], [[8.0, 1.0]], [0.0])
    xs = np.linspace(-2.0, 2.0, 9)[:, None]
    np.testing.assert_array_equal(with_bias(xs), with_neuron(xs))
    assert ef.equivalent(with_bias, with_neuron, semantics="tolerance").holds is True
    assert ef.equivalent(with_bias, with_neuron).holds is True


def test_coincident_looking_hyperplanes_fail_with_an_exact_witness() -> None:
    # relu(x) - relu(x - 1e-9) = clip(x, 0, 1e-9) under x -> -x: f(5e-10) = 5e-10, f(-5e-10) = 0, so not
    # invariant; the float comparison merges the two kinks (1e-9 apart) and sees no defect, the exact numbers do
    G = ef.groups.cyclic(2)
    net = ReLUNet([[1.0], [1.0]], [0.0, -1e-9], [[1.0, -1.0]], None)
    assert float(net(np.array([5e-10]))[0]) > 0.0 and float(net(np.array([-5e-10]))[0]) == 0.0
    v = ef.check_equivariant(net, ef.reps.from_generators(G, [-np.eye(1)]), ef.reps.trivial(G))
    assert v.holds is False and v.semantics == "exact"
    assert v.witness is not None and v.max_error > 0


def test_defect_above_tolerance_is_never_passed_and_an_undecided_verdict_says_why() -> None:
    # one C5 orbit of relu(R^k e1 . x + 1/2) (rotation by 72 degrees, irrational: tolerance semantics) with the
    # output weight of neuron 0 raised by 1e-7, ten times the tolerance: not equivariant by construction; the
    # oracle may fail it (with a witness) or stay undecided (saying why), never pass it
    G = ef.groups.cyclic(5)
    R = _rotation(72.0)
    W1 = np.array([np.linalg.matrix_power(R, k)[:, 0] for k in range(5)])
    v2 = np.ones((1, 5))
    v2[0, 0] += 1e-7
    v = ef.check_equivariant(ReLUNet(W1, [0.5] * 5, v2, None), ef.reps.from_generators(G, [R]), ef.reps.trivial(G))
    assert v.holds is not True and v.semantics == "tolerance"
    if v.holds is None:
        assert v.reason  # what was searched and why it does not decide
    else:
        assert v.witness is not None
