"""The layer contract of shared/DESIGN.md, kept as code: import-linter's contracts in pyproject.toml hold,
and no module is over 600 lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600
# Split later by issue 15, once the argument checks being added to them have landed.


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    report = out.stdout + out.stderr
    assert out.returncode == 0, report
    assert "4 kept, 0 broken" in report, report


def test_no_module_over_600_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
             for folder in ("equifuzz", "strategies") for p in (ROOT / folder).rglob("*.py")}
    assert len(sizes) > 40
    over = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not over, over
