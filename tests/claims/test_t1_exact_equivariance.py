"""T1: equivariance decided exactly by the canonical form agrees with direct evaluation.

For every drawn network (equivariant of both kinds, planted mutants, unconstrained ones) the canonical
verdict must agree with a sampled check over ALL group elements on Gaussian and adversarial inputs:
an equivariant verdict leaves only round-off (relative gap <= 1e-10); a non-equivariant one is
confirmed by an input where the relative gap ||f(g x) - g f(x)|| exceeds 1e-11, a thousand times
round-off. Exact (Fraction) and float64 verdicts
agree on integer networks with rational representations.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, target
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import strategies as efs
from equifuzz.oracles.equivariance import rational_matrix

from ._support import equivariant_draws, rounding_bound, sampled_gap, small_pairs

pytestmark = pytest.mark.equifuzz

NOISE = 1e-10  # relative sampled gap an equivariant verdict may leave (round-off is about 1e-14)
REAL = 1e-11  # relative sampled gap that confirms a violation (a thousand times round-off)
UNDECIDED = 1e-5  # largest relative sampled gap an undecided verdict may leave (a thousand times the tolerance)


@st.composite
def nets_with_claims(draw: st.DrawFn, origin: str):
    """(net, rho_in, rho_out, origin): an equivariant draw, a mutant of one, or an unconstrained net."""
    if origin == "random":
        rho_in, rho_out = draw(small_pairs())
        net = draw(efs.relu_nets(rho_in.dim, rho_out.dim, width=st.integers(1, 6)))
        return net, rho_in, rho_out, origin
    if origin != "mutant":
        dn = draw(equivariant_draws(origin))
        return dn.net, dn.rho_in, dn.rho_out, f"equivariant:{dn.kind}"
    dn = draw(equivariant_draws())
    m = draw(efs.mutants(dn))
    return m.net, dn.rho_in, dn.rho_out, f"mutant:{m.kind}"


@pytest.mark.parametrize("origin", ["len", "gen-not-len", "mutant", "random"])
@given(data=st.data())
def test_canonical_verdict_agrees_with_direct_evaluation(origin, data):
    net, rho_in, rho_out, origin = data.draw(nets_with_claims(origin), label="case")
    X = data.draw(efs.inputs(rho_in, net), label="inputs")
    verdict = ef.check_equivariant(net, rho_in, rho_out)
    gap, x, g = sampled_gap(net, rho_in, rho_out, X)
    if verdict.holds is None:
        # undecided only in the grey zone of the tolerance semantics: a defect a few times the tolerance, which
        # no witness can certify above the per-neuron perturbation bound; a macroscopic defect is always decided
        assert verdict.reason and gap <= UNDECIDED, (origin, verdict, gap, x, g)
        return
    if verdict.holds:
        # only round-off is left: the pessimistic bound (sum of absolute values) is never exceeded
        target(gap, label="relative sampled gap of an equivariant verdict")
        assert gap <= NOISE, (origin, verdict, gap, x, g)
        if origin.startswith("mutant"):
            pytest.fail(f"a planted {origin} was judged equivariant: {verdict}")
    else:
        # the verdict's own witness input must be a real violation for its element
        assert verdict.input is not None and verdict.element is not None, verdict
        w = np.asarray(verdict.input, dtype=float)[None]
        wgap, _, _ = sampled_gap(net, rho_in, rho_out, w)
        target(-np.log10(max(gap, wgap, 1e-300)), label="-log10 best relative gap of a non-equivariant verdict")
        assert max(gap, wgap) > REAL, (origin, verdict, gap, wgap)
        if origin.startswith("equivariant"):
            pytest.fail(f"an equivariant draw ({origin}) was judged not equivariant: {verdict}")


@pytest.mark.parametrize("kind", efs.EQUIVARIANT_KINDS)
@given(data=st.data())
def test_t1_conditions_hold_for_equivariant_draws(kind, data):
    dn = data.draw(equivariant_draws(kind), label="drawn")
    """Conditions 1-4 of T1, read off the canonical form: hyperplanes permuted, channels, L, e."""
    net, rho_in, rho_out = dn.net, dn.rho_in, dn.rho_out
    form = net.canonical()
    U, beta, C = np.asarray(form.normals), np.asarray(form.offsets), np.asarray(form.channels)
    scale = max(net.scale, 1e-300)
    residuals = [0.0]
    for g in rho_in.group.generators:
        A, B = rho_in(g), rho_out(g)
        Ad = rho_in.dual()(g)
        worst = 0.0
        for k in range(form.n_hyperplanes):
            img = Ad @ U[k]
            nrm = float(np.linalg.norm(img))
            u, b = img / nrm, beta[k] / nrm
            # the image must be one of the hyperplanes (either orientation) ...
            dist = np.minimum(np.max(np.abs(U - u), axis=1) + np.abs(beta - b),
                              np.max(np.abs(U + u), axis=1) + np.abs(beta + b))
            j = int(np.argmin(dist))
            assert dist[j] < 1e-7, (dn, g, k)
            # ... with channel c_{gH} = ||rho_in(g)^{-T} u_H|| rho_out(g) c_H
            worst = max(worst, float(np.linalg.norm(C[j] - nrm * B @ C[k])) / scale)
        lin = float(np.abs(form.linear @ A - B @ form.linear).max(initial=0.0)) / scale
        const = float(np.abs(B @ form.constant - form.constant).max(initial=0.0)) / scale
        residuals.append(max(worst, lin, const))
        assert worst < 1e-8 and lin < 1e-8 and const < 1e-8, (dn, g, worst, lin, const)
    target(max(residuals), label="T1 condition residual")


def _rational_pair(pair) -> bool:
    rho_in, rho_out = pair
    return all(rational_matrix(rho_in(g)) is not None and rational_matrix(rho_out(g)) is not None
               for g in rho_in.group.generators)


@given(small_pairs(change_of_basis=False).filter(_rational_pair), st.data())
def test_exact_and_float_verdicts_agree(pair, data):
    """Integer networks over rational representations: Fraction arithmetic settles it, float must agree."""
    rho_in, rho_out = pair
    net = data.draw(efs.relu_nets(rho_in.dim, rho_out.dim, width=st.integers(1, 4), integer_weights=True))
    symmetric = data.draw(st.booleans(), label="symmetrize first")
    if symmetric:
        net = ef.symmetrize(net.to_exact(), rho_in, rho_out)
        assert net.exact
    exact = ef.check_equivariant(net.to_exact(), rho_in, rho_out)
    flt = ef.check_equivariant(net.to_float(), rho_in, rho_out)
    assert exact.method == "canonical-exact"
    assert exact.holds == flt.holds, (exact, flt)
    if symmetric:
        assert exact.holds, exact  # S f is always equivariant (T5a)


def test_rounding_bound_is_not_vacuous():
    """The round-off bound used above is tiny compared with the values it bounds."""
    net = ef.ReLUNet([[1.0, 2.0]], [0.5], [[3.0]], [1.0])
    X = np.array([[1.0, 1.0]])
    assert rounding_bound(net, X)[0] < 1e-12 * 11.0


@given(st.floats(-1e-6, 1e-6), st.sampled_from([-1.0, 1.0]), st.sampled_from([2, 3, 4, 6]))
def test_normals_near_the_orientation_threshold(t, sign, n):
    """An orbit of a normal with a component near 1e-9 (where the orientation rule switches) is one
    layer-wise network: round-off must not split a hyperplane into two orientations."""
    G = ef.groups.cyclic(n)
    rho_in, rho_out = ef.reps.rotation(G), ef.reps.trivial(G)
    u = np.array([sign * 1e-9 * (1 + t), 1.0])
    W1 = np.stack([rho_in.dual()(g) @ u for g in G.elements])
    net = ef.ReLUNet(W1, None, np.ones((1, n)), None)
    verdict = ef.check_equivariant(net, rho_in, rho_out)
    target(verdict.max_error, label="residual of an exactly layer-wise network")
    assert verdict.holds, verdict
    assert ef.check_layerwise(net, rho_in, rho_out).holds


@pytest.mark.parametrize("t", [-2.44e-7, -2.43e-7])
def test_normals_near_the_orientation_threshold_regression(t):
    G = ef.groups.cyclic(4)
    rho_in, rho_out = ef.reps.rotation(G), ef.reps.trivial(G)
    u = np.array([-1e-9 * (1 + t), 1.0])
    net = ef.ReLUNet(np.stack([rho_in.dual()(g) @ u for g in G.elements]), None, np.ones((1, 4)), None)
    assert ef.check_equivariant(net, rho_in, rho_out).holds
    assert ef.realizability(net, rho_in, rho_out, 4).realizable is True
