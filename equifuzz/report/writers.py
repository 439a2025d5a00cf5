"""Report writers: one folder per failure with report.md, report.json, repro.py, example.py, figure.png.

The content comes from :mod:`.data` (report.json), :mod:`.render` (report.md, repro.py, example.py) and
:mod:`.figure` (figure.png); this module names, writes and guards the folder.

The folder is named by the claim and a SHA-256 of the case's content (``layerwise-<16 hex>``), so two
different failures never share a folder and writing the same failure again finds the folder already
there and leaves it untouched. A folder is written into a temporary sibling
(``.<name>.<pid>.<random>.tmp``) and renamed into place, so an interrupted write leaves no partial
report; the temporary folder is removed when a writer raises.

Everything written is a function of the case (and of the minimization log and library versions):
no timestamps, so regenerating a report gives the same bytes.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors.exceptions import EquifuzzError
from .case import FailureCase, evaluate
from .data import FILES, figure_kind, hyperplane_classes, library_versions, report_data
from .figure import write_figure
from .minimize import Minimized, minimize
from .render import render_example, render_markdown, render_repro
from .schema import validate

__all__ = [
    "write_report",
    "write_case_report",
    "atomic_folder",
    "report_folder",
    "dumps",
    "report_folder_name",
    "report_data",
    "render_markdown",
    "render_repro",
    "render_example",
    "write_figure",
    "figure_kind",
    "hyperplane_classes",
    "library_versions",
    "CaseTypeError",
]


# ---------------------------------------------------------------------------------------------
# entry point


def report_folder_name(case: FailureCase) -> str:
    """``<claim>-<first 16 hex digits of the case digest>`` (of the case as a replay rebuilds it)."""
    return f"{case.claim}-{case.normalized().digest()[:16]}"


def write_report(result: Minimized | FailureCase, out: str | os.PathLike[str] = "reports") -> Path:
    """Write the report folder of a failure (a minimized result or a plain case) under ``out``.

    Returns the folder. If a folder of that name exists it is returned as is (same content hash,
    same failure): nothing is overwritten.
    """
    mini = result if isinstance(result, Minimized) else None
    case = (result.case if mini is not None else result).normalized()  # type: ignore[union-attr]
    digest = case.digest()
    name = f"{case.claim}-{digest[:16]}"
    final = report_folder(out, name)
    if final.exists():
        return final
    with atomic_folder(final) as tmp:
        outcome = evaluate(case)
        kind = figure_kind(case, outcome)
        files = list(FILES) + (["figure.png"] if kind else [])
        data = report_data(case, outcome, mini, digest=digest, folder=name, files=files)
        validate(data)
        _write_text(tmp / "report.md", render_markdown(data, case, outcome))
        _write_text(tmp / "repro.py", render_repro(case, digest))
        _write_text(tmp / "example.py", render_example(case, digest))
        if kind:
            write_figure(case, outcome, tmp / "figure.png")
        _write_text(tmp / "report.json", dumps(data) + "\n")
    return final


def report_folder(out: str | os.PathLike[str], name: str) -> Path:
    """``out/name``, with ``out`` created; the folder itself exists only if a report was written."""
    parent = Path(out)
    parent.mkdir(parents=True, exist_ok=True)
    return parent / name


@contextmanager
def atomic_folder(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``final`` to fill, then rename it into place.

    An exception removes the temporary folder; if ``final`` appeared meanwhile (another process wrote
    the same content-named folder) the temporary one is dropped.
    """
    tmp = final.parent / f".{final.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    os.mkdir(tmp)
    try:
        yield tmp
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def dumps(obj: Any, indent: int = 0) -> str:
    """JSON with two-space indentation, lists of scalars kept on one line."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if not obj:
            return "[]"
        if all(not isinstance(v, (dict, list, tuple)) for v in obj):
            return "[" + ", ".join(json.dumps(v) for v in obj) + "]"
        if all(isinstance(v, (list, tuple)) and all(not isinstance(u, (dict, list, tuple)) for u in v) for v in obj) \
                and sum(len(v) for v in obj) <= 16:
            return "[" + ", ".join(dumps(v) for v in obj) + "]"
        return "[\n" + ",\n".join(inner + dumps(v, indent + 1) for v in obj) + "\n" + pad + "]"
    return json.dumps(obj)


def write_case_report(case: FailureCase, out: str | os.PathLike[str] = "reports", *, budget: float = 5.0,
                      max_checks: int | None = None) -> Path:
    """Minimize (for at most ``budget`` seconds) and write the report of ``case``; return its folder.

    A case that does not fail its claim is written as is (its report says that the claim holds).
    ``max_checks`` bounds the minimizer by oracle checks as well (see :func:`minimize`), which makes
    the report independent of machine speed. The report records the case's own seed and device.
    """
    if not isinstance(case, FailureCase):
        raise CaseTypeError(f"write_case_report needs case to be an equifuzz.report.FailureCase, got "
                            f"{type(case).__name__}; build one with FailureCase(net, rho_in, rho_out, claim=...)")
    if budget > 0 and case.fails():
        return write_report(minimize(case, budget=budget, max_checks=max_checks), out)
    return write_report(case, out)


class CaseTypeError(EquifuzzError, TypeError):
    """A writer was handed something that is not a FailureCase."""


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
