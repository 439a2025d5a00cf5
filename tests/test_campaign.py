"""The campaign: every claim holds on the embedded default, results are reproducible and sharding-independent."""

from __future__ import annotations

import json

import pytest

from equifuzz.campaign.driver import CLAIMS, PROFILES, enumerate_cases, load_summary, run_campaign
from equifuzz.cli import main


@pytest.fixture(scope="module")
def ci_campaign(tmp_path_factory):
    out = tmp_path_factory.mktemp("campaign")
    return run_campaign("ci", seed=3, out=out, workers=1, progress=False, sweep=False)


def test_every_claim_holds_on_the_ci_default(ci_campaign):
    claims = ci_campaign.summary["claims"]
    assert set(claims) == set(CLAIMS)
    for cid, c in claims.items():
        if cid == "RISK":  # the sweep is off here; tests/test_search.py checks the risk table
            assert c["status"] == "untested"
            continue
        assert c["status"] == "holds", (cid, c["failed_cases"])
        assert c["checks"] > 0


def test_examples_match_reference_widths(ci_campaign):
    ex = ci_campaign.summary["examples"]
    assert (ex["example_a"]["lower"], ex["example_a"]["upper"], ex["example_a"]["naive_upper"]) == (6, 6, 6)
    assert (ex["example_b"]["lower"], ex["example_b"]["upper"], ex["example_b"]["naive_upper"]) == (12, 12, 24)
    assert ex["example_a"]["equivariant"] and not ex["example_a"]["layerwise"]


def test_counterexamples_are_equivariant_but_not_layerwise(ci_campaign):
    cx = ci_campaign.summary["counterexamples"]
    kinds = {c["kind"] for c in cx}
    assert kinds == {"equivariant-not-layerwise"}
    assert {"example_a", "example_b"} <= {c["case"] for c in cx}
    for c in cx:
        assert c["width"] < c["lower"] <= c["upper"]


def test_same_seed_gives_byte_identical_summary_across_shardings(ci_campaign, tmp_path):
    again = run_campaign("ci", seed=3, out=tmp_path, workers=2, progress=False, sweep=False)
    first = (ci_campaign.out / "summary.json").read_bytes()
    assert (again.out / "summary.json").read_bytes() == first
    other = run_campaign("ci", seed=4, out=tmp_path / "other", workers=1, progress=False, sweep=False)
    assert (other.out / "summary.json").read_bytes() != first


def test_outputs_written(ci_campaign):
    out = ci_campaign.out
    assert (out / "summary.md").read_text().startswith("# equifuzz campaign")
    assert (out / "compensation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert load_summary(out)["schema_version"] == 1


def test_case_enumeration_is_deterministic():
    a = enumerate_cases(PROFILES["dev"], 0)
    assert a == enumerate_cases(PROFILES["dev"], 0)
    assert [c.seed for c in a] != [c.seed for c in enumerate_cases(PROFILES["dev"], 1)]
    assert len({c.case_id for c in a}) == len(a)


def test_budget_is_stated(tmp_path):
    res = run_campaign("ci", seed=0, out=tmp_path, workers=1, progress=False, sweep=False, budget=1e-9)
    assert res.summary["complete"] is False
    assert res.summary["cases_run"] < res.summary["cases_planned"]
    assert "budget ran out" in res.markdown


def test_cli_claims_reads_last_campaign(ci_campaign, capsys):
    assert main(["claims", "--out", str(ci_campaign.out)]) == 0
    text = capsys.readouterr().out
    assert "T5" in text and "holds" in text


def test_cli_claims_without_campaign(tmp_path, capsys):
    assert main(["claims", "--out", str(tmp_path)]) == 2
    assert "equifuzz fuzz" in capsys.readouterr().err


def test_summary_is_json_with_claim_statements(ci_campaign):
    data = json.loads((ci_campaign.out / "summary.json").read_text())
    assert data["claims"]["T4"]["statement"] == CLAIMS["T4"]
