"""Adversarial families with truth by construction, scored on the six ReLU oracles.

    python benchmarks/adversarial_table.py            # every family, 60 s per oracle call at most
    python benchmarks/adversarial_table.py --quick    # fewer cases per family
    python benchmarks/adversarial_table.py --json out.json   # also the numbers and every wrong answer as JSON
    python benchmarks/adversarial_table.py --only subnormal  # only the families whose name contains the text

Each case is a network with rho_in, rho_out and its truths: equivariant (T1), layer-wise (T2, up to
positive scaling), equivalent to other networks, realizable at some widths, and the hidden
representation whose LEN dimension T6 gives. Truths come from the construction (orbits of neurons,
group averaging written out in ``_truth.py``, rescaling, splitting, cancelling pairs), never from
``compensate`` or the strategies. Each oracle's answer is *right*, *undecided* (holds None, a refusal
with a typed ``EquifuzzError``, or past the time limit) or *wrong*; a definite verdict counts as right
only when its evidence re-checks: a failure's witness through ``equifuzz.certificate.verify_witness``,
an exact layer-wise success's permutation through ``verify_permutation``. ``compensate`` is right when
its network is layer-wise (``check_layerwise``), equals the group average of f at random points (computed
here), and for equivariant f is ``equivalent`` to f. ``len_dimension(method="nullspace")`` is compared
with the character formula computed here from traces. Exit status 1 when any answer is wrong.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import equifuzz as ef
from equifuzz.certificate import verify_permutation, verify_witness
from equifuzz.errors import EquifuzzError
from equifuzz.reps import Representation

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _families import FAMILIES, Case  # noqa: E402
from _truth import character_dimension, group_average_matches  # noqa: E402

ORACLES = ("check_equivariant", "check_layerwise", "equivalent", "realizability", "compensate", "len_dimension")


# -- scoring -------------------------------------------------------------------------------------


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


def timed(fn: Callable[[], Any], limit: float) -> Any:
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _verified_fail(net: ef.ReLUNet, v: Any) -> bool:
    return v.witness is not None and verify_witness(net, net, v.witness)


def _verified_pair_fail(a: ef.ReLUNet, b: ef.ReLUNet, v: Any) -> bool:
    return v.witness is not None and verify_witness(a, b, v.witness)


def _permutation_ok(net: ef.ReLUNet, v: Any, rho_in: Representation, rho_out: Representation) -> bool:
    if v.semantics != "exact" or v.hidden is None:
        return True  # tolerance semantics: the permutation holds to round-off only
    neurons = np.array(v.neurons, dtype=int)
    return all(verify_permutation(net, rho_in.dual()(g), rho_out(g), v.hidden.perms[g], neurons)
               for g in rho_in.group.generators)


def score_case(c: Case, limit: float) -> list[tuple[str, str, str]]:
    """[(oracle, outcome, detail)] with outcome right / undecided / wrong."""
    out: list[tuple[str, str, str]] = []

    def run(oracle: str, fn: Callable[[], tuple[str, str]]) -> None:
        try:
            res, detail = timed(fn, limit)
        except _Timeout:
            res, detail = "undecided", f"no answer within {limit:g} s"
        except EquifuzzError as e:
            res, detail = "undecided", f"refused: {type(e).__name__}: {e}"
        except Exception as e:  # a crash is a wrong answer
            res, detail = "wrong", f"crashed: {type(e).__name__}: {e}"
        out.append((oracle, res, detail))

    def eq() -> tuple[str, str]:
        v = ef.check_equivariant(c.net, c.rho_in, c.rho_out)
        if v.holds is None:
            return "undecided", v.reason
        if v.holds is False and not _verified_fail(c.net, v):
            return "wrong", "fails without a verified witness"
        return ("right" if v.holds == c.equivariant else "wrong"), f"holds={v.holds} ({v.semantics})"

    run("check_equivariant", eq)

    if c.layerwise is not None:
        def lw() -> tuple[str, str]:
            v = ef.check_layerwise(c.net, c.rho_in, c.rho_out)
            if v.holds is None:
                return "undecided", v.reason
            if v.holds and not _permutation_ok(c.net, v, c.rho_in, c.rho_out):
                return "wrong", "layer-wise with a permutation that does not verify"
            return ("right" if v.holds == c.layerwise else "wrong"), f"holds={v.holds} ({v.semantics}) {v.reason[:120]}"
        run("check_layerwise", lw)

    for other, truth in c.equiv_to:
        def eqv(other: ef.ReLUNet = other, truth: bool = truth) -> tuple[str, str]:
            v = ef.equivalent(c.net, other)
            if v.holds is None:
                return "undecided", v.reason
            if v.holds is False and not _verified_pair_fail(c.net, other, v):
                return "wrong", "not equivalent without a verified witness"
            return ("right" if v.holds == truth else "wrong"), f"holds={v.holds} ({v.semantics}) truth={truth}"
        run("equivalent", eqv)

    for width, truth in c.widths:
        if width < 0:
            continue

        def real(width: int = width, truth: bool = truth) -> tuple[str, str]:
            v = ef.realizability(c.net, c.rho_in, c.rho_out, width=width)
            if v.realizable is None:
                return "undecided", f"width {width}: {v.reason}"
            if v.realizable and v.witness is not None:
                if ef.check_layerwise(v.witness, c.rho_in, c.rho_out).holds is False:
                    return "wrong", f"width {width}: witness not layer-wise"
                if v.witness.width > width:
                    return "wrong", f"width {width}: witness of width {v.witness.width}"
            return ("right" if v.realizable == truth else "wrong"), f"width {width}: {v.realizable} truth={truth}"
        run("realizability", real)

    if c.compensate:
        def comp() -> tuple[str, str]:
            w = ef.compensate(c.net, c.rho_in, c.rho_out)
            lw = ef.check_layerwise(w, c.rho_in, c.rho_out)
            num = group_average_matches(w, c.net, c.rho_in, c.rho_out)
            e = ef.equivalent(w, c.net) if c.equivariant else None
            if lw.holds is False or not num or (e is not None and e.holds is False):
                return "wrong", (f"layer-wise {lw.holds}, equals the group average {num}, "
                                 f"equivalent to f {None if e is None else e.holds}")
            if lw.holds is None or (e is not None and e.holds is None):
                return "undecided", "layer-wise or equivalence undecided"
            return "right", f"width {w.width}"
        run("compensate", comp)

    if c.hidden is not None:
        def dim() -> tuple[str, str]:
            got = ef.len_dimension(c.rho_in, c.hidden, c.rho_out, method="nullspace")
            want = character_dimension(c.rho_in, c.hidden, c.rho_out)
            return ("right" if got == want else "wrong"), f"nullspace {got}, characters {want}"
        run("len_dimension", dim)
    return out


def table(quick: bool, seed: int, limit: float, progress: Callable[[str], None], only: str = "") -> dict:
    n = 2 if quick else 6
    rows: dict = {}
    wrong: list[dict] = []
    undecided: list[dict] = []
    for fi, (name, fam) in enumerate(FAMILIES.items()):
        if only and only.lower() not in name.lower():
            continue
        rng = np.random.default_rng([seed, fi])
        t0 = time.perf_counter()
        counts = {o: {"right": 0, "undecided": 0, "wrong": 0} for o in ORACLES}
        cases = 0
        for c in fam(rng, n):
            cases += 1
            for oracle, res, detail in score_case(c, limit):
                counts[oracle][res] += 1
                if res == "wrong":
                    wrong.append({"family": name, "case": c.label, "oracle": oracle, "detail": detail})
                    progress(f"WRONG {name} | {c.label} | {oracle}: {detail}")
                elif res == "undecided":
                    undecided.append({"family": name, "case": c.label, "oracle": oracle, "detail": detail})
        rows[name] = {"cases": cases, "counts": counts, "seconds": time.perf_counter() - t0}
        progress(f"{name}: {cases} cases in {rows[name]['seconds']:.1f}s")
    return {"families": rows, "wrong": wrong, "undecided": undecided}


def render(res: dict) -> str:
    head = "| family | cases | " + " | ".join(ORACLES) + " | s |"
    lines = [head, "|---|---|" + "---|" * len(ORACLES) + "---|"]
    tot = {o: {"right": 0, "undecided": 0, "wrong": 0} for o in ORACLES}
    for name, r in res["families"].items():
        cells = []
        for o in ORACLES:
            k = r["counts"][o]
            for key in k:
                tot[o][key] += k[key]
            cells.append(f"{k['right']}/{k['undecided']}/{k['wrong']}" if sum(k.values()) else "-")
        lines.append(f"| {name} | {r['cases']} | " + " | ".join(cells) + f" | {r['seconds']:.1f} |")
    cells = [f"{tot[o]['right']}/{tot[o]['undecided']}/{tot[o]['wrong']}" for o in ORACLES]
    lines.append("| **all** | | " + " | ".join(cells) + " | |")
    allv = {k: sum(t[k] for t in tot.values()) for k in ("right", "undecided", "wrong")}
    n = sum(allv.values())
    lines.append("")
    lines.append(f"Cells: right/undecided/wrong. {n} answers: {allv['right']} right, {allv['undecided']} undecided "
                 f"({allv['undecided'] / max(n, 1):.1%}), {allv['wrong']} wrong.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2 random cases per family instead of 6")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=float, default=60.0, help="seconds per oracle call before it counts undecided")
    ap.add_argument("--json", default=None, help="also write the numbers and every wrong answer as JSON")
    ap.add_argument("--only", default="", help="only the families whose name contains this text")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    res = table(a.quick, a.seed, a.limit, lambda s: print(f"... {s}", file=sys.stderr, flush=True), a.only)
    print(render(res))
    if res["wrong"]:
        print("\nWrong answers:")
        for w in res["wrong"]:
            print(f"- {w['family']} | {w['case']} | {w['oracle']}: {w['detail']}")
    if res["undecided"]:
        print("\nUndecided answers:")
        for w in res["undecided"]:
            print(f"- {w['family']} | {w['case']} | {w['oracle']}: {w['detail'][:200]}")
    print(f"\n(total {time.perf_counter() - t0:.1f}s)")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=2, default=str)
    return 1 if res["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
