"""The recipes in examples/ run as a maintainer would run them: pytest on the copied files in a fresh
process (the plugin loaded from its entry point), in a folder of their own so their reports stay there."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_recipes_pass_as_copied(pytester):
    files = sorted(EXAMPLES.glob("test_*.py"))
    assert {p.name for p in files} >= {"test_e3nn_gate.py", "test_egnn_gate.py", "test_mace_forces_gate.py"}
    pytester.makepyfile(**{p.stem: p.read_text() for p in files})
    result = pytester.runpytest_subprocess("-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                                           "--equifuzz-reports", str(pytester.path / "reports"))
    n_tests = sum(ln.startswith("def test_") for p in files for ln in p.read_text().splitlines())
    result.assert_outcomes(passed=n_tests)
    # the planted defects left their reports in the folder given, each replayable
    assert len(list((pytester.path / "reports").glob("gate-*/repro.py"))) >= 2
