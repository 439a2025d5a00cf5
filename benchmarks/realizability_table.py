"""How often realizability leaves a width between its bounds undecided, before and after issue 16.

    python benchmarks/realizability_table.py                  # all families, 3 networks per setting
    python benchmarks/realizability_table.py --nets 2 --json out.json --before b677d49

Networks look like trained models: a layer-wise equivariant part (one or two random neuron orbits
G/K with integer w in Fix_K(rho_in^*), v in Fix_K(rho_out)) plus a random integer equivariant linear
map written row by row as relu(z) - relu(-z) (so the network is equivariant but, in general, not
layer-wise), with and without biases. For each network and each width m with T4 lower <= m < T5b
upper, ``realizability`` is asked; the table counts the undecided answers (``None``), checks that the
answers are monotone in m (False ... False, then True ... True) and that every True carries a witness
that the exact checker accepted. ``--before REV`` runs the realizability module of that revision on
the same widths (loaded from git) for the "before" column.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from pathlib import Path

import numpy as np

import equifuzz as ef
from equifuzz.groups import FiniteGroup
from equifuzz.oracles.linsolve import nullspace
from equifuzz.oracles.orbit_types import Setting
from equifuzz.reps import Representation


@dataclass
class Family:
    name: str
    G: FiniteGroup
    rho_in: Representation
    outputs: dict[str, Representation]


def _families() -> list[Family]:
    g = ef.groups
    r = ef.reps
    C2 = g.cyclic(2)
    swap = r.from_generators(C2, [np.array([[0.0, 1.0], [1.0, 0.0]])], name="swap")
    S3 = g.symmetric(3)
    C4 = g.cyclic(4)
    D4 = g.dihedral(4)
    Q8 = g.quaternion()
    S4 = g.symmetric(4)
    quat = r.from_matrices(Q8, np.stack([np.asarray(x, float) for x in Q8.labels]), name="quaternion")  # type: ignore[union-attr]
    Qi = Q8.subgroup([Q8.generators[0]])
    cube = r.from_generators(S4, [np.array([[0.0, 0, 1], [0, -1, 0], [1, 0, 0]]),
                                  np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])], name="cube rotation")
    return [
        Family("C2 (swap)", C2, swap, {"trivial": r.trivial(C2), "sign": r.sign(C2), "swap": swap}),
        Family("S3 (standard)", S3, r.standard(S3), {"trivial": r.trivial(S3), "sign": r.sign(S3)}),
        Family("C4 (rotation)", C4, r.rotation(C4), {"trivial": r.trivial(C4), "rotation": r.rotation(C4)}),
        Family("D4 (rotation)", D4, r.rotation(D4), {"trivial": r.trivial(D4), "rotation": r.rotation(D4)}),
        Family("D4 (permutation of 4 vertices)", D4, r.permutation(D4, _vertex_action(D4)),
               {"trivial": r.trivial(D4)}),
        Family("Q8 (permutation of Q8/<i>)", Q8, r.coset(Q8, Qi), {"trivial": r.trivial(Q8), "same": r.coset(Q8, Qi)}),
        Family("Q8 (quaternion, R^4)", Q8, quat, {"trivial": r.trivial(Q8)}),
        Family("S4 (standard permutation)", S4, r.standard(S4), {"trivial": r.trivial(S4), "sign": r.sign(S4)}),
        Family("S4 (cube rotation)", S4, cube, {"trivial": r.trivial(S4), "rotation": cube}),
    ]


def _vertex_action(D4: FiniteGroup) -> dict[int, list[int]]:
    """D4 on the 4 vertices of a square: rotation (0 1 2 3), reflection (1 3)."""
    r_, s_ = D4.generators
    return {r_: [1, 2, 3, 0], s_: [0, 3, 2, 1]}


def _integer_columns(B: np.ndarray) -> np.ndarray:
    cols = []
    for j in range(B.shape[1]):
        c = [Fraction(x) for x in B[:, j]]
        m = lcm(*[x.denominator for x in c]) if c else 1
        cols.append([int(x * m) for x in c])
    return np.array(cols, dtype=np.int64).T.reshape(B.shape[0], B.shape[1])


def build_net(fam: Family, rho_out: Representation, rng: np.random.Generator, biases: bool) -> ef.ReLUNet:
    st = Setting.build(fam.rho_in, rho_out, biases, biases, exact=True)
    G = fam.G
    subs = G.subgroups()
    W1: list[np.ndarray] = []
    b1: list[float] = []
    W2: list[np.ndarray] = []
    for _ in range(int(rng.integers(1, 3))):  # the layer-wise part: one or two neuron orbits
        K = subs[int(rng.integers(len(subs)))]
        one = {k: 1 for k in K.elements}
        Bw = _integer_columns(st.eigenspace(st.Rdual, list(K.elements), one))
        Bv = _integer_columns(st.eigenspace(st.Rout, list(K.elements), one))
        if Bw.shape[1] == 0 or Bv.shape[1] == 0:
            continue
        w = Bw @ rng.integers(-2, 3, size=Bw.shape[1])
        v = Bv @ rng.integers(-2, 3, size=Bv.shape[1])
        if not w.any() or not v.any():
            continue
        b = float(rng.integers(-2, 3)) if biases else 0.0
        for gc in st.cosets(K):
            W1.append(np.array(st.Rdual[gc] @ w, dtype=float))
            b1.append(b)
            W2.append(np.array(st.Rout[gc] @ v, dtype=float))
    # the equivariant linear part, each row as relu(z) - relu(-z)
    d, p = st.d, st.p
    eqs = []
    for gg in G.generators:
        A, Bo = st.Rin[gg], st.Rout[gg]
        # X A - Bo X = 0 in the row-major unknowns X[i, j]
        M = np.empty((p * d, p * d), dtype=object)
        for i in range(p):
            for j in range(d):
                row = i * d + j
                for a in range(p):
                    for c in range(d):
                        M[row, a * d + c] = (A[c, j] if a == i else 0) - (Bo[i, a] if c == j else 0)
        eqs.append(M)
    H = _integer_columns(nullspace(np.concatenate(eqs))) if eqs else np.eye(p * d, dtype=np.int64)
    L = (H @ rng.integers(-2, 3, size=H.shape[1])).reshape(p, d) if H.shape[1] else np.zeros((p, d), int)
    for i in range(p):
        if L[i].any():
            e = np.zeros(p)
            e[i] = 1.0
            W1 += [L[i].astype(float), -L[i].astype(float)]
            b1 += [0.0, 0.0]
            W2 += [e, -e]
    fixG = _integer_columns(st.eigenspace(st.Rout, list(G.elements), {x: 1 for x in G.elements}))
    b2 = (fixG @ rng.integers(-2, 3, size=fixG.shape[1])).astype(float) if biases and fixG.shape[1] else np.zeros(p)
    W1a = np.array(W1, dtype=float).reshape(-1, d)
    W2a = np.array(W2, dtype=float).reshape(-1, p).T
    return ef.ReLUNet(W1a, np.array(b1) if biases else None, W2a, b2 if biases else None)


def _load_before(rev: str):  # type: ignore[no-untyped-def]
    src = subprocess.run(["git", "show", f"{rev}:equifuzz/oracles/realizability.py"], capture_output=True,
                         text=True, check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    name = "equifuzz.oracles._realizability_before"
    spec = importlib.util.spec_from_loader(name, loader=None)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    mod.__package__ = "equifuzz.oracles"
    sys.modules[name] = mod
    exec(compile(src, f"{rev}:realizability.py", "exec"), mod.__dict__)
    return mod.realizability


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", type=int, default=3, help="networks per (family, output, biases)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--before", default=None, help="git revision whose realizability gives the 'before' column")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    before = _load_before(args.before) if args.before else None
    rng = np.random.default_rng(args.seed)
    rows = []
    problems = []
    t_all = time.perf_counter()
    for fam in _families():
        for oname, rho_out in fam.outputs.items():
            for biases in (True, False):
                agg = dict(nets=0, widths=0, undecided=0, undecided_before=0, nets_open=0, nets_open_before=0,
                           true=0, exact_true=0, seconds=0.0)
                minimal = []
                for _ in range(args.nets):
                    net = build_net(fam, rho_out, rng, biases)
                    t0 = time.perf_counter()
                    first = ef.realizability(net, fam.rho_in, rho_out, 0)
                    lo, up = first.lower, first.upper
                    answers = [ef.realizability(net, fam.rho_in, rho_out, m) for m in range(lo, up)]  # type: ignore[arg-type]
                    agg["seconds"] += time.perf_counter() - t0
                    vals = [a.realizable for a in answers] + [True]
                    agg["nets"] += 1
                    agg["widths"] += len(answers)
                    und = sum(v is None for v in vals)
                    agg["undecided"] += und
                    agg["nets_open"] += und > 0
                    for a in answers:
                        if a.realizable is True:
                            agg["true"] += 1
                            agg["exact_true"] += "exactly" in a.witness_check
                            if "exactly" not in a.witness_check and "float64" not in a.witness_check:
                                problems.append(f"{fam.name}/{oname}: True without a checked witness")
                    first_true = vals.index(True)
                    if any(v is not True for v in vals[first_true:]) or any(v is True for v in vals[:first_true]):
                        problems.append(f"{fam.name}/{oname}/{'bias' if biases else 'nobias'}: not monotone {vals}")
                    if fam.G.order <= 8 and fam.rho_in.dim <= 2 and rho_out.dim <= 2 and und:
                        problems.append(f"{fam.name}/{oname}: undecided width with |G| <= 8, d, p <= 2")
                    minimal.append(lo + first_true if None not in vals[:first_true] else None)
                    if before is not None:
                        bv = [before(net, fam.rho_in, rho_out, m).realizable for m in range(lo, up)]  # type: ignore[arg-type]
                        ub = sum(v is None for v in bv)
                        agg["undecided_before"] += ub
                        agg["nets_open_before"] += ub > 0
                rows.append(dict(family=fam.name, output=oname, biases=biases, order=fam.G.order, d=fam.rho_in.dim,
                                 p=rho_out.dim, minimal=minimal, **agg))
    tot = {k: sum(r[k] for r in rows) for k in ("nets", "widths", "undecided", "undecided_before", "nets_open",
                                                 "nets_open_before", "true", "exact_true")}
    print("| family | output | biases | nets | widths between bounds | undecided before | undecided after | "
          "minimal widths | True verified exactly | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        bef = f"{r['undecided_before']}" if before is not None else "-"
        print(f"| {r['family']} | {r['output']} | {'yes' if r['biases'] else 'no'} | {r['nets']} | {r['widths']} | "
              f"{bef} | {r['undecided']} | {', '.join('?' if m is None else str(m) for m in r['minimal'])} | "
              f"{r['exact_true']}/{r['true']} | {r['seconds']:.1f} |")
    share = tot["undecided"] / max(tot["widths"], 1)
    line = (f"\nTotal: {tot['nets']} networks, {tot['widths']} widths between the bounds; undecided after: "
            f"{tot['undecided']} ({100 * share:.1f}%), networks with one: {tot['nets_open']}")
    if before is not None:
        line += (f"; before: {tot['undecided_before']} ({100 * tot['undecided_before'] / max(tot['widths'], 1):.1f}%), "
                 f"networks with one: {tot['nets_open_before']}")
    print(line + f"; {time.perf_counter() - t_all:.0f} s in all")
    for p in problems:
        print("PROBLEM:", p)
    if args.json:
        Path(args.json).write_text(json.dumps(dict(rows=rows, total=tot, problems=problems), indent=1))
    return 1 if problems or share > 0.10 else 0


if __name__ == "__main__":
    sys.exit(main())
