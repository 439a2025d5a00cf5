"""Replay of a report (library, command line) and the pytest hook that writes reports."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from equifuzz import compensate
from equifuzz.builders.examples import example_a
from equifuzz.cli import main as cli_main
from equifuzz.plugin import report_failure
from equifuzz.report import CaseFailure, FailureCase, attach_case, find_case, replay, write_report

from ._support import planted_case


def _case_a() -> FailureCase:
    ex = example_a()
    return FailureCase(ex.net, ex.rho_in, ex.rho_out, claim="layerwise", name="example_a")


def test_replay_still_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_report(_case_a(), tmp_path)
    r = replay(folder)
    assert r.fails and r.exit_code == 1
    assert r.case.digest() == json.loads((folder / "report.json").read_text())["id"]
    assert cli_main(["replay", str(folder)]) == 1
    assert cli_main(["replay", str(folder / "report.json")]) == 1
    assert "still FAILS" in capsys.readouterr().out


def test_replay_of_a_fixed_case_exits_zero(tmp_path: Path) -> None:
    case = _case_a()
    fixed = case.replace(net=compensate(case.net, case.rho_in, case.rho_out))
    folder = write_report(fixed, tmp_path)
    assert replay(folder).exit_code == 0
    assert cli_main(["replay", str(folder)]) == 0


def test_replay_of_unreadable_reports_exits_two(tmp_path: Path) -> None:
    assert cli_main(["replay", str(tmp_path / "missing")]) == 2
    folder = write_report(_case_a(), tmp_path)
    data = json.loads((folder / "report.json").read_text())
    data["schema_version"] = 99
    (folder / "report.json").write_text(json.dumps(data))
    assert cli_main(["replay", str(folder)]) == 2


class _Item:
    def __init__(self, marked: bool) -> None:
        self.marked = marked
        self.name = "test_something"
        self.nodeid = "tests/x.py::test_something"
        self.config = SimpleNamespace(getoption=lambda *a, **k: None)

    def get_closest_marker(self, name: str) -> object | None:
        return object() if self.marked and name == "equifuzz" else None


def _call(exc: BaseException, when: str = "call") -> SimpleNamespace:
    return SimpleNamespace(when=when, excinfo=SimpleNamespace(value=exc))


def test_pytest_hook_writes_a_report_for_marked_failures(tmp_path: Path) -> None:
    case = planted_case(0, 7)
    with pytest.raises(CaseFailure) as info:
        CaseFailure.check(case)
    folder = report_failure(_Item(True), _call(info.value), tmp_path, budget=20)
    assert folder is not None and (folder / "report.json").exists()
    data = json.loads((folder / "report.json").read_text())
    assert data["minimization"]["original"]["width"] == 39
    assert data["name"] == "planted_d4_seed0" and data["environment"]["seed"] == 0
    # not marked, not the call phase, or no case: nothing
    assert report_failure(_Item(False), _call(info.value), tmp_path) is None
    assert report_failure(_Item(True), _call(info.value, "setup"), tmp_path) is None
    assert report_failure(_Item(True), _call(AssertionError("plain")), tmp_path) is None


def test_case_is_found_through_causes_and_groups() -> None:
    case = _case_a()
    inner = attach_case(ValueError("inner"), case)
    try:
        try:
            raise inner
        except ValueError as e:
            raise AssertionError("outer") from e
    except AssertionError as outer:
        assert find_case(outer) is case
    assert find_case(RuntimeError("none")) is None
    group_type = getattr(builtins, "ExceptionGroup", None)
    if group_type is not None:  # Python 3.11+
        group = group_type("many", [RuntimeError("x"), attach_case(AssertionError("y"), case)])
        assert find_case(group) is case


def test_hypothesis_failure_carries_the_shrunk_case(tmp_path: Path) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=10, database=None, derandomize=True, deadline=None)
    @given(st.integers(0, 39))
    def prop(drop: int) -> None:
        CaseFailure.check(planted_case(0, drop))

    with pytest.raises(CaseFailure) as info:
        prop()
    case = find_case(info.value)
    assert case is not None and case.net.width == 39
    folder = report_failure(_Item(True), _call(info.value), tmp_path, budget=20)
    assert folder is not None and replay(folder).exit_code == 1
