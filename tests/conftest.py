"""Fixtures for the whole suite: a gate report is written under the test's temporary folder.

The pytest plugin publishes ``EQUIFUZZ_REPORTS`` (``reports/`` under the root) for the session, so a
test calling ``assert_equivariant`` without ``report_dir`` would write its failure into the checkout;
every test gets its own temporary folder instead (a test that needs the variable unset removes it).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _reports_under_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("EQUIFUZZ_REPORTS", str(tmp_path_factory.mktemp("reports")))
