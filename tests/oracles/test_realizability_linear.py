"""Realizability with linear parts (issue 16): the minimal compensating width decided.

Cases whose truth is known by construction: the two worked cases of docs/realizability.md, networks
built as a layer-wise structure and then rewritten with their cancelling orbits as plain linear rows
(so a layer-wise network of known width computes them), and budgets that run out.
"""

from __future__ import annotations

import numpy as np
import pytest

import equifuzz as ef
from equifuzz.errors import BudgetExceededError
from equifuzz.oracles.orbit_types import Setting


def _swap():
    G = ef.groups.cyclic(2)
    return G, ef.reps.from_generators(G, [np.array([[0.0, 1.0], [1.0, 0.0]])])


def _c2_case() -> tuple[ef.ReLUNet, ef.reps.Representation, ef.reps.Representation]:
    """f = relu(x1) + relu(x2) + x1 + x2, the linear part written as relu(x1 + x2) - relu(-x1 - x2)."""
    G, swap = _swap()
    net = ef.ReLUNet([[1, 0], [0, 1], [1, 1], [-1, -1]], [0, 0, 0, 0], [[1, 1, 1, -1]], [0])
    return net, swap, ef.reps.trivial(G)


def _c4_identity(scale: int = 1) -> tuple[ef.ReLUNet, ef.reps.Representation]:
    G = ef.groups.cyclic(4)
    R = ef.reps.rotation(G)
    s = scale
    net = ef.ReLUNet([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 0, 0], [[s, -s, 0, 0], [0, 0, s, -s]], [0, 0])
    return net, R


def test_c2_swap_every_width_from_0_to_5() -> None:
    net, rin, rout = _c2_case()
    answers = [ef.realizability(net, rin, rout, m) for m in range(6)]
    assert [a.realizable for a in answers] == [False, False, False, False, True, True]
    assert all(a.lower == 2 for a in answers)
    assert "below the lower bound 2 (T4)" in answers[0].reason and "T4" in answers[1].reason
    # widths 2 and 3: the kink orbit alone (one orientation) leaves the linear part 3/2 (x1 + x2) short
    for a in answers[2:4]:
        assert "linear part" in a.reason and a.linear_lower == a.width + 1 and a.remaining == ()
    assert answers[3].linear_lower == 4
    for a in answers[4:]:
        assert a.witness is not None and a.witness.width <= a.width
        assert "exactly" in a.witness_check
        assert ef.equivalent(a.witness, net).holds
        assert ef.check_layerwise(a.witness, rin, rout).holds


def test_c2_swap_search_builds_the_width_4_witness_itself() -> None:
    net, rin, rout = _c2_case()
    r = ef.realizability(net, rin, rout, 4, method="search")
    assert r.realizable is True and r.reason.startswith("built") and r.witness.width == 4
    assert r.witness.exact and ef.equivalent(r.witness, net.to_exact()).method == "canonical-exact"
    lw = ef.check_layerwise(r.witness, rin, rout)
    assert lw.holds and sorted(lw.orbit_sizes) == [2, 2]


def test_c4_identity_every_width_from_0_to_5() -> None:
    net, R = _c4_identity()
    answers = [ef.realizability(net, R, R, m) for m in range(6)]
    assert [a.realizable for a in answers] == [False, False, False, False, True, True]
    assert all(a.lower == 0 for a in answers)  # no kink: T4 says nothing
    for a in answers[:4]:
        assert "linear part" in a.reason and "width 4" in a.reason  # the narrowest orbit with a linear part
    w = ef.realizability(net, R, R, 4, method="search").witness
    assert w is not None and w.width == 4
    lw = ef.check_layerwise(w, R, R)
    assert lw.holds and lw.orbit_sizes == [4] and lw.orbits[0].stabilizer.order == 1
    assert ef.equivalent(w, net).holds


def test_c4_zero_function_is_realizable_at_width_0() -> None:
    _, R = _c4_identity()
    zero = ef.ReLUNet(np.zeros((0, 2)), np.zeros(0), np.zeros((2, 0)), [0.0, 0.0])
    r = ef.realizability(zero, R, R, 0)
    assert r.realizable is True and r.witness.width == 0


# -- known truths by construction -------------------------------------------------------------


def _integer(B: np.ndarray) -> np.ndarray:
    from fractions import Fraction
    from math import lcm

    cols = []
    for j in range(B.shape[1]):
        c = [Fraction(x) for x in B[:, j]]
        m = lcm(*[x.denominator for x in c]) if c else 1
        cols.append([int(x * m) for x in c])
    return np.array(cols, dtype=np.int64).T.reshape(B.shape[0], B.shape[1])


