"""Properties of finite groups (Cayley tables, words, subgroups, classes) and continuous groups."""

from __future__ import annotations

import itertools
import math
from collections import deque

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from equifuzz import groups as eg
from equifuzz import strategies as efs

# ---------------------------------------------------------------------------------------------
# axioms


@given(efs.groups())
def test_identity_and_inverses(G):
    t, n = G.table, G.order
    ar = np.arange(n)
    assert np.array_equal(t[0], ar) and np.array_equal(t[:, 0], ar)
    inv = np.array([G.inv(g) for g in G.elements])
    assert np.all(t[ar, inv] == 0) and np.all(t[inv, ar] == 0)
    assert all(G.inv(G.inv(g)) == g for g in G.elements)


@given(efs.groups())
def test_associative_on_all_triples(G):
    t = G.table
    a, b, c = np.meshgrid(*(np.arange(G.order),) * 3, indexing="ij")
    assert np.array_equal(t[t[a, b], c], t[a, t[b, c]])


@given(st.data())
def test_associative_on_random_triples(data):
    G = data.draw(efs.groups(max_order=120), label="G")
    el = st.integers(0, G.order - 1)
    for a, b, c in data.draw(st.lists(st.tuples(el, el, el), min_size=1, max_size=50), label="triples"):
        assert G.mul(G.mul(a, b), c) == G.mul(a, G.mul(b, c)) == G.mul(a, b, c)


def _bfs_lengths(G):
    """Distance from the identity in the Cayley graph of right multiplication by the generators."""
    dist = {0: 0}
    queue = deque([0])
    while queue:
        g = queue.popleft()
        for a in G.generators:
            h = int(G.table[g, a])
            if h not in dist:
                dist[h] = dist[g] + 1
                queue.append(h)
    return dist


@given(efs.groups(max_order=60))
def test_words_evaluate_and_are_shortest(G):
    dist = _bfs_lengths(G)
    assert len(dist) == G.order  # the generators generate
    for g in G.elements:
        w = G.word(g)
        assert G.evaluate_word(w) == g
        assert len(w) == dist[g]


@given(efs.groups(max_order=12))
def test_no_shorter_word_by_enumeration(G):
    """On small groups: no word of length < len(word(g)) evaluates to g (independent of BFS)."""
    k = len(G.generators)
    longest = max(len(G.word(g)) for g in G.elements)
    shortest: dict[int, int] = {}
    for length in range(longest + 1):
        if k**length > 20_000:
            break
        for w in itertools.product(range(k), repeat=length):
            shortest.setdefault(G.evaluate_word(w), length)
    for g, length in shortest.items():
        assert len(G.word(g)) == length


@given(efs.groups())
def test_word_str_names_generators(G):
    for i, a in enumerate(G.generators):
        assert G.evaluate_word((i,)) == a
        assert len(G.word(a)) == (0 if a == 0 else 1)
        assert G.generator_name(a) == G.generator_names[G.generators.index(a)]
    assert G.word_str(0) == "e"


# ---------------------------------------------------------------------------------------------
# constructors


