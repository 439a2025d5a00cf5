"""The gate batches by itself when ``batch_dim`` is not given (``equifuzz/gate/batching.py``): it stacks
input sets along the leading axis only when entries along it are independent, gives the verdict the
unbatched gate gives otherwise, and says which it did and why."""

from __future__ import annotations

import pytest
import torch

import equifuzz as ef
from equifuzz.gate import EdgeIndex, NodeWise

O3 = ef.groups.o3()
VEC = ef.reps.defining(O3)


class Rowwise(torch.nn.Module):
    """v -> v * layer(|v|) row by row, around a layer that may couple or randomize rows."""

    def __init__(self, layer: torch.nn.Module, tilt: float = 0.0) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.layer = layer.double()
        self.tilt = tilt

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return v * self.layer(v.norm(dim=-1, keepdim=True)) + self.tilt * v[..., :1]


def _verdict(fn, *args, **kw):
    try:
        return ef.assert_equivariant(fn, *args, **kw)
    except ef.EquivarianceError as exc:
        return exc.verdict


def _same(auto, plain):
    assert (auto.holds, auto.ratio, auto.element, auto.n_elements) == (plain.holds, plain.ratio, plain.element,
                                                                       plain.n_elements)


def test_a_row_wise_function_is_batched_after_one_comparison():
    auto = ef.assert_equivariant(Rowwise(torch.nn.Tanh()), O3, VEC, VEC, seed=1)
    assert auto.batch_dim == 0 and "agreed with the same entries inside the stack" in auto.batching
    assert auto.n_evaluations <= 20 and "batched along axis 0" in str(auto)


def test_batchnorm_in_training_mode_is_not_batched_and_gets_the_unbatched_verdict(tmp_path):
    kw = dict(seed=3, report_dir=tmp_path)
    auto = _verdict(Rowwise(torch.nn.BatchNorm1d(1)).train(), O3, VEC, VEC, **kw)
    plain = _verdict(Rowwise(torch.nn.BatchNorm1d(1)).train(), O3, VEC, VEC, batch_dim=None, **kw)
    _same(auto, plain)
    assert auto.holds
    assert auto.n_evaluations == plain.n_evaluations  # decided from the layer, without a call
    assert auto.batch_dim is None and "BatchNorm1d at 'layer' is in training mode" in auto.batching
    assert "statistics over the batch" in str(auto)
    evaluated = ef.assert_equivariant(Rowwise(torch.nn.BatchNorm1d(1)).eval(), O3, VEC, VEC, seed=3)
    assert evaluated.batch_dim == 0  # in eval mode the same model is batched


@pytest.mark.parametrize("tilt", [0.0, 1e-3])
def test_a_mean_over_the_batch_is_found_by_experiment_and_gets_the_unbatched_verdict(tilt, tmp_path):
    def centred(v):  # rotation-equivariant, but every row depends on all rows
        return v - v.mean(dim=0) + tilt * v[..., :1]

    auto = _verdict(centred, O3, VEC, VEC, seed=4, report_dir=tmp_path)
    plain = _verdict(centred, O3, VEC, VEC, seed=4, batch_dim=None, report_dir=tmp_path)
    _same(auto, plain)
    assert auto.holds is (tilt == 0.0)
    assert auto.n_evaluations == plain.n_evaluations + 1  # the stacked call that showed the coupling
    assert auto.batch_dim is None and "entries along axis 0 interact" in auto.batching
    with pytest.raises(ef.gate.BatchIndependenceError):  # declared, the same coupling is an error
        ef.assert_equivariant(centred, O3, VEC, VEC, seed=4, batch_dim=0, report_dir=tmp_path)


def test_a_term_that_depends_on_the_position_along_the_axis_is_not_batched():
    def weighted(v):  # row i scaled by i + 1: equivariant, but not entry by entry along axis 0
        return v * torch.arange(1, v.shape[0] + 1, dtype=v.dtype)[:, None]

    auto = ef.assert_equivariant(weighted, O3, VEC, VEC)  # batched, the stacked rows would move: a false alarm
    assert auto.holds and auto.batch_dim is None and "interact" in auto.batching


def test_an_e3nn_module_is_batched_without_being_asked(tmp_path):
    o3 = pytest.importorskip("e3nn.o3", reason="the e3nn extra is not installed")
    from equifuzz.adapters import e3nn as efe
    from equifuzz.adapters.e3nn_zoo import parity

    lin = o3.Linear("4x0e + 4x1o + 2x2e", "4x0e + 4x1o + 2x2e").double()
    v = ef.assert_equivariant(lin, efe.O3, *efe.blocks(lin))
    assert v.batch_dim == 0 and "e3nn's Linear" in v.batching and v.n_evaluations <= 6
    case = parity(0, torch.float64)  # a defect is caught batched, as declared
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(case.module, efe.O3, case.rho_in, case.rho_out, report_dir=tmp_path)
    assert info.value.verdict.batch_dim == 0


@pytest.mark.parametrize("p", [0.5, 1e-3])
def test_dropout_in_training_mode_is_never_batched(p, tmp_path):
    # even p = 1e-3 on one row, where masks drawn alone and in a stack would usually agree by luck
    verdict = _verdict(Rowwise(torch.nn.Dropout(p)).train(), O3, VEC, VEC, inputs=torch.randn(1, 3).double(),
                       report_dir=tmp_path)
    assert verdict.batch_dim is None and "Dropout at 'layer' is in training mode" in verdict.batching


