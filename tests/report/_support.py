"""Shared builders for the report tests: the planted dihedral case and script runners."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from equifuzz import ReLUNet, compensate, groups, reps
from equifuzz.report import FailureCase

REPO = Path(__file__).resolve().parents[2]


def planted_case(seed: int = 0, drop: int = 7, claim: str = "layerwise") -> FailureCase:
    """A D4 layer-wise network of width 40 (a symmetrized random width-5 network, rotation(D4) on R^2,
    trivial output) with one neuron dropped."""
    G = groups.dihedral(4)
    rho_in, rho_out = reps.rotation(G), reps.trivial(G)
    rng = np.random.default_rng(seed)
    base = ReLUNet(rng.standard_normal((5, 2)), rng.standard_normal(5), rng.standard_normal((1, 5)), None)
    full = compensate(base, rho_in, rho_out, merge=False)
    assert full.width == 40
    net = full.subnet([i for i in range(full.width) if i != drop])
    return FailureCase(net, rho_in, rho_out, claim=claim, name=f"planted_d4_seed{seed}", seed=seed)


def run_script(path: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120,
                          cwd=str(cwd or path.parent), env=env)
