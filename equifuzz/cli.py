"""The ``equifuzz`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _cmd_catalog(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from .catalog import check_laws, default_groups

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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="equifuzz", description="Property-based testing of equivariance claims.")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("catalog", help="list the built-in groups and representations and check their laws")
    c.set_defaults(func=_cmd_catalog)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
