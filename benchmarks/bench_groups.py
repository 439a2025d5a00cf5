"""Timings of group construction, subgroup enumeration and conjugacy classes.

Run ``python benchmarks/bench_groups.py`` (optionally ``--repeat N``). Prints one row per case with
the best wall time of N runs, and exits with status 1 if a case misses its stated budget.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from _timing import best_of

from equifuzz import groups as eg

# (label, constructor): construction is timed from scratch, the rest on the built group
GROUPS: list[tuple[str, Callable[[], eg.FiniteGroup]]] = [
    ("S4", lambda: eg.symmetric(4)),
    ("A5", lambda: eg.alternating(5)),
    ("D30", lambda: eg.dihedral(30)),
    ("D60", lambda: eg.dihedral(60)),
    ("C2 x S4", lambda: eg.direct_product(eg.cyclic(2), eg.symmetric(4))),
    ("S5", lambda: eg.symmetric(5)),
    ("S6", lambda: eg.symmetric(6)),
]

# budgets in seconds (the project's stated limits)
BUDGETS = {("build", "S6"): 1.0, ("subgroups", "S6"): 30.0}

SUBGROUPS_UP_TO = 720  # subgroups() and subgroup_classes() are timed on groups up to this order


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    args = parser.parse_args(argv)

    rows: list[tuple[str, str, int, float, str, str]] = []
    for label, make in GROUPS:
        t_build, G = best_of(make, args.repeat)
        assert isinstance(G, eg.FiniteGroup)
        rows.append(("build", label, G.order, t_build, "", ""))
        t_cls, classes = best_of(G.conjugacy_classes, args.repeat)
        rows.append(("conjugacy_classes", label, G.order, t_cls, f"{len(classes)} classes", ""))
        if G.order <= SUBGROUPS_UP_TO:
            t_sc, sc = best_of(G.subgroup_classes, 1 if G.order > 60 else args.repeat)
            rows.append(("subgroup_classes", label, G.order, t_sc, f"{len(sc)} classes of subgroups", ""))
            t_sub, subs = best_of(G.subgroups, 1 if G.order > 60 else args.repeat)
            rows.append(("subgroups", label, G.order, t_sub, f"{len(subs)} subgroups", ""))

    failed = False
    out = []
    for what, label, order, t, note, _ in rows:
        budget = BUDGETS.get((what, label))
        status = ""
        if budget is not None:
            ok = t < budget
            failed |= not ok
            status = f"{'ok' if ok else 'OVER'} (< {budget:g} s)"
        out.append((what, label, str(order), f"{1e3 * t:10.2f}", note, status))

    header = ("operation", "group", "order", "best ms", "result", "budget")
    widths = [max(len(r[i]) for r in [header, *out]) for i in range(len(header))]
    for r in [header, tuple("-" * w for w in widths), *out]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    print(f"\nbest of {args.repeat} runs (subgroups of groups past order 60: one run); python {sys.version.split()[0]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
