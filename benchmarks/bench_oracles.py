"""Benchmark the exact equivariance and layer-wise oracles on width-10,000 layer-wise networks.

Two settings: S4 x C2 (order 48) acting faithfully on R^4 by signed coordinate permutations x -> +-P x
(input and output), and S6 (order 720) permuting the coordinates of R^6 with an invariant scalar
output. Each network is the symmetrization of a random network (hidden layer = regular orbits) of
width ~ 10,000 / |G|, so its width is ~ 10,000.

Baseline: the O(m^2) pairwise approach. For each generator and each neuron (layer-wise) or kink
hyperplane (equivariance), search all neurons / hyperplanes for a partner with an allclose test
(vectorized over the candidates, one row at a time). The equifuzz oracles sort/hash instead
(O(m log m) per generator). Both run in the same process on the same networks, and must agree.
Both representations are rational, so the default oracles decide on the exact numbers (integer
arithmetic); ``semantics="tolerance"`` times the float64 path on the same networks.

A second table times failing verdicts: the same networks with one output weight off by a relative 1e-5
(a failing verdict must find and certify a witness), against the passing network, in one run, alternating
pass and fail ``--pairs`` times; the ratio of the medians is what counts (goal <= 2). Every failing verdict's
witness is re-checked by the independent checker.

    python benchmarks/bench_oracles.py [--width 10000] [--repeat 3] [--seed 0] [--pairs 3] [--only-failing]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass

import numpy as np
from _timing import best_of

import equifuzz as ef
from equifuzz import groups, reps
from equifuzz.reps import Representation

RTOL = 1e-8


@dataclass
class Setting:
    name: str
    rho_in: Representation
    rho_out: Representation


def s4_x_c2() -> Setting:
    """S4 x C2 on R^4: (sigma, s) acts by s * P_sigma, a faithful signed-permutation representation."""
    S4, C2 = groups.symmetric(4), groups.cyclic(2)
    G = groups.direct_product(S4, C2)
    std = reps.standard(S4)
    # generators of G: (t, e), (c, e) from S4 (index g * |C2|), then (e, r) from C2
    mats = [std(g) for g in S4.generators] + [-np.eye(4)]
    rho = reps.from_generators(G, mats, name="+-P")
    assert len({m.tobytes() for m in rho.matrices}) == G.order  # faithful
    return Setting("S4 x C2 on R^4 -> R^4", rho, rho)


def s6() -> Setting:
    G = groups.symmetric(6)
    return Setting("S6 on R^6 -> R (invariant)", reps.standard(G), reps.trivial(G))


def len_network(s: Setting, width: int, seed: int) -> ef.ReLUNet:
    """Symmetrization of a random network of width round(width / |G|): regular orbits only."""
    G = s.rho_in.group
    m0 = max(1, round(width / G.order))
    rng = np.random.default_rng(seed)
    f = ef.ReLUNet(rng.standard_normal((m0, s.rho_in.dim)), rng.standard_normal(m0),
                   rng.standard_normal((s.rho_out.dim, m0)), rng.standard_normal(s.rho_out.dim))
    return ef.symmetrize(f, s.rho_in, s.rho_out)


# -- the O(m^2) pairwise baselines ------------------------------------------------------------------


def _partner(rows: np.ndarray, target: np.ndarray, atol: float, used: np.ndarray) -> int:
    """Index of an unused row allclose to ``target`` (searching all rows), or -1."""
    close = np.all(np.abs(rows - target) <= atol + RTOL * np.abs(target), axis=1) & ~used
    hits = np.flatnonzero(close)
    return int(hits[0]) if hits.size else -1


def pairwise_layerwise(net: ef.ReLUNet, rho_in: Representation, rho_out: Representation) -> bool:
    """For each generator, for each neuron, search all neurons for the partner g.(w, b, v) (normalized)."""
    W1, b1, W2, b2 = net.float_params()
    d = net.d
    n = np.linalg.norm(W1, axis=1)
    rows = np.concatenate([W1 / n[:, None], (b1 / n)[:, None], W2.T * n[:, None]], axis=1)
    atol = RTOL * np.abs(rows).max()
    G = rho_in.group
    for g in G.generators:
        A_dual, B = rho_in.dual()(g), rho_out(g)
        used = np.zeros(net.width, dtype=bool)
        for i in range(net.width):
            w = A_dual @ rows[i, :d]
            nw = np.linalg.norm(w)
            img = np.concatenate([w / nw, [rows[i, d] / nw], (B @ rows[i, d + 1:]) * nw])
            j = _partner(rows, img, atol, used)
            if j < 0:
                return False
            used[j] = True
        if np.abs(B @ b2 - b2).max(initial=0.0) > RTOL * max(1.0, net.scale):
            return False
    return True


def _orient(U: np.ndarray) -> np.ndarray:
    big = np.abs(U) > 1e-9
    lead = U[np.arange(U.shape[0]), np.argmax(big, axis=1)]
    return np.where(lead < 0, -1.0, 1.0)


def pairwise_equivariant(net: ef.ReLUNet, rho_in: Representation, rho_out: Representation) -> bool:
    """T1 by pairwise matching: merge neurons into kink hyperplanes by searching all earlier ones, then
    for each generator and each hyperplane search all hyperplanes for its image and compare channels;
    finally L rho_in(g) = rho_out(g) L and rho_out(g) e = e."""
    W1, b1, W2, b2 = net.float_params()
    n = np.linalg.norm(W1, axis=1)
    s = _orient(W1 / n[:, None])
    U, beta = W1 / n[:, None] * s[:, None], b1 / n * s
    C = W2.T * n[:, None]
    keys = np.concatenate([U, beta[:, None]], axis=1)
    atol = RTOL * max(1.0, np.abs(keys).max())
    label = np.empty(net.width, dtype=np.int64)
    never = np.zeros(net.width, dtype=bool)
    for i in range(net.width):  # the first neuron on the same hyperplane
        label[i] = _partner(keys[: i + 1], keys[i], atol, never[: i + 1])
    reps_ = np.unique(label)
    H, Cs = keys[reps_], np.zeros((reps_.size, net.p))
    np.add.at(Cs, np.searchsorted(reps_, label), C)
    cscale = RTOL * max(1.0, np.abs(Cs).max())
    keep = np.linalg.norm(Cs, axis=1) > cscale
    H, Cs = H[keep], Cs[keep]
    L = 0.5 * W2 @ W1
    e = b2 + 0.5 * W2 @ b1
    d = net.d
    for g in rho_in.group.generators:
        A, B = rho_in(g), rho_out(g)
        used = np.zeros(H.shape[0], dtype=bool)
        for k in range(H.shape[0]):  # f(A x) has kink (A^T u, beta) with channel ||A^T u|| c
            u = A.T @ H[k, :d]
            nu = np.linalg.norm(u)
            sg = _orient((u / nu)[None])[0]
            img = np.concatenate([sg * u / nu, [sg * H[k, d] / nu]])
            j = _partner(H, img, atol, used)
            if j < 0 or np.abs(nu * Cs[k] - B @ Cs[j]).max() > cscale * 10:
                return False
            used[j] = True
        lim = RTOL * max(1.0, net.scale)
        if np.abs(L @ A - B @ L).max() > lim or np.abs(B @ e - e).max() > lim:
            return False
    return True


# -- timing ---------------------------------------------------------------------------------------


def bench_setting(s: Setting, width: int, seed: int, repeat: int) -> bool:
    """Print one table row per check; True when every verdict says layer-wise equivariant."""
    G = s.rho_in.group
    net = len_network(s, width, seed)
    def eq(sem: str) -> bool | None:
        v = ef.check_equivariant(net, s.rho_in, s.rho_out, semantics=sem)
        assert v.semantics == ("tolerance" if sem == "tolerance" else "exact")
        return v.holds

    def lw(sem: str) -> bool | None:
        v = ef.check_layerwise(net, s.rho_in, s.rho_out, semantics=sem)
        assert v.semantics == ("tolerance" if sem == "tolerance" else "exact")
        return v.holds

    checks = [
        ("equivariance", eq, lambda: pairwise_equivariant(net, s.rho_in, s.rho_out)),
        ("layer-wise", lw, lambda: pairwise_layerwise(net, s.rho_in, s.rho_out)),
    ]
    ok = True
    for check, ours, theirs in checks:
        t_exact, v_exact = best_of(lambda o=ours: o("auto"), repeat)  # rational matrices: decided exactly
        t_float, v_float = best_of(lambda o=ours: o("tolerance"), repeat)
        t_pair, v_pair = best_of(theirs, 1)
        ok &= bool(v_exact) and bool(v_float) and bool(v_pair)
        print(f"| {s.name:<27} | {G.order:>5} | {net.width:>6} | {check:<12} | {t_exact:>9.3f} | {t_float:>11.3f} | "
              f"{t_exact / t_float:>11.1f}x | {t_pair:>19.2f} | {t_pair / t_float:>7.0f}x |", flush=True)
    return ok


def off_by(net: ef.ReLUNet, i: int, rel: float) -> ef.ReLUNet:
    """The network with neuron i's output weights multiplied by 1 + rel."""
    W2 = np.array(net.W2, float)
    W2[:, i] *= 1 + rel
    return ef.ReLUNet(net.W1, net.b1, W2, net.b2)


