"""Detection rate and time: ``equifuzz.assert_equivariant`` against e3nn's ``assert_equivariant``.

Both run on the same modules in one run: every planted defect of ``equifuzz.adapters.e3nn_zoo``
(the l = 1 bias at three sizes) and every reference module (false alarms), over ``--seeds`` seeds
(each seed draws new weights; each checker draws its own inputs from that seed), in float32 and
float64. e3nn's helper runs with its defaults (one random rotation, with and without parity, its
absolute tolerance for the default dtype), with the default dtype set to the module's dtype as e3nn's
own tests do (its random inputs are drawn in the default dtype). equifuzz runs with the ``ci`` profile
and batched evaluation (``batch_dim`` and ``inputs`` of the zoo case: rows for the row-wise modules, a
leading batch of clouds for the point convolution). The model calls of one gate are counted with and
without batching (first seed). equifuzz's time is the check (to the verdict); writing the report of a
failure (minimal case, figure, pickled module) is timed apart, and the time ratio is the check's median
over e3nn's.

    python benchmarks/bench_gate_e3nn.py [--seeds 10] [--threads 1] [--out benchmarks/gate_e3nn.md]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from e3nn.util.test import assert_equivariant as e3nn_assert

import equifuzz as ef
import equifuzz.gate.assertion as gate_assertion
from equifuzz.adapters import e3nn as efe
from equifuzz.adapters.e3nn_zoo import DEFECTS, REFERENCE, ZooCase, bias_l1

_REPORT_SECONDS = [0.0]
_write = gate_assertion.write_gate_report


def _timed_write(*args, **kw):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    try:
        return _write(*args, **kw)
    finally:
        _REPORT_SECONDS[0] += time.perf_counter() - t


gate_assertion.write_gate_report = _timed_write  # type: ignore[assignment]


def _gate(case: ZooCase, seed: int, out: str, batched: bool = True) -> tuple[bool, int]:
    """(detected, model calls) of one gate call."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v = ef.assert_equivariant(case.module, efe.O3, case.rho_in, case.rho_out, dtype=case.dtype, seed=seed,
                                      profile="ci", report_dir=out, inputs=case.inputs,
                                      batch_dim=case.batch_dim if batched else None)
    except ef.EquivarianceError as exc:
        return True, getattr(exc.verdict, "n_evaluations", -1)
    return False, v.n_evaluations


def _equifuzz(case: ZooCase, seed: int, out: str) -> bool:
    return _gate(case, seed, out)[0]


def _e3nn(case: ZooCase, seed: int, out: str) -> bool:
    default = torch.get_default_dtype()
    torch.set_default_dtype(case.dtype)
    torch.manual_seed(seed)
    try:
        irreps_in = case.e3nn_irreps_in if isinstance(case.e3nn_irreps_in, list) else [case.e3nn_irreps_in]
        e3nn_assert(case.module, irreps_in=irreps_in, irreps_out=[case.e3nn_irreps_out])
    except AssertionError:
        return True
    finally:
        torch.set_default_dtype(default)
    return False


def _rates(build: Callable[[int, torch.dtype], ZooCase], dtype: torch.dtype, seeds: int,
           out: str) -> tuple[int, int, float, float, float]:
    """(equifuzz detections, e3nn detections, equifuzz median s to the verdict, e3nn median s, equifuzz
    median s writing reports); the two checkers alternate seed by seed, so load on a shared machine
    falls on both alike."""
    ours = theirs = 0
    t_ours, t_theirs, t_reports = [], [], []
    for seed in range(seeds):
        case = build(seed, dtype)
        _REPORT_SECONDS[0] = 0.0
        t = time.perf_counter()
        ours += _equifuzz(case, seed, out)
        t_reports.append(_REPORT_SECONDS[0])
        t_ours.append(time.perf_counter() - t - _REPORT_SECONDS[0])
        t = time.perf_counter()
        theirs += _e3nn(case, seed, out)
        t_theirs.append(time.perf_counter() - t)
    return ours, theirs, statistics.median(t_ours), statistics.median(t_theirs), statistics.median(t_reports)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--out", default=None, help="also write the Markdown table here")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: timings robust to a shared machine)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows: list[tuple[str, Callable[[int, torch.dtype], ZooCase]]] = []
    for name, build in DEFECTS.items():
        if name == "bias_l1":
            for eps in (1.0, 1e-2, 1e-4, 1e-7):
                rows.append((f"defect: bias_l1 (size {eps:g})",
                             lambda s, d, eps=eps: bias_l1(s, d, eps=eps)))  # type: ignore[misc]
        else:
            rows.append((f"defect: {name}", build))
    rows += [(f"reference: {name}", build) for name, build in REFERENCE.items()]
    lines = [f"seeds per cell: {args.seeds}; torch {torch.__version__}; "
             f"{torch.get_num_threads()} threads", "",
             "| module | dtype | equifuzz detected | e3nn detected | equifuzz median s | e3nn median s | time ratio "
             "| report s | calls per gate unbatched -> batched |",
             "|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory() as out:
        for label, build in rows:
            for dtype in (torch.float32, torch.float64):
                ours, theirs, t_ours, t_theirs, t_report = _rates(build, dtype, args.seeds, out)
                before, after = _gate(build(0, dtype), 0, out, False)[1], _gate(build(0, dtype), 0, out)[1]
                line = (f"| {label} | {str(dtype)[6:]} | {ours}/{args.seeds} | {theirs}/{args.seeds} | "
                        f"{t_ours:.3f} | {t_theirs:.3f} | {t_ours / t_theirs:.1f} | {t_report:.2f} | "
                        f"{before} -> {after} |")
                lines.append(line)
                print(line, flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
