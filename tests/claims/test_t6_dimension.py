"""T6: the layer-wise parameter space is linear of dimension given by characters, and smaller than GN.

For a hidden permutation representation sum_j R[G/K_j] the character formula, the null space of the
stacked LEN equations, the per-orbit count dim Fix_K(rho_in^*) + 1 + dim Fix_K(rho_out) (+ dim
Fix_G(rho_out)) and the rank of many independently drawn layer-wise parameter vectors all agree. For m
copies of the regular representation D_LEN = m(d + 1 + p) + dim Fix(rho_out) <= D_GN(m), with
equality iff rho_out is trivial.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, target
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import strategies as efs
from equifuzz.reps import dim_fix

from ._support import small_pairs

pytestmark = pytest.mark.equifuzz


@st.composite
def hidden_types(draw: st.DrawFn, G):
    subs = sorted(G.subgroups(), key=lambda K: (K.index, K.elements))
    n = draw(st.integers(1, 3))
    return [subs[draw(st.integers(0, len(subs) - 1))] for _ in range(n)]


def _hidden(G, stabs):
    return ef.reps.direct_sum(*[ef.reps.coset(G, K) for K in stabs])


@given(small_pairs(), st.data())
def test_character_formula_equals_null_space_and_orbit_count(pair, data):
    rho_in, rho_out = pair
    G = rho_in.group
    stabs = data.draw(hidden_types(G), label="orbit types")
    hidden = _hidden(G, stabs)
    dual = rho_in.dual()
    gaps = []
    for hb in (False, True):
        for ob in (False, True):
            chi = ef.len_dimension(rho_in, hidden, rho_out, hidden_bias=hb, output_bias=ob)
            null = ef.len_dimension(rho_in, hidden, rho_out, hidden_bias=hb, output_bias=ob, method="nullspace")
            per_orbit = sum(dim_fix(dual, K) + int(hb) + dim_fix(rho_out, K) for K in stabs)
            per_orbit += dim_fix(rho_out) if ob else 0
            gaps.append(float(abs(chi - null) + abs(chi - per_orbit)))
            assert chi == null == per_orbit, (hb, ob, chi, null, per_orbit)
    target(max(gaps), label="disagreement between the three dimension counts")


@given(small_pairs(), st.data())
def test_drawn_layerwise_parameters_span_the_len_space(pair, data):
    """The strategy samples the whole LEN space: the rank of its draws is D_LEN (character formula)."""
    rho_in, rho_out = pair
    G = rho_in.group
    stabs = data.draw(hidden_types(G), label="orbit types")
    D = ef.len_dimension(rho_in, _hidden(G, stabs), rho_out)
    seed = data.draw(efs.seeds(), label="seed")
    vecs = []
    for k in range(D + 3):
        net, _ = efs.build_layerwise_net(rho_in, rho_out, stabs, seed + k, integer_weights=False)
        vecs.append(np.concatenate([np.ravel(a) for a in net.float_params()]))
    s = np.linalg.svd(np.array(vecs), compute_uv=False)
    rank = int(np.sum(s > 1e-8 * s[0])) if s.size and s[0] > 0 else 0
    assert rank == D, (rank, D, stabs)


@given(small_pairs(), st.integers(1, 3))
def test_regular_copies_have_fewer_parameters_than_gn(pair, m):
    rho_in, rho_out = pair
    G = rho_in.group
    d, p = rho_in.dim, rho_out.dim
    hidden = ef.reps.direct_sum(*[ef.reps.regular(G)] * m)
    D_len = ef.len_dimension(rho_in, hidden, rho_out)
    assert D_len == m * (d + 1 + p) + dim_fix(rho_out)
    D_gn = ef.gn_dimension(d, m, p)
    target(float(D_len - D_gn), label="D_LEN(|G| m) - D_GN(m)")
    assert D_len <= D_gn
    trivial_out = all(np.allclose(rho_out(g), np.eye(p)) for g in G.elements)
    assert (D_len == D_gn) == trivial_out
    assert ef.gn_dimension(d, G.order * m, p) >= D_gn  # the GN of the same width has |G| times more


REFERENCE = [  # (group, hidden, output, D_LEN, D_GN(m)) from the table of THEORY.md (d = 2, rotation)
    ("C4", "regular", 1, "trivial", 5, 5),
    ("C4", "regular", 1, "rotation", 5, 7),
    ("C4", "regular", 2, "trivial", 9, 9),
    ("C4", "regular", 2, "rotation", 10, 12),
    ("D4", "regular", 1, "trivial", 5, 5),
    ("D4", "regular", 1, "rotation", 5, 7),
    ("D4", "regular", 2, "trivial", 9, 9),
    ("D4", "regular", 2, "rotation", 10, 12),
    ("D4", "reflection", 1, "rotation", 3, None),
    ("D4", "reflection", 1, "trivial", 4, None),
]


@pytest.mark.parametrize("group,hidden,m,out,d_len,d_gn", REFERENCE)
def test_reference_table(group, hidden, m, out, d_len, d_gn):
    G = ef.groups.cyclic(4) if group == "C4" else ef.groups.dihedral(4)
    rho_in = ef.reps.rotation(G)
    rho_out = ef.reps.rotation(G) if out == "rotation" else ef.reps.trivial(G)
    if hidden == "regular":
        rho_h = ef.reps.direct_sum(*[ef.reps.regular(G)] * m)
    else:
        rho_h = ef.reps.coset(G, G.subgroup([G.generators[1]]))  # D4 / <s>: an orbit of 4
        assert rho_h.dim == 4
    for method in ("character", "nullspace"):
        assert ef.len_dimension(rho_in, rho_h, rho_out, method=method) == d_len
    if d_gn is not None:
        assert ef.gn_dimension(2, m, rho_out.dim) == d_gn