def bench_failing(s: Setting, width: int, seed: int, pairs: int) -> bool:
    """One row: check_equivariant on the network and on it with one output weight off by 1e-5, alternating;
    True when every passing verdict holds and every failing one fails with a witness that verifies."""
    from equifuzz.certificate import verify_witness

    net0 = len_network(s, width, seed)
    t_pass, t_fail = [], []
    ok = True
    for _ in range(pairs):
        # fresh network objects every time: nothing the checker keeps per network object is reused
        net = ef.ReLUNet(net0.W1.copy(), net0.b1.copy(), net0.W2.copy(), net0.b2.copy())
        bad = off_by(net0, net0.width // 3, 1e-5)
        for f, times in ((net, t_pass), (bad, t_fail)):
            t = time.perf_counter()
            v = ef.check_equivariant(f, s.rho_in, s.rho_out)
            times.append(time.perf_counter() - t)
            if f is net:
                ok &= v.holds is True
            else:
                ok &= v.holds is False and v.witness is not None and verify_witness(bad, bad, v.witness)
    mp, mf = float(np.median(t_pass)), float(np.median(t_fail))
    print(f"| {s.name:<27} | {s.rho_in.group.order:>5} | {net.width:>6} | {mp:>10.2f} | {mf:>10.2f} | "
          f"{mf / mp:>9.2f} | {min(f / p for f, p in zip(t_fail, t_pass, strict=True)):.2f}-"
          f"{max(f / p for f, p in zip(t_fail, t_pass, strict=True)):.2f} |", flush=True)
    return ok


def _print_header(header: str) -> None:
    """A Markdown table's header row and its rule, each rule as wide as its column."""
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=10_000, help="target hidden width (default 10000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each equifuzz oracle; the best counts")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pairs", type=int, default=3, help="alternating pass/fail runs of the failing table")
    ap.add_argument("--only-failing", action="store_true", help="only the failing-verdict table")
    args = ap.parse_args(argv)

    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPU(s); float64; equifuzz timings best of {args.repeat}, pairwise one run")
    header = (f"| {'setting':<27} | {'order':>5} | {'width':>6} | {'check':<12} | {'exact (s)':>9} | "
              f"{'float64 (s)':>11} | {'exact/float':>12} | {'pairwise O(m^2) (s)':>19} | {'speed-up':>8} |")
    ok = True
    if not args.only_failing:
        _print_header(header)
        for make in (s4_x_c2, s6):
            ok &= bench_setting(make(), args.width, args.seed, args.repeat)
        if not ok:
            print("verdicts disagree: every network here is layer-wise equivariant", file=sys.stderr)
            return 1
        print()
    print(f"failing verdicts (one output weight off by 1e-5), check_equivariant, {args.pairs} alternating pairs")
    header = (f"| {'setting':<27} | {'order':>5} | {'width':>6} | {'pass (s)':>10} | {'fail (s)':>10} | "
              f"{'fail/pass':>9} | range |")
    _print_header(header)
    for make in (s4_x_c2, s6):
        ok &= bench_failing(make(), args.width, args.seed, args.pairs)
    if not ok:
        print("wrong verdict or a witness that does not verify on the failing networks", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
