"""Properties that surviving mutants of the canonical form and the oracles showed untested
(benchmarks/README.md, "Mutation score"). Every case has its truth by construction."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import equifuzz as ef
from equifuzz import ReLUNet
from equifuzz.canonical import float_form
from equifuzz.errors import EquifuzzError
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


@pytest.mark.parametrize("kind", ["linear", "constant"])
def test_failing_equivalence_names_the_datum_that_differs(kind: str) -> None:
    # relu(x) - relu(-x) = x has no kink; doubling it changes only the linear part, shifting b2 only the constant
    base = ReLUNet([[1.0], [-1.0]], None, [[1.0, -1.0]], [0.0])
    other = (ReLUNet([[1.0], [-1.0]], None, [[2.0, -2.0]], [0.0]) if kind == "linear"
             else ReLUNet([[1.0], [-1.0]], None, [[1.0, -1.0]], [1.0]))
    v = ef.equivalent(base, other)
    assert v.holds is False
    word = "linear parts" if kind == "linear" else "constants"
    assert word in v.reason and ("constants" if kind == "linear" else "linear parts") not in v.reason


def test_float_constant_defect_threshold_is_relative_to_its_scale() -> None:
    # constants 1 and 1.5 (no kinks): the defect 0.5 exceeds the tolerance, measured against |1| + |1.5|
    tol = 1e-6
    f = float_form(*ReLUNet([[0.0]], [0.0], [[0.0]], [1.0]).float_params(), out_shift=0)
    g = float_form(*ReLUNet([[0.0]], [0.0], [[0.0]], [1.5]).float_params(), out_shift=0)
    defects, _ = compare_float(f, g, None, None, tol)
    assert [d.kind for d in defects] == ["constant"]
    d: Defect = defects[0]
    assert d.size == pytest.approx(0.5) and d.scale == pytest.approx(2.5)
    assert tol * d.scale <= d.threshold < d.size


def test_round_off_in_constant_neurons_is_within_tolerance() -> None:
    # two constant neurons (w = 0) give 3 * 0.1 - 1 * 0.3: zero in the reals, 5.6e-17 in float64;
    # under tolerance semantics the network is the zero function up to the round-off of its own weights
    net = ReLUNet([[0.0], [0.0]], [3.0, 1.0], [[0.1, -0.3]], None)
    zero = ReLUNet([[0.0]], [0.0], [[0.0]], None)
    assert float(net(np.array([0.0]))[0]) != 0.0  # the round-off is really there
    v = ef.equivalent(net, zero, semantics="tolerance")
    assert v.holds is True


def test_ill_conditioned_output_representation_is_refused() -> None:
    # C5 acting trivially on R and by a 72 degree rotation written in the basis Q (cond(Q) ~ 900) on R^2:
    # irrational matrices of condition ~1e5, past what float64 resolves at the default tolerance
    G = ef.groups.cyclic(5)
    Q = np.array([[1.0, 30.0], [0.0, 1.0]])
    rho_out = ef.reps.from_generators(G, [Q @ _rotation(72.0) @ np.linalg.inv(Q)])
    assert np.linalg.cond(rho_out(G.generators[0])) > 1e4
    net = ReLUNet([[1.0], [-1.0]], None, [[1.0, 1.0], [0.0, 0.0]], None)
    with pytest.raises(EquifuzzError, match="condition number"):
        ef.check_equivariant(net, ef.reps.trivial(G), rho_out)
