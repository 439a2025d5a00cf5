"""What the gate says about what it found: vacuous passes refused, causes named by experiment, the
failure kept by the minimizer, and the report's claim, headline, block names and call count.

Every model here is written in plain torch (no equivariant library), with a known truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import equifuzz as ef
from equifuzz.gate import NodeWise
from equifuzz.report.gate_minimize import MIN_DISTANCE_FRACTION, RATIO_FACTOR

O3 = ef.groups.o3()
SO3 = ef.groups.so3()


def _pos(n: int = 6, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def _fails(tmp_path: Path, *args, **kw) -> ef.EquivarianceError:
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(*args, report_dir=tmp_path, batch_dim=None, **kw)
    return info.value


def _report(err: ef.EquivarianceError) -> dict:
    return json.loads(Path(err.verdict.report, "report.json").read_text())


# -- vacuity -------------------------------------------------------------------------------------------


class Zero(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0 * x


class ConstantEnergy(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((x.shape[0], 1), 2.5, dtype=x.dtype)


class Norm(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.norm(dim=-1, keepdim=True)


def test_a_zero_and_a_constant_model_are_refused_as_vacuous():
    with pytest.raises(ef.VacuousCheckError, match=r"output block 0 of 1 \(cartesian\) is identically zero"):
        ef.assert_equivariant(Zero(), O3, "cartesian", "cartesian")
    with pytest.raises(ef.VacuousCheckError, match="does not change with its inputs") as info:
        ef.assert_equivariant(ConstantEnergy(), O3, "cartesian", None)
    assert "allow_constant=(0,)" in str(info.value)
    assert not isinstance(info.value, ef.EquivarianceError)  # a failure of the test, not a verdict on the model
    # declared on purpose: the checks run and pass
    assert ef.assert_equivariant(Zero(), O3, "cartesian", "cartesian", allow_constant=True).holds
    assert ef.assert_equivariant(ConstantEnergy(), O3, "cartesian", None, allow_constant=[0]).holds


def test_an_invariant_that_depends_on_its_inputs_passes_and_only_the_constant_block_is_named():
    assert ef.assert_equivariant(Norm(), O3, "cartesian", None).holds  # invariant, yet it responds to its inputs
    both = lambda x: (x.norm(dim=-1, keepdim=True), 0 * x)  # noqa: E731
    with pytest.raises(ef.VacuousCheckError) as info:
        ef.assert_equivariant(both, O3, "cartesian", (None, "cartesian"))
    assert "output block 1 of 2" in str(info.value) and "output block 0" not in str(info.value)


def test_an_output_that_ignores_the_transforming_inputs_is_named():
    feats = torch.randn(5, 4, dtype=torch.float64)
    only_feats = lambda pos, h: h.sum(dim=-1, keepdim=True) * torch.ones_like(pos[:, :1])  # noqa: E731
    with pytest.raises(ef.VacuousCheckError, match="ignores the input blocks that carry the action"):
        ef.assert_equivariant(only_feats, O3, ("cartesian_points", None), None, inputs=(_pos(5), feats))


# -- diagnosis by experiment ----------------------------------------------------------------------------


class EpsDistance(torch.nn.Module):
    """Sum of distances with eps added to every coordinate difference, as F.pairwise_distance does."""

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        d = ((p[:, None, :] - p[None, :, :] + 1e-6) ** 2).sum(-1).sqrt()
        return d.sum(dim=1, keepdim=True)


class Float32Constant(torch.nn.Module):
    """A float64 model that builds a change of basis Q in the default dtype (float32) inside: Q^T Q = I
    only up to float32 round-off."""

    def __init__(self) -> None:
        super().__init__()
        q, _ = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)))
        self.q = q.tolist()
        self.w = torch.nn.Parameter(torch.ones((), dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        Q = torch.tensor(self.q)  # float32: the default dtype
        return self.w * x @ (Q.T @ Q).to(x.dtype)


def test_an_absolute_epsilon_in_a_distance_is_diagnosed_and_no_tolerance_is_suggested(tmp_path):
    err = _fails(tmp_path, EpsDistance(), O3, "cartesian_points", None, inputs=_pos())
    d = err.verdict.diagnosis
    assert d["kind"] == "absolute epsilon" and d["suggested_rtol"] is None
    assert "absolute size" in str(err) and "rtol=" not in str(err)
    assert "| input scale x 0.01, 0.1, 1, 10, 100 (output 0) |" in Path(err.verdict.report, "report.md").read_text()


def test_a_float32_constant_in_a_float64_model_is_diagnosed_with_a_tolerance(tmp_path):
    err = _fails(tmp_path, Float32Constant(), O3, "cartesian", "cartesian")
    d = err.verdict.diagnosis
    assert d["kind"] == "float32" and d["suggested_rtol"] is not None
    assert f"rtol={d['suggested_rtol']:.0e}" in str(err)
    rel = err.verdict.error / err.verdict.scale
    assert rel < d["suggested_rtol"] < 1e-4  # it accepts the round-off measured, and no defect of 1e-4
    assert ef.assert_equivariant(Float32Constant(), O3, "cartesian", "cartesian", rtol=d["suggested_rtol"],
                                 batch_dim=None).holds
    assert "float32 round-off" in Path(err.verdict.report, "report.md").read_text()


class StoredFloat32(torch.nn.Module):
    """A float64 model whose change of basis was rounded to float32 and cast back (a buffer of float32
    numbers, as a model built in float32 and cast with .double() holds)."""

    def __init__(self) -> None:
        super().__init__()
        q = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)))[0]
        self.register_buffer("q", q.float().double())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ (self.q.T @ self.q)


def test_a_constant_stored_in_float32_is_diagnosed_by_re_rounding_it(tmp_path):
    err = _fails(tmp_path, StoredFloat32(), O3, "cartesian", "cartesian")
    d = err.verdict.diagnosis
    assert d["kind"] == "float32 (stored constants)" and d["suggested_rtol"] is not None
    assert "1 float64 buffer(s) hold only float32 numbers (q)" in str(err)


def test_a_leak_below_float32_round_off_is_a_defect_not_a_tolerance(tmp_path):
    leak = lambda x: x + 1e-8 * x[:, :1] * torch.tensor([0.0, 1.0, 0.0], dtype=x.dtype)  # noqa: E731
    err = _fails(tmp_path, leak, O3, "cartesian", "cartesian")
    d = err.verdict.diagnosis
    assert d["kind"] == "defect" and d["suggested_rtol"] is None and "rtol=" not in str(err)
    assert "no operation runs in float32" in d["cause"]


def test_harmless_float32_operations_do_not_hide_a_defect(tmp_path):
    """A float32 scalar that changes nothing (2.0 is exact) beside a 1e-8 leak: with the float32
    operations run in float64 the failure is unchanged, so it is a defect, not round-off."""
    leak = lambda x: x * torch.tensor(2.0) + 1e-8 * x[:, :1] * torch.tensor([0.0, 1.0, 0.0], dtype=x.dtype)  # noqa: E731
    err = _fails(tmp_path, leak, O3, "cartesian", "cartesian")
    d = err.verdict.diagnosis
    assert d["kind"] == "defect" and d["suggested_rtol"] is None and "leave it unchanged" in d["cause"]


# -- the minimizer keeps the failure -------------------------------------------------------------------


def test_a_reflection_only_defect_stays_a_reflection_when_minimized(tmp_path):
    """x + 0.1 x cross y is rotation-equivariant but not reflection-equivariant (a pseudovector); a
    1e-9 stretch along z makes rotations fail too, at a ratio far below the reflection's: the minimized
    element must stay a reflection, at a ratio within the stated factor."""

    def model(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x + 0.1 * torch.cross(x, y, dim=-1) + 1e-9 * x * torch.tensor([0.0, 0.0, 1.0], dtype=x.dtype)

    err = _fails(tmp_path, model, O3, ("cartesian", "cartesian"), "cartesian")
    v, data = err.verdict, _report(err)
    assert np.linalg.det(v.element_matrix) < 0 and "at a reflection" in str(err)
    assert np.linalg.det(np.asarray(data["found"]["element_matrix"])) < 0
    found_ratio = max(o["ratio"] for o in data["found"]["outputs"])
    assert found_ratio / RATIO_FACTOR <= v.ratio <= found_ratio * RATIO_FACTOR
    assert "reflections: FAILS" in str(err) and "rotations: holds" not in str(err)  # the stretch fails rotations


class Coulomb(torch.nn.Module):
    """Forces sum_j (p_i - p_j) / |p_i - p_j|^3 on points stretched by 5% along z (the defect)."""

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        p = p * torch.tensor([1.0, 1.0, 1.05], dtype=p.dtype)
        d = p[:, None, :] - p[None, :, :]
        r = d.norm(dim=-1, keepdim=True) + torch.eye(len(p), dtype=p.dtype)[..., None]
        return (d / r ** 3).sum(dim=1)


def test_a_one_over_r_model_keeps_its_points_apart_when_minimized(tmp_path):
    # rounding to integers stacks the two points (inf); to one decimal it halves their distance (0.203 -> 0.1)
    pos = torch.tensor([[0.151, 0.151, 0.0], [0.249, 0.249, 0.149]], dtype=torch.float64)
    err = _fails(tmp_path, Coulomb(), O3, "cartesian_points", "cartesian", inputs=pos)
    data = _report(err)
    found = torch.tensor(data["found"]["inputs"][0], dtype=torch.float64)
    rows = data["found"]["rows_kept"]
    case = torch.load(Path(err.verdict.report, "case.pt"), weights_only=False)
    mini = case["inputs"][0].double()
    assert len(rows) == len(mini) and torch.isfinite(torch.tensor(err.verdict.error))
    before, after = torch.cdist(found[rows], found[rows]), torch.cdist(mini, mini)
    off = ~torch.eye(len(rows), dtype=torch.bool)
    assert bool((after[off] >= MIN_DISTANCE_FRACTION * before[off]).all()), (after, before)
    found_ratio = max(o["ratio"] for o in data["found"]["outputs"])
    assert found_ratio / RATIO_FACTOR <= err.verdict.ratio <= found_ratio * RATIO_FACTOR


def test_rounding_that_would_bring_two_points_together_is_not_kept():
    """Two points 0.203 apart: rounded to integers they coincide (inf), to one decimal they are 0.1 apart
    (half their distance: a larger, different failure); the minimizer keeps two decimals."""
    from equifuzz.gate.actions import Linear, Points
    from equifuzz.gate.check import Probe, measure
    from equifuzz.oracles.error import Trial
    from equifuzz.report.gate_minimize import minimize

    vec = ef.reps.defining(O3)
    probe = Probe(Coulomb(), torch.float64, torch.device("cpu"), [Points(vec)], [Linear(vec)], False)
    pos = torch.tensor([[0.151, 0.151, 0.0], [0.249, 0.249, 0.149]], dtype=torch.float64)
    R = O3.sample(1, np.random.default_rng(0))[0]
    g = ef.gate.Element("found", matrix=R * np.sign(np.linalg.det(R)))
    ys = probe([pos])
    found = Trial([pos], ys, g, measure(probe, [pos], ys, g, rtol=1e-10, atol=None))
    assert found.ratio > 1
    done = minimize(probe, O3, found, rtol=1e-10, atol=None)
    x = done.trial.xs[0]
    assert float((x[0] - x[1]).norm()) >= MIN_DISTANCE_FRACTION * float((pos[0] - pos[1]).norm())
    assert "inputs rounded to 2 decimal(s)" in done.log and done.rows == [0, 1]


# -- the small things ----------------------------------------------------------------------------------


def test_a_translation_failure_is_headlined_as_a_translation(tmp_path):
    """p + 0.1 mean(p) rotates and relabels correctly; only translations break it (egnn-pytorch#10's shape)."""
    drift = lambda p: p + 0.1 * p.mean(dim=0, keepdim=True)  # noqa: E731
    err = _fails(tmp_path, drift, O3, NodeWise("cartesian_points"), NodeWise("cartesian_points"), inputs=_pos())
    assert "fails at a translation alone" in str(err).splitlines()[0]
    assert err.verdict.translation is not None
    assert "translations: FAILS" in str(err) and "rotations: holds" in str(err) and "relabellings: holds" in str(err)


def test_reports_under_two_groups_get_two_folders(tmp_path):
    tilt = lambda x: x + 0.1 * x[:, :1]  # noqa: E731
    a = _fails(tmp_path, tilt, SO3, "cartesian", "cartesian", inputs=_pos(4)).verdict.report
    b = _fails(tmp_path, tilt, O3, "cartesian", "cartesian", inputs=_pos(4)).verdict.report
    assert a != b
    assert "- group: SO(3)" in Path(a, "report.md").read_text() and "- group: O(3)" in Path(b, "report.md").read_text()


def test_a_node_wise_shape_error_names_the_output_block():
    drop = lambda p: p[1:]  # noqa: E731  one node fewer out than in
    with pytest.raises(ef.ShapeError, match=r"output block 0 \(node-wise cartesian_points\)"):
        ef.assert_equivariant(drop, O3, NodeWise("cartesian_points"), NodeWise("cartesian_points"), inputs=_pos(),
                              batch_dim=None)


class Counted(torch.nn.Module):
    """Counts its calls, copies included (the float64 re-check runs a deep copy)."""

    calls = [0]

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones((), dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        Counted.calls[0] += 1
        return self.w * (x + 0.1 * x[:, :1])


def test_n_evaluations_counts_every_call_of_the_model(tmp_path):
    Counted.calls[0] = 0
    err = _fails(tmp_path, Counted(), O3, "cartesian", "cartesian")
    assert err.verdict.float64_ratio is not None and err.verdict.float64_ratio > 1  # the re-check ran
    assert err.verdict.n_evaluations == Counted.calls[0]
    calls = [0]

    def norm(x: torch.Tensor) -> torch.Tensor:
        calls[0] += 1
        return x.norm(dim=-1, keepdim=True)

    v = ef.assert_equivariant(norm, O3, "cartesian", None, batch_dim=None)  # a pass: the vacuity probe counts too
    assert v.n_evaluations == calls[0]
    calls[0] = 0  # a single representation on the input side: the gate first tries fn on a batch of its own
    v = ef.assert_equivariant(norm, O3, ef.reps.defining(O3), ef.reps.trivial(O3), batch_dim=None)
    assert v.n_evaluations == calls[0]


def test_the_readme_lists_every_spec_string():
    """The strings as_action accepts are those its error names; the README's gate section lists each."""
    import re

    with pytest.raises(ef.RepresentationError) as info:
        ef.assert_equivariant(lambda x: x, O3, "vector", "cartesian")
    named = set(re.findall(r"'([a-z_]+)'", str(info.value).split("; use ", 1)[1]))
    assert named == {"cartesian_points", "cartesian"}
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Gating an equivariant library in its CI", 1)[1].split("\n## ", 1)[0]
    for s in named:
        ef.assert_equivariant(lambda x: x.clone(), O3, s, s, inputs=_pos(), batch_dim=None)  # accepted
        assert f'`"{s}"`' in section, s
