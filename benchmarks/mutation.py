"""Mutation score of the canonical form and the ReLU oracles (mutmut, configured in ``[tool.mutmut]``).

Scope: ``equifuzz/nets/canonical.py``, ``_canonical_float`` and ``_canonical_exact`` in ``equifuzz/nets/relu_net.py``,
``equifuzz/oracles/{equivariance,comparison,identity,layerwise}.py``. Tests: the fast oracle subset
(``tests/oracles/test_examples.py``, ``test_edge_cases.py``, ``test_planted_bugs.py``,
``test_properties.py``) under the Hypothesis profile ``mutation`` (``benchmarks/mutation_profile.py``:
6 derandomized examples), ``-x``, per-mutant timeout 5 x the test's clean duration + 10 s.

    pip install -c constraints.txt -e '.[test,dev]'
    python benchmarks/mutation.py --sample 600 --seed 0        # generate, run a stratified sample, report
    python benchmarks/mutation.py --sample 600 --seed 0 --report-only
    python benchmarks/mutation.py -k "not huge_output_bias" --verify tests/oracles/test_mutation_gaps.py NAME...

The sample is stratified per file (a file's share of the sample is its share of the mutants), drawn with
``random.Random(seed)``; the same seed gives the same mutants. Results stay in ``mutants/`` (ignored by git).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
FILES = {
    "equifuzz/nets/canonical.py": ("equifuzz.nets.canonical.",),
    "equifuzz/nets/relu_net.py": ("equifuzz.nets.relu_net.x__canonical_float__mutmut_",
                                  "equifuzz.nets.relu_net.x__canonical_exact__mutmut_"),
    "equifuzz/oracles/equivariance.py": ("equifuzz.oracles.equivariance.",),
    "equifuzz/oracles/comparison.py": ("equifuzz.oracles.comparison.",),
    "equifuzz/oracles/identity.py": ("equifuzz.oracles.identity.",),
    "equifuzz/oracles/layerwise.py": ("equifuzz.oracles.layerwise.",),
}
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 36: "timeout", -24: "timeout",
          24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}
GENERATE_ONE = "equifuzz.nets.canonical.x_orient__mutmut_1"  # any one mutant: `mutmut run` generates all first


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "benchmarks"), env.get("PYTHONPATH")]))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = "1"
    return env


def _mutmut(*args: str) -> None:
    exe = Path(sys.executable).with_name("mutmut")
    subprocess.run([str(exe), *args], cwd=ROOT, env=_env(), check=True, stdout=subprocess.DEVNULL)


def exit_codes() -> dict[str, int | None]:
    """Every generated mutant of the six files in scope with its last exit code (None: not run)."""
    codes: dict[str, int | None] = {}
    for path in FILES:
        meta = json.loads((MUTANTS / (path + ".meta")).read_text())
        codes.update(meta["exit_code_by_key"])
    return codes


def in_scope(name: str) -> str | None:
    for path, prefixes in FILES.items():
        if name.startswith(prefixes):
            return path
    return None


def sample(names: list[str], n: int, seed: int) -> list[str]:
    """A stratified sample: each file contributes its share of ``n`` (rounded), drawn at random."""
    by_file: dict[str, list[str]] = {}
    for name in sorted(names):
        by_file.setdefault(in_scope(name) or "", []).append(name)
    rng = random.Random(seed)
    total = len(names)
    chosen: list[str] = []
    for path in FILES:
        pool = by_file.get(path, [])
        k = min(len(pool), round(n * len(pool) / total)) if n < total else len(pool)
        chosen += rng.sample(pool, k)
    return chosen


def report(chosen: list[str], codes: dict[str, int | None]) -> dict[str, object]:
    rows = {}
    for path in FILES:
        c = Counter(STATUS.get(codes.get(m), "suspicious") for m in chosen if in_scope(m) == path)
        rows[path] = dict(c)
    tot: Counter[str] = Counter()
    for r in rows.values():
        tot.update(r)
    detected = tot["killed"] + tot["timeout"]
    judged = detected + tot["survived"] + tot["no tests"]
    survivors = sorted(m for m in chosen if STATUS.get(codes.get(m)) in ("survived", "no tests"))
    return dict(per_file=rows, total=dict(tot), score=detected / judged if judged else float("nan"),
                score_covered=detected / (judged - tot["no tests"]) if judged > tot["no tests"] else float("nan"),
                survivors=survivors)


_VERIFY = """
import os, sys
import pytest
sys.path.insert(0, os.getcwd())
test_file, select, names = sys.argv[1], sys.argv[2], sys.argv[3:]
for name in names:
    os.environ["MUTANT_UNDER_TEST"] = name  # mutmut's trampolines read it at every call
    rc = pytest.main([test_file, "-q", "-x", "-p", "no:randomly", "-p", "no:cacheprovider", "-k", select])
    print(f"VERIFY {name}: " + {0: "survived", 1: "killed"}.get(int(rc), f"pytest exit {int(rc)}"), flush=True)
"""


def verify(test_file: str, names: list[str], select: str = "") -> None:
    """Run one test file against each named mutant (in ``mutants/``, through mutmut's trampolines; one
    process, so the imports are paid once). ``select``: a ``-k`` expression, to leave out tests that fail
    on the unmutated code (a known bug), which would otherwise read as kills."""
    import shutil

    shutil.copy(ROOT / test_file, MUTANTS / test_file)
    r = subprocess.run([sys.executable, "-c", _VERIFY, test_file, select, *names], cwd=MUTANTS, env=_env(),
                       capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.startswith("VERIFY "):
            print(line[7:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", type=int, default=600, help="mutants to run (stratified per file)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-children", type=int, default=2)
    ap.add_argument("--report-only", action="store_true", help="summarize the results already in mutants/")
    ap.add_argument("--json", type=Path, default=None, help="also write the summary here")
    ap.add_argument("--verify", nargs="+", metavar=("TEST_FILE", "MUTANT"), default=None,
                    help="run TEST_FILE against each named mutant instead (mutants/ must exist)")
    ap.add_argument("-k", dest="select", default="", help="with --verify: pytest -k expression")
    args = ap.parse_args()
    if args.verify:
        verify(args.verify[0], args.verify[1:], args.select)
        return

    if not args.report_only and not (MUTANTS / "equifuzz" / "nets" / "canonical.py.meta").exists():
        _mutmut("run", "--max-children", "1", GENERATE_ONE)
    codes = exit_codes()
    names = [m for m in codes if in_scope(m)]
    chosen = sample(names, args.sample, args.seed)
    t0 = time.perf_counter()
    if not args.report_only:
        _mutmut("run", "--max-children", str(args.max_children), *chosen)
        codes = exit_codes()
    summary = report(chosen, codes)
    summary.update(n_mutants=len(names), n_sampled=len(chosen), seed=args.seed,
                   seconds=round(time.perf_counter() - t0, 1))
    print(f"{len(names)} mutants in scope, {len(chosen)} sampled (seed {args.seed})")
    for path, row in summary["per_file"].items():  # type: ignore[union-attr]
        print(f"  {path:36s} {row}")
    print(f"total {summary['total']}")
    print(f"score (killed + timeout) / (all run) = {summary['score']:.3f}; "
          f"over mutants some test reaches = {summary['score_covered']:.3f}")
    print("surviving / unreached mutants:")
    for m in summary["survivors"]:  # type: ignore[union-attr]
        print(f"  {m}: {STATUS.get(codes.get(m))}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
