"""Write a report when a test marked ``equifuzz`` fails with a case attached to its exception.

A test attaches the failing case to the exception it raises, as ``exc.equifuzz_case`` (raise
:class:`equifuzz.report.CaseFailure`, or call :func:`equifuzz.report.attach_case`). With Hypothesis
the exception that reaches pytest comes from the shrunk example, so the case is already small; the
domain minimizer then shrinks it further before the report is written.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from .case import FailureCase, find_case
from .minimize import minimize
from .writers import write_report

__all__ = ["report_failure", "case_of_call"]

DEFAULT_MINIMIZE_BUDGET = 10.0


def case_of_call(item: Any, call: Any) -> FailureCase | None:
    """The case carried by a failing call of an ``equifuzz``-marked test item, else None."""
    if getattr(call, "when", None) != "call" or getattr(call, "excinfo", None) is None:
        return None
    if item.get_closest_marker("equifuzz") is None:
        return None
    return find_case(call.excinfo.value)


def report_failure(item: Any, call: Any, out_dir: str | os.PathLike[str], *,
                   budget: float = DEFAULT_MINIMIZE_BUDGET) -> Path | None:
    """Minimize and write the report of a failing ``equifuzz`` test; return its folder (or None).

    Call it from the plugin's ``pytest_runtest_makereport`` hook wrapper::

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(item, call):
            outcome = yield
            folder = report_failure(item, call, item.config.getoption("--equifuzz-reports") or "reports")
            if folder is not None:
                outcome.get_result().sections.append(("equifuzz report", str(folder)))

    Nothing happens (None) unless ``call.when == "call"``, the test failed, it carries the
    ``equifuzz`` marker and its exception (or its cause/context, or a member of an exception
    group) has an ``equifuzz_case`` attribute holding a :class:`FailureCase`. The case is
    minimized for at most ``budget`` seconds (0 skips minimization) and written under ``out_dir``.
    A case whose seed is unset takes the seed Hypothesis reports for the item, when there is one.
    Writing a report never turns a failure into an error: problems become warnings.
    """
    case = case_of_call(item, call)
    if case is None:
        return None
    try:
        if case.seed is None:
            seed = _hypothesis_seed(item)
            if seed is not None:
                case = case.replace(seed=seed)
        if case.name == "case":
            case = case.replace(name=getattr(item, "name", "case"))
        if budget > 0 and case.fails():
            return write_report(minimize(case, budget=budget), out_dir)
        return write_report(case, out_dir)
    except Exception as exc:  # reporting must not mask the test failure
        warnings.warn(f"equifuzz could not write a report for {getattr(item, 'nodeid', item)}: "
                      f"{type(exc).__name__}: {exc}", stacklevel=1)
        return None


def _hypothesis_seed(item: Any) -> int | None:
    seed = getattr(getattr(item, "obj", None), "_hypothesis_internal_use_seed", None)
    if isinstance(seed, int):
        return seed
    try:
        opt = item.config.getoption("hypothesis_seed", None)
    except (ValueError, AttributeError):
        return None
    try:
        return int(opt) if opt is not None else None
    except (TypeError, ValueError):
        return None
