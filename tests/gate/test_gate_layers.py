"""The layers under the gate, on cases whose truth is known by construction: the elements a check
tries (equifuzz.groups.elements), the measured error and its tolerance (equifuzz.oracles.error), and the
command-line replay of a gate report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import equifuzz as ef
from equifuzz import cli
from equifuzz.gate import NodeWise
from equifuzz.groups.elements import ALL_ELEMENTS_UP_TO, covering, elements_to_try
from equifuzz.oracles.error import ATOL_EPS, equivariance_error, max_abs_many

O3 = ef.groups.o3()


@pytest.mark.parametrize("group", [ef.groups.dihedral(6), ef.groups.symmetric(4)], ids=["D6", "S4"])
def test_a_small_group_is_tried_whole(group):
    assert group.order <= ALL_ELEMENTS_UP_TO
    tried = [g.index for g in elements_to_try(group, 5, np.random.default_rng(0))]
    assert sorted(tried) == list(range(1, group.order))  # every element but the identity, once


def test_a_large_group_is_tried_on_its_generators_and_random_words():
    G = ef.groups.symmetric(6)  # order 720
    tried = [g.index for g in elements_to_try(G, 12, np.random.default_rng(3))]
    assert set(G.generators) - {0} <= set(tried) and 0 not in tried and len(tried) == len(set(tried))
    assert len(tried) <= len(G.generators) + 12
    again = [g.index for g in elements_to_try(G, 12, np.random.default_rng(3))]
    assert tried == again  # replayable from the seed


def test_continuous_elements_cover_the_covering_group_and_haar_samples_with_translations():
    rng = np.random.default_rng(1)
    els = elements_to_try(O3, 4, rng, translation=(3, 2.0))
    cover = covering(O3)
    assert len(els) == (cover.order - 1) + 4 + 1  # covering elements, Haar samples, one pure translation
    for g in els:
        assert g.matrix is not None and g.translation is not None and g.translation.shape == (3,)
        np.testing.assert_allclose(g.matrix @ g.matrix.T, np.eye(3), atol=1e-12)
    assert els[-1].label == "pure translation" and np.array_equal(els[-1].matrix, np.eye(3))


def test_the_error_is_exactly_the_planted_difference_and_the_tolerance_follows_the_rule():
    fx = [torch.tensor([[1.0, -4.0], [2.0, 0.5]]), torch.tensor([3.0])]
    gfx = [fx[0].flip(-1), fx[1].clone()]
    fgx = [gfx[0].clone(), gfx[1].clone()]
    fgx[0][1, 0] += 2.0 ** -20  # a defect of known size in block 0
    eps, rtol = 2.0 ** -52, 1e-9
    m = equivariance_error(fgx, gfx, fx, eps=eps, rtol=rtol, atol=None)
    assert m.errors == (2.0 ** -20, 0.0)
    atol = ATOL_EPS * eps * 4.0  # 64 eps x the largest output entry of all blocks
    assert m.atol == atol and m.tolerances == (atol + rtol * 4.0, atol + rtol * 3.0)
    assert m.ratio == 2.0 ** -20 / (atol + rtol * 4.0) and m.block == 0 and m.ratio > 1
    exact = equivariance_error(gfx, gfx, fx, eps=eps, rtol=rtol, atol=None)
    assert exact.errors == (0.0, 0.0) and exact.ratio == 0.0


def test_nan_never_passes():
    fx = [torch.ones(3)]
    bad = [torch.tensor([1.0, float("nan"), 1.0])]
    m = equivariance_error(bad, fx, fx, eps=2.0 ** -52, rtol=1e-3, atol=1e6)
    assert m.errors[0] == float("inf") and m.ratio == float("inf")
    stacked = torch.stack([torch.ones(3), bad[0], torch.zeros(3)])  # the batched reduction, row by row
    assert max_abs_many(stacked) == [1.0, float("inf"), 0.0]


def test_a_zero_tolerance_fails_any_nonzero_error():
    """rtol = atol = 0 asks for exact equality: an error of one ulp has an infinite ratio, none has 0."""
    fx = [torch.zeros(2, dtype=torch.float64)]
    off = [torch.tensor([0.0, 2.0 ** -1074], dtype=torch.float64)]
    assert equivariance_error(off, fx, fx, eps=2.0 ** -52, rtol=0.0, atol=0.0).ratio == float("inf")
    assert equivariance_error(fx, fx, fx, eps=2.0 ** -52, rtol=0.0, atol=0.0).ratio == 0.0


class NormScaled(torch.nn.Module):
    """x_i -> x_i |x_i| per node: commutes with every rotation and reflection, not with translations."""

    def forward(self, pos: torch.Tensor) -> torch.Tensor:
        return pos * pos.norm(dim=-1, keepdim=True)


def test_node_wise_points_are_translated(tmp_path: Path):
    pos = torch.randn(5, 3, dtype=torch.float64)
    rot_only = ef.reps.defining(O3)
    ef.assert_equivariant(NormScaled(), O3, NodeWise(rot_only), NodeWise(rot_only), inputs=pos,
                          report_dir=tmp_path)  # rotations and relabelling alone: holds
    with pytest.raises(ef.EquivarianceError) as info:  # points translate: the translation is caught
        ef.assert_equivariant(NormScaled(), O3, NodeWise("cartesian_points"), NodeWise("cartesian_points"),
                              inputs=pos, report_dir=tmp_path)
    assert info.value.verdict.translation is not None


class Tilted(torch.nn.Module):
    """Invariant in name only: the first coordinate of a vector."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[..., :1]


