"""The minimizer's cheap answers change nothing: a candidate already judged is not evaluated again, and a
candidate whose function is not equivariant is rejected without its witness, with the same log and result as
the full evaluation of every candidate."""

from __future__ import annotations

import sys

import pytest

import equifuzz as ef
from equifuzz.builders import build_flipped_net
from equifuzz.report import FailureCase, minimize

M = sys.modules["equifuzz.report.minimize"]  # the package re-exports the function under the module's name


def _folded(group: str, seed: int) -> FailureCase:
    G = {"C6": ef.groups.cyclic(6), "D4": ef.groups.dihedral(4)}[group]  # C6: irrational, float semantics
    ri, ro = ef.reps.rotation(G), ef.reps.trivial(G)
    folded = build_flipped_net(ri, ro, [3, 17, 40], seed, integer_weights=False)
    assert folded is not None
    return FailureCase(folded[0], ri, ro, claim="layerwise", name=f"folded_{group}_{seed}")


@pytest.mark.parametrize(("group", "seed"), [("C6", 0), ("D4", 1)])
def test_cheap_answers_give_the_same_minimization(group: str, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _folded(group, seed)
    assert case.evaluate().signature == ("layerwise", False, True, False)  # equivariant, not layer-wise
    calls = {"evaluate": 0}
    evaluate = M.evaluate

    def counted(c: FailureCase):  # type: ignore[no-untyped-def]
        calls["evaluate"] += 1
        return evaluate(c)

    monkeypatch.setattr(M, "evaluate", counted)
    fast = minimize(case, budget=600.0, max_checks=60)
    fast_calls = calls["evaluate"]
    # the full evaluation of every candidate, each time it is asked
    monkeypatch.setattr(M, "not_equivariant", lambda c: None)
    monkeypatch.setattr(M, "content_key", lambda c: object())
    calls["evaluate"] = 0
    full = minimize(case, budget=600.0, max_checks=60)
    assert calls["evaluate"] == full.checks
    assert fast_calls < full.checks  # the cheap answers were used
    assert [str(s) for s in fast.steps] == [str(s) for s in full.steps]
    assert fast.checks == full.checks and fast.budget_exhausted == full.budget_exhausted
    assert fast.case.digest() == full.case.digest()
    assert fast.outcome.signature == full.outcome.signature
    assert any("not even equivariant" in s.detail for s in full.steps if s.kept is False)


def test_a_case_is_evaluated_once_per_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """write_case_report asks whether the case fails, then the minimizer starts from it: one evaluation; a copy
    of the case (another object) is evaluated again, to the same outcome."""
    RC = sys.modules["equifuzz.report.case"]
    calls: list[FailureCase] = []
    inner = RC._evaluate

    def counted(c: FailureCase):  # type: ignore[no-untyped-def]
        calls.append(c)
        return inner(c)

    monkeypatch.setattr(RC, "_evaluate", counted)
    case = _folded("D4", 1)
    assert case.fails()
    minimize(case, budget=600.0, max_checks=1)
    assert calls.count(case) == 1
    copy = case.replace(name="copy")
    assert copy.evaluate().signature == case.evaluate().signature and calls.count(copy) == 1
