"""Layer 6: minimize failing cases and write replayable reports.

- :func:`minimize` shrinks a :class:`FailureCase` (neurons, group, summands, weights, input) while
  it keeps failing the same way, re-checked with the oracles.
- :func:`write_report` writes ``reports/<claim>-<hash>/`` with report.md, report.json (schema in
  :mod:`equifuzz.report.schema`), repro.py, example.py and figure.png, atomically.
- :func:`replay` rebuilds a report's case and runs the oracles again (``equifuzz replay``).
- Gate reports (any torch module or callable): :mod:`equifuzz.report.gate_minimize` shrinks a failing
  (inputs, element) pair, :mod:`equifuzz.report.gate_case` writes ``reports/gate-<hash>/`` and replays
  it; ``fingerprint`` names a function by its state, ``persist`` saves it so that a report replays
  anywhere. They load torch, so they are imported by module, not from this package.
"""

from .case import (
    CASE_ATTRIBUTE,
    CLAIMS,
    CaseFailure,
    FailureCase,
    NotAFailureError,
    Outcome,
    attach_case,
    evaluate,
    find_case,
)
from .minimize import Minimized, Step, minimize
from .replay import Replay, ReportError, load_case, replay
from .schema import REPORT_SCHEMA, SCHEMA_VERSION, SchemaError, validate
from .writers import report_data, write_case_report, write_report

__all__ = [
    "CASE_ATTRIBUTE",
    "CLAIMS",
    "CaseFailure",
    "FailureCase",
    "NotAFailureError",
    "Outcome",
    "attach_case",
    "evaluate",
    "find_case",
    "Minimized",
    "Step",
    "minimize",
    "Replay",
    "ReportError",
    "load_case",
    "replay",
    "REPORT_SCHEMA",
    "SCHEMA_VERSION",
    "SchemaError",
    "validate",
    "report_data",
    "write_report",
    "write_case_report",
]
