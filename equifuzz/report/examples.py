"""The committed example reports: Examples A and B of the theory, claim "layer-wise".

Both networks are equivariant but not layer-wise equivariant at their width (T3), so the claim
fails structurally. They are minimized with the stages that keep the worked example's setting
(neurons, weights, input) and written by :func:`equifuzz.report.write_report`. ``reports/examples``
holds the output; the tests regenerate it and compare.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..builders.examples import Case, example_a, example_b
from .case import FailureCase
from .minimize import minimize
from .writers import write_report

__all__ = ["EXAMPLE_STAGES", "example_cases", "write_examples"]

EXAMPLE_STAGES = ("neurons", "weights", "input")


def _case(ex: Case) -> FailureCase:
    return FailureCase(ex.net, ex.rho_in, ex.rho_out, claim="layerwise", name=ex.name, description=ex.description)


def example_cases() -> list[FailureCase]:
    """Examples A and B as layer-wise claims."""
    return [_case(example_a()), _case(example_b())]


def write_examples(out: str | os.PathLike[str] = "reports/examples", budget: float = 60.0) -> list[Path]:
    """Minimize and write the example reports under ``out``; return their folders (A first)."""
    return [write_report(minimize(c, budget=budget, stages=EXAMPLE_STAGES), out) for c in example_cases()]


if __name__ == "__main__":  # python -m equifuzz.report.examples [OUT]
    import sys

    for p in write_examples(sys.argv[1] if len(sys.argv) > 1 else "reports/examples"):
        print(p)
