"""assert_equivariant on plain modules and callables: finite and continuous groups, several blocks,
tolerances, rounding, bad input, determinism and the minimal report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import equifuzz as ef
from equifuzz.builders.examples import example_a, example_b
from equifuzz.gate import Points, RoundingWarning, replay


class Norm(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.norm(dim=-1, keepdim=True)


class FirstCoordinate(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :1].abs()


class Scaled(torch.nn.Module):
    """x -> w x (equivariant for any orthogonal action), float parameters so dtype and device follow it."""

    def __init__(self, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(1.5, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w * x


@pytest.fixture
def reports(tmp_path):
    return tmp_path / "reports"


@pytest.mark.parametrize("group", [ef.groups.so2(), ef.groups.o2(), ef.groups.so3(), ef.groups.o3()])
def test_invariant_norm_passes_continuous_groups(group, reports):
    v = ef.assert_equivariant(Norm(), group, ef.reps.defining(group), ef.reps.trivial(group), report_dir=reports)
    assert v.holds and v.ratio < 1e-3 and v.error < 1e-14 * v.scale
    # the staged first evaluation (gate/search.py): the covering subgroup's generators and 8 Haar samples on two
    # input sets, far below the tolerance, so no other element
    assert v.n_elements > 2 * (len(group.covering().generators) + 8) and "were not measured" in v.first_evaluation
    assert v.dtype == "float64" and v.rtol == pytest.approx(np.finfo(np.float64).eps ** (2 / 3))
    assert not reports.exists()  # nothing written when it holds


@pytest.mark.parametrize("group", [ef.groups.so2(), ef.groups.so3()])
def test_non_invariant_module_raises_naming_block_element_tolerance_and_report(group, reports):
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(FirstCoordinate(), group, ef.reps.defining(group), ef.reps.trivial(group), seed=5,
                              report_dir=reports)
    msg, v = str(info.value), info.value.verdict
    assert "output block 0 of 1" in msg and "tolerance" in msg and "seed 5" in msg
    assert v is not None and not v.holds and v.ratio > 1 and v.error > v.tolerance
    assert v.report is not None and v.report in msg
    assert (reports / v.report.split("/")[-1] / "report.md").exists()


def test_finite_groups_modules_and_numpy_callables(reports):
    case = example_a()
    assert ef.assert_equivariant(case.net.to_torch(), case.group, case.rho_in, case.rho_out).holds
    numpy_only = lambda x: np.abs(x.astype(np.float64)).sum(axis=1, keepdims=True)  # noqa: E731
    assert ef.assert_equivariant(numpy_only, case.group, case.rho_in, case.rho_out).holds
    broken = case.net.subnet([0, 1])
    with pytest.raises(ef.EquivarianceError, match="g = "):
        ef.assert_equivariant(broken.to_torch(), case.group, case.rho_in, case.rho_out, report_dir=reports)


def test_float32_module_gets_float32_tolerances():
    case = example_b()
    v = ef.assert_equivariant(case.net.to_torch(torch.float32), case.group, case.rho_in, case.rho_out)
    assert v.holds and v.dtype == "float32"
    assert v.rtol == pytest.approx(np.finfo(np.float32).eps ** (2 / 3))
    assert v.tolerance == pytest.approx(v.atol + v.rtol * v.scale)


def test_several_blocks_and_a_block_that_does_not_transform(reports):
    K = ef.groups.so3()
    vec = ef.reps.defining(K)

    def f(x, y, k):  # (vector, vector, integer index) -> (scalar, vector)
        return (x * y).sum(-1, keepdim=True), torch.cross(x, y, dim=-1) * k[:, None]

    x, y = torch.randn(16, 3, dtype=torch.float64), torch.randn(16, 3, dtype=torch.float64)
    k = torch.arange(16)
    v = ef.assert_equivariant(f, K, (vec, vec, None), (ef.reps.trivial(K), vec), inputs=(x, y, k))
    assert v.holds and v.n_outputs == 2

    def wrong(x, y, k):  # second output claims to be a vector but mixes in the first input's squared norm
        return (x * y).sum(-1, keepdim=True), x + (x * x).sum(-1, keepdim=True)

    with pytest.raises(ef.EquivarianceError, match=r"output block 1 of 2"):
        ef.assert_equivariant(wrong, K, (vec, vec, None), (ef.reps.trivial(K), vec), inputs=(x, y, k),
                              report_dir=reports)


def test_points_translate_and_translation_breaking_is_caught(reports):
    K = ef.groups.o3()
    centred = ef.assert_equivariant(lambda p: p - p.mean(0), K, "cartesian_points", ef.reps.defining(K))
    assert centred.holds
    with pytest.raises(ef.EquivarianceError, match="pure translation|t = "):
        ef.assert_equivariant(lambda p: p.norm(dim=-1, keepdim=True), K, "cartesian_points", ef.reps.trivial(K),
                              report_dir=reports)
    G = ef.groups.dihedral(4)
    rot = ef.reps.rotation(G)
    assert ef.assert_equivariant(lambda p: p - p.mean(0), G, Points(rot), rot).holds


def test_a_float32_failure_that_vanishes_in_float64_is_rounding(reports):
    K = ef.groups.so3()

    class Shifted(torch.nn.Module):  # (x + c) - c: the identity, with float32 cancellation
        def __init__(self):
            super().__init__()
            self.c = torch.nn.Parameter(torch.tensor(3e4))

        def forward(self, x):
            return (x + self.c) - self.c

    with pytest.warns(RoundingWarning, match="rounding"):
        v = ef.assert_equivariant(Shifted(), K, ef.reps.defining(K), ef.reps.defining(K), report_dir=reports)
    assert v.holds and v.rounding and v.ratio > 1 and v.float64_ratio is not None and v.float64_ratio <= 1
    assert not reports.exists()

    class Broken(Shifted):  # not equivariant in any precision
        def forward(self, x):
            return super().forward(x) + x[:, :1]

    with warnings.catch_warnings():
        warnings.simplefilter("error", RoundingWarning)
        with pytest.raises(ef.EquivarianceError):
            ef.assert_equivariant(Broken(), K, ef.reps.defining(K), ef.reps.defining(K), report_dir=reports)


def test_explicit_tolerances_are_used_and_stated(tmp_path):
    K = ef.groups.so2()
    tilt = lambda x: x + 1e-6 * x[:, :1]  # noqa: E731  a defect of relative size 1e-6
    v = ef.assert_equivariant(tilt, K, ef.reps.defining(K), ef.reps.defining(K), rtol=1e-4, atol=0.0)
    assert v.holds and v.rtol == 1e-4 and v.atol == 0.0
    with pytest.raises(ef.EquivarianceError):
        ef.assert_equivariant(tilt, K, ef.reps.defining(K), ef.reps.defining(K), report_dir=tmp_path, rtol=1e-8)


def test_same_seed_same_verdict_and_profiles_set_budgets():
    K = ef.groups.so3()
    a = ef.assert_equivariant(Norm(), K, ef.reps.defining(K), ef.reps.trivial(K), seed=3, profile="ci")
    b = ef.assert_equivariant(Norm(), K, ef.reps.defining(K), ef.reps.trivial(K), seed=3, profile="ci")
    assert (a.ratio, a.element, a.n_evaluations) == (b.ratio, b.element, b.n_evaluations)
    night = ef.assert_equivariant(Norm(), K, ef.reps.defining(K), ef.reps.trivial(K), seed=3, profile="nightly")
    assert night.n_evaluations > a.n_evaluations and night.profile == "nightly"
    with pytest.raises(ValueError, match="unknown equifuzz profile"):
        ef.assert_equivariant(Norm(), K, ef.reps.defining(K), ef.reps.trivial(K), profile="weekly")


def test_tf32_is_off_during_the_check_and_restored():
    seen = []

    def spy(x):
        seen.append((torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32))
        return x.norm(dim=-1, keepdim=True)

    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        K = ef.groups.so2()
        ef.assert_equivariant(spy, K, ef.reps.defining(K), ef.reps.trivial(K))
        assert seen and all(s == (False, False) for s in seen)
        assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == (True, True)
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def _devices() -> list[str]:
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", _devices())
def test_inputs_are_built_on_the_module_device(device):
    seen = set()

    class Spy(Scaled):
        def forward(self, x):
            seen.add(x.device.type)
            assert x.device == self.w.device and x.dtype == self.w.dtype
            return super().forward(x)

    K = ef.groups.so3()
    v = ef.assert_equivariant(Spy().to(device), K, ef.reps.defining(K), ef.reps.defining(K))
    assert v.holds and v.device.startswith(device) and seen == {device}


def test_bad_input_is_an_error_that_says_how_to_fix_it():
    K = ef.groups.so3()
    vec = ef.reps.defining(K)
    with pytest.raises(ef.GroupMismatchError, match="not of"):
        ef.assert_equivariant(Norm(), ef.groups.cyclic(3), example_a().rho_in, example_a().rho_out)
    with pytest.raises(ef.ShapeError, match="inputs=\\(...\\)"):
        ef.assert_equivariant(lambda x, k: x, K, (vec, None), vec)
    with pytest.raises(ef.ShapeError, match="dimension 3"):
        ef.assert_equivariant(lambda x: x, K, vec, vec, inputs=torch.randn(4, 2, dtype=torch.float64))
    with pytest.raises(ef.ShapeError, match="returned 2 outputs"):
        ef.assert_equivariant(lambda x: (x, x), K, vec, vec)
    with pytest.raises(ef.ShapeError, match="output 0"):
        ef.assert_equivariant(lambda x: x[:, :2], K, vec, vec)
    with pytest.raises(ef.RepresentationError, match="cartesian_points"):
        ef.assert_equivariant(lambda x: x, K, "points", vec)
    with pytest.raises(ef.DeviceError, match="device"):
        ef.assert_equivariant(Scaled(), K, vec, vec, device="meta")


class Tilted(Scaled):
    """Adds half the first coordinate to every output: not D4-equivariant."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x) + 0.5 * x[:, :1]