def test_the_command_line_replays_a_gate_report(tmp_path: Path, capsys):
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(Tilted().double(), O3, ef.reps.defining(O3), ef.reps.trivial(O3), report_dir=tmp_path)
    folder = info.value.verdict.report
    assert cli.main(["replay", folder]) == 1 and "still fails" in capsys.readouterr().out
    (Path(folder) / "case.pt").write_bytes(b"not a case")
    assert cli.main(["replay", folder]) == 2
    assert "case.pt cannot be read" in capsys.readouterr().err


def test_one_block_given_a_tuple_of_inputs_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ef.ShapeError, match="rho_in names one input block, so inputs must be one tensor"):
        ef.assert_equivariant(NormScaled(), O3, NodeWise("cartesian_points"), NodeWise("cartesian_points"),
                              inputs=(torch.randn(5, 3, dtype=torch.float64),), report_dir=tmp_path)


class Field(torch.nn.Module):
    """f_i = (x_i - mean x) * sum_j 1/|x_i - x_j| after a stretch of 1e-6 along z: a small defect, and
    infinite where two points meet (as rounded inputs can make them)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x * torch.tensor([1.0, 1.0, 1.0 + 1e-6], dtype=x.dtype)
        r = (x[:, None, :] - x[None, :, :]).norm(dim=-1) + torch.diag(torch.full((len(x),), float("inf"),
                                                                                 dtype=x.dtype))
        return (x - x.mean(0)) * (1 / r).sum(1, keepdim=True)


def test_minimization_never_trades_a_finite_failure_for_a_degenerate_input(tmp_path: Path):
    pos = torch.randn(6, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 0.6
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(Field(), O3, (NodeWise("cartesian_points"),), NodeWise(ef.reps.defining(O3)),
                              inputs=(pos,), profile="ci", report_dir=tmp_path)
    v = info.value.verdict
    assert np.isfinite(v.error) and np.isfinite(v.scale) and v.error > v.tolerance
    assert "inf" not in (Path(v.report) / "report.md").read_text().split("## Inputs")[0]


def test_batched_minimization_keeps_the_first_simple_element_in_fewer_calls(tmp_path: Path):
    """Tilted fails under every covering element that moves the first axis, so both minimizations end at
    the first simple element of the class of the element found (proper or improper: the minimizer keeps
    it); the batched one tries the elements in one call."""
    verdicts = {}
    for batch_dim in (None, 0):
        with pytest.raises(ef.EquivarianceError) as info:
            ef.assert_equivariant(Tilted().double(), O3, ef.reps.defining(O3), ef.reps.trivial(O3),
                                  report_dir=tmp_path / str(batch_dim), batch_dim=batch_dim)
        verdicts[batch_dim] = info.value.verdict
    cover = covering(O3)
    order = list(dict.fromkeys([*cover.generators, *range(1, cover.order)]))
    for v in verdicts.values():
        sign = np.sign(np.linalg.det(v.element_matrix))
        first = next(h for h in order if np.sign(np.linalg.det(cover.labels[h])) == sign)
        assert v.element.startswith(f"covering element {cover.word_str(first)},"), v.element
    assert verdicts[0].n_evaluations < verdicts[None].n_evaluations


def test_the_verdict_counts_the_pairs_actually_measured():
    """The identity on vectors is exactly O(3)-equivariant in float64 (every error is exactly 0), so the
    search stops after its minimum rounds (search.out_of_reach); the verdict counts those rounds, not
    the budget's."""
    from equifuzz.gate.search import MIN_ROUNDS, STAGE_SAMPLES
    from equifuzz.profiles import PROFILES

    budget = PROFILES["ci"].gate
    vec = ef.reps.defining(O3)
    v = ef.assert_equivariant(lambda x: x.clone(), O3, vec, vec, profile="ci", dtype=torch.float64)
    # two input sets x the first stage of the elements tried first (search.staging: the covering subgroup's
    # generators and STAGE_SAMPLES Haar samples); every ratio is 0, far below, so the stage does not grow
    first = 2 * (len(covering(O3).generators) + STAGE_SAMPLES)
    assert v.ratio == 0.0 and MIN_ROUNDS < budget.search_rounds
    assert v.n_elements == first + MIN_ROUNDS * budget.search_width
    assert "were not measured" in v.first_evaluation and v.first_evaluation in str(v)
