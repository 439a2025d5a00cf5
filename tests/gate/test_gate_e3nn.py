"""The gate on real e3nn modules: the reference zoo passes in float32 and float64, every planted defect
is caught with a replayable report, and the adapter's matrices are e3nn's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from e3nn import o3

import equifuzz as ef
from equifuzz.adapters import e3nn as efe
from equifuzz.adapters.e3nn_zoo import DEFECTS, REFERENCE, bias_l1
from equifuzz.gate import replay

pytest_plugins = ["pytester"]

DTYPES = [torch.float32, torch.float64]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_modules_pass(name, dtype, tmp_path):
    case = REFERENCE[name](0, dtype)
    v = ef.assert_equivariant(case.module, efe.O3, case.rho_in, case.rho_out, dtype=dtype, report_dir=tmp_path,
                              inputs=case.inputs, batch_dim=case.batch_dim)  # batched (planted defects: not)
    assert v.holds and v.dtype == str(dtype)[6:] and v.n_evaluations <= 24
    if dtype == torch.float64:
        assert not v.rounding and v.ratio <= 1.0
    elif v.rounding:  # a float32 excess is accepted only when float64 removes it
        assert v.float64_ratio is not None and v.float64_ratio <= 1.0
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_planted_defects_are_caught_with_a_replayable_report(name, dtype, tmp_path):
    case = DEFECTS[name](0, dtype)
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(case.module, efe.O3, case.rho_in, case.rho_out, dtype=dtype, report_dir=tmp_path)
    v, msg = info.value.verdict, str(info.value)
    assert not v.holds and not v.rounding and v.ratio > 1e3
    assert f"output block {v.output_block} of {v.n_outputs} ({v.output_name})" in msg
    assert "tolerance" in msg and "minimal report" in msg
    folder = tmp_path / Path(v.report).name
    assert (folder / "report.md").exists() and (folder / "case.pt").exists()
    assert replay(folder, case.module).ratio > 1  # the recorded case still fails
    if name == "parity":  # only a reflection can see a mislabelled parity
        assert np.linalg.det(v.element_matrix) < 0


def test_parity_defect_passes_under_rotations_only():
    case = DEFECTS["parity"](0, torch.float64)
    assert ef.assert_equivariant(case.module, efe.SO3, efe.irreps("2x0e + 2x1o", efe.SO3),
                                 efe.irreps("2x1e", efe.SO3)).holds


@pytest.mark.parametrize("dtype,eps", [(torch.float32, 1e-4), (torch.float64, 1e-9)])
def test_small_biases_are_caught_at_the_stated_tolerance(dtype, eps, tmp_path):
    case = bias_l1(1, dtype, eps=eps)
    with pytest.raises(ef.EquivarianceError):
        ef.assert_equivariant(case.module, efe.O3, case.rho_in, case.rho_out, report_dir=tmp_path)


def test_frame_map_control_passes_and_its_transposed_twin_fails(tmp_path):
    good, bad = REFERENCE["frame_map"](3), DEFECTS["transposed_action"](3)
    assert ef.assert_equivariant(good.module, efe.O3, good.rho_in, good.rho_out).holds
    with pytest.raises(ef.EquivarianceError):
        ef.assert_equivariant(bad.module, efe.O3, bad.rho_in, bad.rho_out, report_dir=tmp_path)


def test_wigner_D_is_e3nns_and_accurate():
    ir = o3.Irreps("2x0e + 1x1o + 1x1e + 1x2e + 1x3o")
    Rs = efe.O3.sample(64, 0)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        theirs = [ir.D_from_matrix(torch.as_tensor(R)).numpy() for R in Rs]
    finally:
        torch.set_default_dtype(default)
    ours = [efe.wigner_D(ir, R) for R in Rs]
    # same convention (e3nn's own matrices agree to its exponential's accuracy, ~1e-10 at worst)
    assert max(np.abs(a - b).max() for a, b in zip(ours, theirs, strict=True)) < 1e-8
    rep = efe.irreps(ir)
    # accurate: a homomorphism to round-off, also at small angles where torch.matrix_exp loses digits
    small = [_axis_angle([0, 1, 0], t) for t in (0.0123, 0.0426, 0.071)]
    pairs = list(zip(Rs[:32], Rs[32:], strict=True)) + [(S, R) for S in small for R in Rs[:4]]
    assert max(np.abs(rep(A) @ rep(B) - rep(A @ B)).max() for A, B in pairs) < 1e-12
    assert all(np.abs(rep(A) @ rep(A).T - np.eye(ir.dim)).max() < 1e-13 for A in small)


def _axis_angle(axis, t):
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + np.sin(t) * K + (1 - np.cos(t)) * K @ K


def test_irreps_objects_and_blocks_are_accepted_directly():
    lin = o3.Linear("2x0e + 1x1o", "1x0e + 2x1o").to(torch.float64)
    assert ef.assert_equivariant(lin, efe.O3, lin.irreps_in, lin.irreps_out).holds  # Irreps is a tuple: one block
    rho_in, rho_out = efe.blocks(lin)
    assert (rho_in.dim, rho_out.dim) == (5, 7)
    tp = o3.FullyConnectedTensorProduct("1x1o", "1x1o", "1x0e + 1x1e")
    assert [r.dim for r in efe.blocks(tp)[0]] == [3, 3]
    with pytest.raises(ef.RepresentationError, match="irreps_in"):
        efe.blocks(torch.nn.Identity())
    with pytest.raises(ef.GroupMismatchError):
        efe.irreps("1o", ef.groups.so2())


def test_the_downstream_recipe_runs_under_pytest(pytester):
    recipe = Path(__file__).resolve().parents[2] / "examples" / "test_e3nn_gate.py"
    pytester.makepyfile(test_recipe=recipe.read_text())
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    # a componentwise nonlinearity on the output breaks it
    broken = recipe.read_text().replace("equifuzz_gate(model,", "equifuzz_gate(lambda a, b: torch.tanh(model(a, b)),")
    assert broken != recipe.read_text()
    pytester.makepyfile(test_recipe=broken)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--equifuzz-reports", "out")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*EquivarianceError*", "*minimal report: out*"])


def test_so3_generators_are_built_from_the_maths_and_are_e3nns():
    for l in range(5):
        J = efe.so3_generators(l)
        assert J.shape == (3, 2 * l + 1, 2 * l + 1) and J.dtype == np.float64
        assert np.abs(J + J.transpose(0, 2, 1)).max() < 1e-14  # real antisymmetric
        # the Lie algebra of SO(3): [J_x, J_y] = J_z and cyclically
        for a, b, c in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
            assert np.abs(J[a] @ J[b] - J[b] @ J[a] - J[c]).max() < 1e-12
        # Casimir: J.J = -l(l+1) on an irreducible of degree l
        assert np.abs(sum(j @ j for j in J) + l * (l + 1) * np.eye(2 * l + 1)).max() < 1e-12
        if hasattr(o3, "so3_generators"):  # e3nn >= 0.5; 0.4.4 has none (the adapter does not need them)
            assert np.abs(J - o3.so3_generators(l).double().numpy()).max() < 1e-6 * max(1, l)


def test_wigner_D_many_is_wigner_D_for_each_matrix():
    ir = o3.Irreps("2x0e + 1x1o + 1x1e + 1x2e + 1x3o")
    Rs = efe.O3.sample(12, 5)
    many = efe.wigner_D_many(ir, Rs)
    assert many.shape == (12, ir.dim, ir.dim)
    assert max(np.abs(many[i] - efe.wigner_D(ir, R)).max() for i, R in enumerate(Rs)) < 1e-14
    assert isinstance(efe.irreps(ir), efe.IrrepsRepresentation)


def test_wigner_D_many_remembers_blocks_per_stack_and_degree_without_mixing_them():
    cover = efe.O3.covering()
    Rs = np.concatenate([np.stack([np.asarray(m) for m in cover.labels]), efe.O3.sample(8, 9)])  # gimbal cases too
    for spec in ("4x1o", "2x0e + 1x1e", "1x0e + 1x2e + 1x3o", "2x2o + 1x1o", "4x1o"):  # later ones hit the cache
        ir = o3.Irreps(spec)
        for stack in (Rs, Rs[::-1].copy(), Rs):
            many = efe.wigner_D_many(ir, stack)
            assert max(np.abs(many[i] - efe.wigner_D(ir, R)).max() for i, R in enumerate(stack)) < 1e-14
