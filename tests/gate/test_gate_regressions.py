"""Regressions of the gate on real libraries: the float64 re-check with inputs that do not transform
and with models that refuse float64, one report folder per failure, replay of modules defined in a
script or a test file, autograd force models, and the float32-inside diagnosis of float64 failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import equifuzz as ef
from equifuzz.gate import replay

O3 = ef.groups.o3()
VEC = ef.reps.defining(O3)


class FeatureScaledPoints(torch.nn.Module):
    """(points, node features) -> Linear(features) x centred points, plus a planted term along x that
    breaks rotations: a float32 module with a float input that does not transform."""

    def __init__(self, tilt: float = 0.5, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.lin = torch.nn.Linear(4, 1)
        self.tilt = tilt

    def forward(self, pos: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        c = pos - pos.mean(0)
        return self.lin(feats) * c + self.tilt * c[:, :1]


class Float32Only(FeatureScaledPoints):
    """The same failure, from a model that cannot run in float64 at all."""

    def forward(self, pos: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        if pos.dtype != torch.float32 or feats.dtype != torch.float32:
            raise RuntimeError(f"this model runs in float32 only, got {pos.dtype} and {feats.dtype}")
        return super().forward(pos, feats)


def _inputs(n: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 3, generator=g), torch.randn(n, 4, generator=g)


def test_float32_failure_with_untransformed_float_inputs_is_reported_not_a_crash(tmp_path):
    module = FeatureScaledPoints()
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(module, O3, ("cartesian_points", None), VEC, inputs=_inputs(), report_dir=tmp_path)
    v = info.value.verdict
    assert v.dtype == "float32" and not v.rounding and v.float64_failure is None
    assert v.float64_ratio is not None and v.float64_ratio > 1  # the float64 re-check ran: a real failure
    assert Path(v.report, "report.md").exists()
    # the control: without the planted term the same module passes
    ok = FeatureScaledPoints(tilt=0.0)
    assert ef.assert_equivariant(ok, O3, ("cartesian_points", None), VEC, inputs=_inputs()).holds


def test_a_model_that_refuses_float64_keeps_its_failure_and_the_rounding_question_open(tmp_path):
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(Float32Only(), O3, ("cartesian_points", None), VEC, inputs=_inputs(),
                              report_dir=tmp_path)
    v, msg = info.value.verdict, str(info.value)
    assert not v.holds and not v.rounding and v.float64_ratio is None
    assert "float32 only" in v.float64_failure and "unanswered" in msg
    data = json.loads(Path(v.report, "report.json").read_text())
    assert any("unanswered" in n for n in data["notes"])
    assert "unanswered" in Path(v.report, "report.md").read_text()


def _fail(module, out):
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(module, O3, ("cartesian_points", None), VEC, inputs=_inputs(), report_dir=out)
    return info.value.verdict


def test_two_different_failures_get_two_folders_that_each_replay_their_own_module(tmp_path):
    small, large = FeatureScaledPoints(tilt=2e-3), FeatureScaledPoints(tilt=2.0)  # same class, same weights
    vs, vl = _fail(small, tmp_path), _fail(large, tmp_path)
    assert vs.report != vl.report and len(list(tmp_path.iterdir())) == 2
    for v, module in ((vs, small), (vl, large)):
        data = json.loads(Path(v.report, "report.json").read_text())
        assert data["outputs"][0]["error"] == pytest.approx(v.error, rel=1e-12)
        assert replay(v.report).errors[0] == pytest.approx(v.error, rel=1e-6)  # module.pt: its own module
        assert replay(v.report, module).errors[0] == pytest.approx(v.error, rel=1e-6)
    assert vl.error > 100 * vs.error
    # the same failure again reuses its folder; a different parameter is a different failure
    assert _fail(FeatureScaledPoints(tilt=2.0), tmp_path).report == vl.report
    other = FeatureScaledPoints(tilt=2.0)
    with torch.no_grad():
        other.lin.bias += 1.0
    assert _fail(other, tmp_path).report not in (vs.report, vl.report)


def test_a_folder_holding_another_failure_is_never_reused(tmp_path):
    v = _fail(FeatureScaledPoints(tilt=0.5), tmp_path)
    data = json.loads(Path(v.report, "report.json").read_text())
    data["outputs"][0]["error"] *= 2  # the folder now records another failure under this name
    Path(v.report, "report.json").write_text(json.dumps(data))
    again = _fail(FeatureScaledPoints(tilt=0.5), tmp_path)
    assert again.report != v.report and Path(again.report).name.startswith(Path(v.report).name)


def _run(args, cwd, extra_env=None):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(extra_env or {})
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


SCRIPT = '''
import sys
import torch
import equifuzz as ef

class Planted(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(1.5, dtype=torch.float64))

    def forward(self, x):
        return helper(self.w * x)

def helper(y):
    return y + 0.25 * y[:, :1]

K = ef.groups.so3()
try:
    ef.assert_equivariant(Planted(), K, ef.reps.defining(K), ef.reps.defining(K), report_dir=sys.argv[1])
except ef.EquivarianceError as e:
    print(e.verdict.report)
'''


def test_a_module_defined_in_a_script_replays_in_a_fresh_process(tmp_path):
    script = tmp_path / "my_test_script.py"
    script.write_text(textwrap.dedent(SCRIPT))
    made = _run([str(script), str(tmp_path / "reports")], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    folder = Path(made.stdout.strip().splitlines()[-1])
    script.unlink()  # the class's source is gone: the report must carry it
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    replayed = _run([str(folder / "repro.py")], cwd=elsewhere)
    assert replayed.returncode == 1 and "still fails" in replayed.stdout, replayed.stdout + replayed.stderr


class DefinedInThisTestFile(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _tilt(x)


def _tilt(x: torch.Tensor) -> torch.Tensor:
    return x + 0.5 * x[:, :1]


def test_a_module_defined_in_a_test_file_replays_without_the_tests_on_the_path(tmp_path):
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(DefinedInThisTestFile(), O3, VEC, VEC, report_dir=tmp_path)
    folder = Path(info.value.verdict.report)
    assert json.loads((folder / "report.json").read_text())["module_pickled"]
    replayed = _run([str(folder / "repro.py")], cwd=tmp_path)
    assert replayed.returncode == 1 and "still fails" in replayed.stdout, replayed.stdout + replayed.stderr


class PairForces(torch.nn.Module):
    """MACE-style: energy E = sum over pairs of a learned radial function of |r_i - r_j|, forces -dE/dr
    by torch.autograd.grad (the model asks for the gradient itself)."""

    def __init__(self, planted: float = 0.0) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.radial = torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.SiLU(), torch.nn.Linear(16, 1))
        self.radial.double()
        self.planted = planted

    def forward(self, pos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pos = pos.requires_grad_(True)
        d = (pos[:, None] - pos[None]).pow(2).sum(-1).add(1e-12).sqrt()
        iu = torch.triu_indices(len(pos), len(pos), 1)
        energy = self.radial(d[iu[0], iu[1]][:, None]).sum() + self.planted * (pos[:, 2] - pos[:, 2].mean()).pow(
            2).sum()
        (grad,) = torch.autograd.grad(energy, pos, create_graph=self.training)
        return energy.reshape(1, 1), -grad


def test_an_autograd_force_model_passes_o3_and_a_planted_stretch_is_caught(tmp_path):
    rho_out = (ef.reps.trivial(O3), VEC)
    pos = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    v = ef.assert_equivariant(PairForces().eval(), O3, "cartesian_points", rho_out, inputs=pos)
    assert v.holds and v.n_outputs == 2
    with pytest.raises(ef.EquivarianceError, match="output block"):
        ef.assert_equivariant(PairForces(planted=0.1).eval(), O3, "cartesian_points", rho_out, inputs=pos,
                              report_dir=tmp_path)
    assert not pos.requires_grad  # the gate's own inputs are never handed to the model


def test_a_float64_failure_at_float32_round_off_is_diagnosed(tmp_path):
    class HiddenFloat32(torch.nn.Module):  # a float64 module that rounds through float32 inside
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))

        def forward(self, x):
            return self.w * x.float().double()

    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(HiddenFloat32(), O3, VEC, VEC, report_dir=tmp_path)
    msg = str(info.value)
    assert "float32 round-off" in msg and "rtol=" in msg
    assert "float32 round-off" in Path(info.value.verdict.report, "report.md").read_text()
    with pytest.raises(ef.EquivarianceError) as big:  # a real defect gets no such note
        ef.assert_equivariant(lambda x: x + 0.1 * x[:, :1], O3, VEC, VEC, report_dir=tmp_path)
    assert "round-off" not in str(big.value)


def test_the_fingerprint_follows_state_and_code_not_identity():
    from equifuzz.report.fingerprint import fingerprint

    a, b = FeatureScaledPoints(), FeatureScaledPoints()  # same seed: same weights, different objects
    assert fingerprint(a) == fingerprint(b)
    with torch.no_grad():
        b.lin.weight[0, 0] += 1e-6
    assert fingerprint(a) != fingerprint(b)
    assert fingerprint(FeatureScaledPoints(tilt=0.5)) != fingerprint(FeatureScaledPoints(tilt=0.25))  # attributes
    assert fingerprint(a.train()) != fingerprint(FeatureScaledPoints().eval())  # training flag
    k1, k2 = 1.0, 2.0
    assert fingerprint(lambda x: k1 * x) != fingerprint(lambda x: k2 * x)  # closures
    assert fingerprint(lambda x: x + 1) != fingerprint(lambda x: x - 1)  # code
