"""How well the oracles catch planted defects, and how often they flag a correct network.

    python benchmarks/mutant_table.py                     # 1500 mutants per kind, 10000 equivariant draws
    python benchmarks/mutant_table.py --mutants 300 --clean 2000 --json out.json

Networks come from the seeded builders behind the strategies (``equifuzz.strategies.build_*``), over a
fixed catalogue of groups and representations (orthogonal and conjugated by a change of basis); no
Hypothesis. For each mutant kind the table gives caught/total for defects of relative size >= 1e-7
(the size the strategies draw down to; structural kinds have no size), the smallest relative size
still caught in a sweep down to 1e-12, and the largest one missed. The false-alarm count runs
``check_equivariant`` (float64) on equivariant draws of both kinds; a correct oracle flags none.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np

import equifuzz as ef
from equifuzz import strategies as efs
from equifuzz.groups import FiniteGroup
from equifuzz.reps import Representation

DESIGN_SMALLEST = 1e-7  # smallest defect size the strategies draw


def _minus_identity(G: FiniteGroup, d: int) -> Representation:
    return ef.reps.from_generators(G, [-np.eye(d)])


def catalogue() -> list[tuple[str, Representation, Representation]]:
    """(label, rho_in, rho_out), each also with a change of basis on both sides (non-orthogonal)."""
    C2, C3, C4, C6 = (ef.groups.cyclic(n) for n in (2, 3, 4, 6))
    D3, D4, V4, Q8, S3 = (ef.groups.dihedral(3), ef.groups.dihedral(4), ef.groups.klein4(), ef.groups.quaternion(),
                          ef.groups.symmetric(3))
    q8 = ef.reps.from_matrices(Q8, np.stack(Q8.labels))
    base = [
        ("C2 -I / trivial", _minus_identity(C2, 2), ef.reps.trivial(C2)),
        ("C2 -I / sign", _minus_identity(C2, 3), ef.reps.sign(C2)),
        ("C3 rotation / rotation", ef.reps.rotation(C3), ef.reps.rotation(C3)),
        ("C4 rotation / trivial", ef.reps.rotation(C4), ef.reps.trivial(C4)),
        ("C4 rotation / rotation", ef.reps.rotation(C4), ef.reps.rotation(C4)),
        ("C6 rotation / sign", ef.reps.rotation(C6), ef.reps.sign(C6)),
        ("D3 regular / trivial", ef.reps.regular(D3), ef.reps.trivial(D3)),
        ("D4 rotation / rotation", ef.reps.rotation(D4), ef.reps.rotation(D4)),
        ("D4 rotation / sign", ef.reps.rotation(D4), ef.reps.sign(D4)),
        ("V4 regular / regular", ef.reps.regular(V4), ef.reps.regular(V4)),
        ("Q8 defining / trivial", q8, ef.reps.trivial(Q8)),
        ("S3 standard / standard", ef.reps.standard(S3), ef.reps.standard(S3)),
        ("S3 standard / sign", ef.reps.standard(S3), ef.reps.sign(S3)),
    ]
    out = list(base)
    for k, (label, ri, ro) in enumerate(base):
        Qi, Qo = efs.change_of_basis_matrix(ri.dim, 100 + k), efs.change_of_basis_matrix(ro.dim, 200 + k)
        out.append((label + " (basis change)", ef.reps.change_basis(ri, Qi), ef.reps.change_basis(ro, Qo)))
    return out


def draw_equivariant(rng: np.random.Generator, rho_in: Representation, rho_out: Representation
                     ) -> tuple[ef.ReLUNet, str]:
    """One equivariant network from the seeded builders: orbit-built, symmetrized or flipped."""
    G = rho_in.group
    seed = int(rng.integers(2**32))
    hb, ob, integer = (bool(x) for x in rng.integers(0, 2, size=3))
    kind = rng.choice(["orbits", "symmetrized", "flipped"])
    if kind == "flipped":
        picks = list(rng.integers(0, 8, size=int(rng.integers(1, 4))))
        built = efs.build_flipped_net(rho_in, rho_out, picks, seed, hidden_bias=hb, output_bias=ob,
                                      integer_weights=integer)
        if built is not None:
            return built[0], "gen-not-len (flipped)"
        kind = "orbits"
    if kind == "symmetrized":
        m = int(rng.integers(1, 3))
        return (efs.build_symmetrized_net(rho_in, rho_out, m, seed, hidden_bias=hb, output_bias=ob,
                                          integer_weights=integer, merge=bool(rng.integers(2))),
                "len (symmetrized)")
    subs = G.subgroups()
    stabs = [subs[int(i)] for i in rng.integers(0, len(subs), size=int(rng.integers(1, 4)))]
    return (efs.build_layerwise_net(rho_in, rho_out, stabs, seed, hidden_bias=hb, output_bias=ob,
                                    integer_weights=integer)[0], "len (orbits)")


def mutant_table(n_per_kind: int, seed: int, progress: Callable[[str], None]) -> dict:
    cat = catalogue()
    rng = np.random.default_rng(seed)
    rows = {}
    for kind in efs.MUTANT_KINDS:
        t0 = time.perf_counter()
        sized = kind in ("perturb", "bias_nontrivial")
        caught = total = 0
        smallest_caught, largest_missed = np.inf, 0.0
        sweep: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        attempts = 0
        while total < n_per_kind and attempts < 50 * n_per_kind:
            attempts += 1
            label, rho_in, rho_out = cat[int(rng.integers(len(cat)))]
            net, _ = draw_equivariant(rng, rho_in, rho_out)
            # sized defects: half in the design range [1e-7, 1e-1], half in a sweep down to 1e-12
            lo = -7 if rng.random() < 0.5 else -12
            eps = float(10 ** rng.uniform(lo, -1)) if sized else 1e-3
            m = efs.plant(kind, net, rho_in, rho_out, int(rng.integers(2**32)), eps)
            if m is None:
                continue
            hit = not ef.check_equivariant(m.net, rho_in, rho_out).holds
            if sized:
                decade = int(np.floor(np.log10(eps)))
                sweep[decade][0] += hit
                sweep[decade][1] += 1
                if hit:
                    smallest_caught = min(smallest_caught, eps)
                else:
                    largest_missed = max(largest_missed, eps)
                if eps < DESIGN_SMALLEST:
                    continue  # below the design range: only the sweep counts it
            caught += hit
            total += 1
        rows[kind] = {
            "caught": caught, "total": total, "sized": sized,
            "smallest_caught": None if not sized or smallest_caught == np.inf else smallest_caught,
            "largest_missed": None if not sized or largest_missed == 0 else largest_missed,
            "sweep": {str(k): v for k, v in sorted(sweep.items())},
            "seconds": time.perf_counter() - t0,
        }
        progress(f"{kind}: {caught}/{total} in {rows[kind]['seconds']:.1f}s")
    return rows


def false_alarms(n: int, seed: int, progress: Callable[[str], None]) -> dict:
    cat = catalogue()
    rng = np.random.default_rng(seed)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    worst = 0.0
    t0 = time.perf_counter()
    for i in range(n):
        label, rho_in, rho_out = cat[int(rng.integers(len(cat)))]
        net, kind = draw_equivariant(rng, rho_in, rho_out)
        v = ef.check_equivariant(net, rho_in, rho_out)
        counts[kind][0] += not v.holds
        counts[kind][1] += 1
        worst = max(worst, v.max_error)
        if (i + 1) % 2500 == 0:
            progress(f"equivariant draws: {i + 1}/{n}")
    return {"flagged": sum(c[0] for c in counts.values()), "total": n, "worst_residual": worst,
            "by_construction": {k: {"flagged": c[0], "total": c[1]} for k, c in sorted(counts.items())},
            "seconds": time.perf_counter() - t0}


def render(rows: dict, fa: dict) -> str:
    lines = ["| mutant kind | caught / total (size >= 1e-7) | smallest size caught | largest size missed |",
             "|---|---|---|---|"]
    for kind, r in rows.items():
        small = f"{r['smallest_caught']:.2g}" if r["smallest_caught"] is not None else "structural"
        miss = f"{r['largest_missed']:.2g}" if r["largest_missed"] is not None else "-"
        miss = miss if r["sized"] else "structural"
        lines.append(f"| {kind} | {r['caught']} / {r['total']} | {small} | {miss} |")
    lines.append("")
    lines.append("Sweep of sized defects (caught / planted per decade of relative size):")
    lines.append("")
    decades = sorted({int(k) for r in rows.values() for k in r["sweep"]})
    lines.append("| kind | " + " | ".join(f"1e{d}" for d in decades) + " |")
    lines.append("|---|" + "---|" * len(decades))
    for kind, r in rows.items():
        if r["sized"]:
            cells = [f"{r['sweep'][str(d)][0]}/{r['sweep'][str(d)][1]}" if str(d) in r["sweep"] else "-"
                     for d in decades]
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines.append("")
    by = ", ".join(f"{k}: {v['flagged']}/{v['total']}" for k, v in fa["by_construction"].items())
    lines.append(f"False alarms: {fa['flagged']} of {fa['total']} equivariant draws flagged by check_equivariant "
                 f"(float64; {by}); worst residual {fa['worst_residual']:.2g} against tolerance 1e-08.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mutants", type=int, default=1500, help="mutants per kind in the design range")
    ap.add_argument("--clean", type=int, default=10_000, help="equivariant draws for the false-alarm count")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="also write the numbers as JSON to this path")
    a = ap.parse_args(argv)

    def say(s: str) -> None:
        print(f"... {s}", file=sys.stderr)

    t0 = time.perf_counter()
    rows = mutant_table(a.mutants, a.seed, say)
    fa = false_alarms(a.clean, a.seed + 1, say)
    print(render(rows, fa))
    print(f"\n(total {time.perf_counter() - t0:.1f}s)")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"mutants": rows, "false_alarms": fa}, fh, indent=2)
    missed = sum(r["total"] - r["caught"] for r in rows.values())
    return 1 if missed or fa["flagged"] else 0


if __name__ == "__main__":
    sys.exit(main())
