"""Batched evaluation (``batch_dim``): same verdicts in far fewer calls, chunks that respect the memory
budget (and are halved when a call runs out of memory), and a false independence claim reported."""

from __future__ import annotations

import pytest
import torch

import equifuzz as ef
from equifuzz.gate import BatchIndependenceError
from equifuzz.gate.actions import as_actions
from equifuzz.gate.batch import Batcher
from equifuzz.gate.check import Probe

O3 = ef.groups.o3()
VEC = ef.reps.defining(O3)
SCALAR = ef.reps.trivial(O3)


class RowwiseVectorNet(torch.nn.Module):
    """Row by row: v -> v * MLP(|v|), O(3)-equivariant; ``tilt`` plants a term along x."""

    def __init__(self, tilt: float = 0.0) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
        self.tilt = tilt

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return v * self.mlp(v.norm(dim=-1, keepdim=True)) + self.tilt * v[..., :1]


def test_batched_gate_gives_the_verdict_in_far_fewer_calls():
    plain = ef.assert_equivariant(RowwiseVectorNet(), O3, VEC, VEC, seed=2, batch_dim=None)  # never batched
    batched = ef.assert_equivariant(RowwiseVectorNet(), O3, VEC, VEC, seed=2, batch_dim=0)
    assert plain.holds and batched.holds
    # unbatched: 2 input sets x (x and 11 elements) of the staged first evaluation (gate/search.py), then search
    # rounds of 4 climbers x 2 calls; batched: one call for the first evaluation, one per round
    assert plain.n_evaluations > 24 and batched.n_evaluations <= 8
    assert batched.ratio == pytest.approx(plain.ratio, rel=0.5, abs=1e-3)


@pytest.mark.parametrize("tilt", [1e-2, 1e-6])
def test_batched_gate_catches_what_the_plain_gate_catches(tilt, tmp_path):
    for batch_dim in (None, 0):
        with pytest.raises(ef.EquivarianceError):
            ef.assert_equivariant(RowwiseVectorNet(tilt), O3, VEC, VEC, batch_dim=batch_dim, report_dir=tmp_path)


def test_a_leading_batch_of_point_clouds_is_stacked_along_it():
    def centred(p):  # (batch, points, 3): each cloud centred on its own mean
        return p - p.mean(dim=-2, keepdim=True)

    pos = torch.randn(4, 5, 3, dtype=torch.float64)
    v = ef.assert_equivariant(centred, O3, "cartesian_points", VEC, inputs=pos, batch_dim=0)
    assert v.holds and v.n_evaluations <= 20
    with pytest.raises(BatchIndependenceError, match="batch_dim=0"):  # the mean over the batch mixes entries
        ef.assert_equivariant(lambda p: p - p.mean(dim=(0, 1)), O3, "cartesian_points", VEC, inputs=pos,
                              batch_dim=0)


@pytest.mark.parametrize("layer", ["batchnorm", "dropout"])
def test_batch_entries_that_interact_are_a_reported_defect(layer):
    norm = torch.nn.BatchNorm1d(1) if layer == "batchnorm" else torch.nn.Dropout(0.5)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = norm.double()

        def forward(self, v):
            return v * self.layer(v.norm(dim=-1, keepdim=True))

    with pytest.raises(BatchIndependenceError, match="BatchNorm in training mode, dropout") as info:
        ef.assert_equivariant(Model().train(), O3, VEC, VEC, batch_dim=0)
    assert info.value.measure is not None and info.value.measure.ratio > 1
    assert isinstance(info.value, ef.EquifuzzError)
    assert ef.assert_equivariant(Model().eval(), O3, VEC, VEC, batch_dim=0).holds


def _probe(fn, device="cpu"):
    ins, _ = as_actions(VEC, O3, "rho_in")
    outs, _ = as_actions(SCALAR, O3, "rho_out")
    return Probe(fn, torch.float64, torch.device(device), ins, outs, False)


def test_chunks_hold_at_most_rows_per_call_and_split_back_exactly():
    seen = []

    def f(v):
        seen.append(v.shape[0])
        return (v * v).sum(-1, keepdim=True)

    sets = [[torch.randn(16, 3, dtype=torch.float64)] for _ in range(10)]
    b = Batcher(_probe(f), 0, rows_per_call=48)
    outs = b.many(sets)
    assert seen == [48, 48, 48, 16] and b.calls == 4
    for xs, ys in zip(sets, outs, strict=True):
        assert torch.equal(ys[0], (xs[0] * xs[0]).sum(-1, keepdim=True))


def test_a_chunk_that_runs_out_of_memory_is_halved_and_retried():
    seen = []

    def f(v):
        seen.append(v.shape[0])
        if v.shape[0] > 40:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return v.norm(dim=-1, keepdim=True)

    sets = [[torch.randn(8, 3, dtype=torch.float64)] for _ in range(12)]
    b = Batcher(_probe(f), 0, rows_per_call=96)
    outs = b.many(sets)
    assert len(outs) == 12 and max(s for s in seen if s <= 40) <= 40 and b.rows_per_call <= 40
    with pytest.raises(RuntimeError, match="not memory"):  # other errors are not retried
        Batcher(_probe(lambda v: (_ for _ in ()).throw(RuntimeError("not memory"))), 0).many(sets)


def test_the_budget_follows_the_free_memory_of_a_cuda_device(monkeypatch):
    free = 4 * 2 ** 20  # 4 MiB free: a quarter is 1 MiB
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (free, 8 * free))
    b = Batcher(_probe(lambda v: v, device="cuda"), 0)
    sets = [[torch.zeros(8, 3, dtype=torch.float64)]]  # 24 bytes a row, x 2 x 64 for activations
    assert b._budget_rows(sets, 8) == (free // 4) // (24 * 2 * 64)


def test_bad_batch_claims_are_errors_that_name_batch_dim():
    k = torch.arange(8)
    with pytest.raises(ef.ShapeError, match="batch_dim must be an int"):
        ef.assert_equivariant(RowwiseVectorNet(), O3, VEC, VEC, batch_dim="0")
    with pytest.raises(ef.ShapeError, match="batch_dim=0: input block 1 is a list"):
        ef.assert_equivariant(lambda v, k: v, O3, (VEC, None), VEC,
                              inputs=(torch.randn(8, 3, dtype=torch.float64), k.tolist()), batch_dim=0)
    with pytest.raises(ef.ShapeError, match="must keep the batch axis"):
        ef.assert_equivariant(lambda v: v.norm(dim=-1).sum(0, keepdim=True)[:, None], O3, VEC, SCALAR, batch_dim=0)
