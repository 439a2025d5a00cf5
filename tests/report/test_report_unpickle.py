"""Reports written before the modules moved into one package per layer still replay: their pickles name the
flat layout's modules, which equifuzz.report.unpickle maps to the modules that hold that code now."""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from equifuzz.gate import replay
from equifuzz.report.unpickle import MOVED

DATA = Path(__file__).parent / "data" / "flat_layout_gate_reports"
REPORTS = ["gate-cda630a032858cb9", "gate-391275327e7a0c5a"]  # a C4 image grid; SO(3) with a user-written action


def _copy(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(DATA / name, folder)
    return folder


def _recorded_ratio(folder: Path) -> float:
    return max(o["ratio"] for o in json.loads((folder / "report.json").read_text())["outputs"])


@pytest.mark.parametrize("name", REPORTS)
def test_a_report_of_the_flat_layout_replays_with_its_recorded_error(name, tmp_path):
    folder = _copy(name, tmp_path)
    with pytest.raises(ModuleNotFoundError, match=r"equifuzz\.(elements|continuous_reps|continuous_groups)"):
        torch.load(folder / "actions.pt", weights_only=False)  # the pickle names modules that are gone
    m = replay(folder)
    assert m.ratio > 1
    assert m.ratio == pytest.approx(_recorded_ratio(folder), rel=1e-12)


def test_the_repro_script_of_a_flat_layout_report_still_fails_in_a_fresh_interpreter(tmp_path):
    folder = _copy(REPORTS[1], tmp_path)
    out = subprocess.run([sys.executable, "repro.py"], cwd=folder, capture_output=True, text=True, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr


def test_every_old_module_maps_to_modules_that_exist():
    for old, targets in MOVED.items():
        assert targets
        for t in targets:
            assert importlib.import_module(t).__name__ == t
        spec = importlib.util.find_spec(old)
        assert spec is None or spec.submodule_search_locations is not None, old  # gone, or a package now