def _repro(folder, *args: str) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "tests")])}
    return subprocess.run([sys.executable, str(folder / "repro.py"), *args], capture_output=True, text=True,
                          cwd=root, env=env)


def test_minimal_report_replays_and_passes_once_fixed(tmp_path):
    G = ef.groups.dihedral(4)
    rot = ef.reps.rotation(G)
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(Tilted(), G, rot, rot, report_dir=tmp_path)
    v = info.value.verdict
    folder = tmp_path / Path(v.report).name
    data = json.loads((folder / "report.json").read_text())
    assert "1 input row(s)" in data["minimization"] and data["module_pickled"]
    assert v.element.startswith("g = ") and v.element_index in G.generators  # a generator after shrinking
    assert sorted(p.name for p in folder.iterdir()) == sorted(["case.pt", "module.pt", "repro.py", "report.json",
                                                               "report.md", "figure.png"])
    assert sorted(data["files"]) == sorted(p.name for p in folder.iterdir())
    assert replay(folder, Tilted()).ratio > 1
    assert replay(folder, Scaled()).ratio <= 1  # the fixed module passes the recorded case
    still = _repro(folder)  # module.pt: the broken module
    assert still.returncode == 1 and "still fails" in still.stdout, still.stdout + still.stderr
    fixed = _repro(folder, f"{Scaled.__module__}:Scaled")
    assert fixed.returncode == 0 and "passes" in fixed.stdout, fixed.stdout + fixed.stderr
    assert _repro(folder, "no_such_module:factory").returncode == 2
