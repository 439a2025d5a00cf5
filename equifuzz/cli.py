"""The ``equifuzz`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from .errors.exceptions import EquifuzzError
from .profiles.records import PROFILES, ProfileError


class _Parser(argparse.ArgumentParser):
    """argparse with errors as one line on stderr (exit status 2), no usage block and no traceback."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(kind: Callable[[str], float], what: str, lowest: float, strict: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")) or (value <= lowest if strict else value < lowest):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value
    parse.__name__ = what
    return parse


_POSITIVE_INT = _number(int, "a positive integer", 0, True)
_SEED = _number(int, "a non-negative integer", 0, False)
_SECONDS = _number(float, "a positive number of seconds", 0.0, True)


def _fail(command: str, message: str) -> int:
    """Print one line ``equifuzz COMMAND: error: ...`` on stderr; the exit status of bad use is 2."""
    print(f"equifuzz {command}: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def _check_out_folder(command: str, out: str) -> int | None:
    p = Path(out)
    if p.exists() and not p.is_dir():
        return _fail(command, f"--out {out} is a file, not a folder")
    parent = next((q for q in (p, *p.parents) if q.exists()), Path("."))
    if not os.access(parent, os.W_OK):
        return _fail(command, f"--out {out} cannot be written ({parent} is not writable)")
    return None



def _cmd_catalog(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from .builders.catalog import check_laws, default_groups

    console = Console()
    table = Table(title="equifuzz: built-in groups and representations")
    for col in ("group", "order", "representation", "dim", "max |rho(gh)-rho(g)rho(h)|", "dim Hom: chars = null space"):
        table.add_column(col)
    bad = 0
    for G in default_groups():
        for c in check_laws(G):
            bad += not c.ok
            table.add_row(c.group, str(c.order), c.representation, str(c.dim), f"{c.homomorphism_error:.1e}",
                          "yes" if c.character_ok else "[red]NO[/red]")
    console.print(table)
    console.print("all laws hold" if not bad else f"[red]{bad} law checks failed[/red]")
    return 1 if bad else 0


def _cmd_fuzz(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .campaign.driver import CampaignInterrupted, run_campaign
    from .campaign.engines import EngineError

    bad = _check_out_folder("fuzz", args.out)
    if bad is not None:
        return bad
    if args.address is not None and args.engine != "ray":
        return _fail("fuzz", "--address needs --engine ray")
    console = Console()
    try:
        res = run_campaign(args.profile, seed=args.seed, out=args.out, budget=args.budget, workers=args.workers,
                           device=args.device, sweep=not args.no_sweep, engine=args.engine, address=args.address)
    except (EngineError, ProfileError) as exc:
        console.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        return 2
    except CampaignInterrupted as exc:
        console.print(f"interrupted: {len(exc.reports)} report(s) already written are complete in {exc.out}/"
                      + "".join(f"\n  {p}" for p in sorted(exc.reports)),
                      markup=False, highlight=False, soft_wrap=True)
        return 130
    except KeyboardInterrupt:  # before the campaign started: nothing written
        console.print("interrupted")
        return 130
    failed = [k for k, c in res.summary["claims"].items() if c["status"] == "FAILED"]
    console.print(f"wrote {res.out / 'summary.md'}, summary.json, compensation.png and "
                  f"{len(res.reports)} report(s) in {res.seconds:.1f} s")
    if res.retried:
        console.print("shards retried after their worker died: "
                      + ", ".join(f"{c} ({n} retr{'y' if n == 1 else 'ies'})" for c, n in res.retried.items()),
                      markup=False, highlight=False, soft_wrap=True)
    _print_claims(console, res.summary)
    if failed:
        console.print(f"[red]claims failed: {', '.join(failed)}[/red]")
    return 1 if failed else 0


def _print_claims(console: object, summary: dict) -> None:
    from rich.table import Table

    table = Table(title=f"claims (profile {summary['profile']}, seed {summary['seed']})")
    for col in ("claim", "status", "checks", "failures", "statement"):
        table.add_column(col, overflow="fold")
    for cid, c in summary["claims"].items():
        style = {"holds": "green", "FAILED": "red"}.get(c["status"], "yellow")
        table.add_row(cid, f"[{style}]{c['status']}[/{style}]", str(c["checks"]), str(c["failures"]), c["statement"])
    console.print(table)  # type: ignore[attr-defined]


def _cmd_claims(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .campaign.driver import CLAIMS, load_summary

    console = Console()
    try:
        summary = load_summary(args.out)
    except FileNotFoundError as exc:
        return _fail("claims", f"{exc} (the claims are {', '.join(CLAIMS)})")
    except (ValueError, OSError) as exc:  # a damaged summary.json
        return _fail("claims", f"{Path(args.out) / 'summary.json'} is damaged: {exc}")
    if not isinstance(summary, dict) or not isinstance(summary.get("claims"), dict):
        return _fail("claims", f"{Path(args.out) / 'summary.json'} is damaged: it has no claims")
    _print_claims(console, summary)
    return 1 if any(c["status"] == "FAILED" for c in summary["claims"].values()) else 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .search.bench import run_bench

    console = Console()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("bench", total=None)
        res = run_bench(args.nets, args.elements, args.inputs, args.width, args.dim, args.out, device=args.device,
                        repeats=args.repeats, compile=args.compile,
                        progress=lambda s: progress.update(task, description=s))
    for line in res.lines():
        console.print(line, highlight=False, soft_wrap=True)
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    """A campaign's case report (its report.json) or a gate report (its case.pt and pickled module):
    exit 1 while the case still fails, 0 once it holds; an unreadable report is an error (2)."""
    from .report.gate_case import is_gate_report

    if is_gate_report(args.report):
        from .report.gate_case import replay as replay_gate

        m = replay_gate(args.report)
        for k, (e, t) in enumerate(zip(m.errors, m.tolerances, strict=True)):
            print(f"output {k}: error {e:.3e} vs tolerance {t:.3e}")
        print("still fails" if m.ratio > 1 else "passes")
        return 1 if m.ratio > 1 else 0
    from .report.replay import replay

    r = replay(args.report)
    print(r)
    return r.exit_code


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="equifuzz", description="Property-based testing of equivariance claims.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = sub.add_parser("catalog", help="list the built-in groups and representations and check their laws")
    c.set_defaults(func=_cmd_catalog)
    b = sub.add_parser("bench", help="throughput of the batched equivariance kernel against a per-(net, element) loop")
    b.add_argument("--nets", type=_POSITIVE_INT, default=None, help="networks B (default: 256)")
    b.add_argument("--elements", type=_POSITIVE_INT, default=None, help="group elements E (default: 16)")
    b.add_argument("--inputs", type=_POSITIVE_INT, default=None, help="inputs N (default: 1024 on GPU, 128 on CPU)")
    b.add_argument("--width", type=_POSITIVE_INT, default=None, help="hidden width m (default: 64 on GPU, 8 on CPU)")
    b.add_argument("--dim", type=_POSITIVE_INT, default=None, help="input dimension d (default: 16 on GPU, 4 on CPU)")
    b.add_argument("--out", type=_POSITIVE_INT, default=None, help="output dimension p (default: 4 on GPU, 2 on CPU)")
    b.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    b.add_argument("--repeats", type=_POSITIVE_INT, default=5, help="timed repeats; the best one counts")
    b.add_argument("--threads", type=_POSITIVE_INT, default=None,
                   help="torch intra-op threads (default: torch's choice)")
    b.add_argument("--compile", action="store_true", help="also time the kernel under torch.compile")
    b.set_defaults(func=_cmd_bench)
    f = sub.add_parser("fuzz", help="run a campaign over the claims of the theory and write reports")
    f.add_argument("--profile", choices=tuple(PROFILES), default=None,
                   help="the campaign plan (default: EQUIFUZZ_PROFILE, else ci when CI is set, else dev)")
    f.add_argument("--budget", type=_SECONDS, default=None, metavar="SECONDS",
                   help="stop starting new cases after this many seconds (the summary says so)")
    f.add_argument("--out", default="reports", help="output folder (default: reports/)")
    f.add_argument("--seed", type=_SEED, default=0, help="master seed: same seed, same summary.json")
    f.add_argument("--workers", type=_POSITIVE_INT, default=None, help="shards (default: CPU cores, or visible GPUs)")
    f.add_argument("--device", default=None, help="torch device for the batched search (default: auto)")
    f.add_argument("--no-sweep", action="store_true", help="skip the compensation sweep of Example A")
    f.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="where case shards run: local cores or GPUs (default), or tasks on a Ray cluster")
    f.add_argument("--address", default=None, metavar="auto|HOST:PORT",
                   help="Ray cluster to connect to (with --engine ray; default: start a local Ray instance)")
    f.set_defaults(func=_cmd_fuzz)
    cl = sub.add_parser("claims", help="each claim with its status from the last campaign")
    cl.add_argument("--out", default="reports", help="folder of the campaign (default: reports/)")
    cl.set_defaults(func=_cmd_claims)
    rp = sub.add_parser("replay", help="re-run the case of a report (a campaign's or the gate's); exit 1 while it "
                        "still fails, 0 once it holds")
    rp.add_argument("report", metavar="REPORT", help="a report folder (or a campaign report's report.json)")
    rp.set_defaults(func=_cmd_replay)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; bad use (flags, files, report folders) is one line on stderr and exit status 2."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a bad flag (2, its one line already printed)
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except EquifuzzError as exc:
        return _fail(args.command, str(exc))


if __name__ == "__main__":
    sys.exit(main())
