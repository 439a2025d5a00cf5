"""ef.gate.Grid on plain torch CNNs written here (no escnn needed): correct C4 and D4 group convolutions
pass in float32 and float64; a wrong-direction rotation and a non-equivariant filter fail with a report
that replays on the command line; off-grid groups are gated on their exact subgroup; size-dependent
failures are found; a user-written action gets a verdict, a report and a replay."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import equifuzz as ef
from equifuzz import cli, groups, reps
from equifuzz.errors import EquivarianceError, ShapeError
from equifuzz.gate import Action, NodeWise, replay
from equifuzz.gate.grid import Grid, grid_group, move_grid
from equifuzz.groups.elements import Element


def _filters(w: torch.Tensor, dihedral: bool, sign: int) -> torch.Tensor:
    """The filter w moved by every element r^k s^e of C4/D4 (k fastest), stacked on the output axis:
    element r^k s^e rotates by 90k degrees after the reflection diag(1, -1), which flips the rows."""
    fs = [torch.rot90(w.flip(-2) if e else w, sign * k, dims=(-2, -1)) for e in ([0, 1] if dihedral else [0])
          for k in range(4)]
    return torch.stack(fs, 1).flatten(0, 1)  # output channel o * |G| + element


class LiftingConv(torch.nn.Module):
    """A C4 or D4 lifting convolution: trivial input channels to regular output fields; ``sign=-1``
    rotates the filters the wrong way (equivariant under nothing but the half turn)."""

    def __init__(self, cin: int = 2, cout: int = 3, dihedral: bool = False, sign: int = 1, stride: int = 1,
                 dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(1)
        self.w = torch.nn.Parameter(torch.randn(cout, cin, 3, 3, dtype=dtype, generator=gen))
        self.dihedral, self.sign, self.stride = dihedral, sign, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, _filters(self.w, self.dihedral, self.sign), padding=1, stride=self.stride)


class InvariantNet(torch.nn.Module):
    """Lifting convolution, ReLU, then the mean over the group axis: invariant scalar channels."""

    def __init__(self, dihedral: bool = False, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        self.lift = LiftingConv(dihedral=dihedral, dtype=dtype)
        self.n = 8 if dihedral else 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.lift(x))
        return y.unflatten(1, (-1, self.n)).mean(2)


def _group(dihedral: bool) -> ef.groups.FiniteGroup:
    return groups.dihedral(4) if dihedral else groups.cyclic(4)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("dihedral", [False, True])
def test_correct_c4_and_d4_group_convolutions_pass(dihedral, dtype, tmp_path):
    G = _group(dihedral)
    regular = reps.direct_sum(*[reps.regular(G)] * 3)
    lift = LiftingConv(dihedral=dihedral, dtype=dtype)
    v = ef.assert_equivariant(lift, G, Grid(reps.trivial(G, 2)), Grid(regular), report_dir=tmp_path)
    assert v.holds and v.subgroup is None and v.dtype == str(dtype).removeprefix("torch.")
    net = InvariantNet(dihedral, dtype)
    assert ef.assert_equivariant(net, G, Grid(reps.trivial(G, 2)), Grid(reps.trivial(G, 3)), report_dir=tmp_path).holds
    assert not list(tmp_path.iterdir())


def _replays_on_the_command_line(folder: str, fresh: bool = False, capsys: pytest.CaptureFixture | None = None) -> None:
    """``equifuzz replay FOLDER`` exits 1 (still fails): in a fresh interpreter (``fresh``; the model and
    the actions unpickled by value), else through the command's entry point in this process."""
    if fresh:
        out = subprocess.run([sys.executable, "-m", "equifuzz.cli", "replay", folder], capture_output=True, text=True,
                             cwd=Path(folder).parent)
        assert out.returncode == 1 and "still fails" in out.stdout, out.stdout + out.stderr
    else:
        assert capsys is not None
        assert cli.main(["replay", folder]) == 1 and "still fails" in capsys.readouterr().out


