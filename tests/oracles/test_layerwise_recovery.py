"""check_layerwise on shuffled, rescaled layer-wise networks recovers the hidden permutation representation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, note
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import reps
from equifuzz import strategies as efs
from equifuzz.oracles.layerwise import act_on_neurons, normalize_rows

from ._strategies import orbit_subgroups, planted_len, planted_lens, settings


@st.composite
def planted(draw):
    s = draw(settings(max_order=12, max_d=3, max_p=3))
    P = draw(planted_lens(s, max_orbits=3))
    note(f"{s!r}; orbits {[K.order for K in P.subgroups]}; {P.net!r}")
    return s, P


def _triples(net: ef.ReLUNet) -> np.ndarray:
    W1, b1, W2, _ = net.float_params()
    return normalize_rows(np.concatenate([W1, b1[:, None], W2.T], axis=1), net.d)


def _stabilizer_order(rows: np.ndarray, i: int, s, tol: float = 1e-9) -> int:
    """|{g : g.(w_i, b_i, v_i) = (w_i, b_i, v_i)}| by brute force over all elements (normalized triples)."""
    dual = s.rho_in.dual()
    scale = np.abs(rows).max()
    n = 0
    for g in s.G.elements:
        img = normalize_rows(act_on_neurons(rows[[i]], dual(g), s.rho_out(g), s.d), s.d)[0]
        n += bool(np.abs(img - rows[i]).max() <= tol * scale)
    return n


@given(planted())
def test_layerwise_recovers_hidden_permutation(case) -> None:
    s, P = case
    net, G = P.net, s.G
    lw = ef.check_layerwise(net, s.rho_in, s.rho_out)
    assert lw.holds, str(lw)
    assert lw.removed == () and sorted(lw.neurons) == list(range(net.width))
    H = lw.hidden
    assert isinstance(H, reps.PermutationRepresentation) and H.dim == net.width
    perms = H.permutations()
    # a homomorphism G -> S_m (checked on every pair, not only generators)
    for g in G.elements:
        for h in G.elements:
            assert np.array_equal(perms[G.mul(g, h)], perms[g][perms[h]])
    # the permutation moves neuron i to the neuron carrying g.(w_i, b_i, v_i), up to positive scaling
    rows = _triples(net)[list(lw.neurons)]
    dual = s.rho_in.dual()
    scale = np.abs(rows).max()
    for g in G.elements:
        img = normalize_rows(act_on_neurons(rows, dual(g), s.rho_out(g), s.d), s.d)
        assert np.abs(img - rows[perms[g]]).max() <= 1e-9 * scale
    # orbits partition the neurons, |orbit| = |G| / |stabilizer|, stabilizers are those of the triples
    covered = sorted(i for o in lw.orbits for i in o.neurons)
    assert covered == sorted(lw.neurons)
    pos = {n: k for k, n in enumerate(lw.neurons)}
    for o in lw.orbits:
        assert o.size == G.order // o.stabilizer.order
        assert G.order % o.stabilizer.order == 0
        first = pos[o.neurons[0]]
        assert sorted(o.stabilizer.elements) == [g for g in G.elements if perms[g, first] == first]
        assert o.stabilizer.order == _stabilizer_order(rows, first, s)
    # every planted orbit G/K is a union of recovered orbits whose stabilizers contain a conjugate of K
    for j, K in enumerate(P.subgroups):
        members = set(np.flatnonzero(P.orbit_of == j).tolist())
        for o in lw.orbits:
            inter = members & set(o.neurons)
            assert not inter or inter == set(o.neurons)
            if inter:
                assert o.stabilizer.order % K.order == 0  # it contains a conjugate of K
        assert sum(o.size for o in lw.orbits if set(o.neurons) & members) == K.index
        # the planted representative (coset K itself) is fixed by K
        assert any(all(perms[k, pos[i]] == pos[i] for k in K.elements) for i in members)
    # character of the hidden representation = number of fixed neurons
    chi = H.character()
    assert np.array_equal(chi, (perms == np.arange(H.dim)).sum(axis=1))
    assert np.allclose(chi, np.trace(H.matrices, axis1=1, axis2=2))
    # T6 on the recovered hidden representation: both methods and the per-orbit formula agree
    hb, ob = net.hidden_bias, net.output_bias
    a = ef.len_dimension(s.rho_in, H, s.rho_out, hidden_bias=hb, output_bias=ob, method="character")
    b = ef.len_dimension(s.rho_in, H, s.rho_out, hidden_bias=hb, output_bias=ob, method="nullspace")
    per_orbit = sum(reps.dim_fix(dual, o.stabilizer) + int(hb) + reps.dim_fix(s.rho_out, o.stabilizer)
                    for o in lw.orbits) + (reps.dim_fix(s.rho_out) if ob else 0)
    assert a == b == per_orbit
    # the network itself is a point of that space: exactly layer-wise (no rescaling) after normalizing
    assert ef.check_equivariant(net, s.rho_in, s.rho_out).holds


@st.composite
def planted_pair(draw):
    """The same planted network twice: as built, and shuffled and positively rescaled."""
    s = draw(settings(max_order=12, max_d=3, max_p=3))
    Ks = draw(st.lists(st.sampled_from(orbit_subgroups(s)), min_size=1, max_size=3))
    seed, hb, ob = draw(efs.seeds()), draw(st.booleans()), draw(st.booleans())
    plain = planted_len(s, Ks, seed, hidden_bias=hb, output_bias=ob, shuffle=False, rescale=False)
    scaled = planted_len(s, Ks, seed, hidden_bias=hb, output_bias=ob, shuffle=True, rescale=True)
    return s, plain, scaled


@given(planted_pair())
def test_strict_layerwise_needs_unscaled_weights(case) -> None:
    """Without ``up_to_scaling`` the construction is layer-wise as built, the rescaled copy only when every
    orbit is a single neuron; up to scaling both are, and they compute the same function."""
    s, plain, scaled = case
    strict = ef.check_layerwise(plain.net, s.rho_in, s.rho_out, up_to_scaling=False)
    assert strict.holds, str(strict)
    loose = ef.check_layerwise(scaled.net, s.rho_in, s.rho_out)
    assert loose.holds, str(loose)
    assert loose.width == strict.width
    # the orbit decomposition is unique when no two live neurons coincide (up to scaling); duplicates can be
    # paired into orbits in several valid ways (e.g. 4 = 2 + 2 with two copies of each neuron)
    rows = np.round(_triples(plain.net), 9)
    if len({r.tobytes() for r in rows}) == len(rows):
        assert loose.orbit_sizes == strict.orbit_sizes
    strict_scaled = ef.check_layerwise(scaled.net, s.rho_in, s.rho_out, up_to_scaling=False)
    assert strict_scaled.holds == (max(loose.orbit_sizes) == 1)
    assert ef.equivalent(plain.net, scaled.net).holds
