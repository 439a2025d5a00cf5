"""Properties of representations: homomorphism law, characters, Hom and Fix dimensions, decomposition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from equifuzz import groups as eg
from equifuzz import reps as er
from equifuzz import strategies as efs

ATOL = 1e-9


def assert_homomorphism(rep):
    """rho(g h) = rho(g) rho(h) for every pair, rho(e) = I, up to float64 rounding."""
    G, M = rep.group, rep.matrices
    assert M.shape == (G.order, rep.dim, rep.dim) and M.dtype == np.float64
    scale = max(1.0, float(np.max(np.abs(M))))
    assert np.allclose(M[0], np.eye(rep.dim), atol=ATOL * scale)
    err = np.max(np.abs(M[G.table] - M[:, None] @ M[None, :]))
    assert err <= ATOL * scale**2, f"{rep}: homomorphism error {err:.3g}"


def null_dim(A, tol=1e-9):
    s = np.linalg.svd(A, compute_uv=False)
    return A.shape[1] - int(np.sum(s > tol * max(1.0, s[0] if s.size else 1.0)))


def fix_dim(rep, elements):
    """dim {v : rho(k) v = v for k in elements}, from the null space of the stacked rho(k) - I."""
    eye = np.eye(rep.dim)
    return null_dim(np.concatenate([rep(k) - eye for k in elements] + [np.zeros((1, rep.dim))]))


def rep_pair(max_dim=6):
    """A group with two drawn representations, each possibly in a non-orthogonal basis."""

    @st.composite
    def draw(draw):
        G = draw(efs.groups(), label="G")
        r1 = draw(efs.representations(G, max_dim=max_dim, change_of_basis=draw(st.booleans())), label="r1")
        r2 = draw(efs.representations(G, max_dim=max_dim, change_of_basis=draw(st.booleans())), label="r2")
        return G, r1, r2

    return draw()


# ---------------------------------------------------------------------------------------------
# homomorphisms


@given(st.data())
def test_drawn_representations_are_homomorphisms(data):
    G = data.draw(efs.groups(), label="G")
    max_dim = data.draw(st.integers(1, 10), label="max_dim")
    rep = data.draw(efs.representations(G, max_dim=max_dim, change_of_basis=data.draw(st.booleans())), label="rep")
    assert rep.group is G and 1 <= rep.dim <= max_dim
    assert_homomorphism(rep)


@given(st.data())
def test_each_kind_alone(data):
    G = data.draw(efs.groups(), label="G")
    kind = data.draw(st.sampled_from(efs.KINDS), label="kind")
    supported = {
        "rotation": G.family is not None and G.family[0] in ("cyclic", "dihedral"),
        "sign": any(K.index == 2 for K in G.subgroups()),
    }.get(kind, True)
    strategy = efs.representations(G, kinds=[kind], max_dim=24)
    if not supported:
        with pytest.raises(InvalidArgument, match=kind):
            data.draw(strategy)
        return
    rep = data.draw(strategy, label="rep")
    assert_homomorphism(rep)
    if kind in ("trivial", "coset", "permutation", "regular"):
        assert rep.is_permutation
    if kind in ("trivial", "sign", "signed_permutation"):
        M = rep.matrices
        assert np.all(np.isin(M, (-1.0, 0.0, 1.0))) and np.all(np.abs(M).sum(axis=1) == 1)
    if kind == "regular":
        assert rep.dim % G.order == 0 and np.all(rep.character()[1:] == 0)
    if kind == "rotation":
        assert rep.dim % 2 == 0 and rep.is_orthogonal


@given(efs.groups())
def test_constructors_are_homomorphisms(G):
    reps = [er.trivial(G, 3), er.regular(G), *er.irreducibles(G)]
    reps += [er.coset(G, K) for K in G.subgroups()]
    reps += [er.sign(G, K) for K in G.subgroups() if K.index == 2]
    if G.family and G.family[0] in ("cyclic", "dihedral"):
        reps.append(er.rotation(G))
    if G.family and G.family[0] in ("symmetric", "alternating"):
        reps.append(er.standard(G))
    for rep in reps:
        assert_homomorphism(rep)
        assert_homomorphism(rep.dual())
        assert_homomorphism(rep.orthogonalized())


def test_signed_permutation_example_a():
    """Example A of THEORY.md: Z2 acting on R^2 by -I is the signed permutation s -> -I."""
    G = eg.cyclic(2)
    rep = er.signed_permutation(G, {1: [0, 1]}, {1: [-1, -1]})
    assert_homomorphism(rep)
    assert np.array_equal(rep(1), -np.eye(2))
    assert not rep.is_permutation


@given(rep_pair(max_dim=4))
def test_tensor_and_direct_sum_characters(pair):
    _, r1, r2 = pair
    s, t = er.direct_sum(r1, r2), er.tensor(r1, r2)
    assert_homomorphism(s)
    assert_homomorphism(t)
    assert np.allclose(s.character(), r1.character() + r2.character(), atol=ATOL)
    assert np.allclose(t.character(), r1.character() * r2.character(), atol=ATOL * max(1, r1.dim * r2.dim))
    assert (r1 + r2).allclose(s) and (r1 * r2).allclose(t)


# ---------------------------------------------------------------------------------------------
# characters


def _real_irrep_count(G):
    fam, n = G.family
    if fam == "cyclic":
        return n // 2 + 1
    return (n + 3) // 2 if n % 2 else n // 2 + 3  # dihedral


@pytest.mark.parametrize(
    "G, count",
    [
        (eg.cyclic(4), 3),
        (eg.cyclic(5), 3),
        (eg.dihedral(4), 5),
        (eg.symmetric(3), 3),
        (eg.alternating(4), 3),
        (eg.quaternion(), 5),
    ],
    ids=lambda x: getattr(x, "name", str(x)),
)
def test_known_real_irrep_counts(G, count):
    assert len(er.irreducibles(G)) == count


def check_irreducible_characters(G):
    irr = er.irreducibles(G)
    chars = np.stack([r.character() for r in irr])
    gram = chars @ chars.T / G.order
    assert np.allclose(gram - np.diag(np.diag(gram)), 0, atol=ATOL)
    norms = np.round(np.diag(gram)).astype(int)
    assert np.allclose(np.diag(gram), norms, atol=ATOL) and set(norms) <= {1, 2, 4}
    dims = np.array([r.dim for r in irr])
    assert np.isclose(np.sum(dims**2 / norms), G.order)
    # real type counts one complex irrep, complex type two, quaternionic type one
    assert sum(2 if k == 2 else 1 for k in norms) == len(G.conjugacy_classes())
    for r, k in zip(irr, norms, strict=True):
        assert r.is_orthogonal
        assert len(er.intertwiners(r, r)) == k  # End_G is R, C or H
    return irr


@given(st.integers(1, 12))
def test_cyclic_irreducible_characters(n):
    G = eg.cyclic(n)
    assert len(check_irreducible_characters(G)) == _real_irrep_count(G)


@given(st.integers(1, 9))
def test_dihedral_irreducible_characters(n):
    G = eg.dihedral(n)
    assert len(check_irreducible_characters(G)) == _real_irrep_count(G)


@pytest.mark.parametrize(
    "make", [lambda: eg.symmetric(3), lambda: eg.alternating(4), eg.quaternion], ids=["S3", "A4", "Q8"]
)
def test_irreducible_characters_of_small_groups(make):
    check_irreducible_characters(make())


@given(efs.groups())
def test_irreducible_characters_of_drawn_groups(G):
    check_irreducible_characters(G)


@given(efs.groups())
def test_regular_character(G):
    chi = er.regular(G).character()
    assert chi[0] == G.order and np.all(chi[1:] == 0)


@given(efs.subgroups(efs.groups()))
def test_coset_dimension_and_character(K):
    G = K.group
    rep = er.coset(G, K)
    assert rep.dim == K.index and rep.is_permutation
    # induced character: chi(g) = #{h : h^-1 g h in K} / |K|
    inK = np.zeros(G.order, bool)
    inK[list(K.elements)] = True
    h = np.arange(G.order)
    expect = [inK[G.table[G.inverses[h], G.table[g, h]]].sum() / K.order for g in G.elements]
    assert np.array_equal(rep.character(), np.array(expect))
    assert er.dim_fix(rep) == 1  # transitive


@given(rep_pair())
def test_dim_hom_matches_intertwiners(pair):
    G, r1, r2 = pair
    X = er.intertwiners(r1, r2)
    assert er.dim_hom(r1, r2) == len(X) == er.dim_hom(r2, r1)
    if len(X):
        M1, M2 = r1.matrices, r2.matrices
        for x in X:  # X rho_1(g) = rho_2(g) X for every element, not only the generators
            assert np.allclose(x @ M1, M2 @ x, atol=1e-7)
        assert np.linalg.matrix_rank(X.reshape(len(X), -1)) == len(X)


@given(st.data())
def test_frobenius_reciprocity(data):
    G = data.draw(efs.groups(), label="G")
    K = data.draw(efs.subgroups(G), label="K")
    rho = data.draw(efs.representations(G, change_of_basis=data.draw(st.booleans())), label="rho")
    ind = er.coset(G, K)
    fix = fix_dim(rho, K.elements)
    assert er.dim_hom(ind, rho) == er.dim_fix(rho, K) == fix == len(er.intertwiners(ind, rho))
    # <chi_coset, chi_rho> over G equals the average of chi_rho over K
    chi = rho.character()
    assert np.isclose(er.inner(ind, rho), chi[list(K.elements)].mean(), atol=ATOL)
    assert er.dim_fix(rho) == fix_dim(rho, G.elements)


@given(st.data())
def test_orthogonalized(data):
    G = data.draw(efs.groups(), label="G")
    rep = data.draw(efs.representations(G, change_of_basis=True), label="rep")
    o = rep.orthogonalized()
    assert o.is_orthogonal
    assert_homomorphism(o)
    assert np.allclose(o.character(), rep.character(), atol=1e-8)
    S = rep.orthogonalizer()
    assert np.allclose(S @ rep.matrices, o.matrices @ S, atol=1e-8)


@given(st.data())
def test_change_basis_preserves_character(data):
    G = data.draw(efs.groups(), label="G")
    rep = data.draw(efs.representations(G), label="rep")
    Q = efs.change_of_basis_matrix(rep.dim, data.draw(efs.seeds(), label="seed"))
    assert np.linalg.cond(Q) <= 50
    q = er.change_basis(rep, Q)
    assert_homomorphism(q)
    assert np.allclose(q.character(), rep.character(), atol=1e-9)
    assert np.allclose(q.matrices @ Q, Q @ rep.matrices, atol=1e-9)
    assert er.dim_hom(q, rep) == er.dim_hom(rep, rep)


@given(st.data())
def test_decompose_reconstructs_character(data):
    G = data.draw(efs.groups(), label="G")
    rep = data.draw(efs.representations(G, change_of_basis=data.draw(st.booleans())), label="rep")
    parts = er.decompose(rep)
    chi = sum(m * irr.character() for irr, m in parts)
    assert np.allclose(chi, rep.character(), atol=1e-8)
    assert sum(m * irr.dim for irr, m in parts) == rep.dim
    assert all(m > 0 for _, m in parts)


@given(efs.representations(eg.dihedral(4), change_of_basis=True))
def test_dual_character_is_the_same(rep):
    """Real characters satisfy chi(g^-1) = chi(g), and the dual has character chi(g^-1)."""
    G = rep.group
    chi = rep.character()
    assert np.allclose(rep.dual().character(), chi[G.inverses], atol=1e-9)
    assert np.allclose(chi[G.inverses], chi, atol=1e-9)
