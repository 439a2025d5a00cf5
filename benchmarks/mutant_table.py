"""How well the ReLU oracles catch planted defects, and how often they flag a correct network.

    python benchmarks/mutant_table.py                         # 300 mutants per kind, 100 000 equivariant draws
    python benchmarks/mutant_table.py --mutants 100 --clean 5000 --minutes 15 --json out.json

Networks are built here without ``compensate`` or the strategies' builders (``_truth.py``): unions of
neuron orbits g.(w, b, v) = (rho_in(g)^-T w, b, rho_out(g) v) and group averages written out neuron by
neuron, over the settings of the adversarial table (small groups with integer, permutation and
irrational representations, integer bases of condition up to 1e12, S5 and A5), transformed the ways
the adversarial families are (neurons rescaled by 1e-12..1e12, global scales 1e-200..1e200, every
neuron split in two, orbits of cancelling pairs, a second orbit 1e-6..1e-3 away, Fraction weights), and the
textbook float64 symmetrization of a random network with both biases (neuron (h, i) = (rho_in(h)^T w_i, b_i,
rho_out(h)^-1 v_i / |G|), b2 = mean_h rho_out(h)^-1 c) under ``ef.reps.rotation`` by 2 pi / n (C3, C5..C8, D3:
irrational; C4, D4: exact integers), C4 written with np.cos / np.sin (6e-17 entries) and integer C4, D4, with
non-trivial outputs; c is shrunk to at most
4 sum_i ||v_i|| |b_i| where needed, so that the average's round-off is round-off under the documented rule.

*False alarms*: on the equivariant draws, ``check_equivariant``, ``check_layerwise`` and ``equivalent``
(to the same function built the other way) run on every draw; ``realizability`` at the network's width,
``compensate`` (layer-wise and equivalent to f) and ``len_dimension(method="nullspace")`` (against the
character formula) on every ``--heavy-every``-th draw. An answer False is a false alarm, None undecided.

*Mutants*: a base orbit network with all hyperplanes distinct (no neuron fixed by an element) gets one
defect: an output weight, a hidden weight or a hidden bias of one neuron moved by a relative size eps
(of that neuron's own v, w, or ||w|| for the bias) drawn log-uniformly in [1e-12, 1e-1], or a structural
defect (a neuron dropped, a lone neuron added, one output weight's sign flipped). Each is judged by
``check_equivariant``, ``check_layerwise``, ``equivalent`` (to the unmutated network) and
``realizability`` (at the mutant's width); a catch is a False answer whose witness re-checks with
``verify_witness`` where the verdict carries one (an unverified failure counts as wrong). Misses are
counted per decade of eps. Exit status 1 on any false alarm, unverified failure, or a structural miss.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

import equifuzz as ef
from equifuzz.certificate import verify_witness
from equifuzz.errors import EquifuzzError
from equifuzz.reps import Representation

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _families import _base, conditioned_reps, kink_count, large_reps, regular_hidden, reps  # noqa: E402
from _families_extreme import bias_within_roundoff_rule, symmetrization_reps  # noqa: E402
from _truth import averaged_net, character_dimension, orbit_net, rescale_neurons, stack  # noqa: E402

SIZED = ("output_weight", "hidden_weight", "hidden_bias")
STRUCTURAL = ("drop_neuron", "lone_neuron", "flip_sign")
MUTANT_ORACLES = ("check_equivariant", "check_layerwise", "equivalent", "realizability")
CLEAN_ORACLES = ("check_equivariant", "check_layerwise", "equivalent", "realizability", "compensate",
                 "len_dimension")
CLEAN_KINDS = ("orbits", "average", "rescaled", "global scale", "split", "cancelling pairs", "two close orbits",
               "fraction", "float symmetrized")
#: the settings of the "float symmetrized" draws: rotations by 2 pi / n (irrational but for C4 and D4) with
#: non-trivial outputs, and integer C4 and D4 (rational)
SYMMETRIZATION_SETTINGS = [(k, ri, ro, False) for k, (ri, ro) in symmetrization_reps().items()]


def settings() -> list[tuple[str, Representation, Representation, bool]]:
    """(label, rho_in, rho_out, integer_only): integer_only where float weights would round through
    ill-conditioned matrices (integer bases of condition up to 1e12)."""
    out = [(k, ri, ro, False) for k, (ri, ro) in reps().items()]
    for k, (ri, ro) in conditioned_reps().items():
        if "integer" in k:
            out.append((k, ri, ro, True))
        elif "float cos" not in k:
            out.append((k, ri, ro, False))
    for k, (ri, ro) in large_reps().items():
        if "S6" not in k:
            out.append((k, ri, ro, False))
    return out


def _rational(rho: Representation) -> bool:
    return all(np.all(rho(g) == np.round(rho(g))) for g in rho.group.generators)


def draw_clean(rng: np.random.Generator, setting: tuple
               ) -> tuple[str, ef.ReLUNet, ef.ReLUNet, Representation | None, tuple]:
    """(kind, f, an equivalent network built another way, the hidden representation or None, the setting: a
    "float symmetrized" draw takes its own, from SYMMETRIZATION_SETTINGS)."""
    kind = CLEAN_KINDS[int(rng.integers(len(CLEAN_KINDS)))]
    if kind == "float symmetrized":
        setting = SYMMETRIZATION_SETTINGS[int(rng.integers(len(SYMMETRIZATION_SETTINGS)))]
    label, ri, ro, integer_only = setting
    G = ri.group
    big = G.order > 20
    k = 1 if big else int(rng.integers(1, 3))
    integer = integer_only or bool(rng.integers(2))
    W, b, V = _base(rng, k, ri.dim, ro.dim, integer=integer)
    if integer:
        V = np.round(V * 4) / 4 + 0.25  # dyadic, so the group averages below are exact too
    if kind == "fraction" and not (integer and _rational(ri) and _rational(ro) and (G.order & (G.order - 1)) == 0):
        kind = "orbits"
    f = orbit_net(ri, ro, W, b, V)
    other = averaged_net(ri, ro, W, b, V * G.order)
    hidden = regular_hidden(G, k) if G.order * k <= 32 else None
    if kind == "average":
        f, other = other, f
    elif kind == "rescaled":
        lo = -6 if integer_only else -12
        s = 10.0 ** rng.uniform(lo, -lo, size=f.width)
        f = rescale_neurons(f, s)
    elif kind == "global scale":
        a, c = (int(x) for x in rng.integers(-100, 101, size=2))
        other = ef.ReLUNet(f.W1, f.b1, f.W2 * 10.0 ** (a + c), None)
        f = ef.ReLUNet(f.W1 * 10.0 ** a, f.b1 * 10.0 ** a, f.W2 * 10.0 ** c, None)
    elif kind == "split":
        f = stack(ef.ReLUNet(f.W1, f.b1, f.W2 / 2, None), ef.ReLUNet(f.W1 * 2, f.b1 * 2, f.W2 / 4, None))
        hidden = None
    elif kind == "cancelling pairs":
        Wp, bp, Vp = _base(rng, 1, ri.dim, ro.dim, integer=integer)
        pairs = orbit_net(ri, ro, np.concatenate([Wp, -Wp]), np.concatenate([bp, -bp]), np.concatenate([Vp, -Vp], 1))
        f, other = stack(f, pairs), stack(other, pairs)
        hidden = None
    elif kind == "two close orbits":
        delta = 10.0 ** rng.uniform(-6, -3)
        # a second orbit whose hyperplanes are 1e-6..1e-3 (float) or about 1e-3 (integer, exact) from the first
        W2_, b2_ = (W * 1024 + 1, b * 1024) if integer else (W * (1 + delta), b)
        V2 = rng.normal(size=V.shape) if not integer else np.round(rng.normal(size=V.shape) * 4) / 4 + 0.25
        WW, bb, VV = np.concatenate([W, W2_]), np.concatenate([b, b2_]), np.concatenate([V, V2], 1)
        f = orbit_net(ri, ro, WW, bb, VV)
        other = averaged_net(ri, ro, WW, bb, VV * G.order)
        hidden = regular_hidden(G, 2 * k) if G.order * 2 * k <= 32 else None
    elif kind == "fraction":
        f = f.to_exact()
    elif kind == "float symmetrized":
        # the textbook float64 group average of a random network with both biases: neuron (h, i) =
        # (rho_in(h)^T w_i, b_i, rho_out(h)^-1 v_i / |G|), b2 = mean_h rho_out(h)^-1 c (zero in exact arithmetic
        # when rho_out fixes nothing, 1e-17 in float); the same function as the orbits of (w_i, b_i, v_i / |G|)
        W, b, V = _base(rng, k, ri.dim, ro.dim, integer=False)
        c = bias_within_roundoff_rule(rng.normal(size=ro.dim), b, V)
        f = averaged_net(ri, ro, W, b, V, c)
        other = orbit_net(ri, ro, W, b, V / G.order, c)
    return kind, f, other, hidden, setting


def _answer(fn: Callable[[], bool | None]) -> str:
    try:
        r = fn()
    except EquifuzzError:
        return "undecided"
    except Exception as e:  # a crash on a correct network is a false alarm too
        return f"crash: {type(e).__name__}: {e}"
    return {True: "right", None: "undecided", False: "wrong"}[r]


def _compensated(f: ef.ReLUNet, ri: Representation, ro: Representation) -> bool | None:
    w = ef.compensate(f, ri, ro)
    a, e = ef.check_layerwise(w, ri, ro).holds, ef.equivalent(w, f).holds
    return False if (a is False or e is False) else (None if (a is None or e is None) else True)


def clean_answers(f: ef.ReLUNet, other: ef.ReLUNet, ri: Representation, ro: Representation,
                  hidden: Representation | None, heavy: bool) -> dict[str, str]:
    res = {
        "check_equivariant": _answer(lambda: ef.check_equivariant(f, ri, ro).holds),
        "check_layerwise": _answer(lambda: ef.check_layerwise(f, ri, ro).holds),
        "equivalent": _answer(lambda: ef.equivalent(f, other).holds),
    }
    if heavy:
        res["realizability"] = _answer(lambda: ef.realizability(f, ri, ro, width=f.width).realizable)
        res["compensate"] = _answer(lambda: _compensated(f, ri, ro))
        if hidden is not None:
            res["len_dimension"] = _answer(lambda: ef.len_dimension(ri, hidden, ro, method="nullspace")
                                           == character_dimension(ri, hidden, ro))
    return res


def false_alarms(n: int, seed: int, heavy_every: int, deadline: float, progress: Callable[[str], None]) -> dict:
    cat = settings()
    rng = np.random.default_rng(seed)
    counts: dict[str, dict[str, int]] = {o: defaultdict(int) for o in CLEAN_ORACLES}
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    alarms: list[dict] = []
    t0 = time.perf_counter()
    done = 0
    for i in range(n):
        if time.perf_counter() > deadline:
            break
        kind, f, other, hidden, setting = draw_clean(rng, cat[int(rng.integers(len(cat)))])
        label, ri, ro, _ = setting
        res = clean_answers(f, other, ri, ro, hidden, i % heavy_every == 0)
        bad = False
        for o, r in res.items():
            counts[o]["wrong" if r.startswith("crash") else r] += 1
            if r not in ("right", "undecided"):
                bad = True
                alarms.append({"draw": i, "setting": label, "kind": kind, "oracle": o, "answer": r[:160]})
        by_kind[kind][0] += bad
        by_kind[kind][1] += 1
        done += 1
        if (i + 1) % 1000 == 0:
            progress(f"equivariant draws: {i + 1}/{n}, {time.perf_counter() - t0:.0f}s")
    return {"draws": done, "requested": n, "counts": {o: dict(c) for o, c in counts.items()},
            "by_kind": {k: {"flagged": v[0], "total": v[1]} for k, v in sorted(by_kind.items())},
            "alarms": alarms, "seconds": time.perf_counter() - t0}


def _generic_base(rng: np.random.Generator, setting: tuple) -> ef.ReLUNet | None:
    label, ri, ro, integer_only = setting
    for _ in range(20):
        W, b, V = _base(rng, 1 if ri.group.order > 20 else 2, ri.dim, ro.dim, integer=integer_only)
        if integer_only:
            V = np.round(V * 4) / 4 + 0.25
        f = orbit_net(ri, ro, W, b, V)
        if kink_count(f) == f.width:  # no neuron fixed by an element: every defect breaks equivariance
            return f
    return None


def plant(kind: str, f: ef.ReLUNet, rng: np.random.Generator, eps: float) -> ef.ReLUNet:
    W1, b1, W2 = np.array(f.W1, float), np.array(f.b1, float), np.array(f.W2, float)
    i = int(rng.integers(f.width))
    if kind == "output_weight":
        u = rng.normal(size=W2.shape[0])
        W2[:, i] += eps * np.linalg.norm(W2[:, i]) * u / np.linalg.norm(u)
    elif kind == "hidden_weight":
        u = rng.normal(size=W1.shape[1])
        W1[i] += eps * np.linalg.norm(W1[i]) * u / np.linalg.norm(u)
    elif kind == "hidden_bias":
        b1[i] += eps * np.linalg.norm(W1[i]) * rng.choice([-1.0, 1.0])
    elif kind == "drop_neuron":
        keep = np.arange(f.width) != i
        return ef.ReLUNet(W1[keep], b1[keep], W2[:, keep], None)
    elif kind == "lone_neuron":
        return stack(f, ef.ReLUNet(rng.normal(size=(1, W1.shape[1])), [float(rng.normal())],
                                   rng.normal(size=(W2.shape[0], 1)), None))
    elif kind == "flip_sign":
        W2[:, i] = -W2[:, i]
    return ef.ReLUNet(W1, b1, W2, None)


def _caught(v: Any, f: ef.ReLUNet, g: ef.ReLUNet) -> str:
    holds = v.holds
    if holds is None:
        return "undecided"
    if holds:
        return "missed"
    w = getattr(v, "witness", None)
    return "caught" if w is not None and verify_witness(f, g, w) else "unverified"


def judge(o: str, m: ef.ReLUNet, f: ef.ReLUNet, ri: Representation, ro: Representation) -> str:
    """caught / missed / undecided / unverified (a failure without a verified witness) / crashed."""
    try:
        if o == "check_equivariant":
            return _caught(ef.check_equivariant(m, ri, ro), m, m)
        if o == "check_layerwise":
            v = ef.check_layerwise(m, ri, ro)
            return {True: "missed", False: "caught", None: "undecided"}[v.holds]
        if o == "equivalent":
            return _caught(ef.equivalent(m, f), m, f)
        r = ef.realizability(m, ri, ro, width=m.width)
        return {True: "missed", False: "caught", None: "undecided"}[r.realizable]
    except EquifuzzError:
        return "undecided"
    except Exception:
        return "crashed"


def mutant_table(n_per_kind: int, seed: int, deadline: float, progress: Callable[[str], None]) -> dict:
    cat = settings()
    rng = np.random.default_rng(seed)
    rows = {}
    for kind in SIZED + STRUCTURAL:
        t0 = time.perf_counter()
        per: dict[str, dict[str, dict[str, int]]] = {o: defaultdict(lambda: defaultdict(int)) for o in MUTANT_ORACLES}
        total = 0
        misses: list[dict] = []
        while total < n_per_kind and time.perf_counter() < deadline:
            setting = cat[int(rng.integers(len(cat)))]
            label, ri, ro, _ = setting
            f = _generic_base(rng, setting)
            if f is None:
                continue
            eps = float(10 ** rng.uniform(-12, -1)) if kind in SIZED else 1.0
            m = plant(kind, f, rng, eps)
            decade = f"1e{int(np.floor(np.log10(eps)))}" if kind in SIZED else "structural"
            ill = "integer" in label and "basis" in label
            decade = decade + (" (cond 1e12)" if ill else "")

            for o in MUTANT_ORACLES:
                r = judge(o, m, f, ri, ro)
                per[o][decade][r] += 1
                if r not in ("caught", "undecided") and (kind in STRUCTURAL or eps >= 1e-7):
                    misses.append({"kind": kind, "eps": eps, "setting": label, "oracle": o, "answer": r})
            total += 1
        rows[kind] = {"total": total, "seconds": time.perf_counter() - t0, "misses": misses,
                      "oracles": {o: {d: dict(c) for d, c in sorted(v.items())} for o, v in per.items()}}
        progress(f"{kind}: {total} mutants in {rows[kind]['seconds']:.1f}s")
    return rows


def _decade_key(d: str) -> tuple[int, int]:
    if d.startswith("structural"):
        return (1, 0)
    return (0, int(d.split()[0][2:]))


def render(rows: dict, fa: dict) -> str:
    lines = ["Caught / planted per decade of relative defect size (missed = judged equivariant / layer-wise / "
             "equivalent / realizable; u = undecided; ! = a failure whose witness does not verify; x = crashed):", ""]
    for o in MUTANT_ORACLES:
        decades = sorted({d for r in rows.values() for d in r["oracles"][o] if "cond" not in d}, key=_decade_key)
        lines.append(f"**{o}**")
        lines.append("")
        lines.append("| kind | " + " | ".join(decades) + " |")
        lines.append("|---|" + "---|" * len(decades))
        for kind, r in rows.items():
            cells = []
            for d in decades:
                c = r["oracles"][o].get(d)
                if not c:
                    cells.append("-")
                    continue
                n = sum(c.values())
                s = f"{c.get('caught', 0)}/{n}"
                s += f" u{c['undecided']}" if c.get("undecided") else ""
                s += f" !{c['unverified']}" if c.get("unverified") else ""
                s += f" x{c['crashed']}" if c.get("crashed") else ""
                cells.append(s)
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("Integer bases of condition up to 1e12 (D4 conjugated by [[1, 1e3], [0, 1]] and [[1, 1e4], [0, 1]]), "
                 "all decades together, caught / planted:")
    lines.append("")
    lines.append("| kind | " + " | ".join(MUTANT_ORACLES) + " |")
    lines.append("|---|" + "---|" * len(MUTANT_ORACLES))
    for kind, r in rows.items():
        cells = []
        for o in MUTANT_ORACLES:
            cs = [c for d, c in r["oracles"][o].items() if "cond" in d]
            n = sum(sum(c.values()) for c in cs)
            cells.append(f"{sum(c.get('caught', 0) for c in cs)}/{n}" if n else "-")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"False alarms on {fa['draws']} equivariant draws (of {fa['requested']} requested), "
                 "right / undecided / false alarm:")
    lines.append("")
    lines.append("| oracle | right | undecided | false alarm |")
    lines.append("|---|---|---|---|")
    for o, c in fa["counts"].items():
        lines.append(f"| {o} | {c.get('right', 0)} | {c.get('undecided', 0)} | {c.get('wrong', 0)} |")
    lines.append("")
    lines.append("")
    groups: dict[tuple[str, str], int] = defaultdict(int)
    for al in fa["alarms"]:
        groups[(al["setting"], al["oracle"] + (" (crash)" if al["answer"].startswith("crash") else ""))] += 1
    if groups:
        lines.append("False alarms by setting and oracle:")
        lines.append("")
        lines.append("| setting | oracle | false alarms |")
        lines.append("|---|---|---|")
        for (st, o), k in sorted(groups.items(), key=lambda x: -x[1]):
            lines.append(f"| {st} | {o} | {k} |")
        lines.append("")
    miss: dict[tuple[str, str, str], int] = defaultdict(int)
    largest: dict[tuple[str, str, str], float] = defaultdict(float)
    for r in rows.values():
        for mm in r["misses"]:
            key = (mm["setting"], mm["oracle"], mm["answer"])
            miss[key] += 1
            largest[key] = max(largest[key], mm["eps"])
    if miss:
        lines.append("Mutants of size >= 1e-7 (and structural ones) not caught, by setting and oracle:")
        lines.append("")
        lines.append("| setting | oracle | answer | count | largest size (1 = structural) |")
        lines.append("|---|---|---|---|---|")
        for (st, o, a), k in sorted(miss.items(), key=lambda x: -x[1]):
            lines.append(f"| {st} | {o} | {a} | {k} | {largest[(st, o, a)]:.2g} |")
        lines.append("")
    by = ", ".join(f"{k}: {v['flagged']}/{v['total']}" for k, v in fa["by_kind"].items())
    lines.append(f"Draws with any false alarm, by construction: {by} ({fa['seconds']:.0f} s).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mutants", type=int, default=300, help="mutants per kind")
    ap.add_argument("--clean", type=int, default=100_000, help="equivariant draws for the false-alarm count")
    ap.add_argument("--heavy-every", type=int, default=10,
                    help="run realizability, compensate and len_dimension on every n-th equivariant draw")
    ap.add_argument("--minutes", type=float, default=0.0,
                    help="stop drawing after this many minutes in all (0: no limit); the table says how many ran")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="also write the numbers as JSON to this path")
    a = ap.parse_args(argv)

    def say(s: str) -> None:
        print(f"... {s}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    end = t0 + a.minutes * 60 if a.minutes else float("inf")
    rows = mutant_table(a.mutants, a.seed, t0 + (end - t0) / 3 if a.minutes else end, say)
    fa = false_alarms(a.clean, a.seed + 1, a.heavy_every, end, say)
    print(render(rows, fa))
    print(f"\n(total {time.perf_counter() - t0:.1f}s)")
    if fa["alarms"]:
        print("\nFalse alarms (first 50):")
        for al in fa["alarms"][:50]:
            print(f"- draw {al['draw']}: {al['setting']}, {al['kind']}: {al['oracle']} {al['answer']}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"mutants": rows, "false_alarms": fa}, fh, indent=2)
    alarms = sum(c.get("wrong", 0) for c in fa["counts"].values())
    unverified = sum(c.get("unverified", 0) + c.get("crashed", 0)
                     for r in rows.values() for v in r["oracles"].values() for c in v.values())
    structural_missed = sum(c.get("missed", 0) for k in STRUCTURAL for v in rows[k]["oracles"].values()
                            for c in v.values())
    return 1 if alarms or unverified or structural_missed else 0


if __name__ == "__main__":
    sys.exit(main())