@pytest.mark.parametrize("dihedral", [False, True])
def test_a_wrong_direction_rotation_fails_with_a_report_that_replays(dihedral, tmp_path, capsys):
    G = _group(dihedral)
    wrong = LiftingConv(dihedral=dihedral, sign=-1)
    with pytest.raises(EquivarianceError) as info:
        ef.assert_equivariant(wrong, G, Grid(reps.trivial(G, 2)), Grid(reps.direct_sum(*[reps.regular(G)] * 3)),
                              report_dir=tmp_path)
    v = info.value.verdict
    assert v.ratio > 1e6 and v.report is not None
    assert replay(v.report).ratio > 1
    assert replay(v.report, LiftingConv(dihedral=dihedral)).ratio <= 1  # the fixed model passes the recorded case
    _replays_on_the_command_line(v.report, capsys=capsys)
    assert (Path(v.report) / "actions.pt").is_file()


def test_a_non_equivariant_filter_fails_with_a_report_that_replays(tmp_path, capsys):
    G = groups.cyclic(4)
    conv = torch.nn.Conv2d(2, 3, 3, padding=1).double()
    with pytest.raises(EquivarianceError) as info:
        ef.assert_equivariant(conv, G, Grid(reps.trivial(G, 2)), Grid(reps.trivial(G, 3)), report_dir=tmp_path)
    v = info.value.verdict
    assert v.element.startswith("g = r") and v.report is not None
    _replays_on_the_command_line(v.report, capsys=capsys)
    text = (Path(v.report) / "report.json").read_text()
    assert "grid moved by" in text  # the action's own description, not a last-axis matrix


def test_the_convention_rot90_rotates_counterclockwise_and_s_flips_the_rows():
    x = torch.arange(9.0).reshape(1, 1, 3, 3)
    r = np.array([[0.0, -1.0], [1.0, 0.0]])
    assert torch.equal(move_grid(x, r), torch.rot90(x, 1, dims=(-2, -1)))
    assert torch.equal(move_grid(x, np.diag([1.0, -1.0])), x.flip(-2))
    assert torch.equal(move_grid(x, np.diag([-1.0, 1.0])), x.flip(-1))
    # the pixel at the top right (x > 0, y > 0) goes to the top left under +90 degrees
    assert move_grid(x, r)[0, 0, 0, 0] == x[0, 0, 0, 2]


def test_the_48_cube_symmetries_move_voxels_as_a_group_action():
    H = grid_group(groups.o3())
    assert H.order == 48
    x = torch.randn(2, 1, 3, 3, 3, dtype=torch.float64)
    mats = [np.asarray(m) for m in H.labels]
    for a in range(0, 48, 5):
        for b in range(0, 48, 7):
            ab = mats[a] @ mats[b]
            assert torch.equal(move_grid(move_grid(x, mats[b]), mats[a]), move_grid(x, ab))


def test_volumes_under_the_cube_group_pass_and_a_flip_of_one_axis_fails(tmp_path):
    O = groups.o3()

    def blur(x: torch.Tensor) -> torch.Tensor:  # an isotropic 3x3x3 stencil: invariant under the cube group
        k = torch.ones(1, 1, 3, 3, 3, dtype=x.dtype)
        k[0, 0, 1, 1, 1] = 4.0
        return F.conv3d(x, k, padding=1)

    def skew(x: torch.Tensor) -> torch.Tensor:
        return blur(x) + 0.1 * x.roll(1, dims=-1)

    triv = reps.trivial(O)
    vol = Grid(triv, spatial=3, sizes=[5], images=2)
    v = ef.assert_equivariant(blur, O, vol, vol, report_dir=tmp_path, batch_dim=0)
    assert v.holds and "cube symmetries (48)" in v.subgroup
    with pytest.raises(EquivarianceError):
        ef.assert_equivariant(skew, O, vol, vol, report_dir=tmp_path, batch_dim=0)


def test_off_grid_groups_are_gated_on_the_subgroup_that_acts_exactly(tmp_path, capsys):
    C8 = groups.cyclic(8)
    triv = reps.trivial(C8, 2)
    net = InvariantNet()  # C4-invariant, not C8
    v = ef.assert_equivariant(net, C8, Grid(triv), Grid(reps.trivial(C8, 3)), report_dir=tmp_path)
    assert v.holds and "order 4 of 8" in v.subgroup and "order 4 of 8" in str(v)
    so2 = groups.so2()
    v = ef.assert_equivariant(net, so2, Grid(reps.trivial(so2, 2)), Grid(reps.trivial(so2, 3)), report_dir=tmp_path)
    assert v.holds and v.subgroup.startswith("gated on C4 in SO(2)")
    # a filter that is not symmetric is still caught through the embedding (element r^2 of C8)
    conv = torch.nn.Conv2d(2, 3, 3, padding=1).double()
    with pytest.raises(EquivarianceError) as info:
        ef.assert_equivariant(conv, C8, Grid(triv), Grid(reps.trivial(C8, 3)), report_dir=tmp_path)
    assert info.value.verdict.subgroup is not None
    _replays_on_the_command_line(info.value.verdict.report, capsys=capsys)