def _structure_net(G, rin, rout, seed: int, biases: bool) -> tuple[ef.ReLUNet, int]:  # type: ignore[no-untyped-def]
    """A layer-wise network of width m (kink orbits + cancelling orbits), returned with its cancelling
    orbits summed into one linear map written row by row as relu(z) - relu(-z): f is in LEN_m."""
    rng = np.random.default_rng(seed)
    st = Setting.build(rin, rout, biases, biases, exact=True)
    subs = G.subgroups()
    d, p = st.d, st.p
    W1, b1, W2 = [], [], []
    m = 0
    for _ in range(int(rng.integers(0, 3))):
        K = subs[int(rng.integers(len(subs)))]
        one = {k: 1 for k in K.elements}
        Bw, Bv = _integer(st.eigenspace(st.Rdual, list(K.elements), one)), _integer(
            st.eigenspace(st.Rout, list(K.elements), one))
        if Bw.shape[1] == 0 or Bv.shape[1] == 0:
            continue
        w, v = Bw @ rng.integers(-2, 3, Bw.shape[1]), Bv @ rng.integers(-2, 3, Bv.shape[1])
        b = float(rng.integers(-2, 3)) if biases else 0.0
        for g in st.cosets(K):
            W1.append(np.array(st.Rdual[g] @ w, float))
            b1.append(b)
            W2.append(np.array(st.Rout[g] @ v, float))
            m += 1
    L, e = np.zeros((p, d)), np.zeros(p)
    for _ in range(int(rng.integers(1, 3))):
        S = subs[int(rng.integers(len(subs)))]
        one = {k: 1 for k in S.elements}
        Bw, Bv = _integer(st.eigenspace(st.Rdual, list(S.elements), one)), _integer(
            st.eigenspace(st.Rout, list(S.elements), one))
        if Bw.shape[1] == 0 or Bv.shape[1] == 0:
            continue
        u, a = Bw @ rng.integers(-2, 3, Bw.shape[1]), Bv @ rng.integers(-2, 3, Bv.shape[1])
        if not u.any() or not a.any():
            continue
        beta = float(rng.integers(-2, 3)) if biases else 0.0
        for g in st.cosets(S):  # the pair (w, beta, v), (-w, -beta, -v) computes v (w.x + beta)
            wg, ag = np.array(st.Rdual[g] @ u, float), np.array(st.Rout[g] @ a, float)
            L += np.outer(ag, wg)
            e += beta * ag
            m += 2
    for i in range(p):
        if L[i].any():
            one_hot = np.eye(p)[i]
            W1 += [L[i], -L[i]]
            b1 += [0.0, 0.0]
            W2 += [one_hot, -one_hot]
    net = ef.ReLUNet(np.array(W1).reshape(-1, d), np.array(b1) if biases else None,
                     np.array(W2).reshape(-1, p).T, e if biases else None)
    return net, m


SETTINGS = {
    "C2 swap -> trivial": lambda: (_swap()[0], _swap()[1], ef.reps.trivial(_swap()[0])),
    "C4 rotation -> rotation": lambda: (lambda G: (G, ef.reps.rotation(G), ef.reps.rotation(G)))(ef.groups.cyclic(4)),
    "D4 rotation -> rotation": lambda: (lambda G: (G, ef.reps.rotation(G), ef.reps.rotation(G)))(ef.groups.dihedral(4)),
    "S3 standard -> trivial": lambda: (lambda G: (G, ef.reps.standard(G), ef.reps.trivial(G)))(ef.groups.symmetric(3)),
    "Q8 on Q8/<i> -> the same": lambda: (lambda G: (G, ef.reps.coset(G, G.subgroup([G.generators[0]])),
                                                    ef.reps.coset(G, G.subgroup([G.generators[0]]))))(
        ef.groups.quaternion()),
    "S4 cube rotations -> the same": lambda: _cube(),
}


def _cube():  # type: ignore[no-untyped-def]
    """S4 as the rotations of the cube: (0 1) a half-turn about (1, 0, 1), (0 1 2 3) a quarter-turn about z."""
    G = ef.groups.symmetric(4)
    R = ef.reps.from_generators(G, [np.array([[0.0, 0, 1], [0, -1, 0], [1, 0, 0]]),
                                    np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])])
    return G, R, R


@pytest.mark.parametrize("name", sorted(SETTINGS))
@pytest.mark.parametrize("biases", [True, False])
def test_never_refutes_a_width_that_a_layerwise_network_attains(name: str, biases: bool) -> None:
    G, rin, rout = SETTINGS[name]()
    for seed in range(3):
        net, m = _structure_net(G, rin, rout, seed, biases)
        r = ef.realizability(net, rin, rout, m, method="search")
        assert r.realizable is True, str(r)
        assert r.reason.startswith("built") and r.witness.width <= m
        assert "exactly" in r.witness_check


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_answers_are_monotone_in_the_width_and_every_true_is_checked(name: str) -> None:
    G, rin, rout = SETTINGS[name]()
    net, m = _structure_net(G, rin, rout, 7, True)
    first = ef.realizability(net, rin, rout, 0)
    vals = []
    for w in range(first.lower, first.upper + 1):
        r = ef.realizability(net, rin, rout, w)
        vals.append(r.realizable)
        if r.realizable is True:
            assert ef.equivalent(r.witness, net).holds and ef.check_layerwise(r.witness, rin, rout).holds
        if r.realizable is False:
            assert r.reason
    assert None not in vals
    k = vals.index(True)
    assert all(v is False for v in vals[:k]) and all(v is True for v in vals[k:])
    assert first.lower + k <= m  # the minimal compensating width is at most the constructed one


