"""Replay a report: rebuild its case from ``report.json`` and run the oracles again.

``equifuzz replay REPORT`` (REPORT a report folder or its report.json) prints the verdict and exits
1 while the claim still fails, 0 once it holds, 2 when the report cannot be read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors.exceptions import EquifuzzError
from .case import FailureCase, Outcome, evaluate
from .schema import SCHEMA_VERSION

__all__ = ["Replay", "ReportError", "load_report", "load_case", "replay"]


class ReportError(EquifuzzError, ValueError):
    """A report cannot be read (missing file, bad JSON, unknown schema version)."""


@dataclass(frozen=True)
class Replay:
    """A replayed case: the rebuilt case, the fresh outcome and the report it came from."""

    path: Path
    case: FailureCase
    outcome: Outcome
    recorded_holds: bool

    @property
    def fails(self) -> bool:
        return not self.outcome.holds

    @property
    def exit_code(self) -> int:
        return 1 if self.fails else 0

    def __str__(self) -> str:
        o = self.outcome
        lines = [f"replay of {self.path} ({self.case.name}, claim: {self.case.claim})", str(o.verdict)]
        if self.case.claim == "layerwise":
            lines.append("function: " + str(o.equivariance).splitlines()[0])
        lines.append("the claim still FAILS" if self.fails else "the claim now holds")
        return "\n".join(lines)


def _json_path(report: str | os.PathLike[str]) -> Path:
    if not isinstance(report, (str, os.PathLike)):
        raise ReportError("a report must be given as a folder or a path to its report.json, "
                          f"got {type(report).__name__}")
    p = Path(report)
    if p.is_dir():
        p = p / "report.json"
    if not p.is_file():
        raise ReportError(f"no report at {report}: give a report folder or its report.json")
    return p


def load_report(report: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed report.json of a report folder (or of the file itself)."""
    p = _json_path(report)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportError(f"{p} is damaged: not valid JSON ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{p} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{p} is damaged: expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise ReportError(f"{p} was written by a newer equifuzz (schema_version {version}); this equifuzz reads "
                          f"version {SCHEMA_VERSION}: upgrade equifuzz to replay it")
    if version != SCHEMA_VERSION:
        raise ReportError(f"{p} has schema_version {version!r}; this equifuzz reads version {SCHEMA_VERSION}")
    if not isinstance(data.get("case"), dict):
        raise ReportError(f"{p} is damaged: it has no 'case' object to replay")
    return data


def _case(data: dict[str, Any], p: Path) -> FailureCase:
    """The case of a loaded report; a damaged one is a ReportError naming what is missing or wrong."""
    try:
        return FailureCase.from_dict(data["case"])
    except EquifuzzError as exc:
        raise ReportError(f"{p} is damaged: its case cannot be rebuilt: {exc}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError) as exc:
        what = f"missing key {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        raise ReportError(f"{p} is damaged: its case cannot be rebuilt ({what})") from None


def load_case(report: str | os.PathLike[str]) -> FailureCase:
    return _case(load_report(report), _json_path(report))


def replay(report: str | os.PathLike[str]) -> Replay:
    """Rebuild the case of a report and evaluate it again."""
    data = load_report(report)
    case = _case(data, _json_path(report))
    return Replay(_json_path(report), case, evaluate(case), bool(data.get("holds", False)))

