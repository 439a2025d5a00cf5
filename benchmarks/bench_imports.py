"""Import time of ``equifuzz`` and of its pytest plugin, and which heavy modules each one loads.

    python benchmarks/bench_imports.py [--repeats 7] [--tree DIR]

Each statement runs in a fresh interpreter under ``python -X importtime``; the time of a statement is the
sum of the cumulative times of the top-level imports it triggers (so the parent package counts for
``import equifuzz.plugin``). The median over the repeats is printed, with whether torch, Hypothesis
and the search/report/gate modules were loaded. ``--tree DIR`` imports equifuzz from the source tree
DIR instead of the installed one (e.g. an older commit from ``git archive``), for before/after numbers.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

STATEMENTS = ("import equifuzz", "import equifuzz.plugin")
HEAVY = ("torch", "hypothesis", "equifuzz.search", "equifuzz.report", "equifuzz.gate", "equifuzz.oracles")


def _from_tree(tree: str | None) -> str:
    """Code that makes ``import equifuzz`` find the package in ``tree`` rather than the installed one."""
    if tree is None:
        return ""
    return (f"import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]; "
            f"sys.path.insert(0, {tree!r}); ")


def import_seconds(statement: str, tree: str | None = None) -> float:
    """Seconds that ``statement`` spends importing, from ``-X importtime`` (top-level entries summed)."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", _from_tree(tree) + statement],
                         capture_output=True, text=True, check=True).stderr
    total = 0
    for line in err.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if name.startswith("  "):  # a nested import: already in its parent's cumulative time
            continue
        total += int(cumulative)
    return total / 1e6


def loaded(statement: str, tree: str | None = None) -> list[str]:
    """The modules of HEAVY that ``statement`` loads."""
    code = f"{_from_tree(tree)}{statement}; import sys; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def package_file(tree: str | None = None) -> str:
    code = f"{_from_tree(tree)}import equifuzz; print(equifuzz.__file__)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--tree", default=None, help="source tree holding the equifuzz package to import")
    args = ap.parse_args()
    print(f"equifuzz from {package_file(args.tree)}")
    for statement in STATEMENTS:
        times = [import_seconds(statement, args.tree) for _ in range(args.repeats)]
        print(f"{statement:<26} {statistics.median(times):.3f} s (median of {args.repeats}); "
              f"loads: {', '.join(loaded(statement, args.tree)) or 'none of ' + ', '.join(HEAVY)}")


if __name__ == "__main__":
    main()
