"""The campaign turns its findings into report cases itself, and a report records the case's own seed,
which regenerates the case's network."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from equifuzz.builders.examples import example_a
from equifuzz.campaign.driver import (
    PROFILES,
    CaseSpec,
    Finding,
    _write_reports,
    enumerate_cases,
    example_checks,
    run_case,
)
from equifuzz.nets import ReLUNet
from equifuzz.report import write_case_report

MASTER_SEED = 3


def _folded_finding() -> tuple[CaseSpec, Finding]:
    spec = enumerate_cases(PROFILES["ci"], MASTER_SEED)[0]  # C2 rotation -> trivial: Example A's setting
    found = [f for f in run_case(spec, PROFILES["ci"]).findings if f.kind == "equivariant-not-layerwise"]
    assert found, spec.case_id
    return spec, found[0]


def _spec_from_report(data: dict) -> CaseSpec:
    """The case's setting from the report's name (its case id), and the seed from its environment."""
    group, reps_part = data["name"].split("/")[:2]
    rho_in, rho_out = reps_part.split("->")
    basis_change = rho_in.endswith("~Q")
    return CaseSpec(0, group, rho_in.removesuffix("~Q"), rho_out, basis_change, data["environment"]["seed"])


def test_a_campaign_report_records_the_case_seed(tmp_path: Path):
    spec, finding = _folded_finding()
    assert spec.seed != MASTER_SEED
    (folder,) = _write_reports([finding], tmp_path, "cpu")  # the campaign's own writer (minimizes)
    data = json.loads((folder / "report.json").read_text())
    assert data["environment"]["seed"] == spec.seed
    assert data["name"] == finding.case and data["minimization"]["original"]["width"] == finding.net.width


def test_a_reports_seed_regenerates_its_case(tmp_path: Path):
    spec, finding = _folded_finding()
    folder = write_case_report(finding.to_case(), out=tmp_path, budget=0)  # the case as found, not minimized
    data = json.loads((folder / "report.json").read_text())
    again = _spec_from_report(data)
    assert (again.group, again.rho_in, again.rho_out, again.basis_change, again.seed) == (
        spec.group, spec.rho_in, spec.rho_out, spec.basis_change, spec.seed)
    rebuilt = {f.case: f.net for f in run_case(again, PROFILES["ci"]).findings}[finding.case]
    reported = ReLUNet.from_dict(data["case"]["net"])
    for a, b in zip(rebuilt.float_params(), reported.float_params(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_findings_become_cases_of_the_property_they_are_about():
    ex = example_a()
    base = dict(case="C2/x->trivial/s7/folded", kind="claim-failed", net=ex.net, rho_in=ex.rho_in,
                rho_out=ex.rho_out, seed=7, summary={"detail": "d"})
    for claim, ours in (("T2", "layerwise"), ("T3", "layerwise"), ("layerwise", "layerwise"),
                        ("T1", "equivariant"), ("T5", "equivariant"), ("T6", "equivariant")):
        case = Finding(claim=claim, **base).to_case("cpu")  # type: ignore[arg-type]
        assert case.claim == ours and case.seed == 7 and case.name == base["case"]
        assert f"campaign claim {claim}" in case.description
    # a worked example is not drawn from a seed, so its report says none
    _, finding, _ = example_checks(ex)
    assert finding is not None and finding.seed is None and finding.to_case().seed is None
