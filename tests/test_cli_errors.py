"""Bad use of the ``equifuzz`` command line: one clear line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import json
import re

import pytest

from equifuzz.cli import main


def _report(tmp_path, data):
    folder = tmp_path / "report"
    folder.mkdir()
    text = data if isinstance(data, str) else json.dumps(data)
    (folder / "report.json").write_text(text, encoding="utf-8")
    return str(folder)


BAD_USE = {
    "no command": (lambda tmp: [], "required: command"),
    "unknown command": (lambda tmp: ["frobnicate"], "invalid choice: 'frobnicate'"),
    "unknown flag": (lambda tmp: ["fuzz", "--turbo"], "unrecognized arguments: --turbo"),
    "non-integer seed": (lambda tmp: ["fuzz", "--seed", "abc"], "--seed: expected a non-negative integer, got 'abc'"),
    "negative seed": (lambda tmp: ["fuzz", "--seed", "-3"], "--seed: expected a non-negative integer, got '-3'"),
    "unknown profile": (lambda tmp: ["fuzz", "--profile", "turbo"], "--profile: invalid choice: 'turbo'"),
    "negative budget": (lambda tmp: ["fuzz", "--budget", "-5"], "--budget: expected a positive number of seconds"),
    "NaN budget": (lambda tmp: ["fuzz", "--budget", "nan"], "--budget: expected a positive number of seconds"),
    "zero workers": (lambda tmp: ["fuzz", "--workers", "0"], "--workers: expected a positive integer, got '0'"),
    "zero bench networks": (lambda tmp: ["bench", "--nets", "0"], "--nets: expected a positive integer"),
    "--out is a file": (lambda tmp: ["fuzz", "--out", str(tmp / "file.txt")], "is a file, not a folder"),
    "--address without ray": (lambda tmp: ["fuzz", "--address", "auto"], "--address needs --engine ray"),
    "replay of a missing report": (lambda tmp: ["replay", str(tmp / "missing")], "no report at"),
    "replay of damaged JSON": (lambda tmp: ["replay", _report(tmp, '{"schema_version": 1, "case": {')],
                               "damaged: not valid JSON"),
    "replay of a JSON list": (lambda tmp: ["replay", _report(tmp, [1, 2])], "damaged: expected a JSON object"),
    "replay of a newer schema": (lambda tmp: ["replay", _report(tmp, {"schema_version": 99, "case": {}})],
                                 "written by a newer equifuzz \\(schema_version 99\\).*upgrade equifuzz"),
    "replay of a report without a case": (lambda tmp: ["replay", _report(tmp, {"schema_version": 1})],
                                          "damaged: it has no 'case' object"),
    "replay of a damaged case": (lambda tmp: ["replay", _report(tmp, {"schema_version": 1,
                                                                      "case": {"claim": "equivariant"}})],
                                 "damaged: its case cannot be rebuilt \\(missing key 'group'\\)"),
    "claims without a campaign": (lambda tmp: ["claims", "--out", str(tmp / "none")], "no campaign summary"),
    "claims with a damaged summary": (lambda tmp: ["claims", "--out", _summary(tmp)], "summary.json is damaged"),
}


def _summary(tmp):
    (tmp / "camp").mkdir()
    (tmp / "camp" / "summary.json").write_text("{not json", encoding="utf-8")
    return str(tmp / "camp")


@pytest.mark.parametrize("kind", list(BAD_USE))
def test_bad_use_is_one_line_and_exit_status_2(kind, tmp_path, capsys):
    make, words = BAD_USE[kind]
    (tmp_path / "file.txt").write_text("not a folder")
    assert main(make(tmp_path)) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("equifuzz") and "error:" in lines[0]
    assert "Traceback" not in err
    assert re.search(words, lines[0]), lines[0]


def test_help_still_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "usage: equifuzz" in capsys.readouterr().out


def test_at_least_ten_kinds_of_bad_use():
    assert len(BAD_USE) >= 10
