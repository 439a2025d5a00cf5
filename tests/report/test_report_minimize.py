"""The domain minimizer: planted D4 defect, Example A, summands, budget, invariants of every step."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from equifuzz import ReLUNet, check_layerwise, compensate, groups, reps
from equifuzz.builders.examples import example_a, example_b
from equifuzz.report import FailureCase, NotAFailureError, evaluate, minimize, write_report
from equifuzz.report.minimize import coordinate_blocks, neuron_orbits
from equifuzz.report.writers import render_repro

from ._support import planted_case, run_script


def _all_small_integers(net: ReLUNet, bound: int = 10) -> bool:
    vals = [v for a in (net.W1, net.b1, net.W2, net.b2) for v in np.ravel(a)]
    return net.exact and all(isinstance(v, Fraction) and v.denominator == 1 and abs(v) <= bound for v in vals)


@pytest.mark.parametrize("seed,drop", [(0, 7), (1, 0), (2, 33)])
def test_planted_d4_defect_shrinks_to_one_orbit_with_integer_weights(seed: int, drop: int, tmp_path) -> None:
    case = planted_case(seed, drop)
    assert case.net.width == 39 and case.fails()
    m = minimize(case, budget=30)
    assert not m.budget_exhausted
    small = m.case
    assert 1 <= small.net.width <= 8  # at most the neurons of one D4 orbit
    assert _all_small_integers(small.net)
    assert evaluate(small).signature == evaluate(case).signature  # the same failure, checked exactly
    assert evaluate(small).layerwise.method == "exact"
    # every kept step kept the failure: replaying the log's final case fails
    folder = write_report(m, tmp_path / "reports")
    res = run_script(folder / "repro.py")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "FAILS" in res.stdout
    # fixing the planted defect: close the neuron set under the group again
    fixed = small.replace(net=compensate(small.net, small.rho_in, small.rho_out, merge=False))
    assert check_layerwise(fixed.net, fixed.rho_in, fixed.rho_out).holds
    script = tmp_path / "fixed_repro.py"
    script.write_text(render_repro(fixed))
    res = run_script(script)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "the claim holds" in res.stdout


def test_planted_d4_defect_under_the_full_group(tmp_path) -> None:
    """Keeping D4 (no group or summand stages) the defect still shrinks inside one orbit."""
    case = planted_case(0, 7)
    m = minimize(case, stages=("neurons", "weights", "input"))
    assert m.case.group.order == 8 and m.case.net.d == 2
    assert m.case.net.width <= 8 and _all_small_integers(m.case.net)
    assert m.case.input is not None  # the function is not equivariant: a counterexample input
    assert all(v.denominator == 1 for v in m.case.input)


def test_example_a_shrinks_to_width_3_with_integer_weights() -> None:
    ex = example_a()
    case = FailureCase(ex.net, ex.rho_in, ex.rho_out, claim="layerwise", name="example_a")
    m = minimize(case)
    assert m.case.net.width == 3
    assert _all_small_integers(m.case.net, bound=1)
    out = m.outcome
    assert out.equivariance.holds and not out.layerwise.holds and out.realizable is False
    assert m.case.group.order == 2


def test_example_b_keeps_its_kind_of_failure() -> None:
    ex = example_b()
    case = FailureCase(ex.net, ex.rho_in, ex.rho_out, claim="layerwise", name="example_b")
    m = minimize(case)
    out = evaluate(m.case)
    assert out.equivariance.holds and not out.layerwise.holds and out.realizable is False
    assert m.case.net.width <= 6


def test_summands_that_do_not_take_part_are_dropped() -> None:
    G = groups.cyclic(4)
    rho_in = reps.direct_sum(reps.rotation(G), reps.trivial(G))  # R^2 (rotations) + R (fixed)
    rho_out = reps.direct_sum(reps.trivial(G), reps.trivial(G))
    W1 = [[1, 0, 0], [0, 1, 0]]  # relu(x1) + relu(x2): not C4-invariant; the third input is unused
    W2 = [[1, 1], [0, 0]]  # the second output is zero
    case = FailureCase(ReLUNet(W1, None, W2, None), rho_in, rho_out, claim="equivariant")
    m = minimize(case, stages=("summands",))
    assert m.case.net.d == 2 and m.case.net.p == 1
    assert m.case.rho_in.dim == 2 and m.case.rho_out.dim == 1
    assert [s.stage for s in m.kept] == ["summands", "summands"]
    assert m.case.fails()


def test_group_restricts_to_the_offending_subgroup_and_names_it() -> None:
    case = planted_case(0, 7)
    m = minimize(case, stages=("group",))
    assert m.case.group.order < 8
    assert m.case.group.name.endswith("in D4")
    assert len(m.case.group.generators) == 1


def test_budget_runs_out_and_says_so() -> None:
    case = planted_case(0, 7)
    m = minimize(case, budget=0.0)
    assert m.budget_exhausted
    assert m.case.fails()
    assert "ran out" in m.summary()


def test_a_case_that_holds_is_refused() -> None:
    case = planted_case(0, 7)
    ok = case.replace(net=compensate(case.net, case.rho_in, case.rho_out, merge=False))
    with pytest.raises(NotAFailureError):
        minimize(ok)


def test_neuron_orbits_and_coordinate_blocks() -> None:
    case = planted_case(0, 7)
    orbits = neuron_orbits(case.net, case.rho_in, case.rho_out)
    assert sorted(len(o) for o in orbits) == [7, 8, 8, 8, 8]
    G = groups.cyclic(4)
    rho = reps.direct_sum(reps.rotation(G), reps.trivial(G), reps.sign(G))
    assert coordinate_blocks(rho) == [[0, 1], [2], [3]]


def test_unknown_stage_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown minimizer stage"):
        minimize(planted_case(), stages=("neurons", "colour"))
