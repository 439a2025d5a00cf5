"""Time the main job, `equifuzz fuzz --profile dev --out OUT`, phase by phase.

Prints one line `PHASES <equifuzz path> {json}` with the wall (and driver CPU) seconds of the case shards
(which include the reports, written as shards come back), the reports the driver writes, the worked
examples and the compensation sweep, the total, the driver's CPU and its waited-for children's CPU. Whatever
`equifuzz` resolves to is timed, so an older version runs from a copy on PYTHONPATH, e.g. b677d49:

    git worktree add /tmp/b677 b677d49
    mkdir /tmp/b677pkg && cp -r /tmp/b677/equifuzz /tmp/b677/strategies /tmp/b677pkg/ \\
        && mv /tmp/b677pkg/strategies /tmp/b677pkg/equifuzz/strategies   # its package map: equifuzz.strategies
    for i in 1 2 3; do
        (cd /tmp && PYTHONPATH=/tmp/b677pkg python /path/to/benchmarks/time_campaign.py /tmp/old$i)
        python benchmarks/time_campaign.py /tmp/new$i
    done

``--shard-phases`` instead runs what the shards run, in this one process with one torch and BLAS thread (set
OPENBLAS_NUM_THREADS=1, as the engine does for its shards): ``run_case`` on every case of the profile, then the
minimization and reports of their findings, and prints one line ``SHARDS <equifuzz path> cases <cpu s> reports
<cpu s>``: the CPU the two cores share, without the spawn, the sweep or the scheduling (run it under cProfile to
see where it goes). It works for b677d49's copy too.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any


def run(out: str, profile: str = "dev") -> dict[str, float]:
    import equifuzz
    import equifuzz.campaign.driver as C
    from equifuzz.cli import main

    T: dict[str, float] = {}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def w(*a: Any, **k: Any) -> Any:
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                T[name] = T.get(name, 0.0) + time.perf_counter() - t
                T[name + " cpu"] = T.get(name + " cpu", 0.0) + time.process_time() - c
        return w

    C._sweep_example_a = timed("sweep", C._sweep_example_a)
    C.example_checks = timed("examples", C.example_checks)
    C._write_reports = timed("reports", C._write_reports)
    make = C.make_engine

    def make_engine(*a: Any, **k: Any) -> Any:
        e = make(*a, **k)
        e.map = timed("shards", e.map)
        return e

    C.make_engine = make_engine
    t0 = time.perf_counter()
    main(["fuzz", "--profile", profile, "--out", out])
    T["total"] = time.perf_counter() - t0
    T["main cpu"] = time.process_time()
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    T["children cpu"] = ch.ru_utime + ch.ru_stime
    print("PHASES", equifuzz.__file__, json.dumps({k: round(v, 2) for k, v in T.items()}), flush=True)
    return T


def shard_phases(out: str, profile: str = "dev") -> tuple[float, float]:
    """CPU seconds of the cases and of the reports, run one after the other in this process."""
    import inspect
    from pathlib import Path

    import torch

    import equifuzz
    import equifuzz.campaign.driver as C

    torch.set_num_threads(1)
    try:
        from equifuzz.profiles import PROFILES
        plan = PROFILES[profile].campaign
    except (ImportError, TypeError, AttributeError):  # b677d49: the plans live in campaign.PROFILES
        plan = C.PROFILES[profile]  # type: ignore[attr-defined]
    findings = []
    t = time.process_time()
    for spec in C.enumerate_cases(plan, 0):
        findings += C.run_case(spec, plan, "cpu").findings
    cases = time.process_time() - t
    t = time.process_time()
    if len(inspect.signature(C._write_reports).parameters) == 4:  # b677d49: (findings, out, seed, device)
        C._write_reports(findings, Path(out), 0, "cpu")  # type: ignore[call-arg]
    else:
        C._write_reports(findings, Path(out), "cpu")
    reports = time.process_time() - t
    print("SHARDS", equifuzz.__file__, "cases", round(cases, 2), "reports", round(reports, 2), flush=True)
    return cases, reports


if __name__ == "__main__":  # the shards are spawned processes: they import this file without running it
    if sys.argv[1] == "--shard-phases":
        shard_phases(sys.argv[2], *(sys.argv[3:4]))
    else:
        run(sys.argv[1], *(sys.argv[2:3]))