def test_witness_verified_in_float64_when_the_representation_is_not_rational() -> None:
    G = ef.groups.cyclic(3)
    R = ef.reps.rotation(G)  # entries sqrt(3)/2
    net = ef.ReLUNet([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 0, 0], [[1, -1, 0, 0], [0, 0, 1, -1]], [0, 0])
    # no index-2 subgroup and no -I: a cancelling orbit has width 2 |G| = 6, a one-sided orbit puts kinks
    assert [ef.realizability(net, R, R, m).realizable for m in range(6)] == [False] * 6
    r = ef.realizability(net, R, R, 6)
    assert r.realizable is True and not r.exact and r.upper == 6 and r.reason.startswith("built")
    assert "float64" in r.witness_check and "residual" in r.witness_check


def test_budget_runs_out_with_what_remains_named() -> None:
    net, rin, rout = _c2_case()
    r = ef.realizability(net, rin, rout, 3, budget=1)
    assert r.realizable is None and "budget of 1" in r.reason and r.searched == 1
    r = ef.realizability(net, rin, rout, 5, budget=1)
    assert r.realizable is True  # at the T5b bound the symmetrization settles it whatever the budget


def test_subgroup_budget_runs_out_as_undecided() -> None:
    net, rin, rout = _c2_case()
    r = ef.realizability(net, rin, rout, 3, subgroup_budget=0)
    assert r.realizable is None and "orbit types not enumerated" in r.reason and "budget of 0" in r.reason


def test_relaxation_feasible_but_not_built_is_undecided_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from equifuzz.oracles import realizability_search

    net, rin, rout = _c2_case()
    monkeypatch.setattr(realizability_search.Problem, "construct", lambda self, s, **kw: None)
    r = ef.realizability(net, rin, rout, 4, method="search")
    # width 4 was open (T5b gives True anyway) and widths below it are still refuted
    assert r.realizable is True and "did not settle" in r.reason and r.remaining
    assert "width 4" in r.remaining[0]
    r3 = ef.realizability(net, rin, rout, 3)
    assert r3.realizable is False


def test_bad_method_and_budget() -> None:
    net, rin, rout = _c2_case()
    with pytest.raises(ef.InvalidArgument, match="method"):
        ef.realizability(net, rin, rout, 2, method="guess")
    with pytest.raises(ef.InvalidArgument, match="budget"):
        ef.realizability(net, rin, rout, 2, budget=0)


# -- subgroups up to conjugacy, with a budget --------------------------------------------------


@pytest.mark.parametrize("G, classes, total", [
    (ef.groups.dihedral(4), 8, 10), (ef.groups.quaternion(), 6, 6), (ef.groups.symmetric(4), 11, 30),
    (ef.groups.symmetric(5), 19, 156), (ef.groups.alternating(4), 5, 10),
])
def test_subgroup_classes_and_subgroups_counts(G, classes: int, total: int) -> None:  # type: ignore[no-untyped-def]
    cls = G.subgroup_classes()
    subs = G.subgroups()
    assert len(cls) == classes and len(subs) == total
    keys = {s.elements for s in subs}
    assert all(c.elements in keys for c in cls)
    for s in subs:  # each is a subgroup generated by its generators
        assert G.subgroup(s.generators).elements == s.elements


def test_subgroups_budget_raises_a_typed_error() -> None:
    with pytest.raises(BudgetExceededError, match="budget of 3"):
        ef.groups.symmetric(4).subgroups(budget=3)
    assert issubclass(BudgetExceededError, ef.EquifuzzError)


def test_campaign_reports_the_minimal_compensating_width_of_the_worked_examples() -> None:
    from equifuzz.builders.examples import example_a
    from equifuzz.campaign.driver import example_checks
    from equifuzz.campaign.summary import summary_markdown

    checks, finding, info = example_checks(example_a())
    assert info["minimal"] == 6 and info["minimal_decided"] and info["minimal_undecided"] == []
    assert finding is not None and finding.summary["minimal"] == 6
    md = summary_markdown({"profile": "t", "seed": 0, "cases_run": 0, "cases_planned": 0, "complete": True,
                           "claims": {}, "examples": {"example_a": info}, "compensation_sweep": [],
                           "counterexamples": [{"case": "example_a", "kind": "equivariant-not-layerwise",
                                                "claim": "layerwise", **finding.summary}]}, 0.0, ["cpu"], 1)
    assert "| example_a | 3 | True | False | 6 | 6 | 6 | 6 |" in md
    assert "minimal compensating width 6 (width 3)" in md
