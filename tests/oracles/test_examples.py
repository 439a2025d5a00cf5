"""Examples A and B of THEORY.md (T3, T4, T5b): equivariant, not layer-wise, minimal widths 6 and 12."""

from __future__ import annotations

import numpy as np
import pytest

import equifuzz as ef
from equifuzz.builders.examples import Case

BOUNDS = {"example_a": (6, 6, 6), "example_b": (12, 12, 24)}  # lower, orbit-refined upper, naive |G| m


def test_examples_are_equivariant(case: Case) -> None:
    v = ef.check_equivariant(case.net, case.rho_in, case.rho_out)
    assert v.holds, str(v)
    assert v.max_error <= v.tolerance
    s = ef.check_equivariant(case.net, case.rho_in, case.rho_out, method="sampled")
    assert s.holds, str(s)


def test_examples_are_not_layerwise(case: Case) -> None:
    v = ef.check_layerwise(case.net, case.rho_in, case.rho_out)
    assert not v.holds
    assert v.hidden is None and v.element is not None and v.neuron is not None
    assert "matches no neuron" in v.reason or "occurs" in v.reason
    # the named neuron's image under the named element really is missing from the network
    i, g = v.neuron, v.element
    w = case.rho_in.dual()(g) @ np.asarray(case.net.W1[i], float)
    rows = np.asarray(case.net.W1, float)
    ratios = rows @ w / (np.linalg.norm(rows, axis=1) * np.linalg.norm(w))
    assert not np.any(np.isclose(ratios, 1.0, atol=1e-12))


def test_example_bounds_match_theory_and_reference(case: Case) -> None:
    lower, upper, naive = BOUNDS[case.name]
    r = ef.realizability(case.net, case.rho_in, case.rho_out, width=lower)
    assert (r.lower, r.upper, r.naive_upper) == (lower, upper, naive)
    assert (r.lower, r.upper, r.naive_upper) == (case.reference["lower"], case.reference["upper"],
                                                  case.reference["naive_upper"])
    assert naive == case.group.order * case.net.width
    # every kink line passes through 0 and is reversed by an element: iota = 2 on every orbit
    assert all(o.reversed for o in r.orbits)
    assert sum(o.size for o in r.orbits) == r.gn_lower == case.net.width
    assert sum(o.min_neurons for o in r.orbits) == lower


def test_realizability_false_below_the_bound(case: Case) -> None:
    lower = BOUNDS[case.name][0]
    for m in range(lower):
        r = ef.realizability(case.net, case.rho_in, case.rho_out, width=m)
        assert r.realizable is False, str(r)
        assert not r.holds and r.witness is None
        assert str(lower) in r.reason


@pytest.mark.parametrize("extra", [0, 1, 5])
def test_realizability_true_at_and_above_the_bound(case: Case, extra: int) -> None:
    lower = BOUNDS[case.name][0]
    r = ef.realizability(case.net, case.rho_in, case.rho_out, width=lower + extra)
    assert r.realizable is True and r.holds, str(r)
    W = r.witness
    assert W is not None and W.width <= lower + extra
    assert W.width == lower  # the minimal realization is found (the bound is tight)
    lw = ef.check_layerwise(W, case.rho_in, case.rho_out)
    assert lw.holds, str(lw)
    assert sum(lw.orbit_sizes) == lower
    eq = ef.equivalent(W, case.net.to_float())
    assert eq.holds, str(eq)
    assert ef.check_equivariant(W, case.rho_in, case.rho_out).holds


@pytest.mark.parametrize("merge", [True, False])
def test_compensation_widths(case: Case, merge: bool) -> None:
    """T5: merged symmetrization hits the orbit-refined bound; plain symmetrization is |G| m wide."""
    lower, upper, naive = BOUNDS[case.name]
    S = ef.compensate(case.net, case.rho_in, case.rho_out, merge=merge)
    assert S.width == (upper if merge else naive)
    assert S.exact == case.net.exact
    assert ef.check_layerwise(S, case.rho_in, case.rho_out).holds
    assert ef.equivalent(S, case.net).holds  # S f = f for equivariant f


def test_example_a_exact_mode(case_a_exact: Case) -> None:
    c = case_a_exact
    assert c.net.exact
    v = ef.check_equivariant(c.net, c.rho_in, c.rho_out)
    assert v.holds and v.method == "canonical-exact" and v.tolerance == 0.0 and v.max_error == 0.0
    lw = ef.check_layerwise(c.net, c.rho_in, c.rho_out)
    assert not lw.holds and lw.method == "exact"
    W = ef.compensate(c.net, c.rho_in, c.rho_out, merge=True)
    assert W.exact and W.width == 6
    lw6 = ef.check_layerwise(W, c.rho_in, c.rho_out)
    assert lw6.holds and lw6.method == "exact" and lw6.orbit_sizes == [2, 2, 2]
    eq = ef.equivalent(W, c.net)
    assert eq.holds and eq.method == "canonical-exact"
    # f = 1/2 (|x1| + |x2| + |x1 + x2|), read off the exact canonical form
    form = c.net.canonical()
    assert form.normalization == "projective" and form.n_hyperplanes == 3
    assert [list(n) for n in form.normals] == [[1, 0], [1, 1], [0, 1]] or \
        sorted(tuple(n) for n in form.normals) == [(0, 1), (1, 0), (1, 1)]
    assert all(x == 0 for x in form.offsets)
    assert sorted(tuple(ch) for ch in form.channels) == [(1,), (1,), (1,)]
    assert all(x == 0 for x in np.ravel(form.linear)) and all(x == 0 for x in form.constant)
    for m in range(6):
        assert ef.realizability(c.net, c.rho_in, c.rho_out, width=m).realizable is False
    r = ef.realizability(c.net, c.rho_in, c.rho_out, width=6)
    assert r.realizable is True and (r.lower, r.upper) == (6, 6)
    assert ef.equivalent(r.witness, c.net.to_float()).holds


def test_example_a_float_and_exact_forms_agree(case_a: Case, case_a_exact: Case) -> None:
    from .conftest import assert_forms_close

    assert_forms_close(case_a.net.canonical(), case_a_exact.net.canonical(), rtol=1e-12)


def test_example_b_kink_orbits(case_b: Case) -> None:
    """Six kink lines through 0, in three C4-orbits of size 2, each line reversed by R^2 = -I."""
    form = case_b.net.canonical()
    assert form.n_hyperplanes == 6
    np.testing.assert_allclose(np.asarray(form.offsets, float), 0.0, atol=1e-12)
    r = ef.realizability(case_b.net, case_b.rho_in, case_b.rho_out, width=12)
    assert sorted(o.size for o in r.orbits) == [2, 2, 2]
    assert all(o.stabilizer.order == 2 and o.stabilizer_plus.order == 1 for o in r.orbits)
    lw = ef.check_layerwise(r.witness, case_b.rho_in, case_b.rho_out)
    assert lw.orbit_sizes == [4, 4, 4] and all(o.stabilizer.order == 1 for o in lw.orbits)
