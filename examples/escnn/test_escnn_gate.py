"""Downstream CI recipe for escnn models (escnn 1.0.11): an MLP over no_base_space and R2Conv image models.

Install escnn in its own environment (its lie_learn pins numpy < 2):
    pip install 'equifuzz[escnn]' && pip install --no-deps escnn==1.0.11

``efs.blocks(module)`` reads (group, rho_in, rho_out) off the module's field types (image blocks over the
2D gspaces), ``efs.prepare(module, dtype)`` gives the gate a copy that takes and returns plain tensors
(cast without touching escnn's shared bases, ``eval()`` under ``no_grad``), and ``efs.rtol(model)`` the
tolerance for float64 models, whose bases escnn samples in float32 (16 float32 eps).
"""

import pytest
import torch

import equifuzz as ef

escnn = pytest.importorskip("escnn", reason="escnn is not installed (see the module docstring)")
from escnn import group, gspaces  # noqa: E402
from escnn import nn as enn  # noqa: E402

from equifuzz.adapters import escnn as efs  # noqa: E402


def mlp():
    gs = gspaces.no_base_space(group.cyclic_group(8))
    fin, hid = enn.FieldType(gs, [gs.regular_repr] * 2), enn.FieldType(gs, [gs.regular_repr] * 4)
    out = enn.FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    return enn.SequentialModule(enn.Linear(fin, hid), enn.ReLU(hid), enn.Linear(hid, out))


def image_model(gs):
    fin, hid = enn.FieldType(gs, [gs.trivial_repr] * 3), enn.FieldType(gs, [gs.regular_repr] * 4)
    return enn.SequentialModule(enn.R2Conv(fin, hid, 5, padding=2), enn.ReLU(hid), enn.R2Conv(hid, hid, 3, padding=1))


def test_escnn_mlp_is_equivariant(equifuzz_gate):
    net = mlp()
    model = efs.prepare(net, torch.float64)
    equifuzz_gate(model, *efs.blocks(net), rtol=efs.rtol(model))


def test_escnn_d4_image_model_is_equivariant(equifuzz_gate):
    net = image_model(gspaces.flipRot2dOnR2(4))
    model = efs.prepare(net, torch.float64)
    equifuzz_gate(model, *efs.blocks(net), rtol=efs.rtol(model))


def test_escnn_so2_image_model_is_gated_on_its_exact_subgroup(equifuzz_gate):
    gs = gspaces.rot2dOnR2(-1, maximum_frequency=4)
    fin, hid = enn.FieldType(gs, [gs.trivial_repr] * 3), enn.FieldType(gs, [gs.irrep(1)] * 2 + [gs.trivial_repr])
    net = enn.SequentialModule(enn.R2Conv(fin, hid, 5, padding=2), enn.R2Conv(hid, hid, 5, padding=2))
    model = efs.prepare(net, torch.float64)
    v = equifuzz_gate(model, *efs.blocks(net), rtol=efs.rtol(model))
    assert "C4 in SO(2)" in v.subgroup  # rotations off the pixel grid are not checked, and the verdict says so


def test_a_stride_two_model_fails_on_the_even_size(equifuzz_gate, tmp_path):
    gs = gspaces.rot2dOnR2(4)
    fin, hid = enn.FieldType(gs, [gs.trivial_repr] * 3), enn.FieldType(gs, [gs.regular_repr] * 2)
    net = enn.SequentialModule(enn.R2Conv(fin, hid, 3, padding=1, stride=2))
    with pytest.raises(ef.EquivarianceError, match="16, 16"):
        equifuzz_gate(efs.prepare(net, torch.float64), *efs.blocks(net), rtol=efs.RTOL_FLOAT32_BASES,
                      report_dir=tmp_path)  # the expected failure's report goes to a temporary folder


def test_escnn_c8_image_model_off_the_grid_approximately():
    """45 degrees, approximately: the score is the model's interpolation error over that of an exactly
    equivariant pointwise model on the same inputs; it never certifies, fails only above the margin
    calibrated on correct models, and says what size of defect it could not see."""
    torch.manual_seed(0)
    net = image_model(gspaces.rot2dOnR2(8))
    v = ef.gate.assert_approximately_equivariant(efs.prepare(net, torch.float64), *efs.blocks(net), band=3.0)
    assert v.status in ("within the floor", "inseparable") and v.holds is None
    print(v)  # "... a defect adding less than ... to the relative error ... cannot be seen"
