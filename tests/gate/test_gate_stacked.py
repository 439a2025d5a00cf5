"""The vectorized gate internals compute what the one-at-a-time versions compute: stacked calls of the
batcher, actions on stacks, comparisons of many elements, the search's vectorized draws; and
the search's early exit follows its stated rule."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import equifuzz as ef
from equifuzz.gate.actions import Element, Points, apply_many, apply_pairs, apply_stacked, as_actions
from equifuzz.gate.batch import Batcher
from equifuzz.gate.check import Probe, compare, compare_stacked
from equifuzz.gate.search import (
    GROWTH_FLOOR,
    MIN_ROUNDS,
    SAFETY,
    Trial,
    _expm_skew_many,
    out_of_reach,
    perturb_elements,
    search,
)

O3 = ef.groups.o3()
VEC = ef.reps.defining(O3)
SCALAR = ef.reps.trivial(O3)


def _elements(n, seed, translate=False):
    rng = np.random.default_rng(seed)
    return [Element(f"e{i}", matrix=M, translation=rng.standard_normal(3) if translate and i % 2 else None)
            for i, M in enumerate(O3.sample(n, rng))]


def _probe(fn, rho_in=VEC, rho_out=VEC):
    ins, in_tuple = as_actions(rho_in, O3, "rho_in")
    outs, out_tuple = as_actions(rho_out, O3, "rho_out")
    return Probe(fn, torch.float64, torch.device("cpu"), ins, outs, out_tuple)


@pytest.mark.parametrize("batch_dim", [0, 1, -2])
def test_stacked_calls_give_what_one_call_per_set_gives(batch_dim):
    seen = []

    def f(x, w):  # entry by entry along the batch axis; x (..., 3), w (..., 1)
        seen.append(x.shape)
        return x * torch.tanh(w) + x.roll(1, dims=-1) ** 2

    ins = (VEC, None)
    shape = (6, 2, 3) if batch_dim in (1, -2) else (6, 3)
    sets = [[torch.randn(shape, dtype=torch.float64), torch.randn(*shape[:-1], 1, dtype=torch.float64)]
            for _ in range(7)]
    probe = _probe(f, ins, VEC)
    alone = [f(*xs) for xs in sets]
    b = Batcher(probe, batch_dim, rows_per_call=3 * shape[batch_dim])  # three sets a call: 3 calls
    out = b.stacked([torch.stack([xs[j] for xs in sets]) for j in range(2)])
    assert b.calls == 3 and len(out) == 1 and out[0].shape == (7, *shape)
    for s, y in enumerate(alone):
        assert torch.equal(out[0][s], y)
    assert torch.equal(torch.stack([ys[0] for ys in Batcher(probe, batch_dim).many(sets)]), out[0])


def test_stacked_calls_are_halved_when_memory_runs_out_and_check_their_claims():
    def f(v):
        if v.shape[0] > 40:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return v.norm(dim=-1, keepdim=True)

    X = torch.randn(12, 8, 3, dtype=torch.float64)
    b = Batcher(_probe(f, VEC, SCALAR), 0, rows_per_call=96)
    out = b.stacked([X])
    assert torch.allclose(out[0], X.norm(dim=-1, keepdim=True)) and b.rows_per_call <= 40
    with pytest.raises(ef.ShapeError, match="batch_dim=0: output 0 has shape"):
        Batcher(_probe(lambda v: v.norm(dim=-1, keepdim=True)[:5], VEC, SCALAR), 0).stacked([X])


@pytest.mark.parametrize("translate", [False, True])
def test_actions_on_stacks_are_the_actions_one_by_one(translate):
    a = Points(VEC) if translate else as_actions(VEC, O3, "x")[0][0]
    gs = _elements(5, 1, translate)
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    X = torch.randn(5, 4, 7, 3, dtype=torch.float64)
    many, stacked = apply_many(a, gs, x), apply_stacked(a, gs, X)
    for e, g in enumerate(gs):
        assert torch.allclose(many[e], a.apply(g, x), rtol=0, atol=1e-14)
        assert torch.allclose(stacked[e], a.apply(g, X[e]), rtol=0, atol=1e-14)
    assert all(torch.equal(p, q) for p, q in zip(apply_pairs(a, gs, list(X)), stacked.unbind(0), strict=True))
    with pytest.raises(ef.ShapeError, match="has dimension 3"):
        apply_stacked(a, gs, torch.zeros(5, 2, 4, dtype=torch.float64))


def test_linear_actions_remember_matrices_per_element_not_per_address():
    a = as_actions(VEC, O3, "x")[0][0]
    x = torch.randn(3, 3, dtype=torch.float64)
    for seed in range(30):  # fresh elements, possibly at the addresses of freed ones
        gs = _elements(3, seed)
        ys = apply_many(a, gs, x)
        for g, y in zip(gs, ys, strict=True):
            assert torch.allclose(y, x @ torch.as_tensor(g.matrix).T, rtol=0, atol=1e-14)


def _same(got, want):
    """The same measures: scales, tolerances exactly; errors up to the round-off of g.f(x) (the products
    are summed in another order)."""
    assert len(got) == len(want)
    for m, n in zip(got, want, strict=True):
        assert (m.scales, m.tolerances, m.atol, m.rtol) == (n.scales, n.tolerances, n.atol, n.rtol)
        assert m.errors == pytest.approx(n.errors, rel=1e-12, abs=1e-15)


def test_stacked_comparisons_are_the_comparison_of_each_element():
    def f(v):  # equivariant, plus a term along x that breaks it, and a NaN in one row of one input set
        return v * v.norm(dim=-1, keepdim=True) + 1e-3 * v[..., :1] ** 2

    probe = _probe(f)
    gs = _elements(6, 3)
    X = torch.randn(6, 5, 3, dtype=torch.float64)
    X[2, 1, 0] = float("nan")
    GX = apply_stacked(probe.in_actions[0], gs, X)
    Y, YG = f(X), f(GX)
    got = compare_stacked(probe, [Y], [YG], gs, rtol=1e-6, atol=None)
    want = [compare(probe, [Y[e]], [YG[e]], g, rtol=1e-6, atol=None) for e, g in enumerate(gs)]
    _same(got, want)
    assert math.isinf(got[2].errors[0]) and got[0].ratio > 1
    x2 = torch.randn(2, 5, 3, dtype=torch.float64)  # every element on each of two input sets
    YG2 = torch.stack([f(apply_many(probe.in_actions[0], gs, x)) for x in x2])
    got = compare_stacked(probe, [f(x2)], [YG2], gs, rtol=1e-6, atol=1e-9)
    want = [compare(probe, [f(x)], [YG2[s, e]], g, rtol=1e-6, atol=1e-9) for s, x in enumerate(x2)
            for e, g in enumerate(gs)]
    _same(got, want)


def test_vectorized_rotation_steps_are_exponentials_of_the_drawn_skew_matrices():
    sigmas = np.array([1e-13, 0.01, 0.3, 2.0, 4.0])
    R = _expm_skew_many(3, sigmas, np.random.default_rng(5))
    w = torch.as_tensor(sigmas[:, None] * np.random.default_rng(5).standard_normal((5, 3)))
    K = torch.zeros(5, 3, 3, dtype=torch.float64)
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -w[:, 2], w[:, 1], -w[:, 0]
    K = K - K.transpose(1, 2)
    assert np.abs(R - torch.linalg.matrix_exp(K).numpy()).max() < 1e-14
    R2 = _expm_skew_many(2, sigmas, np.random.default_rng(6))
    th = sigmas * np.random.default_rng(6).standard_normal(5)
    assert np.allclose(R2[:, 1, 0], np.sin(th), atol=1e-15) and np.allclose(R2[:, 0, 0], np.cos(th), atol=1e-15)
    gs = _elements(4, 7, translate=True)
    moved = perturb_elements(gs, O3, np.random.default_rng(8), np.full(4, 0.3))
    for g, h in zip(gs, moved, strict=True):  # still in O(3), same component, translations moved
        assert np.allclose(h.matrix @ h.matrix.T, np.eye(3), atol=1e-13)
        assert np.sign(np.linalg.det(h.matrix)) == np.sign(np.linalg.det(g.matrix))
        assert (h.translation is None) == (g.translation is None)


def test_the_early_exit_follows_its_rule():
    assert not out_of_reach([1e-9], 12)  # before any round: never
    assert out_of_reach([1e-9] * MIN_ROUNDS, 12)  # before MIN_ROUNDS rounds: far below even at FAST_GROWTH
    assert not out_of_reach([1e-3, 1e-3], 11)  # 1e-3 * 2^11 * 2 > 1: not far enough below yet
    assert out_of_reach([1e-5] * (MIN_ROUNDS + 1), 9)  # round-off far below the tolerance
    assert out_of_reach([0.3, 0.0, 0.0, 0.0], 9)  # every error exactly zero
    far = 1 / (SAFETY * GROWTH_FLOOR ** 9)
    assert out_of_reach([far * 0.99] * 4, 9) and not out_of_reach([far * 1.01] * 4, 9)
    assert not out_of_reach([1e-6, 1e-5, 1e-4, 1e-3], 9)  # climbing tenfold a round: keep going
    assert not out_of_reach([0.0, 0.0, 0.0, 1e-9], 9)  # errors that just appeared
    assert out_of_reach([0.5] * 13, 0)  # no round left


class _Tilted(torch.nn.Module):
    """v -> v |v| + tilt * v_x^2: equivariant for tilt = 0."""

    def __init__(self, tilt):
        super().__init__()
        self.tilt = tilt

    def forward(self, v):
        return v * v.norm(dim=-1, keepdim=True) + self.tilt * v[..., :1] ** 2


def _start(probe, tilt, seed=0):  # four elements on one input set
    x = [torch.randn(16, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))]
    ys = probe(x)
    from equifuzz.gate.check import measure

    return [Trial(x, ys, g, measure(probe, x, ys, g, rtol=1e-9, atol=None)) for g in _elements(4, seed)]


@pytest.mark.parametrize("batched", [False, True])
def test_a_search_at_round_off_stops_early_and_one_near_the_tolerance_runs_on(batched):
    probe = _probe(_Tilted(0.0))
    b = Batcher(probe, 0) if batched else None
    stats = {}
    search(probe, O3, _start(probe, 0.0), 12, rtol=1e-9, atol=None, seed=0, batcher=b, stats=stats)
    assert stats["rounds"] == 1 and stats["tried"] == 4  # round-off 1e-7 of the tolerance: far below after one
    # a defect whose first ratio is about a third of the tolerance: the search goes on while even the
    # floor growth could carry it over the tolerance (the best ratio never falls, so not before then)
    probe = _probe(_Tilted(1e-9))
    scale = max(t.m.ratio for t in _start(probe, 1e-9)) / 1e-9
    probe = _probe(_Tilted(0.3 / scale))
    start = _start(probe, 0.3 / scale)
    r0 = max(t.ratio for t in start)
    assert 0.1 < r0 < 0.9
    found = search(probe, O3, start, 12, rtol=1e-9, atol=None, seed=0, batcher=Batcher(probe, 0) if batched else None,
                   stats=stats)
    earliest = next(r for r in range(MIN_ROUNDS, 13) if r0 * GROWTH_FLOOR ** (12 - r) * SAFETY < 1)
    assert stats["rounds"] >= earliest >= 8 or found[0].ratio > 1.0