@pytest.mark.parametrize("n", range(1, 7))
def test_symmetric_and_alternating_orders(n):
    S, A = eg.symmetric(n), eg.alternating(n)
    assert S.order == math.factorial(n)
    assert A.order == max(1, math.factorial(n) // 2)
    assert S.is_abelian == (n <= 2)
    assert A.is_abelian == (n <= 3)


@given(st.integers(1, 40))
def test_cyclic_and_dihedral_orders(n):
    C, D = eg.cyclic(n), eg.dihedral(n)
    assert C.order == n and C.is_abelian
    assert sorted(C.element_order(g) for g in C.elements) == sorted(n // math.gcd(n, k) for k in range(n))
    assert D.order == 2 * n
    assert D.is_abelian == (n <= 2)
    # r^k s has order 2 for every k, r has order n
    assert all(D.element_order(k + n) == 2 for k in range(n))
    if n > 1:
        assert D.element_order(1) == n


def test_quaternion():
    Q = eg.quaternion()
    assert Q.order == 8 and not Q.is_abelian
    orders = sorted(Q.element_order(g) for g in Q.elements)
    assert orders == [1, 2, 4, 4, 4, 4, 4, 4]  # one involution, -1
    center = [z for z in Q.elements if all(Q.mul(z, g) == Q.mul(g, z) for g in Q.elements)]
    assert len(center) == 2


def test_klein4():
    V = eg.klein4()
    assert V.order == 4 and V.is_abelian
    assert sorted(V.element_order(g) for g in V.elements) == [1, 2, 2, 2]


@given(st.lists(st.integers(1, 5), min_size=1, max_size=3))
def test_abelian_orders(orders):
    G = eg.abelian(*orders)
    assert G.order == math.prod(orders) and G.is_abelian
    assert max(G.element_order(g) for g in G.elements) == math.lcm(*orders)


@given(efs.groups(max_order=12), efs.groups(max_order=10))
def test_direct_product(G, H):
    P = eg.direct_product(G, H)
    m = H.order
    assert P.order == G.order * H.order
    a = np.arange(P.order)
    # (g1, h1)(g2, h2) = (g1 g2, h1 h2) with (g, h) at index g |H| + h
    expect = G.table[a[:, None] // m, a[None, :] // m] * m + H.table[a[:, None] % m, a[None, :] % m]
    assert np.array_equal(P.table, expect)
    assert P.is_abelian == (G.is_abelian and H.is_abelian)


@given(efs.groups(families=["dihedral"]))
def test_dihedral_labels_multiply(G):
    L = np.stack(G.labels)
    assert np.allclose(L[G.table], L[:, None] @ L[None, :], atol=1e-12)


@given(st.integers(1, 12), st.booleans(), efs.seeds())
def test_from_matrices_closes_with_tolerance(n, reflect, seed):
    """Generators perturbed by 1e-12 (far below tol = 1e-8) still give D_n or C_n exactly."""
    rng = np.random.default_rng(seed)
    th = 2 * np.pi / n
    mats = [np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])]
    if reflect:
        mats.append(np.diag([1.0, -1.0]))
    mats = [m + 1e-12 * rng.standard_normal(m.shape) for m in mats]
    G = eg.from_matrices(mats)
    assert G.order == (2 * n if reflect else n)
    L = np.stack(G.labels)
    # closure up to the tolerance: label(g h) = label(g) label(h)
    assert np.max(np.abs(L[G.table] - L[:, None] @ L[None, :])) < 1e-8
    assert np.allclose(L[0], np.eye(2))


def test_from_permutations_labels_compose():
    G = eg.from_permutations([(1, 2, 0, 3), (1, 0, 2, 3)])
    assert G.order == 6
    for a, b in itertools.product(G.elements, repeat=2):
        pa, pb = G.labels[a], G.labels[b]
        assert G.labels[G.mul(a, b)] == tuple(pa[pb[i]] for i in range(4))


# ---------------------------------------------------------------------------------------------
# subgroups


@pytest.mark.parametrize(
    "make, count",
    [
        (lambda: eg.dihedral(4), 10),
        (lambda: eg.symmetric(4), 30),
        (lambda: eg.alternating(4), 10),
        (eg.quaternion, 6),
        (lambda: eg.symmetric(3), 6),
        (lambda: eg.cyclic(12), 6),
        (eg.klein4, 5),
        (lambda: eg.abelian(2, 2, 2), 16),
    ],
)
def test_subgroup_counts(make, count):
    assert len(make().subgroups()) == count


@given(st.integers(1, 60))
def test_cyclic_subgroups_are_one_per_divisor(n):
    orders = [K.order for K in eg.cyclic(n).subgroups()]
    assert orders == [d for d in range(1, n + 1) if n % d == 0]


@given(efs.groups())
def test_subgroups_closed_and_lagrange(G):
    subs = G.subgroups()
    assert subs[0].elements == (0,) and subs[-1].order == G.order
    assert len({K.elements for K in subs}) == len(subs)
    for K in subs:
        el = np.array(K.elements)
        inside = np.zeros(G.order, bool)
        inside[el] = True
        assert inside[0]
        assert inside[G.table[np.ix_(el, el)]].all()  # closed under multiplication
        assert inside[G.inverses[el]].all()  # and under inverses
        assert G.order % K.order == 0  # Lagrange
        assert G.subgroup(K.generators).elements == K.elements  # its generators generate it


@given(st.data())
def test_drawn_subgroup_cosets_partition(data):
    G = data.draw(efs.groups(), label="G")
    K = data.draw(efs.subgroups(G), label="K")
    c = G.cosets(K)
    assert sorted(set(c.tolist())) == list(range(K.index))
    assert np.all(np.bincount(c) == K.order)
    for g in G.elements:  # gK is one coset
        assert len({int(c[G.mul(g, k)]) for k in K.elements}) == 1


def test_normal_subgroups_of_s4():
    normal = [K.order for K in eg.symmetric(4).subgroups() if K.is_normal()]
    assert normal == [1, 4, 12, 24]


# ---------------------------------------------------------------------------------------------
# conjugacy classes


@pytest.mark.parametrize(
    "make, count",
    [
        (lambda: eg.symmetric(4), 5),
        (lambda: eg.dihedral(4), 5),
        (eg.quaternion, 5),
        (lambda: eg.alternating(4), 4),
        (lambda: eg.symmetric(5), 7),
        (lambda: eg.alternating(5), 5),
        (lambda: eg.dihedral(5), 4),
    ],
)
def test_conjugacy_class_counts(make, count):
    assert len(make().conjugacy_classes()) == count


@given(efs.groups())
def test_classes_partition_and_divide_order(G):
    classes = G.conjugacy_classes()
    assert sorted(g for c in classes for g in c) == list(G.elements)
    assert classes[0] == (0,)
    for c in classes:
        assert G.order % len(c) == 0
        g = c[0]
        assert {G.conjugate(g, h) for h in G.elements} == set(c)
    assert (len(classes) == G.order) == G.is_abelian


# ---------------------------------------------------------------------------------------------
# continuous groups

CONTINUOUS = [eg.so2(), eg.o2(), eg.so3(), eg.o3()]


@pytest.mark.parametrize("K", CONTINUOUS, ids=str)
@given(seed=efs.seeds(), n=st.integers(1, 50))
def test_samples_are_orthogonal(K, seed, n):
    m = K.sample(n, seed)
    assert m.shape == (n, K.dim, K.dim) and m.dtype == np.float64
    assert np.allclose(np.swapaxes(m, 1, 2) @ m, np.eye(K.dim), atol=1e-12)
    det = np.linalg.det(m)
    assert np.allclose(np.abs(det), 1, atol=1e-12)
    if K.orientation_preserving:
        assert np.allclose(det, 1, atol=1e-12)
    assert all(K.contains(x) for x in m)


@pytest.mark.parametrize("K, order", [(eg.so2(), 12), (eg.o2(), 24), (eg.so3(), 24), (eg.o3(), 48)], ids=str)
def test_covering_orders(K, order):
    H = K.covering()
    assert H.order == order
    assert all(K.contains(m) for m in H.labels)
    L = np.stack(H.labels)
    assert np.max(np.abs(L[H.table] - L[:, None] @ L[None, :])) < 1e-8


N_HAAR = 20_000


@given(seed=efs.seeds())
def test_so3_haar_moments(seed):
    """Under Haar on SO(3), tr is the character of an irreducible 3-dim representation, so
    E[tr] = 0 and E[tr^2] = <chi, chi> = 1; and E[tr^4] = <chi^2, chi^2> = 3 (V x V = 1 + 3 + 5).
    So the sample means have standard errors 1/sqrt(N) and sqrt(2/N); we allow 5 of them."""
    tr = np.trace(eg.so3().sample(N_HAAR, seed), axis1=1, axis2=2)
    assert abs(tr.mean()) < 5 / np.sqrt(N_HAAR)
    assert abs((tr**2).mean() - 1) < 5 * np.sqrt(2 / N_HAAR)


@given(seed=efs.seeds())
def test_o3_and_so2_haar_moments(seed):
    """O(3): det is +-1 with equal mass (mean 0, variance 1). SO(2): tr = 2 cos(theta) has mean 0
    and variance 2. Tolerance: 5 standard errors."""
    m3 = eg.o3().sample(N_HAAR, seed)
    assert abs(np.linalg.det(m3).mean()) < 5 / np.sqrt(N_HAAR)
    tr2 = np.trace(eg.so2().sample(N_HAAR, seed), axis1=1, axis2=2)
    assert abs(tr2.mean()) < 5 * np.sqrt(2 / N_HAAR)


# ---------------------------------------------------------------------------------------------
# the strategies themselves: bounds, families, and shrinking towards small cyclic groups

FIND = settings(database=None, derandomize=True, max_examples=300)


@given(st.integers(1, 60), st.data())
def test_drawn_groups_respect_max_order(max_order, data):
    G = data.draw(efs.groups(max_order=max_order), label="G")
    assert 1 <= G.order <= max_order


@pytest.mark.parametrize("family", [f for f in efs.FAMILIES if f not in ("klein4", "quaternion")])
@given(data=st.data())
def test_drawn_groups_come_from_the_asked_family(family, data):
    G = data.draw(efs.groups(families=[family]), label="G")
    if family in ("cyclic", "dihedral", "symmetric", "alternating"):
        assert G.family is not None and G.family[0] == family
    elif family == "abelian":
        assert G.is_abelian and G.family is None and " x " in G.name
    else:
        assert " x " in G.name and len(G.generators) >= 2


def test_groups_shrink_towards_small_cyclic_groups():
    assert find(efs.groups(), lambda G: True, settings=FIND).name == "C1"
    assert find(efs.groups(), lambda G: G.order >= 5, settings=FIND).name == "C5"
    G = find(efs.groups(), lambda G: not G.is_abelian, settings=FIND)
    assert G.order == 6  # the smallest non-abelian group
    K = find(efs.subgroups(eg.symmetric(4)), lambda K: True, settings=FIND)
    assert K.elements == (0,)
    assert find(efs.subgroups(eg.symmetric(4)), lambda K: K.order > 6, settings=FIND).order == 8