def test_a_grid_off_its_pixels_is_refused_in_apply():
    a = Grid(reps.trivial(groups.so2()))
    th = np.pi / 4
    g = Element("45 degrees", matrix=np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]))
    with pytest.raises(ef.errors.RepresentationError, match="does not map the pixel grid"):
        a.apply(g, torch.zeros(1, 1, 4, 4))
    with pytest.raises(ShapeError, match="square"):
        Grid(reps.trivial(groups.cyclic(4))).apply(Element("r", index=1), torch.zeros(1, 1, 4, 5))


def test_a_failure_on_some_sizes_only_is_found_and_reported_at_that_size(tmp_path):
    G = groups.cyclic(4)
    # stride 2 with padding 1: the sampled pixels are symmetric about the centre only on odd sizes
    strided = LiftingConv(stride=2)
    rho_out = Grid(reps.direct_sum(*[reps.regular(G)] * 3))
    v = ef.assert_equivariant(strided, G, Grid(reps.trivial(G, 2), sizes=[9]), rho_out, report_dir=tmp_path)
    assert v.holds
    with pytest.raises(EquivarianceError) as info:
        ef.assert_equivariant(strided, G, Grid(reps.trivial(G, 2)), rho_out, report_dir=tmp_path)  # 17 and 16
    assert "16, 16)" in str(info.value) and replay(info.value.verdict.report).ratio > 1
    sizes = info.value.verdict.sizes
    assert sizes.startswith("the failure depends on the image size: it fails at 16x16") and "holds at 17x17" in sizes
    assert sizes in str(info.value)


class RollChannels(Action):
    """A user-written action with only ``apply`` (and ``draw``): C4 rolls a (..., 4) block cyclically."""

    name = "rolled"

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        return x.roll(int(g.index or 0), dims=-1)

    def draw(self, n: int, gen: torch.Generator, variant: int = 0) -> torch.Tensor:
        return torch.randn(n, 4, generator=gen, dtype=torch.float64)


class ChannelMatrixOnly(RollChannels):
    """A user-written action whose ``matrix()`` is not what ``apply`` does on the last axis."""

    def matrix(self, g: Element) -> np.ndarray:
        return np.eye(2)


@pytest.mark.parametrize("action", [RollChannels, ChannelMatrixOnly])
def test_a_user_written_action_gets_a_verdict_a_report_and_a_replay(action, tmp_path, capsys):
    G = groups.cyclic(4)
    w = torch.tensor([1.0, 0.5, 0.0, 0.0], dtype=torch.float64)

    def circular(x: torch.Tensor) -> torch.Tensor:  # circular convolution commutes with rolls
        return torch.stack([(x * w.roll(k)).sum(-1) for k in range(4)], -1)

    def broken(x: torch.Tensor) -> torch.Tensor:
        return circular(x) + 0.1 * x[..., :1]

    assert ef.assert_equivariant(circular, G, action(), action(), report_dir=tmp_path).holds
    with pytest.raises(EquivarianceError) as info:
        ef.assert_equivariant(broken, G, action(), action(), report_dir=tmp_path)
    v = info.value.verdict
    assert replay(v.report).ratio > 1 and replay(v.report, circular).ratio <= 1
    _replays_on_the_command_line(v.report, fresh=action is ChannelMatrixOnly, capsys=capsys)


