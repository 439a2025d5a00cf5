"""Benchmark the Ray engine: shard throughput with 1 and 2 workers, and its overhead against the local engine.

Throughput: the case shards of a profile (default ``dev``, seed 0: 120 cases) run as Ray tasks on a
local Ray instance with 1, then 2 CPUs; the workers are warmed up first (each has imported torch and
equifuzz), then the whole list is timed; cases per second, and the ratio 2 workers / 1 worker.
Overhead: a whole small campaign (profile ``ci``, no sweep, 2 workers) with ``--engine local`` and
with ``--engine ray``, the Ray wall time including starting and stopping the local instance (also timed
alone); both summaries must be byte-identical.

    python benchmarks/bench_ray.py [--profile dev] [--seed 0] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile

from _timing import best_of

from equifuzz.campaign.driver import PROFILES, _run_cases, enumerate_cases, run_campaign
from equifuzz.campaign.engines import RayEngine


def throughput(profile: str, seed: int, workers: int, repeat: int) -> tuple[float, int]:
    """Best wall time of the case shards of ``profile`` on ``workers`` warm Ray workers, and the number of cases."""
    prof = PROFILES[profile]
    jobs = [([s], prof, "cpu", None) for s in enumerate_cases(prof, seed)]
    done: list[int] = []
    with RayEngine(workers=workers) as eng:
        eng.map(_run_cases, jobs[: 4 * workers], lambda i, r: None)  # warm-up: workers import torch, equifuzz
        seconds, _ = best_of(lambda: eng.map(_run_cases, jobs, lambda i, r: done.append(len(r))), repeat)
    assert sum(done) == repeat * len(jobs)
    return seconds, len(jobs)


def campaign_seconds(engine: str, seed: int, repeat: int) -> tuple[float, bytes]:
    """Best wall time of the ``ci`` campaign (no sweep, 2 workers) on ``engine``, and its summary.json."""
    out: list[bytes] = []

    def once() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            res = run_campaign("ci", seed=seed, out=tmp, workers=2, progress=False, sweep=False, engine=engine)
            out.append((res.out / "summary.json").read_bytes())

    seconds, _ = best_of(once, repeat)
    return seconds, out[-1]


def ray_start_stop(workers: int, repeat: int) -> float:
    """Best wall time of starting and stopping a local Ray instance, with nothing run on it."""

    def once() -> None:
        with RayEngine(workers=workers):
            pass

    seconds, _ = best_of(once, repeat)
    return seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="dev", choices=sorted(PROFILES), help="cases for the throughput runs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1, help="timed repeats; the best one counts")
    args = ap.parse_args(argv)
    import ray

    print(f"python {platform.python_version()}, ray {ray.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPU cores")
    t1, n = throughput(args.profile, args.seed, 1, args.repeat)
    t2, _ = throughput(args.profile, args.seed, 2, args.repeat)
    print(f"\nthroughput, profile {args.profile} (seed {args.seed}, {n} cases, warm workers):\n")
    print("| Ray workers | wall (s) | cases/s |")
    print("|---|---|---|")
    print(f"| 1 | {t1:.2f} | {n / t1:.2f} |")
    print(f"| 2 | {t2:.2f} | {n / t2:.2f} |")
    print(f"\nspeed-up 2 / 1 workers: {t1 / t2:.2f}x")
    local, s_local = campaign_seconds("local", args.seed, args.repeat)
    ray_s, s_ray = campaign_seconds("ray", args.seed, args.repeat)
    start = ray_start_stop(2, args.repeat)
    print(f"\ncampaign ci (seed {args.seed}, no sweep, 2 workers): local {local:.2f} s, ray {ray_s:.2f} s "
          f"(Ray start and stop included), ratio ray / local {ray_s / local:.2f}; "
          f"starting and stopping a local Ray instance alone: {start:.2f} s")
    if s_local != s_ray:
        print("summary.json differs between the engines", file=sys.stderr)
        return 1
    print("summary.json identical on both engines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
