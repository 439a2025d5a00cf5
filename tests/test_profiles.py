"""One profile record, chosen once by the README's precedence, reaching the plugin, direct gate calls,
the campaign and the command line; and imports that load only what is used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from equifuzz.profiles import PROFILES, ProfileError, active_profile, choose_profile, report_folder

pytest_plugins = ["pytester"]

_VARIABLES = ("CI", "EQUIFUZZ_PROFILE", "EQUIFUZZ_REPORTS", "HYPOTHESIS_STORAGE_DIRECTORY", "PYTEST_ADDOPTS")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config):
    """No profile variables from the outer run; the outer Hypothesis profile is back afterwards."""
    from hypothesis import settings

    from equifuzz.plugin import register_profiles

    for var in _VARIABLES:
        monkeypatch.delenv(var, raising=False)
    outer = settings.get_current_profile_name()
    yield monkeypatch
    register_profiles(pytestconfig.rootpath)
    settings.load_profile(outer)


def test_precedence_option_variable_ci_dev():
    assert active_profile("gpu", {"EQUIFUZZ_PROFILE": "nightly", "CI": "1"}) == "gpu"
    assert active_profile(None, {"EQUIFUZZ_PROFILE": "nightly", "CI": "1"}) == "nightly"
    assert active_profile(None, {"CI": "true"}) == "ci"
    for off in ("", "0", "false", "no"):
        assert active_profile(None, {"CI": off}) == "dev"
    assert active_profile(None, {}) == "dev"
    assert choose_profile(None, {"CI": "1"}) is PROFILES["ci"]


def test_unknown_profile_names_its_source_and_the_choices():
    with pytest.raises(ProfileError, match=r"'weekly' \(from the EQUIFUZZ_PROFILE variable\).*dev, ci, nightly, gpu"):
        active_profile(None, {"EQUIFUZZ_PROFILE": "weekly"})
    with pytest.raises(ProfileError, match=r"'weekly' \(from the option"):
        active_profile("weekly", {})


def test_one_record_holds_every_setting_of_a_profile():
    from equifuzz.campaign import PROFILES as CAMPAIGN_PLANS
    from equifuzz.gate import BUDGETS
    from equifuzz.plugin import BATCH_SIZES

    assert tuple(PROFILES) == ("dev", "ci", "nightly", "gpu")
    for name, p in PROFILES.items():
        assert p.name == name
        assert BATCH_SIZES[name] == p.batch_size
        assert CAMPAIGN_PLANS[name] is p.campaign
        gate = BUDGETS[name]  # the gate's table must agree field by field until it reads the record
        assert (gate.n_inputs, gate.n_words, gate.search_rounds, gate.search_width, gate.minimize_checks) == (
            p.gate.n_inputs, p.gate.n_words, p.gate.search_rounds, p.gate.search_width, p.gate.minimize_checks)
    # the profiles grow in effort where the README says they do
    assert PROFILES["dev"].hypothesis.max_examples < PROFILES["ci"].hypothesis.max_examples \
        < PROFILES["gpu"].hypothesis.max_examples < PROFILES["nightly"].hypothesis.max_examples
    assert PROFILES["gpu"].batch_size == 65536


def test_report_folder_precedence(tmp_path: Path):
    assert report_folder("a", {"EQUIFUZZ_REPORTS": "b"}, root=tmp_path) == Path("a")
    assert report_folder(None, {"EQUIFUZZ_REPORTS": "b"}, root=tmp_path) == Path("b")
    assert report_folder(None, {}, root=tmp_path) == tmp_path / "reports"


DIRECT_CALLS = """
import numpy as np
import pytest
import torch

import equifuzz as ef

G = ef.groups.cyclic(2)
FLIP = ef.reps.from_generators(G, [-np.eye(2)])


def test_direct_call_runs_under_the_command_line_profile():
    verdict = ef.assert_equivariant(lambda x: 2.0 * x, G, FLIP, FLIP)
    assert verdict.holds and verdict.profile == {profile!r}


def test_direct_call_writes_into_the_command_line_report_folder():
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(torch.abs, G, FLIP, FLIP)
    verdict = info.value.verdict
    assert verdict.profile == {profile!r}
    assert verdict.report is not None
    assert verdict.report.startswith({reports!r}), verdict.report
"""


def _direct_calls(pytester: pytest.Pytester, profile: str) -> Path:
    reports = pytester.path / "gate-reports"
    pytester.makepyfile(test_direct=DIRECT_CALLS.format(profile=profile, reports=str(reports)))
    return reports


def test_pytest_profile_and_reports_options_reach_direct_gate_calls(pytester, clean_env):
    reports = _direct_calls(pytester, "nightly")
    clean_env.setenv("EQUIFUZZ_PROFILE", "dev")  # the option beats the variable, for direct calls too
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:xdist", "--equifuzz-profile", "nightly",
                                          "--equifuzz-reports", str(reports))
    result.assert_outcomes(passed=2)
    assert any(reports.iterdir())
    import os

    assert os.environ["EQUIFUZZ_PROFILE"] == "dev"  # the session's choice is withdrawn at its end
    assert "EQUIFUZZ_REPORTS" not in os.environ


def test_the_choice_reaches_xdist_workers(pytester, clean_env):
    clean_env.setenv("CI", "1")  # ci, by the CI variable alone
    reports = _direct_calls(pytester, "ci")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "1", "--equifuzz-reports", str(reports))
    result.assert_outcomes(passed=2)


def test_equifuzz_fuzz_runs_the_plan_of_the_profile_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``EQUIFUZZ_PROFILE=ci equifuzz fuzz`` plans the ci cases; ``--profile`` beats the variable. The budget
    runs out before the first case, so only the plan (and the worked examples) run."""
    from equifuzz.campaign.driver import enumerate_cases
    from equifuzz.cli import main

    def fuzz(out: Path, *extra: str) -> dict:
        main(["fuzz", "--out", str(out), "--budget", "1e-9", "--no-sweep", "--workers", "1", *extra])
        return json.loads((out / "summary.json").read_text())

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("EQUIFUZZ_PROFILE", "ci")
    s = fuzz(tmp_path / "ci")
    assert s["profile"] == "ci" and s["cases_planned"] == len(enumerate_cases(PROFILES["ci"].campaign, 0))
    assert s["cases_planned"] != len(enumerate_cases(PROFILES["dev"].campaign, 0))
    s = fuzz(tmp_path / "dev", "--profile", "dev")
    assert s["profile"] == "dev" and s["cases_planned"] == len(enumerate_cases(PROFILES["dev"].campaign, 0))
    monkeypatch.setenv("EQUIFUZZ_PROFILE", "weekly")
    assert main(["fuzz", "--out", str(tmp_path / "bad"), "--workers", "1"]) == 2


def _loaded(statement: str) -> list[str]:
    heavy = ("torch", "hypothesis", "equifuzz.search", "equifuzz.report", "equifuzz.gate", "equifuzz.oracles",
             "equifuzz.nets")
    code = f"{statement}\nimport sys\nprint(' '.join(m for m in {heavy!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def test_loading_the_plugin_does_not_import_torch():
    assert _loaded("import equifuzz.plugin") == ["hypothesis"]  # pytest's Hypothesis plugin loads it anyway
    assert _loaded("import equifuzz") == []
    assert "torch" in _loaded("import equifuzz as ef\nef.assert_equivariant")  # loaded on first use
