"""pytest plugin (entry point ``pytest11``): Hypothesis fuzz profiles, options, marker, fixtures, reports.

Installing equifuzz is enough to turn it on in any project: pytest loads it through the ``pytest11``
entry point, registers the four profiles and loads one of them before the tests run.

Profiles (Hypothesis settings):

- ``dev``: fast local runs (30 examples, no deadline, the local example database).
- ``ci``: reproducible gating (60 examples, derandomized, no deadline, no database, failures print
  the ``@reproduce_failure`` blob).
- ``nightly``: long hunts (2000 examples, every phase including targeting, failures kept in the example
  database ``.hypothesis/examples`` under the root directory and replayed first on the next run).
- ``gpu``: large batches on the device (300 examples; the ``equifuzz_batch_size`` fixture is large).

Choosing one: ``--equifuzz-profile NAME``, else the ``EQUIFUZZ_PROFILE`` variable, else ``ci`` when the
``CI`` variable is set (to anything but ``""``, ``0`` or ``false``), else ``dev``. Hypothesis's own
``--hypothesis-profile`` still wins when given.

Mark equivariance properties with ``@pytest.mark.equifuzz``: ``pytest -m equifuzz`` selects them, and
when such a test fails with a failing case attached to its exception (``equifuzz.report.CaseFailure``
or ``equifuzz.report.attach_case``) a minimized report is written to ``--equifuzz-reports``
(default ``reports/`` under the root directory) and named in the test's report.

The chosen profile and report folder are published, for the length of the session, in the
``EQUIFUZZ_PROFILE`` and ``EQUIFUZZ_REPORTS`` variables (restored afterwards), so that a test calling
:func:`equifuzz.assert_equivariant` directly, on any xdist worker, runs under the same profile and
writes its report into the same folder as the ``equifuzz_gate`` fixture. Loading the plugin imports
neither torch nor the search, report or gate layers; they load when a test uses them.

Fixtures: ``equifuzz_profile`` (the active profile's name), ``equifuzz_device`` (``"cuda"`` or
``"cpu"``), ``equifuzz_batch_size`` (inputs per network for batched checks in this profile),
``equifuzz_report_dir`` (the report folder, created on demand) and ``equifuzz_gate`` (the CI gate
``assert_equivariant`` bound to the profile and the report folder).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from .profiles.records import PROFILE_VARIABLE, PROFILES, REPORTS_VARIABLE, ProfileError, active_profile, report_folder

__all__ = ["PROFILES", "BATCH_SIZES", "register_profiles", "chosen_profile", "report_failure", "case_of_call"]

#: Inputs per network for batched equivariance checks, per profile (from the profile records).
BATCH_SIZES = {name: p.batch_size for name, p in PROFILES.items()}
#: Seconds the domain minimizer may spend on the case of a failing marked test.
DEFAULT_MINIMIZE_BUDGET = 10.0


def register_profiles(root: str | os.PathLike[str] | None = None) -> None:
    """Register the four equifuzz Hypothesis profiles (idempotent).

    ``root`` is the folder holding ``.hypothesis/examples``, the nightly profile's example database
    (default: the current directory).
    """
    for name, profile in PROFILES.items():
        settings.register_profile(name, **profile.hypothesis.settings_kwargs(root))


def chosen_profile(option: str | None = None, environ: dict[str, str] | None = None) -> str:
    """The profile to load: the option, else EQUIFUZZ_PROFILE, else ``ci`` under CI, else ``dev``."""
    try:
        return active_profile(option, environ)
    except ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("equifuzz", "equifuzz fuzz profiles")
    group.addoption("--equifuzz-profile", default=None, choices=tuple(PROFILES),
                    help="Hypothesis profile: dev (fast), ci (derandomized, no database), "
                         "nightly (many examples, database, targeting), gpu (large batches). "
                         "Default: EQUIFUZZ_PROFILE, else ci when CI is set, else dev.")
    group.addoption("--equifuzz-reports", default=None,
                    help="folder for reports of failing equifuzz properties and gate calls "
                         "(default: EQUIFUZZ_REPORTS, else reports/ under the root)")


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin, which layers its options on top
def pytest_configure(config: pytest.Config) -> None:
    register_profiles(config.rootpath)
    name = chosen_profile(config.getoption("--equifuzz-profile"))
    folder = report_folder(config.getoption("--equifuzz-reports"), root=config.rootpath)
    config._equifuzz_profile = name  # type: ignore[attr-defined]
    config._equifuzz_reports = folder  # type: ignore[attr-defined]
    config._equifuzz_saved_env = _publish({PROFILE_VARIABLE: name, REPORTS_VARIABLE: str(folder)})  # type: ignore[attr-defined]
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile(name)
    config.addinivalue_line("markers", "equifuzz: an equivariance property checked by equifuzz "
                                       "(selected by -m equifuzz; failures with an attached case get a report)")


def pytest_unconfigure(config: pytest.Config) -> None:
    saved = getattr(config, "_equifuzz_saved_env", None)
    if saved is not None:
        _publish(saved)
        del config._equifuzz_saved_env  # type: ignore[attr-defined]


def _publish(values: dict[str, str | None]) -> dict[str, str | None]:
    """Set (or, for None, unset) environment variables; return their previous values."""
    before = {k: os.environ.get(k) for k in values}
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    return before


def pytest_report_header(config: pytest.Config) -> str:
    return f"equifuzz: profile={getattr(config, '_equifuzz_profile', '?')}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    if call.when != "call" or call.excinfo is None or item.get_closest_marker("equifuzz") is None:
        return
    folder = report_failure(item, call, _report_dir(item.config))
    if folder is not None:
        outcome.get_result().sections.append(("equifuzz report", str(folder)))


def _report_dir(config: pytest.Config) -> Path:
    folder = getattr(config, "_equifuzz_reports", None)
    return Path(folder) if folder is not None else report_folder(config.getoption("--equifuzz-reports"),
                                                                 root=config.rootpath)


# ---------------------------------------------------------------------------------------------
# reports of failing marked tests


def case_of_call(item: Any, call: Any) -> Any:
    """The :class:`equifuzz.report.FailureCase` carried by a failing call of an ``equifuzz``-marked test
    item, else None."""
    if getattr(call, "when", None) != "call" or getattr(call, "excinfo", None) is None:
        return None
    if item.get_closest_marker("equifuzz") is None:
        return None
    from .report import find_case

    return find_case(call.excinfo.value)


def report_failure(item: Any, call: Any, out_dir: str | os.PathLike[str], *,
                   budget: float = DEFAULT_MINIMIZE_BUDGET) -> Path | None:
    """Minimize and write the report of a failing ``equifuzz`` test; return its folder (or None).

    A test attaches the failing case to the exception it raises, as ``exc.equifuzz_case`` (raise
    :class:`equifuzz.report.CaseFailure`, or call :func:`equifuzz.report.attach_case`). With Hypothesis
    the exception that reaches pytest comes from the shrunk example, so the case is already small; the
    domain minimizer then shrinks it further before the report is written.

    Nothing happens (None) unless ``call.when == "call"``, the test failed, it carries the
    ``equifuzz`` marker and its exception (or its cause/context, or a member of an exception
    group) has an ``equifuzz_case`` attribute holding a case. The case is minimized for at most
    ``budget`` seconds (0 skips minimization) and written under ``out_dir``. A case whose seed is
    unset takes the seed Hypothesis reports for the item, when there is one. Writing a report never
    turns a failure into an error: problems become warnings.
    """
    case = case_of_call(item, call)
    if case is None:
        return None
    try:
        from .report import minimize, write_report

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
    """The seed Hypothesis used for the item (its private per-test attribute, else --hypothesis-seed)."""
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


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def equifuzz_profile(pytestconfig: pytest.Config) -> str:
    """The name of the active equifuzz Hypothesis profile."""
    return str(pytestconfig._equifuzz_profile)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def equifuzz_batch_size(pytestconfig: pytest.Config) -> int:
    """Inputs per network for batched equivariance checks in the active profile."""
    return PROFILES[str(pytestconfig._equifuzz_profile)].batch_size  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def equifuzz_device() -> str:
    """``"cuda"`` when a CUDA device is visible, else ``"cpu"``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@pytest.fixture(scope="session")
def equifuzz_report_dir(pytestconfig: pytest.Config) -> Path:
    """Folder that receives reports of failing equifuzz properties."""
    path = _report_dir(pytestconfig)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def equifuzz_gate(equifuzz_profile: str, equifuzz_report_dir: Path) -> Any:
    """:func:`equifuzz.assert_equivariant` bound to the active profile and the report folder::

        def test_model_is_equivariant(equifuzz_gate):
            equifuzz_gate(model, ef.groups.o3(), Irreps("1o"), Irreps("0e"))
    """
    import functools

    from .gate import assert_equivariant

    return functools.partial(assert_equivariant, profile=equifuzz_profile, report_dir=equifuzz_report_dir)
