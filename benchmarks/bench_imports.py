"""Import time of ``equifuzz`` and of its pytest plugin, and which heavy modules each one loads.

    python benchmarks/bench_imports.py [--repeats 7]

Each statement runs in a fresh interpreter under ``python -X importtime``; the time of a statement is the
sum of the cumulative times of the top-level imports it triggers (so the parent package counts for
``import equifuzz.plugin``). The median over the repeats is printed, with whether torch, Hypothesis
and the search/report/gate modules were loaded.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

STATEMENTS = ("import equifuzz", "import equifuzz.plugin")
HEAVY = ("torch", "hypothesis", "equifuzz.search", "equifuzz.report", "equifuzz.gate", "equifuzz.oracles")


def import_seconds(statement: str) -> float:
    """Seconds that ``statement`` spends importing, from ``-X importtime`` (top-level entries summed)."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True,
                         check=True).stderr
    total = 0
    for line in err.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if name.startswith("  "):  # a nested import: already in its parent's cumulative time
            continue
        total += int(cumulative)
    return total / 1e6


def loaded(statement: str) -> list[str]:
    code = f"{statement}; import sys; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    for statement in STATEMENTS:
        times = [import_seconds(statement) for _ in range(args.repeats)]
        print(f"{statement:<26} {statistics.median(times):.3f} s (median of {args.repeats}); "
              f"loads: {', '.join(loaded(statement)) or 'none of ' + ', '.join(HEAVY)}")


if __name__ == "__main__":
    main()