def test_randomness_outside_a_layer_is_found_by_experiment(tmp_path):
    def noisy(v):
        return v * (1.0 + 1e-3 * torch.rand(v.shape[0], 1, dtype=v.dtype))

    verdict = _verdict(noisy, O3, VEC, VEC, report_dir=tmp_path)
    assert not verdict.holds and verdict.batch_dim is None and "interact" in verdict.batching


def test_a_batched_failure_that_single_calls_do_not_reproduce_restarts_unbatched(tmp_path):
    def late_rows_tilted(v):  # rows from 1200 on (only ever present in a stack) get a term along x
        tilt = (torch.arange(v.shape[0]) >= 1200).to(v.dtype)[:, None]
        return v + 1e-3 * tilt * v[:, :1]

    # the staged first evaluation (gate/search.py: the 3 generators and 8 Haar samples first) stacks 2 sets x
    # (x and 11 elements) x 64 rows: set 1's x sits at rows 768-831, so the comparison of that set alone
    # agrees, and only entries past row 1200 fail
    v = ef.assert_equivariant(late_rows_tilted, O3, VEC, VEC, profile="dev", report_dir=tmp_path)
    assert v.holds and v.batch_dim is None and "did not reproduce with single calls" in v.batching


def _messages(pos, h, edges):
    """One EGNN-style layer: node i moves along sum_j w(|x_i - x_j|, h_j) (x_i - x_j) over its edges."""
    src, dst = edges
    d = pos[dst] - pos[src]
    w = torch.tanh(d.norm(dim=-1, keepdim=True) - h[src, :1])
    return torch.zeros_like(pos).index_add_(0, dst, w * d) + pos, h.index_add(0, dst, w * h[src])


def test_node_wise_blocks_with_nodes_on_the_leading_axis_are_not_batched():
    n = 6
    pos, h = torch.randn(n, 3, dtype=torch.float64), torch.randn(n, 2, dtype=torch.float64)
    edges = torch.tensor([[i for i in range(n) for j in range(n) if i != j],
                          [j for i in range(n) for j in range(n) if i != j]])
    rho_in, rho_out = (NodeWise("cartesian_points"), NodeWise(None), EdgeIndex()), (NodeWise("cartesian_points"),
                                                                                     NodeWise(None))
    v = ef.assert_equivariant(_messages, O3, rho_in, rho_out, inputs=(pos, h, edges))
    assert v.holds and v.batch_dim is None and "nodes on the leading axis" in v.batching


def test_messages_between_rows_given_as_plain_points_are_found_by_experiment():
    def forces(p):  # a complete graph on the rows: every row moves with all the others
        d = p[:, None, :] - p[None, :, :]
        return (torch.tanh(d.norm(dim=-1, keepdim=True)) * d).sum(dim=1)

    pos = torch.randn(8, 3, dtype=torch.float64)
    auto = ef.assert_equivariant(forces, O3, "cartesian_points", VEC, inputs=pos)
    plain = ef.assert_equivariant(forces, O3, "cartesian_points", VEC, inputs=pos, batch_dim=None)
    _same(auto, plain)
    assert auto.batch_dim is None and "interact" in auto.batching


def test_a_leading_batch_of_graphs_is_batched():
    def centred(p):  # (graphs, nodes, 3): each graph centred on its own mean
        return p - p.mean(dim=-2, keepdim=True)

    v = ef.assert_equivariant(centred, O3, NodeWise("cartesian_points"), NodeWise(VEC),
                              inputs=torch.randn(3, 5, 3, dtype=torch.float64))
    assert v.holds and v.batch_dim == 0 and v.n_evaluations <= 20


def test_images_of_two_sizes_are_stacked_with_their_own_size():
    from equifuzz.gate.grid import Grid

    C4 = ef.groups.cyclic(4)
    pixels = Grid(ef.reps.trivial(C4, 2), sizes=(9, 8))  # pixel-wise maps of 2-channel images
    v = ef.assert_equivariant(torch.tanh, C4, pixels, pixels)
    assert v.holds and v.batch_dim == 0 and "one per shape" in v.batching
    coupled = ef.assert_equivariant(lambda x: x - x.mean(dim=0), C4, pixels, pixels)  # a mean over the images
    assert coupled.holds and coupled.batch_dim is None and "interact" in coupled.batching


def test_outputs_without_the_leading_axis_are_not_batched():
    def energy(v):  # one invariant for the whole set of rows
        return (v * v).sum().reshape(1, 1)

    v = ef.assert_equivariant(energy, O3, VEC, ef.reps.trivial(O3))
    assert v.holds and v.batch_dim is None and "does not keep one entry per input entry" in v.batching


def test_batch_dim_none_never_batches_and_a_bad_value_is_an_error():
    v = ef.assert_equivariant(Rowwise(torch.nn.Tanh()), O3, VEC, VEC, batch_dim=None)
    # every set and element on its own: 2 x (x and 11 elements) calls for the staged first evaluation alone
    assert v.batch_dim is None and v.batching == "not batched (batch_dim=None)" and v.n_evaluations > 24
    with pytest.raises(ef.ShapeError, match="'auto'"):
        ef.assert_equivariant(Rowwise(torch.nn.Tanh()), O3, VEC, VEC, batch_dim="automatic")
