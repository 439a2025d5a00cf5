"""T6: dimension of the layer-wise equivariant parameter space (character formula and null space)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import groups, reps
from equifuzz import strategies as efs

METHODS = ("character", "nullspace")


def _reflection_coset(G):  # D4 / <s>: an orbit of 4 points
    K = G.subgroup([G.generators[-1]])  # s = diag(1, -1)
    assert K.order == 2 and K.index == 4
    return reps.coset(G, K)


def _regular_x(G, m):
    return reps.regular(G) if m == 1 else reps.direct_sum(*[reps.regular(G)] * m)


# setting -> (group, hidden, output, D_LEN, width for D_GN or None, D_GN)
TABLE = {
    "C4, regular x1, trivial out": (groups.cyclic(4), 1, "trivial", 5, 5),
    "C4, regular x1, standard out": (groups.cyclic(4), 1, "rotation", 5, 7),
    "C4, regular x2, trivial out": (groups.cyclic(4), 2, "trivial", 9, 9),
    "C4, regular x2, standard out": (groups.cyclic(4), 2, "rotation", 10, 12),
    "D4, regular x1, trivial out": (groups.dihedral(4), 1, "trivial", 5, 5),
    "D4, regular x1, standard out": (groups.dihedral(4), 1, "rotation", 5, 7),
    "D4, regular x2, trivial out": (groups.dihedral(4), 2, "trivial", 9, 9),
    "D4, regular x2, standard out": (groups.dihedral(4), 2, "rotation", 10, 12),
    "D4 / <reflection>, standard out": (groups.dihedral(4), "coset", "rotation", 3, None),
    "D4 / <reflection>, trivial out": (groups.dihedral(4), "coset", "trivial", 4, None),
}


@pytest.mark.parametrize("row", list(TABLE))
@pytest.mark.parametrize("method", METHODS)
def test_dimension_table(row: str, method: str) -> None:
    G, hidden, out, d_len, d_gn = TABLE[row]
    rho_in = reps.rotation(G)
    rho_out = reps.rotation(G) if out == "rotation" else reps.trivial(G)
    rho_h = _reflection_coset(G) if hidden == "coset" else _regular_x(G, hidden)
    assert ef.len_dimension(rho_in, rho_h, rho_out, method=method) == d_len
    if d_gn is not None:
        assert ef.gn_dimension(2, hidden, rho_out.dim) == d_gn
        assert d_len <= d_gn
        assert (d_len == d_gn) == (out == "trivial")  # equality iff rho_out is trivial
        assert ef.gn_dimension(2, G.order * hidden, rho_out.dim) > d_gn  # the |G| m-wide GN is far larger


def test_table_rows_are_the_same_for_c4_and_d4() -> None:
    for m in (1, 2):
        for out in ("trivial", "rotation"):
            vals = []
            for G in (groups.cyclic(4), groups.dihedral(4)):
                rho_out = reps.rotation(G) if out == "rotation" else reps.trivial(G)
                vals.append(ef.len_dimension(reps.rotation(G), _regular_x(G, m), rho_out))
            assert vals[0] == vals[1]


@st.composite
def regular_settings(draw):
    G = draw(efs.groups(max_order=12))
    rho_in = draw(efs.representations(G, max_dim=3, change_of_basis=draw(st.booleans())))
    rho_out = draw(efs.representations(G, max_dim=3, change_of_basis=draw(st.booleans())))
    m = draw(st.integers(1, 2))
    return G, rho_in, rho_out, m, draw(st.booleans()), draw(st.booleans())


@given(regular_settings())
def test_regular_hidden_dimension_formula(case) -> None:
    """m copies of the regular representation: D_LEN = m(d + 1 + p) + dim Fix(rho_out) <= D_GN(m)."""
    G, rho_in, rho_out, m, hb, ob = case
    d, p = rho_in.dim, rho_out.dim
    rho_h = _regular_x(G, m)
    fix = reps.dim_fix(rho_out)
    expected = m * (d + int(hb) + p) + (fix if ob else 0)
    for method in METHODS:
        assert ef.len_dimension(rho_in, rho_h, rho_out, hidden_bias=hb, output_bias=ob, method=method) == expected
    gn = ef.gn_dimension(d, m, p, hidden_bias=hb, output_bias=ob)
    assert expected <= gn
    if ob:
        assert (expected == gn) == (fix == p)
    assert ef.gn_dimension(d, G.order * m, p, hidden_bias=hb, output_bias=ob) == \
        G.order * m * (d + int(hb) + p) + (p if ob else 0)


@given(efs.groups(max_order=12).flatmap(
    lambda G: st.tuples(efs.representations(G, max_dim=3, change_of_basis=True),
                        efs.representations(G, kinds=("trivial", "coset", "permutation", "regular"), max_dim=8),
                        efs.representations(G, max_dim=3, change_of_basis=True))))
def test_character_formula_matches_nullspace(trio) -> None:
    """Both methods agree for any permutation hidden representation (orbits G/K), with and without biases."""
    rho_in, rho_h, rho_out = trio
    for hb in (True, False):
        for ob in (True, False):
            a = ef.len_dimension(rho_in, rho_h, rho_out, hidden_bias=hb, output_bias=ob, method="character")
            b = ef.len_dimension(rho_in, rho_h, rho_out, hidden_bias=hb, output_bias=ob, method="nullspace")
            assert a == b


def test_nullspace_of_a_float_trivial_action_counts_no_round_off_as_rank() -> None:
    """A trivial action in a float basis (rho(g) = I + 1e-15, not rational) constrains nothing: every singular
    value of the constraints is round-off, so none counts (a seed of the layer-wise recovery property)."""
    import numpy as np

    G = groups.cyclic(2)
    T = reps.trivial(G)
    rho_out = reps.change_basis(reps.direct_sum(T, T, T), np.random.default_rng(3).normal(size=(3, 3)))
    assert 0 < np.abs(rho_out(1) - np.eye(3)).max() < 1e-13
    H = reps.direct_sum(T, T)
    for hb in (True, False):
        for ob in (True, False):
            expected = 2 * (1 + int(hb) + 3) + (3 if ob else 0)
            assert ef.len_dimension(T, H, rho_out, hidden_bias=hb, output_bias=ob, method="nullspace") == expected
            assert ef.len_dimension(T, H, rho_out, hidden_bias=hb, output_bias=ob, method="character") == expected
