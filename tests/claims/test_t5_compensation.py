"""T5: symmetrization compensates (a), orbit merging bounds the width (b), and never hurts the risk (c).

(a) S f = 1/|G| sum_h rho_out(h)^{-1} f(rho_in(h) x) is a layer-wise network of width |G| m, checked
against direct evaluation of that average; S f = f when f is equivariant; S is idempotent.
(b) the orbit-merged network computes S f, is layer-wise, has width <= |G| m and, for equivariant f,
>= the T4 lower bound (equal to it for the flipped gen-not-len networks).
(c) with f* equivariant, an invariant input law and orthogonal rho_out, R(S f) <= R(f). On a finite
sample this holds exactly (by Jensen) when the sample is closed under the group, so the same
orbit-closed sample is used for both risks.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, target
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import strategies as efs

from ._support import equivariant_draws, lower_bound_bruteforce, small_pairs

pytestmark = pytest.mark.equifuzz

ORIGINS = ["random", "len", "gen-not-len"]


@st.composite
def nets_and_pairs(draw: st.DrawFn, origin: str):
    if origin == "random":
        rho_in, rho_out = draw(small_pairs())
        net = draw(efs.relu_nets(rho_in.dim, rho_out.dim, width=st.integers(1, 4)))
        return net, rho_in, rho_out, False
    dn = draw(equivariant_draws(origin))
    return dn.net, dn.rho_in, dn.rho_out, True


def _average(net: ef.ReLUNet, rho_in, rho_out, X: np.ndarray) -> tuple[np.ndarray, float]:
    """(1/|G|) sum_h rho_out(h)^-1 f(rho_in(h) x), and the largest entry of its summands (the scale of
    its round-off: the average itself can cancel to far below its terms)."""
    G = rho_in.group
    f = net.to_float()
    terms = [f(X @ rho_in(h).T) @ np.linalg.inv(rho_out(h)).T for h in G.elements]
    return sum(terms) / G.order, max(float(np.max(np.abs(t), initial=0.0)) for t in terms)


@pytest.mark.parametrize("origin", ORIGINS)
@given(data=st.data())
def test_symmetrization_is_a_layerwise_projection(origin, data):
    net, rho_in, rho_out, equivariant = data.draw(nets_and_pairs(origin), label="case")
    G = rho_in.group
    S = ef.symmetrize(net, rho_in, rho_out)
    assert S.width == G.order * net.width
    assert ef.check_layerwise(S, rho_in, rho_out, up_to_scaling=False).holds
    assert ef.check_equivariant(S, rho_in, rho_out).holds
    X = data.draw(efs.inputs(rho_in, net), label="inputs")
    direct, scale = _average(net, rho_in, rho_out, X)
    err = float(np.max(np.abs(S(X) - direct), initial=0.0)) / max(1.0, scale)
    target(err, label="|S f - average| relative")
    assert err < 1e-9
    if equivariant:
        assert ef.equivalent(S, net).holds
    if net.width <= 2:  # idempotence, on small ones (|G|^2 m neurons)
        assert ef.equivalent(ef.symmetrize(S, rho_in, rho_out), S).holds


@pytest.mark.parametrize("origin", ORIGINS)
@given(data=st.data())
def test_orbit_merging_bounds_the_width(origin, data):
    net, rho_in, rho_out, equivariant = data.draw(nets_and_pairs(origin), label="case")
    G = rho_in.group
    C = ef.compensate(net, rho_in, rho_out)
    S = ef.symmetrize(net, rho_in, rho_out)
    assert ef.equivalent(C, S).holds
    assert ef.check_layerwise(C, rho_in, rho_out).holds
    target(float(C.width - G.order * net.width), label="merged width - |G| m")
    assert C.width <= G.order * net.width
    if equivariant:
        lower, _ = lower_bound_bruteforce(net, rho_in)
        assert C.width >= lower
        if origin == "gen-not-len":
            assert C.width == lower == 2 * net.width  # tight, as in Examples A and B


def _orbit_sampler(rho_in: ef.reps.Representation):
    """Gaussian points with their whole G-orbits: an exactly G-invariant empirical law."""
    mats = rho_in.matrices
    n_g = mats.shape[0]

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        if n % n_g:
            raise ValueError(f"orbit-closed samples come in multiples of |G| = {n_g}, asked for {n}")
        base = rng.standard_normal((n // n_g, rho_in.dim))
        return np.einsum("gij,nj->gni", mats, base).reshape(n, rho_in.dim)

    sample.__name__ = "gaussian orbits"
    return sample


@given(small_pairs(change_of_basis=False), st.data())
def test_symmetrization_never_increases_the_risk(pair, data):
    rho_in, rho_out = pair
    assert rho_out.is_orthogonal and rho_in.is_orthogonal
    target_net = data.draw(efs.equivariant_nets(rho_in, rho_out), label="equivariant target").net
    f = data.draw(efs.relu_nets(rho_in.dim, rho_out.dim, width=st.integers(1, 4)), label="f")
    Sf = ef.symmetrize(f, rho_in, rho_out)
    n = rho_in.group.order * 256
    sampler = _orbit_sampler(rho_in)
    seed = data.draw(efs.seeds(), label="sample seed")
    r_f = ef.risk(f, target_net, sampler, n, seed=seed)
    r_sf = ef.risk(Sf, target_net, sampler, n, seed=seed)  # the same samples
    target(r_sf.value - r_f.value, label="R(S f) - R(f)")
    assert r_sf.value <= r_f.value * (1 + 1e-12) + 1e-300, (r_sf, r_f)


def test_constant_neurons_cancelling_to_round_off_leave_no_output_bias():
    """Two constant neurons (w = 0, b = 2) swapped by the generator, with channels v and rho_out(s) v = -v
    up to round-off (rho_out a float change of basis of sign + trivial): layer-wise equivariant within
    tolerance, computing a constant of round-off size. Their merge must not leave that residue as an
    output bias (a relative check reads it as a whole bias that the group moves)."""
    G = ef.groups.cyclic(2)
    sign = ef.reps.sign(G)
    Q = np.array([[1.1895723806911562, 0.2747018445099055], [0.06398249548388397, -0.9919728118235479]])
    rho_out = ef.reps.change_basis(ef.reps.direct_sum(sign, ef.reps.trivial(G)), Q)
    s = G.generators[0]
    v = 0.3 * Q[:, 0]  # the sign eigenvector
    net = ef.ReLUNet([[0.0], [0.0]], [2.0, 2.0], np.stack([v, rho_out(s) @ v], 1), [0.0, 0.0])
    assert np.any(rho_out(s) @ v + v != 0)  # the cancellation is not exact in float64
    assert ef.check_layerwise(net, sign, rho_out).holds
    C = ef.compensate(net, sign, rho_out)
    verdict = ef.check_layerwise(C, sign, rho_out)
    assert verdict.holds, str(verdict)
    assert ef.equivalent(C, ef.symmetrize(net, sign, rho_out)).holds
