"""Detection rate and time: ``equifuzz.assert_equivariant`` against e3nn's ``assert_equivariant``.

Both run on the same modules in one run: every planted defect of ``equifuzz.adapters.e3nn_zoo``
(the l = 1 bias at three sizes) and every reference module (false alarms), over ``--seeds`` seeds
(each seed draws new weights; each checker draws its own inputs from that seed), in float32 and
float64. e3nn's helper runs with its defaults (one random rotation, with and without parity, its
absolute tolerance for the default dtype), with the default dtype set to the module's dtype as e3nn's
own tests do (its random inputs are drawn in the default dtype; torch's and Python's random modules are
seeded with the seed: e3nn draws its batch size of 1 to 4 rows with the latter). equifuzz runs with the ``ci`` profile
and the arguments a newcomer writes: no ``batch_dim`` (the gate decides whether to batch,
``gate/batching.py``), and the zoo case's ``inputs`` where it has them (one 16-point cloud with a
leading batch axis for the point convolution). The model calls of one gate are counted with
``batch_dim=None`` (never batched) and with the default (first seed), and the last column says how the
default evaluated it.

Times, per seed, the two checkers one after the other (alternating, so load on a shared machine falls
on both alike): equifuzz's time to the verdict (the evaluation, the search, the rounding re-check of a
float32 failure: everything that decides pass or fail), and apart from it the time spent explaining a
failure after it is decided (its minimization, its diagnosis and writing the report folder); e3nn's
helper decides and stops. The time ratio is the median over seeds of the per-seed ratio (equifuzz to the
verdict / e3nn), with its range; "with explanation" adds the explanation to equifuzz's side. Times are
CPU time of the calling thread by default (``--clock cpu``; torch runs on it with ``--threads 1``), which
other processes on a shared machine barely change; ``--clock wall`` measures elapsed time.

    python benchmarks/bench_gate_e3nn.py [--seeds 10] [--threads 1] [--clock cpu] [--only NAME] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import os
import random
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

_EXPLAIN_SECONDS = [0.0]
#: the clock of every timing: CPU time of this thread (torch runs on it with --threads 1), which load from
#: other processes on a shared machine barely moves, or wall time (--clock wall)
_CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}
_clock = _CLOCKS["cpu"]
#: what the gate does after a failure is decided, to explain it (whichever of these the gate imports)
_EXPLAINERS = ("minimize_trial", "minimize", "diagnose", "write_gate_report")


def _timed(fn: Callable[..., object]) -> Callable[..., object]:
    def timed(*args, **kw):  # type: ignore[no-untyped-def]
        t = _clock()
        try:
            return fn(*args, **kw)
        finally:
            _EXPLAIN_SECONDS[0] += _clock() - t
    return timed


for _name in _EXPLAINERS:
    if hasattr(gate_assertion, _name):
        setattr(gate_assertion, _name, _timed(getattr(gate_assertion, _name)))


def _gate(case: ZooCase, seed: int, out: str, **kw: object) -> tuple[bool, int, str]:
    """(detected, model calls, how it was evaluated) of one gate call with the newcomer's arguments."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v = ef.assert_equivariant(case.module, efe.O3, case.rho_in, case.rho_out, dtype=case.dtype, seed=seed,
                                      profile="ci", report_dir=out, inputs=case.inputs, **kw)  # type: ignore[arg-type]
    except ef.EquivarianceError as exc:
        v = exc.verdict
        return True, getattr(v, "n_evaluations", -1), getattr(v, "batching", "")
    return False, v.n_evaluations, getattr(v, "batching", "")


def _equifuzz(case: ZooCase, seed: int, out: str) -> bool:
    return _gate(case, seed, out)[0]


def _how(note: str) -> str:
    if note.startswith("batched"):
        return "batched (e3nn module)" if "e3nn's" in note else "batched (checked)"
    return "not batched" if note else "?"


def _e3nn(case: ZooCase, seed: int, out: str) -> bool:
    default = torch.get_default_dtype()
    torch.set_default_dtype(case.dtype)
    torch.manual_seed(seed)
    random.seed(seed)  # e3nn draws its batch size (1 to 4 rows) with Python's random module
    try:
        irreps_in = case.e3nn_irreps_in if isinstance(case.e3nn_irreps_in, list) else [case.e3nn_irreps_in]
        e3nn_assert(case.module, irreps_in=irreps_in, irreps_out=[case.e3nn_irreps_out])
    except AssertionError:
        return True
    finally:
        torch.set_default_dtype(default)
    return False


def _rates(build: Callable[[int, torch.dtype], ZooCase], dtype: torch.dtype, seeds: int,
           out: str) -> dict[str, float]:
    """Detections of both, median seconds of both (equifuzz to the verdict; its explanation apart), and
    the per-seed time ratios; the two checkers alternate seed by seed, so load on a shared machine falls
    on both alike."""
    ours = theirs = 0
    t_ours, t_theirs, t_explain, ratios, ratios_all = [], [], [], [], []
    for seed in range(seeds):
        case = build(seed, dtype)
        _EXPLAIN_SECONDS[0] = 0.0
        t = _clock()
        ours += _equifuzz(case, seed, out)
        t_explain.append(_EXPLAIN_SECONDS[0])
        t_ours.append(_clock() - t - _EXPLAIN_SECONDS[0])
        t = _clock()
        theirs += _e3nn(case, seed, out)
        t_theirs.append(_clock() - t)
        ratios.append(t_ours[-1] / t_theirs[-1])
        ratios_all.append((t_ours[-1] + t_explain[-1]) / t_theirs[-1])
    return dict(ours=ours, theirs=theirs, t_ours=statistics.median(t_ours), t_theirs=statistics.median(t_theirs),
                t_explain=statistics.median(t_explain), ratio=statistics.median(ratios), lo=min(ratios),
                hi=max(ratios), ratio_all=statistics.median(ratios_all))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--out", default=None, help="also write the Markdown table here")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: timings robust to a shared machine)")
    ap.add_argument("--only", default="", help="only the rows whose module name contains this")
    ap.add_argument("--clock", choices=sorted(_CLOCKS), default="cpu",
                    help="cpu: CPU time of the calling thread (robust to other load); wall: elapsed time")
    args = ap.parse_args()
    global _clock
    _clock = _CLOCKS[args.clock]
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
    rows = [(label, build) for label, build in rows if args.only in label]
    lines = [f"seeds per cell: {args.seeds}; torch {torch.__version__}; "
             f"{torch.get_num_threads()} threads; {args.clock} time; load average before the run "
             f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}", "",
             "| module | dtype | equifuzz detected | e3nn detected | equifuzz median s to the verdict | e3nn median s "
             "| time ratio, median (range) | explanation s | ratio with explanation "
             "| calls per gate: batch_dim=None -> default | default evaluation |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory() as out:
        for label, build in rows:
            for dtype in (torch.float32, torch.float64):
                r = _rates(build, dtype, args.seeds, out)
                before = _gate(build(0, dtype), 0, out, batch_dim=None)[1]
                _, after, note = _gate(build(0, dtype), 0, out)
                line = (f"| {label} | {str(dtype)[6:]} | {r['ours']}/{args.seeds} | {r['theirs']}/{args.seeds} | "
                        f"{r['t_ours']:.4f} | {r['t_theirs']:.4f} | {r['ratio']:.2f} ({r['lo']:.2f}-{r['hi']:.2f}) | "
                        f"{r['t_explain']:.3f} | {r['ratio_all']:.1f} | {before} -> {after} | {_how(note)} |")
                lines.append(line)
                print(line, flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
