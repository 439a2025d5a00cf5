"""The approximate off-grid mode (``ef.gate.assert_approximately_equivariant``) on plain torch models
(no escnn needed): exactly equivariant pointwise and radial models stay within the interpolation
floor at 45 degrees, a planted off-grid defect (exact on the grid, wrong at 45 degrees) fails, and no
verdict ever says "holds"."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import equifuzz as ef
from equifuzz import groups, reps
from equifuzz.errors import EquivarianceError, InvalidArgument, ShapeError
from equifuzz.gate import Grid, assert_approximately_equivariant
from equifuzz.gate.approximate import MARGINS, band_limited_images, rotate_image
from equifuzz.gate.grid import move_grid

C8 = groups.cyclic(8)


def _radial(x: torch.Tensor) -> torch.Tensor:
    """An isotropic Gaussian blur, ReLU, blur again: trivial -> trivial, equivariant under every rotation
    of the continuum (and exactly under C4 on the grid)."""
    r = torch.arange(7, dtype=x.dtype) - 3
    k = torch.exp(-(r[:, None] ** 2 + r[None] ** 2) / 4.0)
    k = (k / k.sum()).expand(x.shape[1], 1, 7, 7)
    y = torch.relu(F.conv2d(x, k, padding=3, groups=x.shape[1]) - 0.1)
    return F.conv2d(y, k, padding=3, groups=x.shape[1])


def _angle_mask(n: int) -> torch.Tensor:
    """1 + 0.5 cos(4 phi(p)): the same under rotations by 90 degrees, its negative at 45 degrees."""
    idx = torch.arange(n, dtype=torch.float64) - (n - 1) / 2
    phi = torch.atan2(-idx[:, None].expand(n, n), idx[None, :].expand(n, n))
    return 1 + 0.5 * torch.cos(4 * phi)


def _off_grid_defect(x: torch.Tensor) -> torch.Tensor:
    return _radial(x) * _angle_mask(x.shape[-1])


def test_rotating_by_90_degrees_moves_the_grid_exactly_and_rotations_compose():
    R90 = np.array([[0.0, -1.0], [1.0, 0.0]])
    t = np.deg2rad(45.0)
    R45 = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    disk = (torch.arange(41.0) - 20)[:, None] ** 2 + (torch.arange(41.0) - 20)[None] ** 2 <= 100
    rel = {}
    for K in (1.5, 8.0):
        x = band_limited_images(2, 3, 41, K, torch.Generator().manual_seed(0))
        exact = move_grid(x, R90)
        assert torch.allclose(rotate_image(x, R90), exact, atol=1e-12)
        twice = rotate_image(rotate_image(x, R45), R45)  # interpolated twice
        rel[K] = float(((twice - exact) * disk).norm() / (exact * disk).norm())
    assert rel[1.5] < 1.5e-2 and rel[1.5] < rel[8.0] < 0.1  # close to the quarter turn, closer on smoother inputs


@pytest.mark.parametrize("group", [C8, groups.so2()])
def test_exactly_equivariant_pointwise_and_radial_models_stay_within_the_floor(group):
    rin, rout = Grid(reps.trivial(group, 2)), Grid(reps.trivial(group, 2))
    v = assert_approximately_equivariant(torch.tanh, group, rin, rout)  # smoother than the ReLU reference
    assert v.status == "within the floor" and v.score < 1 and v.holds is None
    assert "45 degrees" in v.element or any("45 degrees" in row[0] for row in v.scores)
    w = assert_approximately_equivariant(_radial, group, rin, rout)
    assert w.status != "fails" and w.holds is None and w.score <= MARGINS[3.0]
    assert w.unseen > 0 and "cannot be seen" in str(w) and "ReLU on each channel" in w.reference


def test_a_planted_off_grid_defect_passes_the_exact_gate_and_fails_the_approximate_mode(tmp_path):
    rin, rout = Grid(reps.trivial(C8, 1)), Grid(reps.trivial(C8, 1))
    exact = ef.assert_equivariant(_off_grid_defect, C8, Grid(reps.trivial(C8, 1), sizes=[41]),
                                  Grid(reps.trivial(C8, 1)), report_dir=tmp_path)
    assert exact.holds and "order 4 of 8" in exact.subgroup  # on the grid it is equivariant
    with pytest.raises(EquivarianceError) as info:
        assert_approximately_equivariant(_off_grid_defect, C8, rin, rout)
    v = info.value.verdict
    assert v.holds is False and v.status == "fails" and v.score > v.margin == MARGINS[3.0]
    assert "calibrated, not certified" in str(v) and v.witness is not None and v.witness.shape == (16, 1, 41, 41)
    assert {row[0].split(" (")[0] for row in v.scores} == {"g = r", "g = r^3", "g = r^5", "g = r^7"}


def test_no_verdict_says_holds_and_the_floor_is_measured_per_call():
    rin, rout = Grid(reps.trivial(C8, 2)), Grid(reps.trivial(C8, 2))
    smooth, rough = (assert_approximately_equivariant(torch.relu, C8, rin, rout, band=k, images=4) for k in (1.5, 8.0))
    for v in (smooth, rough):
        assert v.holds is None and "holds" not in str(v) and abs(v.score - 1) < 1e-12  # the reference itself
    assert smooth.floor < rough.floor  # rougher inputs, larger interpolation error
    with pytest.raises(InvalidArgument, match="not calibrated"):
        assert_approximately_equivariant(torch.relu, C8, rin, rout, band=4.0)
    v = assert_approximately_equivariant(torch.relu, C8, rin, rout, band=4.0, margin=2.0, images=4)
    assert "given by the caller" in str(v)


def test_vector_fields_get_a_norm_relu_reference_and_a_wrong_channel_action_fails():
    rot = Grid(reps.rotation(C8))

    def norm_tanh(v: torch.Tensor) -> torch.Tensor:  # commutes with every rotation of the channel vector
        return v * torch.tanh(v.norm(dim=1, keepdim=True))

    v = assert_approximately_equivariant(norm_tanh, C8, rot, rot)
    assert v.reference.startswith("norm ReLU") and v.status != "fails"

    def left_out(v: torch.Tensor) -> torch.Tensor:  # the channels are not rotated back: wrong at every rotation
        return torch.stack([v[:, 0], -v[:, 1]], 1)

    with pytest.raises(EquivarianceError):
        assert_approximately_equivariant(left_out, C8, rot, rot)


def test_what_the_approximate_mode_refuses():
    triv = Grid(reps.trivial(groups.cyclic(4)))
    with pytest.raises(InvalidArgument, match="maps the grid to itself"):
        assert_approximately_equivariant(torch.relu, groups.cyclic(4), triv, triv)
    with pytest.raises(ShapeError, match="one image block"):
        assert_approximately_equivariant(torch.relu, C8, reps.trivial(C8, 2), reps.trivial(C8, 2))


def test_a_dihedral_group_tries_its_rotations_and_reflections_off_the_grid():
    D8 = groups.dihedral(8)
    triv = Grid(reps.trivial(D8, 1))
    v = assert_approximately_equivariant(torch.relu, D8, triv, triv, images=4)
    labels = [row[0] for row in v.scores]
    assert len(labels) == 8 and sum("reflection across the line at" in s for s in labels) == 4
    assert all(abs(row[3] - 1) < 1e-12 for row in v.scores)  # the reference against itself, element by element

    def flip_rows(x: torch.Tensor) -> torch.Tensor:  # a model that reflects its input: wrong at every element
        return torch.relu(x.flip(-2))

    with pytest.raises(EquivarianceError):
        assert_approximately_equivariant(flip_rows, D8, triv, triv, images=4)
