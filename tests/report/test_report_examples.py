"""The committed example reports (Examples A and B, claim layer-wise) regenerate identically."""

from __future__ import annotations

import json
import re
from pathlib import Path

from equifuzz.report import validate
from equifuzz.report.examples import write_examples
from equifuzz.report.writers import library_versions

from ._support import REPO, run_script
from .test_report_writers import TEXT_FILES, png_size

COMMITTED = REPO / "reports" / "examples"


def _with_current_versions(name: str, text: str) -> str:
    """Library versions are the one part of a report that depends on the environment: put the running
    versions in, so that everything else is compared byte for byte."""
    versions = library_versions()
    if name == "report.md":
        for k, v in versions.items():
            text = re.sub(rf"^- {k}: .*$", f"- {k}: {v}", text, flags=re.M)
    elif name == "report.json":
        for k, v in versions.items():
            text = re.sub(rf'^(\s*"{k}": )".*"(,?)$', lambda m, v=v: f'{m.group(1)}{json.dumps(v)}{m.group(2)}',
                          text, flags=re.M)
    return text


def test_example_reports_regenerate_byte_for_byte(tmp_path: Path) -> None:
    folders = write_examples(tmp_path)
    committed = sorted(p.name for p in COMMITTED.iterdir() if p.is_dir())
    assert sorted(f.name for f in folders) == committed, "reports/examples is out of date"
    for f in folders:
        old = COMMITTED / f.name
        assert sorted(p.name for p in f.iterdir()) == sorted(p.name for p in old.iterdir())
        for name in TEXT_FILES:
            new_text = (f / name).read_text(encoding="utf-8")
            old_text = _with_current_versions(name, (old / name).read_text(encoding="utf-8"))
            assert new_text == old_text, f"{f.name}/{name} differs from the committed example"
        assert png_size(f / "figure.png") == png_size(old / "figure.png")


def test_example_reports_are_valid_and_still_fail() -> None:
    for folder in sorted(p for p in COMMITTED.iterdir() if p.is_dir()):
        data = json.loads((folder / "report.json").read_text())
        validate(data)
        assert data["claim"] == "layerwise" and not data["holds"]
        assert data["function"]["equivariant"] and data["realizability"]["realizable"] is False
        res = run_script(folder / "repro.py")
        assert res.returncode == 1, res.stdout + res.stderr


def test_example_a_report_shows_width_3_integer_weights() -> None:
    by_name = {json.loads((p / "report.json").read_text())["name"]: p for p in COMMITTED.iterdir() if p.is_dir()}
    a = json.loads((by_name["example_a"] / "report.json").read_text())
    assert a["network"]["width"] == 3 and a["network"]["exact"]
    assert a["network"]["parameters"]["W1"] == [["1", "0"], ["0", "1"], ["-1", "-1"]]
    assert a["realizability"]["lower"] == 6
    b = json.loads((by_name["example_b"] / "report.json").read_text())
    assert b["network"]["width"] == 6 and b["realizability"]["lower"] == 12 and b["group"]["order"] == 4
