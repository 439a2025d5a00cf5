"""The pytest plugin in inner pytest runs: profile selection, marker, fixtures, nightly replay.

Selection tests run in-process (the inner run loads a Hypothesis profile globally, so the outer one is
restored afterwards); the database tests run in fresh processes, as consecutive nightly jobs would.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

from equifuzz.plugin import register_profiles

pytest_plugins = ["pytester"]

PROFILE_TEST = """
from hypothesis import Phase, settings

def test_profile(equifuzz_profile, equifuzz_batch_size):
    assert equifuzz_profile == {expected!r}
    assert settings.get_current_profile_name() == {hypothesis!r}
"""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config):
    """No CI, EQUIFUZZ_PROFILE or Hypothesis storage variables leak in from the outer run, and the
    outer run's Hypothesis profile is back in place afterwards."""
    for var in ("CI", "EQUIFUZZ_PROFILE", "HYPOTHESIS_STORAGE_DIRECTORY", "PYTEST_ADDOPTS"):
        monkeypatch.delenv(var, raising=False)
    outer = settings.get_current_profile_name()
    yield monkeypatch
    register_profiles(pytestconfig.rootpath)
    settings.load_profile(outer)


def _run_profile(pytester: pytest.Pytester, expected: str, *args: str, hypothesis: str | None = None):
    pytester.makepyfile(test_profile=PROFILE_TEST.format(expected=expected, hypothesis=hypothesis or expected))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"equifuzz: profile={expected}"])
    return result


@pytest.mark.parametrize("name", ["dev", "ci", "nightly", "gpu"])
def test_option_chooses_the_profile(pytester, clean_env, name):
    clean_env.setenv("EQUIFUZZ_PROFILE", "gpu" if name != "gpu" else "dev")  # the option beats the variable
    clean_env.setenv("CI", "1")
    _run_profile(pytester, name, "--equifuzz-profile", name)


@pytest.mark.parametrize("name", ["dev", "nightly"])
def test_environment_variable_chooses_the_profile(pytester, clean_env, name):
    clean_env.setenv("EQUIFUZZ_PROFILE", name)
    clean_env.setenv("CI", "true")  # the variable beats CI
    _run_profile(pytester, name)


@pytest.mark.parametrize("ci,expected", [("1", "ci"), ("true", "ci"), (None, "dev"), ("", "dev"), ("false", "dev")])
def test_ci_is_automatic_when_ci_is_set(pytester, clean_env, ci, expected):
    if ci is not None:
        clean_env.setenv("CI", ci)
    _run_profile(pytester, expected)


def test_hypothesis_profile_option_still_wins(pytester, clean_env):
    clean_env.setenv("CI", "1")
    _run_profile(pytester, "ci", "--hypothesis-profile", "default", hypothesis="default")


def test_unknown_profile_is_a_usage_error(pytester, clean_env):
    clean_env.setenv("EQUIFUZZ_PROFILE", "weekly")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown equifuzz profile 'weekly'*dev, ci, nightly, gpu*"])


def test_profile_settings(pytester, clean_env):
    pytester.makepyfile(test_settings="""
        from pathlib import Path
        from hypothesis import Phase, settings
        from hypothesis.database import DirectoryBasedExampleDatabase

        def test_settings(pytestconfig):
            ci = settings.get_profile("ci")
            assert ci.derandomize and ci.database is None and ci.deadline is None and ci.print_blob
            nightly = settings.get_profile("nightly")
            assert nightly.max_examples >= 1000 and Phase.target in nightly.phases
            assert isinstance(nightly.database, DirectoryBasedExampleDatabase)
            assert Path(nightly.database.path) == Path(pytestconfig.rootpath) / ".hypothesis" / "examples"
            dev = settings.get_profile("dev")
            assert dev.max_examples < ci.max_examples < settings.get_profile("gpu").max_examples < nightly.max_examples
    """)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_marker_is_registered_and_selects(pytester, clean_env):
    pytester.makepyfile(test_marked="""
        import pytest

        @pytest.mark.equifuzz
        def test_marked():
            pass

        def test_unmarked():
            pass
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--strict-markers", "-m", "equifuzz")
    result.assert_outcomes(passed=1, deselected=1)
    markers = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.equifuzz: an equivariance property checked by equifuzz*"])


def test_fixtures(pytester, clean_env):
    pytester.makepyfile(test_fixtures="""
        from pathlib import Path

        def test_fixtures(pytestconfig, equifuzz_device, equifuzz_report_dir, equifuzz_batch_size):
            assert equifuzz_device in ("cpu", "cuda")
            assert equifuzz_report_dir == Path(pytestconfig.rootpath) / "out"
            assert equifuzz_report_dir.is_dir()
            assert equifuzz_batch_size == 65536
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--equifuzz-profile", "gpu",
                                          "--equifuzz-reports", str(pytester.path / "out"))
    result.assert_outcomes(passed=1)


PLANTED = """
import os
from hypothesis import given, strategies as st

@given(st.integers(0, 10**6))
def test_planted(n):
    with open(os.environ["EQUIFUZZ_CALL_LOG"], "a") as fh:
        fh.write(f"{n}\\n")
    assert n < 1000, "planted failure"
"""


def _calls(path) -> list[int]:
    return [int(line) for line in path.read_text().split()]


def test_nightly_stores_a_failure_and_replays_it_first(pytester, clean_env):
    """Nightly keeps the shrunk failure in .hypothesis/examples; the next run tries it on its first call."""
    pytester.makepyfile(test_planted=PLANTED)
    db = pytester.path / ".hypothesis" / "examples"
    first, second = pytester.path / "first.log", pytester.path / "second.log"

    clean_env.setenv("EQUIFUZZ_CALL_LOG", str(first))
    run1 = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--equifuzz-profile", "nightly")
    run1.assert_outcomes(failed=1)
    run1.stdout.fnmatch_lines(["*planted failure*", "*n=1000*"])
    calls1 = _calls(first)
    assert db.is_dir() and any(p.is_file() for p in db.rglob("*")), "the failure was not stored"

    clean_env.setenv("EQUIFUZZ_CALL_LOG", str(second))
    run2 = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--equifuzz-profile", "nightly")
    run2.assert_outcomes(failed=1)
    calls2 = _calls(second)
    assert calls2[0] == 1000, f"the stored failure was not replayed first: {calls2[:5]}"
    # the first run had to get there (generation, then shrinking); the second started from it
    assert calls1.index(1000) >= 1, calls1[:5]


def test_ci_profile_keeps_no_database(pytester, clean_env):
    pytester.makepyfile(test_planted=PLANTED)
    log = pytester.path / "ci.log"
    clean_env.setenv("EQUIFUZZ_CALL_LOG", str(log))
    clean_env.setenv("CI", "1")
    for _ in range(2):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*@reproduce_failure*"])  # print_blob
    assert not (pytester.path / ".hypothesis" / "examples").exists()
