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

Fixtures: ``equifuzz_profile`` (the active profile's name), ``equifuzz_device`` (``"cuda"`` or
``"cpu"``), ``equifuzz_batch_size`` (inputs per network for batched checks in this profile),
``equifuzz_report_dir`` (the report folder, created on demand) and ``equifuzz_gate`` (the CI gate
``assert_equivariant`` bound to the profile and the report folder).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from .profiles import PROFILES, active_profile

__all__ = ["PROFILES", "BATCH_SIZES", "register_profiles", "chosen_profile"]

#: Inputs per network for batched equivariance checks, per profile.
BATCH_SIZES = {"dev": 256, "ci": 256, "nightly": 4096, "gpu": 65536}
_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]
_ALL_PHASES = tuple(Phase)  # explicit, reuse, generate, target, shrink (and explain where it exists)


def register_profiles(root: str | os.PathLike[str] | None = None) -> None:
    """Register the four equifuzz Hypothesis profiles (idempotent).

    ``root`` is the folder holding ``.hypothesis/examples``, the nightly profile's example database
    (default: the current directory).
    """
    db = DirectoryBasedExampleDatabase(str(Path(root or ".") / ".hypothesis" / "examples"))
    settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=_SLOW)
    settings.register_profile(
        "ci", max_examples=60, deadline=None, derandomize=True, database=None, print_blob=True,
        suppress_health_check=_SLOW,
    )
    settings.register_profile(
        "nightly", max_examples=2000, deadline=None, database=db, phases=_ALL_PHASES, print_blob=True,
        suppress_health_check=_SLOW, verbosity=Verbosity.normal,
    )
    settings.register_profile("gpu", max_examples=300, deadline=None, suppress_health_check=_SLOW)


def chosen_profile(option: str | None = None, environ: dict[str, str] | None = None) -> str:
    """The profile to load: the option, else EQUIFUZZ_PROFILE, else ``ci`` under CI, else ``dev``."""
    try:
        return active_profile(option, environ)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("equifuzz", "equifuzz fuzz profiles")
    group.addoption("--equifuzz-profile", default=None, choices=PROFILES,
                    help="Hypothesis profile: dev (fast), ci (derandomized, no database), "
                         "nightly (many examples, database, targeting), gpu (large batches). "
                         "Default: EQUIFUZZ_PROFILE, else ci when CI is set, else dev.")
    group.addoption("--equifuzz-reports", default=None,
                    help="folder for reports of failing equifuzz properties (default: reports/ under the root)")


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin, which layers its options on top
def pytest_configure(config: pytest.Config) -> None:
    register_profiles(config.rootpath)
    name = chosen_profile(config.getoption("--equifuzz-profile"))
    config._equifuzz_profile = name  # type: ignore[attr-defined]
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile(name)
    config.addinivalue_line("markers", "equifuzz: an equivariance property checked by equifuzz "
                                       "(selected by -m equifuzz; failures with an attached case get a report)")


def pytest_report_header(config: pytest.Config) -> str:
    return f"equifuzz: profile={getattr(config, '_equifuzz_profile', '?')}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    if call.when != "call" or call.excinfo is None or item.get_closest_marker("equifuzz") is None:
        return
    from .report.pytest_hook import report_failure  # only for failing marked tests

    folder = report_failure(item, call, _report_dir(item.config))
    if folder is not None:
        outcome.get_result().sections.append(("equifuzz report", str(folder)))


def _report_dir(config: pytest.Config) -> Path:
    opt = config.getoption("--equifuzz-reports")
    return Path(opt) if opt else Path(config.rootpath) / "reports"


@pytest.fixture(scope="session")
def equifuzz_profile(pytestconfig: pytest.Config) -> str:
    """The name of the active equifuzz Hypothesis profile."""
    return str(pytestconfig._equifuzz_profile)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def equifuzz_batch_size(pytestconfig: pytest.Config) -> int:
    """Inputs per network for batched equivariance checks in the active profile."""
    return BATCH_SIZES[str(pytestconfig._equifuzz_profile)]  # type: ignore[attr-defined]


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
