"""pytest plugin (entry point ``pytest11``): Hypothesis fuzz profiles, options, marker, fixtures.

Installing equifuzz is enough to turn it on. Choose a profile with ``--equifuzz-profile NAME`` or the
``EQUIFUZZ_PROFILE`` variable; ``ci`` is the default when ``CI`` is set, ``dev`` otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, Verbosity, settings

PROFILES = ("dev", "ci", "nightly", "gpu")


def register_profiles() -> None:
    """Register the four equifuzz Hypothesis profiles (idempotent)."""
    slow = [HealthCheck.too_slow, HealthCheck.data_too_large]
    settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=slow)
    settings.register_profile(
        "ci", max_examples=60, deadline=None, derandomize=True, database=None, print_blob=True,
        suppress_health_check=slow,
    )
    settings.register_profile(
        "nightly", max_examples=2000, deadline=None, suppress_health_check=slow,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
        verbosity=Verbosity.normal,
    )
    settings.register_profile("gpu", max_examples=300, deadline=None, suppress_health_check=slow)


def chosen_profile(option: str | None) -> str:
    name = option or os.environ.get("EQUIFUZZ_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
    if name not in PROFILES:
        raise pytest.UsageError(f"unknown equifuzz profile {name!r}; choose one of {', '.join(PROFILES)}")
    return name


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("equifuzz", "equifuzz fuzz profiles")
    group.addoption("--equifuzz-profile", default=None, choices=PROFILES,
                    help="Hypothesis profile: dev (fast), ci (derandomized, no database), "
                         "nightly (many examples, database, targeting), gpu (large batches)")
    group.addoption("--equifuzz-reports", default=None,
                    help="folder for reports of failing equifuzz properties (default: reports/)")


def pytest_configure(config: pytest.Config) -> None:
    register_profiles()
    name = chosen_profile(config.getoption("--equifuzz-profile"))
    config._equifuzz_profile = name  # type: ignore[attr-defined]
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile(name)
    config.addinivalue_line("markers", "equifuzz: an equivariance property checked by equifuzz")


def pytest_report_header(config: pytest.Config) -> str:
    return f"equifuzz: profile={getattr(config, '_equifuzz_profile', '?')}"


@pytest.fixture(scope="session")
def equifuzz_profile(pytestconfig: pytest.Config) -> str:
    """The name of the active equifuzz Hypothesis profile."""
    return str(pytestconfig._equifuzz_profile)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def equifuzz_device() -> str:
    """``"cuda"`` when a CUDA device is visible, else ``"cpu"``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@pytest.fixture(scope="session")
def equifuzz_report_dir(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder that receives reports of failing equifuzz properties."""
    opt = pytestconfig.getoption("--equifuzz-reports")
    path = Path(opt) if opt else Path(pytestconfig.rootpath) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path
