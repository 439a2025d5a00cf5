"""The search layer: batched kernel, float32 screen -> float64 -> oracle, adversarial search, sweeps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz.search import (
    SCREEN_TOL,
    KernelMemoryError,
    NetBatch,
    adversarial_search,
    best_layerwise_risk,
    compensation_sweep,
    equivariance_errors,
    group_errors,
    hypothesis_target,
    kink_starts,
    orbit_types,
    peak_bytes,
    plan_chunks,
    screen_then_confirm,
)
from equifuzz.search.bench import run_bench

# ---------------------------------------------------------------------------------------------
# fixtures built from public constructors only


@pytest.fixture(autouse=True)
def one_torch_thread():
    """pytest-xdist already runs one worker per core: intra-op threads on top only oversubscribe
    (the small batched fits of the sweep ran ~5x slower with 2 threads per worker on 2 cores)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def z2_minus_identity():
    G = ef.groups.cyclic(2)
    return G, ef.reps.from_generators(G, [-np.eye(2)]), ef.reps.trivial(G)


def example_a() -> ef.ReLUNet:
    """THEORY Example A: relu(x1) + relu(x2) + relu(-x1 - x2), Z2-invariant under x -> -x, not LEN below 6."""
    return ef.ReLUNet([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [0.0, 0.0, 0.0], [[1.0, 1.0, 1.0]], [0.0])


def symmetrized(net: ef.ReLUNet, rho_in, rho_out) -> ef.ReLUNet:
    """T5(a) by hand: neurons (rho_in(h)^T w_i, b_i, rho_out(h)^-1 v_i / |G|), averaged output bias."""
    G = rho_in.group
    W1, b1, W2, b2 = net.float_params()
    rows, biases, cols = [], [], []
    for h in G.elements:
        A, Binv = rho_in(h), np.linalg.inv(rho_out(h))
        rows.append(W1 @ A)
        biases.append(b1)
        cols.append(Binv @ W2 / G.order)
    c = np.mean([np.linalg.inv(rho_out(h)) @ b2 for h in G.elements], axis=0)
    return ef.ReLUNet(np.concatenate(rows), np.concatenate(biases), np.concatenate(cols, axis=1), c)


def random_net(rng: np.random.Generator, m: int, d: int, p: int) -> ef.ReLUNet:
    return ef.ReLUNet(rng.standard_normal((m, d)), rng.standard_normal(m), rng.standard_normal((p, m)),
                      rng.standard_normal(p))


def naive_errors(net: ef.ReLUNet, A: np.ndarray, C: np.ndarray, X: np.ndarray, eps: float) -> np.ndarray:
    """The documented formula, one element and one input at a time, numpy float64."""
    out = np.zeros((len(A), len(X)))
    for e in range(len(A)):
        gap = max(np.linalg.norm(A[e] - np.eye(len(A[e])), 2), np.linalg.norm(C[e] - np.eye(len(C[e])), 2))
        for n, x in enumerate(X):
            fx, fax = net(x), net(A[e] @ x)
            vn, bn = np.linalg.norm(net.W2, axis=0), np.linalg.norm(net.b2)
            mag = vn @ np.maximum(net.W1 @ x + net.b1, 0) + vn @ np.maximum(net.W1 @ A[e] @ x + net.b1, 0) + 2 * bn
            rel = np.linalg.norm(fax - C[e] @ fx) / (mag + eps * net.scale)
            out[e, n] = rel / gap if gap > 1e-12 else rel
    return out.max(axis=1)


# ---------------------------------------------------------------------------------------------
# kernel


def test_kernel_zero_for_example_a_and_large_when_broken():
    G, rin, rout = z2_minus_identity()
    X = np.random.default_rng(0).standard_normal((2000, 2))
    broken = ef.ReLUNet([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [0.0, 0.0, 0.0], [[1.0, 1.0, 0.5]], [0.0])
    r32 = group_errors([example_a(), broken], rin, rout, X)
    r64 = group_errors([example_a(), broken], rin, rout, X, dtype=torch.float64)
    assert r32.dtype == "float32" and r64.dtype == "float64"
    assert r32.max_scaled[0].max() < 1e-6 < SCREEN_TOL
    assert r64.max_scaled[0].max() < 1e-14
    assert r32.max_scaled[1].max() > 0.05 and r64.max_scaled[1].max() > 0.05


def test_kernel_zero_for_symmetrized_net_with_equivariant_output():
    G = ef.groups.dihedral(4)
    rin, rout = ef.reps.rotation(G), ef.reps.rotation(G)  # nontrivial output action C_e
    rng = np.random.default_rng(1)
    base = random_net(rng, 5, 2, 2)
    sym = symmetrized(base, rin, rout)
    assert sym.width == 40
    X = rng.standard_normal((1000, 2)) * 2
    r32 = group_errors([sym, base], rin, rout, X)
    r64 = group_errors([sym, base], rin, rout, X, dtype=torch.float64)
    assert r32.max_scaled[0].max() < 1e-4 < SCREEN_TOL
    assert r64.max_scaled[0].max() < 1e-12
    assert r64.max_scaled[1].max() > 0.05
    assert np.allclose(r32.max_scaled[1], r64.max_scaled[1], rtol=1e-3, atol=1e-5)


def test_kernel_matches_naive_numpy_loop_float64():
    G = ef.groups.dihedral(3)
    rin = ef.reps.rotation(G)
    rout = ef.reps.direct_sum(ef.reps.rotation(G), ef.reps.trivial(G))
    rng = np.random.default_rng(2)
    nets = [random_net(rng, m, 2, 3) for m in (1, 4, 7)]
    X = rng.standard_normal((60, 2))
    els = list(G.elements)  # the identity included: its error is exactly 0
    res = group_errors(nets, rin, rout, X, elements=els, dtype=torch.float64, eps=1e-6)
    A, C = rin.matrices[els], rout.matrices[els]
    for b, net in enumerate(nets):
        np.testing.assert_allclose(res.max_scaled[b], naive_errors(net, A, C, X, 1e-6), rtol=1e-10, atol=1e-14)
        # the reported input attains the reported error
        for e in range(len(els)):
            x = res.inputs[b, e]
            assert np.allclose(x, X[res.argmax[b, e]])
            assert naive_errors(net, A[e:e + 1], C[e:e + 1], x[None], 1e-6)[0] == pytest.approx(res.max_scaled[b, e],
                                                                                                 rel=1e-10, abs=1e-14)
    assert np.all(res.max_scaled[:, 0] == 0.0)


def test_kernel_per_network_inputs_match_naive():
    G = ef.groups.cyclic(4)
    rin, rout = ef.reps.rotation(G), ef.reps.trivial(G)
    rng = np.random.default_rng(3)
    nets = [random_net(rng, 6, 2, 1), random_net(rng, 3, 2, 1)]
    X = rng.standard_normal((2, 40, 2))
    res = group_errors(nets, rin, rout, X, dtype=torch.float64)
    A, C = rin.matrices[1:], rout.matrices[1:]
    for b in range(2):
        np.testing.assert_allclose(res.max_scaled[b], naive_errors(nets[b], A, C, X[b], 1e-6), rtol=1e-10)
        assert np.allclose(res.inputs[b, 0], X[b, res.argmax[b, 0]])


@pytest.mark.parametrize("per_net", [False, True])
def test_chunked_equals_unchunked(per_net):
    rng = np.random.default_rng(4)
    batch = NetBatch.random(7, 9, 3, 2, seed=5)
    E = 5
    A = np.linalg.qr(rng.standard_normal((E, 3, 3)))[0]
    C = np.linalg.qr(rng.standard_normal((E, 2, 2)))[0]
    X = rng.standard_normal((7, 50, 3) if per_net else (50, 3))
    full = equivariance_errors(batch, A, C, X, dtype=torch.float64, chunk=(50, E, 7))
    assert full.chunk == (50, E, 7)
    for chunk in [(7, 2, 3), (1, 1, 1), (16, 5, 1), (50, 3, 7)]:
        part = equivariance_errors(batch, A, C, X, dtype=torch.float64, chunk=chunk)
        np.testing.assert_allclose(part.max_error, full.max_error, rtol=1e-13, atol=0)
        np.testing.assert_array_equal(part.argmax, full.argmax)
    # and through the planner with a tiny memory bound
    small = peak_bytes(7, E, 50, 9, 3, 2, (8, 2, 2), itemsize=8, per_network_inputs=per_net)
    planned = equivariance_errors(batch, A, C, X, dtype=torch.float64, max_bytes=small)
    assert planned.peak_bytes <= small and planned.chunk != (50, E, 7)
    # the stated peak is exactly the bytes of the device tensors the kernel holds
    assert planned.allocated_bytes == planned.peak_bytes
    assert full.allocated_bytes == full.peak_bytes
    np.testing.assert_allclose(planned.max_error, full.max_error, rtol=1e-13)


def test_peak_bytes_and_plan():
    full = peak_bytes(256, 16, 1024, 64, 16, 4)
    assert full > peak_bytes(256, 16, 1024, 64, 16, 4, (256, 16, 256)) > peak_bytes(256, 16, 1024, 64, 16, 4,
                                                                                     (256, 4, 16))
    assert peak_bytes(256, 16, 1024, 64, 16, 4, itemsize=8) > full
    for limit in (4 * 2**20, 16 * 2**20, 64 * 2**20):
        c = plan_chunks(256, 16, 1024, 64, 16, 4, max_bytes=limit)
        assert peak_bytes(256, 16, 1024, 64, 16, 4, c) <= limit
    assert plan_chunks(4, 2, 10, 3, 2, 1, max_bytes=2**30) == (10, 2, 4)
    with pytest.raises(KernelMemoryError, match="max_bytes"):
        plan_chunks(256, 16, 1024, 64, 16, 4, max_bytes=1000)


def test_padding_does_not_change_results():
    G = ef.groups.dihedral(4)
    rin, rout = ef.reps.rotation(G), ef.reps.trivial(G)
    rng = np.random.default_rng(6)
    nets = [random_net(rng, m, 2, 1) for m in (2, 5, 11)]
    nets.append(symmetrized(random_net(rng, 1, 2, 1), rin, rout))  # width 8, equivariant
    X = rng.standard_normal((300, 2))
    together = group_errors(NetBatch.from_nets(nets, width=20), rin, rout, X, dtype=torch.float64)
    assert NetBatch.from_nets(nets, width=20).width == 20
    for b, net in enumerate(nets):
        alone = group_errors([net], rin, rout, X, dtype=torch.float64)
        np.testing.assert_allclose(together.max_error[b], alone.max_error[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(together.argmax[b], alone.argmax[0])
    assert together.max_scaled[3].max() < 1e-12


def test_bad_shapes_raise():
    batch = NetBatch.random(2, 3, 2, 1)
    with pytest.raises(ef.ShapeError):
        equivariance_errors(batch, np.eye(3)[None], np.eye(1)[None], np.zeros((4, 2)))
    with pytest.raises(ef.ShapeError):
        equivariance_errors(batch, np.eye(2)[None], np.eye(1)[None], np.zeros((4, 3)))
    with pytest.raises(ef.NonFiniteError):
        equivariance_errors(batch, np.eye(2)[None], np.eye(1)[None], np.full((4, 2), np.nan))


# ---------------------------------------------------------------------------------------------
# screen -> float64 -> oracle


def test_screen_then_confirm_finds_exactly_the_broken_networks():
    G = ef.groups.dihedral(4)
    rin, rout = ef.reps.rotation(G), ef.reps.trivial(G)
    rng = np.random.default_rng(7)
    good = [symmetrized(random_net(rng, 3, 2, 1), rin, rout) for _ in range(4)]
    bad = [random_net(rng, 6, 2, 1) for _ in range(2)]
    nets = [good[0], bad[0], good[1], good[2], bad[1], good[3]]
    rep = screen_then_confirm(nets, rin, rout, n_inputs=512, seed=0)
    assert rep.n_screened == 6 and rep.elements == list(range(1, 8))
    assert rep.n_candidates == 2
    assert not rep.rejected and not rep.unconfirmed
    assert sorted(c.network for c in rep.counterexamples) == [1, 4]
    for c in rep.counterexamples:
        assert c.confirmed is True and c.verdict.holds is False
        assert c.word == G.word_str(c.element)
        assert c.error64 > 1e-3 and c.error32 == pytest.approx(c.error64, rel=1e-3)
        assert c.to_dict()["confirmed"] is True
    assert "counterexamples" in str(rep)


def test_screen_without_oracle_only_yields_candidates():
    G, rin, rout = z2_minus_identity()
    broken = ef.ReLUNet([[1.0, 0.0]], [0.0], [[1.0]], [0.0])
    rep = screen_then_confirm([example_a(), broken], rin, rout, use_oracle=False, n_inputs=256)
    assert not rep.counterexamples and [c.network for c in rep.unconfirmed] == [1]
    assert rep.unconfirmed[0].confirmed is None


# ---------------------------------------------------------------------------------------------
# adversarial search


def planted_defect(c: float = 6.0, v: float = 0.5) -> tuple[ef.ReLUNet, np.ndarray]:
    """Example A plus one neuron v relu(u.x - c): it acts only where u.x > c (Gaussian mass ~1e-9)."""
    u = np.array([0.6, 0.8])
    f = example_a()
    W1, b1, W2, b2 = f.float_params()
    return ef.ReLUNet(np.vstack([W1, u]), np.append(b1, -c), np.hstack([W2, [[v]]]), b2), u


def test_adversarial_finds_planted_defect_that_random_inputs_miss():
    G, rin, rout = z2_minus_identity()
    net, u = planted_defect()
    X = np.random.default_rng(8).standard_normal((4096, 2))
    random_hit = group_errors([net], rin, rout, X, dtype=torch.float64)
    assert random_hit.max_scaled.max() < 1e-12  # random Gaussian inputs never reach u.x > 6
    res = adversarial_search(net, rin, rout, steps=60, seed=0)
    assert res.element == 1 and res.word == G.word_str(1)
    assert res.error > 1e-2
    assert abs(float(u @ res.input)) > 6.0  # inside the defect's support (or its mirror image)
    again = group_errors([net], rin, rout, res.input[None], dtype=torch.float64)
    assert again.max_scaled[0, 0] == pytest.approx(res.error, rel=1e-9)
    verdict = ef.check_equivariant(net, rin, rout)
    assert verdict.holds is False
    assert "worst scaled error" in str(res)


def test_adversarial_stays_quiet_on_equivariant_net():
    G = ef.groups.dihedral(4)
    rin, rout = ef.reps.rotation(G), ef.reps.rotation(G)
    sym = symmetrized(random_net(np.random.default_rng(9), 2, 2, 2), rin, rout)
    res = adversarial_search(sym, rin, rout, steps=20, seed=1)
    assert res.error < 1e-10
    assert len(res.elements) == 7 and res.per_element.shape == (7,)


def test_kink_starts_sit_on_both_sides_of_each_hyperplane():
    net, u = planted_defect()
    S = kink_starts(net, n_offsets=2, n_random=0)
    assert S.shape == (8, 2)
    z = S[-2:] @ u - 6.0
    assert z[0] > 0 > z[1]


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16), width=st.integers(1, 3))
def test_hypothesis_target_climbs_equivariance_error(seed, width):
    G = ef.groups.cyclic(4)
    rin, rout = ef.reps.rotation(G), ef.reps.trivial(G)
    sym = symmetrized(random_net(np.random.default_rng(seed), width, 2, 1), rin, rout)
    X = np.random.default_rng(seed + 1).standard_normal((128, 2))
    err = group_errors([sym], rin, rout, X).max_scaled.max()
    assert hypothesis_target(err, label="c4 symmetrized") == pytest.approx(float(err))
    assert err < SCREEN_TOL


# ---------------------------------------------------------------------------------------------
# sweeps


def test_orbit_types_dimensions_match_theory_t6():
    G = ef.groups.dihedral(4)
    rin = ef.reps.rotation(G)
    for rout, expected in ((ef.reps.rotation(G), 3), (ef.reps.trivial(G), 4)):
        types = orbit_types(rin, rout)
        assert sorted(t.size for t in types) == sorted(K.index for K in [t.subgroup for t in types])
        orbit4 = [t for t in types if t.size == 4 and t.subgroup.order == 2 and t.subgroup.elements[1] >= 4]
        assert orbit4, [t.label for t in types]
        fix_out = ef.reps.dim_fix(rout)
        assert {t.n_params + fix_out for t in orbit4} == {expected}  # THEORY T6 table
        for t in types:  # the orbit's neurons are permuted by the group: stabilizer fixes the representative
            for k in t.subgroup.elements:
                assert np.allclose(rin.dual()(k) @ t.w_basis, t.w_basis)
                assert np.allclose(rout(k) @ t.v_basis, t.v_basis)


EXAMPLE_A_RISKS = {2: 0.104, 3: 0.104, 4: 0.0105, 5: 0.0105}


def test_sweep_reproduces_example_a_risk_table():
    G, rin, rout = z2_minus_identity()
    f = example_a()
    res = compensation_sweep(f, rin, rout, widths=range(2, 7), use_oracle=False, seed=0, n_train=8192,
                             n_eval=100_000, restarts=8, adam_steps=200, lbfgs_steps=150)
    risks = res.risks()
    for w, expected in EXAMPLE_A_RISKS.items():
        assert risks[w] == pytest.approx(expected, rel=0.10), (w, risks[w])
    assert risks[6] < 1e-6  # exact at width 6 (three regular orbits)
    for row in res.rows:
        assert row.n_eval == 100_000 and row.n_train == 8192
        lw = ef.check_layerwise(row.network, rin, rout)
        assert lw.holds, row
    assert "n_eval=100000" in str(res.rows[0])


def test_minimal_layerwise_width_of_example_a_is_six():
    from equifuzz.search import minimal_layerwise_width

    G, rin, rout = z2_minus_identity()
    wr = minimal_layerwise_width(example_a(), rin, rout)
    assert wr.width == 6 and wr.witness is not None
    assert ef.equivalent(wr.witness, example_a()).holds
    row = best_layerwise_risk(example_a(), rin, rout, 1, n_train=1024, n_eval=4096, restarts=2, adam_steps=0,
                              lbfgs_steps=20)
    assert row.hidden.startswith("none")  # width 1: no orbit with a kink fits, only the output bias


# ---------------------------------------------------------------------------------------------
# bench (smoke; no timing assertions)


def test_bench_smoke_and_cli(capsys):
    res = run_bench(8, 3, 32, 4, 3, 2, repeats=1)
    assert res.ratio > 0 and res.evals_per_s > 0 and res.gflops > 0 and res.peak_bytes > 0
    assert res.max_abs_diff < 1e-5
    assert any("ratio" in line for line in res.lines())
    from equifuzz.cli import main

    assert main(["bench", "--nets", "4", "--elements", "2", "--inputs", "16", "--width", "3", "--dim", "2",
                 "--out", "1", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "ratio" in out and "peak memory estimate" in out and "GFLOP/s" in out
