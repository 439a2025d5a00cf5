"""The escnn adapter and Grid's convention against escnn itself (escnn 1.0.11; skipped without escnn).

Run them in escnn's own environment (``tox -e escnn``): escnn's dependency lie_learn pins numpy < 2."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import equifuzz as ef
from equifuzz.errors import EquivarianceError
from equifuzz.gate import replay
from equifuzz.gate.grid import move_grid

escnn = pytest.importorskip("escnn", reason="escnn is not installed (tox -e escnn installs it)")
warnings.filterwarnings("ignore", message=".*py3nj.*")

from escnn import group as eg  # noqa: E402
from escnn import gspaces  # noqa: E402
from escnn import nn as enn  # noqa: E402

from equifuzz.adapters import escnn as efs  # noqa: E402


@pytest.mark.parametrize("make, shape", [(lambda: gspaces.flipRot2dOnR2(4), (2, 1, 5, 5)),
                                         (lambda: gspaces.rot2dOnR2(4), (2, 1, 4, 4)),
                                         (lambda: gspaces.fullOctaOnR3(), (1, 1, 3, 3, 3))])
def test_the_grid_convention_is_escnns_transform(make, shape):
    gs = make()
    x = enn.GeometricTensor(torch.randn(*shape), enn.FieldType(gs, [gs.trivial_repr]))
    for g in gs.fibergroup.elements:
        M = np.rint(np.asarray(gs.basespace_action(g), dtype=np.float64))
        assert torch.equal(move_grid(x.tensor, M), x.transform(g).tensor), g


def _mlp(G):
    gs = gspaces.no_base_space(G)
    fin, hid = enn.FieldType(gs, [gs.regular_repr] * 2), enn.FieldType(gs, [gs.regular_repr] * 3)
    out = enn.FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    torch.manual_seed(0)
    return enn.SequentialModule(enn.Linear(fin, hid), enn.ReLU(hid), enn.Linear(hid, out))


def _cnn(gs):
    fin, hid = enn.FieldType(gs, [gs.trivial_repr] * 2), enn.FieldType(gs, [gs.regular_repr] * 2)
    torch.manual_seed(0)
    return enn.SequentialModule(enn.R2Conv(fin, hid, 5, padding=2), enn.ReLU(hid), enn.R2Conv(hid, hid, 3, padding=1))


class Plus1x1(torch.nn.Module):
    """A planted defect: ``eps`` times a plain (non-equivariant) 1x1 convolution of the input added."""

    def __init__(self, model: torch.nn.Module, cin: int, cout: int, eps: float) -> None:
        super().__init__()
        self.model, self.eps = model, eps
        dtype = next(model.parameters()).dtype
        self.w = torch.nn.Parameter(torch.randn(cout, cin, generator=torch.Generator().manual_seed(3)).to(dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        extra = torch.einsum("oc,bc...->bo...", self.w, x)
        return self.model(x) + self.eps * extra


CASES = [("MLP C4", lambda: _mlp(eg.cyclic_group(4))), ("MLP D4", lambda: _mlp(eg.dihedral_group(4))),
         ("MLP C8", lambda: _mlp(eg.cyclic_group(8))), ("R2Conv C4", lambda: _cnn(gspaces.rot2dOnR2(4))),
         ("R2Conv D4", lambda: _cnn(gspaces.flipRot2dOnR2(4)))]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name, make", CASES)
def test_correct_escnn_models_pass_and_a_planted_defect_is_caught(name, make, dtype, tmp_path):
    net = make()
    G, rho_in, rho_out = efs.blocks(net)
    model = efs.prepare(net, dtype)
    v = ef.assert_equivariant(model, G, rho_in, rho_out, rtol=efs.rtol(model), report_dir=tmp_path)
    assert v.holds and v.subgroup is None
    if dtype == torch.float64:  # float32 bases: the stated tolerance, 16 float32 eps
        assert v.rtol == efs.RTOL_FLOAT32_BASES
    eps = 1e-5 if dtype == torch.float64 else 1e-3  # a 1e-5 defect is under float32 round-off in float32
    broken = Plus1x1(model, net.in_type.size, net.out_type.size, eps)
    with pytest.raises(EquivarianceError) as info:
        ef.assert_equivariant(broken, G, rho_in, rho_out, rtol=efs.rtol(model), report_dir=tmp_path)
    assert replay(info.value.verdict.report).ratio > 1


def test_off_grid_rotations_are_gated_on_c4_and_the_verdict_says_so(tmp_path):
    gs = gspaces.rot2dOnR2(-1, maximum_frequency=4)
    fin, hid = enn.FieldType(gs, [gs.trivial_repr] * 2), enn.FieldType(gs, [gs.irrep(1)] * 2 + [gs.trivial_repr])
    torch.manual_seed(0)
    net = enn.SequentialModule(enn.R2Conv(fin, hid, 5, padding=2), enn.R2Conv(hid, hid, 5, padding=2))
    G, rho_in, rho_out = efs.blocks(net)
    assert G == ef.groups.so2()
    model = efs.prepare(net, torch.float64)
    v = ef.assert_equivariant(model, G, rho_in, rho_out, rtol=efs.rtol(model), report_dir=tmp_path)
    assert v.holds and v.subgroup.startswith("gated on C4 in SO(2)")
    C8 = _cnn(gspaces.rot2dOnR2(8))
    v = ef.assert_equivariant(efs.prepare(C8), *efs.blocks(C8), rtol=efs.RTOL_FLOAT32_BASES, report_dir=tmp_path)
    assert v.holds and "order 4 of 8" in v.subgroup


def test_prepare_copies_casts_and_survives_deepcopy():
    net = _cnn(gspaces.rot2dOnR2(4))
    before = [p.dtype for p in net.parameters()]
    model = efs.prepare(net, torch.float64)
    assert [p.dtype for p in net.parameters()] == before and net.training  # the original is untouched
    assert all(p.dtype == torch.float64 for p in model.parameters()) and not model.module.training
    twin = copy.deepcopy(model)  # the gate's float64 re-check and the report deep-copy the model
    x = torch.randn(1, 2, 9, 9, dtype=torch.float64)
    assert torch.equal(twin(x), model(x))


def test_relu_net_gives_the_exact_oracles_the_network_and_its_representations():
    net = _mlp(eg.cyclic_group(4))
    relu, rho_in, rho_out = efs.relu_net(net)
    x = torch.randn(5, rho_in.dim, dtype=torch.float64)
    y = efs.prepare(net)(x).detach().numpy()
    ours = np.maximum(x.numpy() @ relu.W1.T + relu.b1, 0.0) @ relu.W2.T + relu.b2
    np.testing.assert_allclose(ours, y, rtol=1e-12, atol=1e-12)
    assert (rho_in.dim, rho_out.dim) == (8, 5) and relu.W1.shape == (12, 8)


def test_len_dimension_equals_escnns_parameter_count():
    from equifuzz.oracles.dimension import len_dimension
    from equifuzz.oracles.realizability import realizability

    for G, quotient in ((eg.cyclic_group(4), 2), (eg.dihedral_group(4), (None, 2))):
        gs = gspaces.no_base_space(G)
        hid = enn.FieldType(gs, [gs.regular_repr, gs.quotient_repr(quotient)])
        fin, out = enn.FieldType(gs, [gs.regular_repr]), enn.FieldType(gs, [gs.trivial_repr] * 2)
        torch.manual_seed(0)
        net = enn.SequentialModule(enn.Linear(fin, hid), enn.ReLU(hid), enn.Linear(hid, out))
        relu, rho_in, rho_out = efs.relu_net(net)
        hidden = efs.hidden_representation(net)
        assert len_dimension(rho_in, hidden, rho_out) == sum(p.numel() for p in net.parameters())
        assert realizability(relu, rho_in, rho_out, hidden.dim).holds  # equivariant at its own width


def test_e2cnn_models_use_e2cnns_convention_and_its_float64_bases(tmp_path):
    e2 = pytest.importorskip("e2cnn", reason="e2cnn is not installed (tox -e escnn installs 0.2.3)")
    g2, n2 = e2.gspaces, e2.nn
    for gs in (g2.Rot2dOnR2(4), g2.FlipRot2dOnR2(4), g2.FlipRot2dOnR2(4, axis=0.0), g2.Flip2dOnR2()):
        x = n2.GeometricTensor(torch.randn(2, 1, 5, 5), n2.FieldType(gs, [gs.trivial_repr]))
        for g in gs.fibergroup.elements:
            assert torch.equal(move_grid(x.tensor, np.rint(efs.basespace_matrix(gs, g))), x.transform(g).tensor)
    gs = g2.FlipRot2dOnR2(4)
    fin, hid = n2.FieldType(gs, [gs.trivial_repr] * 2), n2.FieldType(gs, [gs.regular_repr] * 2)
    torch.manual_seed(0)
    net = n2.SequentialModule(n2.R2Conv(fin, hid, 5, padding=2), n2.ReLU(hid), n2.R2Conv(hid, hid, 3, padding=1))
    model = efs.prepare(net, torch.float64)
    assert efs.rtol(model) is None  # e2cnn's bases are float64: the gate's default tolerance
    v = ef.assert_equivariant(model, *efs.blocks(net), report_dir=tmp_path)
    assert v.holds and v.ratio < 1e-3
    with pytest.raises(EquivarianceError):
        ef.assert_equivariant(Plus1x1(model, fin.size, hid.size, 1e-7), *efs.blocks(net), report_dir=tmp_path)


def test_an_r3conv_on_the_octahedral_group_is_gated_on_voxels(tmp_path):
    gs = gspaces.octaOnR3()
    fin, hid = enn.FieldType(gs, [gs.trivial_repr]), enn.FieldType(gs, [gs.regular_repr])
    torch.manual_seed(0)
    net = enn.SequentialModule(enn.R3Conv(fin, hid, 3, padding=1))
    with pytest.raises(ef.errors.RepresentationError, match="copy_module=False"):
        efs.prepare(net)  # escnn cannot deep-copy it: said, not a crash inside the gate
    model = efs.prepare(net, torch.float64, copy_module=False)
    G, rho_in, rho_out = efs.blocks(net)
    assert G.order == 24 and rho_in.spatial == 3
    v = ef.assert_equivariant(model, G, rho_in, rho_out, rtol=efs.rtol(model), report_dir=tmp_path)
    assert v.holds and v.subgroup is None  # all 24 rotations of the cube move voxels exactly
    with pytest.raises(EquivarianceError):
        ef.assert_equivariant(Plus1x1(model, 1, 24, 1e-5), G, rho_in, rho_out, rtol=efs.rtol(model),
                              report_dir=tmp_path)


def test_a_point_convolution_is_gated_with_rotations_translations_and_relabellings(tmp_path):
    pytest.importorskip("torch_geometric", reason="escnn's point convolutions need torch_geometric")
    from equifuzz.gate import EdgeIndex, NodeWise, Points

    gs = gspaces.rot2dOnR2(-1, maximum_frequency=4)
    fin, fout = enn.FieldType(gs, [gs.trivial_repr] * 2), enn.FieldType(gs, [gs.irrep(1)] * 2 + [gs.trivial_repr])
    torch.manual_seed(0)
    conv = enn.R2PointConv(fin, fout, width=2.0, n_rings=3)
    G, f_in, pos, f_out = efs.point_blocks(conv)
    model = efs.prepare_points(conv)
    n = 8
    edges = torch.stack(torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")).reshape(2, -1)
    inputs = (torch.randn(n, fin.size, dtype=torch.float64), torch.randn(n, 2, dtype=torch.float64), edges)
    rho_in = (NodeWise(f_in), NodeWise(Points(pos)), EdgeIndex())
    v = ef.assert_equivariant(model, G, rho_in, NodeWise(f_out), inputs=inputs, rtol=efs.rtol(model),
                              report_dir=tmp_path)
    assert v.holds and v.subgroup is None  # points have no grid: every rotation is checked

    class Absolute(torch.nn.Module):  # a planted defect: the absolute position leaks into the output
        def __init__(self) -> None:
            super().__init__()
            self.m = model

        def forward(self, f: torch.Tensor, p: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
            return self.m(f, p, e) + 1e-3 * p[:, :1]

    with pytest.raises(EquivarianceError):
        ef.assert_equivariant(Absolute(), G, rho_in, NodeWise(f_out), inputs=inputs, rtol=efs.rtol(model),
                              report_dir=tmp_path)


def _coefficients_touching(linear, rows=None, cols=None):
    """Indices of an escnn Linear's weight coefficients whose basis element reaches the given rows
    (output channels) or columns (input channels) of the expanded matrix, found by probing each one."""
    saved = linear.weights.data.clone()
    hits = []
    with torch.no_grad():
        for i in range(saved.numel()):
            linear.weights.data.zero_()
            linear.weights.data[i] = 1.0
            W, _ = linear.expand_parameters()
            block = W[rows] if rows is not None else W[:, cols]
            if torch.any(block != 0):
                hits.append(i)
        linear.weights.data.copy_(saved)
    return hits


def _hidden_model(G, hidden_fields, seed=0):
    gs = gspaces.no_base_space(G)
    fin, out = enn.FieldType(gs, [gs.regular_repr]), enn.FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    hid = enn.FieldType(gs, [gs.regular_repr if f == "regular" else gs.quotient_repr(f) for f in hidden_fields])
    torch.manual_seed(seed)
    return enn.SequentialModule(enn.Linear(fin, hid), enn.ReLU(hid), enn.Linear(hid, out)), hid


def test_exact_report_on_a_c4_regular_mlp():
    net = _mlp(eg.cyclic_group(4))
    rep = efs.exact_report(net)
    assert rep.width == 12 and rep.len_dimension == rep.parameters == sum(p.numel() for p in net.parameters())
    assert rep.minimal_decided and rep.minimal is not None and rep.minimal <= rep.width
    assert rep.redundant == () and rep.reduced_width == 12  # random weights: no kink shared or silent
    assert "minimal layer-wise width" in str(rep)


def test_exact_report_finds_a_quotient_field_with_zero_output_weights():
    net, hid = _hidden_model(eg.cyclic_group(4), ["regular", 2])
    l2 = list(net.children())[2]
    with torch.no_grad():
        for i in _coefficients_touching(l2, cols=slice(4, 6)):
            l2.weights.data[i] = 0.0
    relu, _, _ = efs.relu_net(net)
    assert np.all(relu.W2[:, 4:] == 0) and np.all(relu.W2[:, :4] != 0)  # the truth, by construction
    rep = efs.exact_report(net)
    assert (rep.width, rep.minimal, rep.minimal_decided, rep.reduced_width) == (6, 4, True, 4)
    assert [(r.index, r.size, r.into) for r in rep.redundant] == [(1, 2, ())]
    assert rep.len_dimension == rep.parameters


def test_exact_report_merges_two_equal_d4_quotient_fields():
    net, hid = _hidden_model(eg.dihedral_group(4), [(None, 2), (None, 2)])
    l1 = list(net.children())[0]
    first, second = _coefficients_touching(l1, rows=slice(0, 4)), _coefficients_touching(l1, rows=slice(4, 8))
    assert len(first) == len(second) > 0
    with torch.no_grad():
        l1.weights.data[second] = 2.0 * l1.weights.data[first]  # the second field: twice the first
        if l1.bias is not None:
            l1.bias.data.zero_()
    relu, _, _ = efs.relu_net(net)
    np.testing.assert_allclose(relu.W1[4:], 2.0 * relu.W1[:4], rtol=1e-6)  # by construction
    rep = efs.exact_report(net)
    assert (rep.width, rep.minimal, rep.minimal_decided, rep.reduced_width) == (8, 4, True, 4)
    assert [(r.index, r.into) for r in rep.redundant] == [(1, (0,))]
    assert rep.len_dimension == rep.parameters


def test_exact_report_on_c8_says_the_float32_bases_break_exact_equivariance():
    net, _ = _hidden_model(eg.cyclic_group(8), ["regular"])
    strict = efs.exact_report(net)  # cos 45 degrees sampled in float32: equivariant to about 1e-8 only
    assert strict.minimal is None and not strict.minimal_decided and "not equivariant" in strict.reason
    loose = efs.exact_report(net, tol=efs.RTOL_FLOAT32_BASES)
    assert (loose.minimal, loose.minimal_decided, loose.tolerance) == (8, True, efs.RTOL_FLOAT32_BASES)
    assert strict.len_dimension == strict.parameters


def _c4_only_defect(model: torch.nn.Module, eps: float) -> torch.nn.Module:
    """``model`` (trivial x 2 -> C8 regular x 2) plus a plain convolution equivariant under C4 exactly but
    not at 45 degrees: channel k of a field filters with base filter k mod 2 turned by 90 (k // 2)
    degrees; scaled to eps times the model's output RMS."""
    gen = torch.Generator().manual_seed(7)
    base = torch.randn(2, 2, 2, 5, 5, generator=gen, dtype=torch.float64)
    w = torch.stack([torch.rot90(base[:, k % 2], k // 2, dims=(-2, -1)) for k in range(8)], 1).flatten(0, 1)
    x0 = torch.randn(2, 2, 41, 41, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        rms = model(x0).pow(2).mean().sqrt() / torch.nn.functional.conv2d(x0, w, padding=2).pow(2).mean().sqrt()
    scale = eps * float(rms)

    class Defect(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return model(x) + scale * torch.nn.functional.conv2d(x, w, padding=2)

    return Defect()


def test_the_off_grid_action_agrees_with_escnns_interpolating_transform_at_45_degrees():
    from equifuzz.gate.actions import as_actions
    from equifuzz.gate.approximate import _act, band_limited_images

    gs = gspaces.rot2dOnR2(8)
    field = enn.FieldType(gs, [gs.regular_repr])
    G, spec, _ = efs.blocks(enn.R2Conv(field, field, 3))
    grid = as_actions(spec, G, "rho_in")[0][0]
    x = band_limited_images(2, 8, 41, 2.0, torch.Generator().manual_seed(0))
    ours = _act(grid, ef.gate.Element("r", index=1), x)
    theirs = enn.GeometricTensor(x, field).transform(gs.fibergroup.elements[1]).tensor
    disk = ((torch.arange(41.0) - 20)[:, None] ** 2 + (torch.arange(41.0) - 20)[None] ** 2 <= 100).double()
    rel = float(((ours - theirs) * disk).norm() / (theirs * disk).norm())
    assert rel < 2e-2  # the same rotation and channel action; only the interpolations differ


def test_the_approximate_mode_on_escnn_c8_and_so2_models(tmp_path):
    net = _cnn(gspaces.rot2dOnR2(8))
    model = efs.prepare(net, torch.float64)
    G, rho_in, rho_out = efs.blocks(net)
    v = ef.gate.assert_approximately_equivariant(model, G, rho_in, rho_out)
    assert v.status != "fails" and v.holds is None and len(v.scores) == 4
    broken = _c4_only_defect(model, 0.1)
    assert ef.assert_equivariant(broken, G, rho_in, rho_out, rtol=1e-5, report_dir=tmp_path).holds  # C4: exact
    with pytest.raises(EquivarianceError) as info:
        ef.gate.assert_approximately_equivariant(broken, G, rho_in, rho_out)
    assert info.value.verdict.score > info.value.verdict.margin
    gs = gspaces.rot2dOnR2(-1, maximum_frequency=4)
    fin = enn.FieldType(gs, [gs.trivial_repr] * 2)
    hid = enn.FieldType(gs, [gs.irrep(1)] * 2 + [gs.irrep(2)] * 2)
    torch.manual_seed(0)
    so2 = enn.SequentialModule(enn.R2Conv(fin, hid, 5, padding=2), enn.NormNonLinearity(hid, "n_relu"),
                               enn.R2Conv(hid, enn.FieldType(gs, [gs.trivial_repr] * 2 + [gs.irrep(1)]), 5, padding=2))
    v = ef.gate.assert_approximately_equivariant(efs.prepare(so2, torch.float64), *efs.blocks(so2))
    assert v.status != "fails" and "rotation by 45 degrees" in str(v)
