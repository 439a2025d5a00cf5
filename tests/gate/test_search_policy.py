"""The gate's search policy (gate/search.py): the staged first evaluation (the covering subgroup's
generators and a few Haar samples first; every element when that stage is not far below the
tolerance), the early exit after one round for a ratio far below the tolerance, and the search of a
float32 function climbed on its float64 version."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import equifuzz as ef
from equifuzz.gate.actions import as_actions
from equifuzz.gate.batching import first_evaluation
from equifuzz.gate.check import Probe
from equifuzz.gate.search import (
    FAST_GROWTH,
    SAFETY,
    STAGE_SAMPLES,
    Trial,
    draw_inputs,
    out_of_reach,
    search_in_float64,
    staging,
    translation_scale,
)
from equifuzz.groups.elements import covering, elements_to_try

O3 = ef.groups.o3()
VEC = ef.reps.defining(O3)


def _probe(fn, dtype=torch.float64, rho_in=VEC, rho_out=VEC):
    ins, _ = as_actions(rho_in, O3, "rho_in")
    outs, out_tuple = as_actions(rho_out, O3, "rho_out")
    return Probe(fn, dtype, torch.device("cpu"), ins, outs, out_tuple)


def _word_lengths(cover):
    """Breadth-first distances from the identity in the Cayley graph of the generators."""
    dist = {0: 0}
    frontier = [0]
    while frontier:
        nxt = []
        for a in frontier:
            for g in cover.generators:
                b = int(cover.table[a, g])
                if b not in dist:
                    dist[b] = dist[a] + 1
                    nxt.append(b)
        frontier = nxt
    return dist


@pytest.mark.parametrize("group", [ef.groups.o3(), ef.groups.so3(), ef.groups.o2(), ef.groups.so2()],
                         ids=["O3", "SO3", "O2", "SO2"])
@pytest.mark.parametrize("points", [False, True])
def test_the_first_stage_is_the_generators_some_haar_samples_and_the_translation(group, points):
    rng = np.random.default_rng(0)
    elements = elements_to_try(group, 16, rng, (group.dim, 1.0) if points else None)
    st = staging(group, elements)
    cover = covering(group)
    first = [elements[i] for i in st.first]
    gens = [np.asarray(cover.labels[h]) for h in cover.generators]
    assert [g.matrix.tolist() for g in first[:len(gens)]] == [M.tolist() for M in gens]
    assert [g.label for g in first[len(gens):len(gens) + STAGE_SAMPLES]] == [f"Haar sample {i}"
                                                                            for i in range(STAGE_SAMPLES)]
    assert (first[-1].label == "pure translation") == points and st.translation == points
    assert len(first) == len(gens) + STAGE_SAMPLES + points < len(elements)
    # every covering element is a word of at most word_length generators, and some needs that many
    assert st.word_length == max(_word_lengths(cover).values())
    assert len(_word_lengths(cover)) == cover.order


def test_the_cube_group_needs_words_of_six_generators():
    st = staging(O3, elements_to_try(O3, 16, np.random.default_rng(0)))
    assert st.word_length == 6 and len(st.first) == 3 + STAGE_SAMPLES
    assert not st.grows(1 / (SAFETY * 6)) and st.grows(1.01 / (SAFETY * 6)) and st.grows(float("nan"))


def test_no_staging_for_finite_groups_or_node_relabellings():
    D4 = ef.groups.dihedral(4)
    assert staging(D4, elements_to_try(D4, 16, np.random.default_rng(0))) is None
    elements = [g.replace(perm=np.arange(4)) for g in elements_to_try(O3, 16, np.random.default_rng(0))]
    assert staging(O3, elements) is None


class _Tilted(torch.nn.Module):
    """v -> v |v| + tilt v_x^2 e: equivariant for tilt = 0; its error is linear in tilt."""

    def __init__(self, tilt):
        super().__init__()
        self.tilt = tilt

    def forward(self, v):
        return v * v.norm(dim=-1, keepdim=True) + self.tilt * v[..., :1] ** 2


def _first(model, seed=0, staged=True):
    probe = _probe(model)
    sets = draw_inputs(probe.in_actions, None, 64, seed, torch.device("cpu"))
    elements = elements_to_try(O3, 16, np.random.default_rng(seed), translation_scale(probe.in_actions, sets[0]))
    st = staging(O3, elements) if staged else None
    return first_evaluation(model, probe, sets, elements, "auto", rtol=1e-9, atol=None, staged=st), elements, st


def test_the_first_stage_grows_to_every_element_unless_far_below_the_tolerance():
    b, elements, st = _first(_Tilted(1e-12))
    r1 = max(t.ratio for t in b.trials)  # the first stage's worst ratio, linear in the tilt
    assert 0 < r1 and len(b.trials) == 2 * len(st.first)
    far = 0.5 / (SAFETY * st.word_length)  # half the threshold: stays staged
    b, _, _ = _first(_Tilted(1e-12 * far / r1))
    assert len(b.trials) == 2 * len(st.first) and "were not measured" in b.stage
    near = 0.5  # half the tolerance: every element is measured, in the unstaged order
    grown, _, _ = _first(_Tilted(1e-12 * near / r1))
    whole, _, _ = _first(_Tilted(1e-12 * near / r1), staged=False)
    assert len(grown.trials) == len(whole.trials) == 2 * len(elements)
    assert f"all {len(elements)} were measured" in grown.stage
    assert [t.g.label for t in grown.trials] == [t.g.label for t in whole.trials]
    assert np.allclose([t.ratio for t in grown.trials], [t.ratio for t in whole.trials], rtol=1e-6)
    assert max(t.ratio for t in grown.trials) > max(t.ratio for t in b.trials)


class _Cubic(torch.nn.Module):
    """x + c x**3 entry by entry: equivariant under the cube group (signed permutations), not under O(3):
    only the Haar samples among the elements tried show it."""

    def __init__(self, c):
        super().__init__()
        self.c = c

    def forward(self, x):
        return x + self.c * x ** 3


class _Pseudo(torch.nn.Module):
    """(u, v) -> (u + c u x v, v) on two vectors: u x v rotates like a vector but does not flip under
    reflections, so only improper elements show the defect."""

    def __init__(self, c):
        super().__init__()
        self.c = c

    def forward(self, x):
        u, v = x[..., :3], x[..., 3:]
        return torch.cat([u + self.c * torch.linalg.cross(u, v, dim=-1), v], dim=-1)


@pytest.mark.parametrize("c", [1e-3, 1e-8])
def test_a_defect_off_the_covering_subgroup_or_on_reflections_only_is_caught_staged(c):
    with pytest.raises(ef.EquivarianceError, match="fails at a rotation") as exc:
        ef.assert_equivariant(_Cubic(c), O3, VEC, VEC, profile="ci", report_dir=None, dtype=torch.float64)
    assert "Haar sample" in exc.value.verdict.element or "searched" in exc.value.verdict.element
    from e3nn import o3

    two = o3.Irreps("2x1o")
    with pytest.raises(ef.EquivarianceError, match="reflection") as exc:
        ef.assert_equivariant(_Pseudo(c), O3, two, two, profile="ci", report_dir=None, dtype=torch.float64)


def test_a_passing_float64_module_is_staged_and_stops_after_one_round():
    from e3nn import o3

    lin = o3.Linear("4x0e + 4x1o + 2x2e", "4x0e + 4x1o + 2x2e").double()
    v = ef.assert_equivariant(lin, O3, lin.irreps_in, lin.irreps_out, profile="ci")
    st = staging(O3, elements_to_try(O3, 16, np.random.default_rng(0)))
    assert v.holds and "were not measured" in v.first_evaluation
    assert v.n_elements == 2 * len(st.first) + 4  # the first stage, and one search round of 4 climbers
    assert v.n_evaluations == 2  # the first stage (stacked) and one search round (the two input sets' outputs
    # differ, so the vacuity check needs no call)


def test_the_early_exit_before_three_rounds_is_for_far_below_ratios_only():
    assert not out_of_reach([1e-12], 12)  # no round yet: no rate measured
    r = 0.99 / (SAFETY * FAST_GROWTH ** 11)
    assert out_of_reach([r, r], 11) and not out_of_reach([1.02 * r, 1.02 * r], 11)
    assert not out_of_reach([r / 10, r], 11)  # tenfold in the round: growth 10 assumed, not 2
    assert not out_of_reach([0.0, 0.0], 11)  # exact zeros wait for the measured rate of three rounds
    assert not out_of_reach([0.0, 1e-12], 11)  # errors that just appeared


class _Growing(torch.nn.Module):
    """v -> v |v| + tilt v_x^3: the defect grows faster than the output, so its ratio climbs with |v|."""

    def __init__(self, tilt):
        super().__init__()
        self.tilt = tilt

    def forward(self, v):
        return v * v.norm(dim=-1, keepdim=True) + self.tilt * v[..., :1] ** 3


def test_a_float32_search_climbs_on_float64_and_reports_in_float32():
    """A float32 defect under the tolerance at the start: the climb on the float64 version (no round-off
    to chase) finds where it exceeds the tolerance, and the pair is measured again in float32 (where it
    fails too: the defect is far above float32's round-off)."""
    rng = np.random.default_rng(3)
    x = [torch.randn(16, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))]
    gs = elements_to_try(O3, 4, rng)[-4:]  # four Haar samples
    rtol = 1e-4

    def start(probe):
        from equifuzz.gate.check import measure

        ys = probe(x)
        return [Trial(x, ys, g, measure(probe, x, ys, g, rtol=rtol, atol=None)) for g in gs]

    unit = max(t.ratio for t in start(_probe(_Growing(1e-3))))  # the ratio of tilt 1e-3 in float64
    model = _Growing(1e-3 * 0.3 / unit)  # about 0.3 of the tolerance at the start; no parameters: the probe's
    p32 = _probe(model, torch.float32)  # dtype is the computation's
    p64 = Probe(model, torch.float64, torch.device("cpu"), p32.in_actions, p32.out_actions, p32.out_tuple,
                cast_all=True)
    p64.eps = p32.eps
    begin = start(p32)
    assert max(t.ratio for t in begin) < 1.0
    stats = {}
    before = p32.calls
    found = search_in_float64(p32, p64, O3, begin, 12, rtol=rtol, atol=None, seed=0, batch_dim=0, stats=stats)
    assert p64.calls > 0 and found, stats
    assert p32.calls == before + 2 * len(found)  # every failing pair measured again through the float32 function
    assert all(t.ratio > 1.0 for t in found)


def test_a_float32_defect_just_over_the_tolerance_in_float64_is_climbed_past_round_off():
    """Regression: x + 1e-9 x**3 in float32 (a defect only Haar samples show, near the float32 tolerance at
    inputs of scale 100). The float64 climb crossed the tolerance at a pair that float32 round-off put just
    under it (ratio 0.9998), and the gate passed; the climb now goes on to twice the tolerance."""
    from e3nn import o3

    with pytest.raises(ef.EquivarianceError, match="fails at a rotation") as exc:
        ef.assert_equivariant(_Cubic(1e-9).float(), O3, o3.Irreps("1o"), o3.Irreps("1o"), dtype=torch.float32,
                              seed=18, profile="ci", report_dir=None)
    assert "fails in float64 too" in str(exc.value)