def test_an_image_classifier_with_invariant_logits_mixes_grid_and_vector_blocks(tmp_path):
    D4 = groups.dihedral(4)

    class Classifier(torch.nn.Module):
        def __init__(self, pool: str) -> None:
            super().__init__()
            self.net, self.pool = InvariantNet(dihedral=True), pool

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, 3) logits
            y = self.net(x)
            return y.mean((-2, -1)) if self.pool == "mean" else y[..., 0, :].mean(-1)  # the top row only: not invariant

    triv = reps.trivial(D4, 3)
    assert ef.assert_equivariant(Classifier("mean"), D4, Grid(reps.trivial(D4, 2)), triv, report_dir=tmp_path).holds
    with pytest.raises(EquivarianceError) as info:
        ef.assert_equivariant(Classifier("top row"), D4, Grid(reps.trivial(D4, 2)), triv, report_dir=tmp_path)
    assert replay(info.value.verdict.report).ratio > 1


class ApplyOnly(Action):
    """The least a user writes: ``apply`` alone (no dim, no draw, no matrix)."""

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        return x.roll(int(g.index or 0), dims=-1)


def test_an_action_with_apply_alone_needs_inputs_and_then_reports_and_replays(tmp_path):
    G = groups.cyclic(4)

    def broken(x: torch.Tensor) -> torch.Tensor:
        return x.cumsum(-1)  # a prefix sum does not commute with cyclic shifts

    with pytest.raises(ShapeError, match="pass inputs="):
        ef.assert_equivariant(broken, G, ApplyOnly(), ApplyOnly(), report_dir=tmp_path)
    x = torch.randn(3, 4, dtype=torch.float64)
    with pytest.raises(EquivarianceError) as info:  # not RepresentationError: the report needs no matrix
        ef.assert_equivariant(broken, G, ApplyOnly(), ApplyOnly(), inputs=x, report_dir=tmp_path)
    assert replay(info.value.verdict.report).ratio > 1
    assert replay(info.value.verdict.report, lambda x: x).ratio <= 1


class ImagePointConv(torch.nn.Module):
    """A point convolution on vector features (C8's rotation representation) whose messages are scaled
    by the mean of an image: out_i = s sum_j exp(-|p_i - p_j|^2) A(p_i - p_j) h_j, with A(v) = a |v|^2 +
    b [[0, -1], [1, 0]] commuting with every rotation. ``leak`` adds the first coordinate of p_i (an
    absolute direction, equivariant under nothing but the identity); ``order`` adds the node index."""

    def __init__(self, leak: float = 0.0, order: float = 0.0) -> None:
        super().__init__()
        self.leak, self.order = leak, order

    def forward(self, img: torch.Tensor, h: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        s = 1.0 + img.mean(dim=(-3, -2, -1))[..., None, None]
        d = pos[..., :, None, :] - pos[..., None, :, :]  # (..., N, N, 2): p_i - p_j
        w = torch.exp(-(d ** 2).sum(-1))[..., None]
        rot = torch.stack([-h[..., 1], h[..., 0]], -1)
        msg = w * (0.3 * (d ** 2).sum(-1, keepdim=True) * h[..., None, :, :] + 0.7 * rot[..., None, :, :])
        out = s * msg.sum(-2)
        n = torch.arange(out.shape[-2], dtype=out.dtype)[:, None]
        return out + self.leak * pos[..., :1] + self.order * n


def test_node_wise_blocks_under_an_off_grid_group_are_gated_on_the_exact_subgroup(tmp_path, capsys):
    C8 = groups.cyclic(8)
    vec = reps.rotation(C8)
    rho_in = (Grid(reps.trivial(C8, 1), sizes=[9]), NodeWise(vec), NodeWise(vec))
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(2, 1, 9, 9, generator=gen, dtype=torch.float64),
         *[torch.randn(2, 6, 2, generator=gen, dtype=torch.float64) for _ in range(2)])
    v = ef.assert_equivariant(ImagePointConv(), C8, rho_in, NodeWise(vec), inputs=x, report_dir=tmp_path)
    assert v.holds and "order 4 of 8" in v.subgroup and "node permutation" in str(v)
    assert not list(tmp_path.iterdir())
    for broken, what in ((ImagePointConv(leak=0.5), "g = r"), (ImagePointConv(order=0.5), "node permutation")):
        with pytest.raises(EquivarianceError) as info:
            ef.assert_equivariant(broken, C8, rho_in, NodeWise(vec), inputs=x, report_dir=tmp_path)
        w = info.value.verdict
        assert w.subgroup is not None and what in w.element and replay(w.report).ratio > 1
    _replays_on_the_command_line(w.report, capsys=capsys)
