"""Report folders: content hash names, atomic writes, determinism, JSON schema, repro/example scripts."""

from __future__ import annotations

import json
import runpy
import struct
from pathlib import Path

import pytest

from equifuzz import ReLUNet, compensate, groups, reps
from equifuzz.builders.examples import example_a, example_b
from equifuzz.report import REPORT_SCHEMA, FailureCase, SchemaError, minimize, validate, write_report, writers
from equifuzz.report.writers import render_repro, report_folder_name

from ._support import planted_case, run_script

TEXT_FILES = ("report.md", "report.json", "repro.py", "example.py")


def _example_case(which: str = "a") -> FailureCase:
    ex = example_a() if which == "a" else example_b()
    return FailureCase(ex.net, ex.rho_in, ex.rho_out, claim="layerwise", name=ex.name)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_report_folder_has_every_file_and_a_valid_schema(tmp_path: Path) -> None:
    folder = write_report(minimize(planted_case(0, 7)), tmp_path)
    assert folder.name == report_folder_name(minimize(planted_case(0, 7)).case)
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([*TEXT_FILES, "figure.png"])
    data = json.loads((folder / "report.json").read_text())
    validate(data)
    assert data["schema_version"] == 1 and data["id"].startswith(folder.name.split("-", 1)[1])
    assert data["holds"] is False and data["claim"] == "layerwise"
    assert data["element"]["word"] and data["environment"]["dtype"] == "fraction"
    assert set(data["environment"]["versions"]) == {"equifuzz", "numpy", "torch", "hypothesis", "python"}
    assert data["minimization"]["original"]["width"] == 39
    md = (folder / "report.md").read_text()
    for needle in ("## Group", "## Representations", "Decomposition into real irreducibles", "## Network",
                   "## Environment", "Offending element", "tolerance", "## Minimization"):
        assert needle in md
    png_size(folder / "figure.png")


def test_schema_validator_rejects_bad_documents(tmp_path: Path) -> None:
    data = json.loads((write_report(_example_case(), tmp_path) / "report.json").read_text())
    validate(data)
    assert REPORT_SCHEMA["$schema"].endswith("2020-12/schema")
    for breaker, needle in [
        (lambda d: d.pop("claim"), "missing required key 'claim'"),
        (lambda d: d.__setitem__("schema_version", 2), "expected 1"),
        (lambda d: d["network"].__setitem__("width", "3"), "expected integer"),
        (lambda d: d.__setitem__("claim", "invariant"), "is not one of"),
        (lambda d: d.__setitem__("surprise", 1), "unexpected key 'surprise'"),
        (lambda d: d["representations"]["rho_in"].__setitem__("dim", None), "$.representations.rho_in.dim"),
    ]:
        bad = json.loads(json.dumps(data))
        breaker(bad)
        with pytest.raises(SchemaError, match=None) as exc:
            validate(bad)
        assert needle in str(exc.value)


def test_interrupted_write_leaves_no_report_and_no_junk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _example_case()

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("disk full while drawing")

    monkeypatch.setattr(writers, "write_figure", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_report(case, tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither the final folder nor a temporary one
    monkeypatch.undo()
    folder = write_report(case, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]


def test_different_failures_never_share_a_folder_and_the_same_one_is_not_duplicated(tmp_path: Path) -> None:
    a = _example_case("a")
    b = _example_case("b")
    planted = minimize(planted_case(0, 7)).case
    other = minimize(planted_case(1, 0)).case
    as_equivariant = planted.replace(claim="equivariant")
    folders = [write_report(c, tmp_path) for c in (a, b, planted, other, as_equivariant)]
    assert len({f.name for f in folders}) == 5
    before = {p.name: p.read_bytes() for p in folders[0].iterdir()}
    again = write_report(_example_case("a").replace(name="renamed", seed=7), tmp_path)  # same content
    assert again == folders[0]
    assert {p.name: p.read_bytes() for p in again.iterdir()} == before  # untouched, not overwritten
    assert len([p for p in tmp_path.iterdir()]) == 5
    # a one-weight change is a different failure
    W1 = [[1, 0], [0, 1], [-1, -2]]
    c = FailureCase(ReLUNet(W1, None, [[1, 1, 1]], None), a.rho_in, a.rho_out, claim="layerwise")
    assert write_report(c, tmp_path).name not in {f.name for f in folders}


def test_reports_are_byte_deterministic(tmp_path: Path) -> None:
    m = minimize(planted_case(0, 7))
    f1 = write_report(m, tmp_path / "one")
    f2 = write_report(minimize(planted_case(0, 7)), tmp_path / "two")
    assert f1.name == f2.name
    for name in TEXT_FILES:
        assert (f1 / name).read_bytes() == (f2 / name).read_bytes(), name
    assert (f1 / "figure.png").read_bytes() == (f2 / "figure.png").read_bytes()
    # the case as replay rebuilds it has the same id
    assert m.case.digest() == m.case.normalized().digest()


def test_repro_exit_codes_for_example_a(tmp_path: Path) -> None:
    folder = write_report(_example_case("a"), tmp_path)
    res = run_script(folder / "repro.py")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "NOT layer-wise equivariant" in res.stdout
    case = _example_case("a")
    fixed = case.replace(net=compensate(case.net, case.rho_in, case.rho_out))  # width 6, layer-wise
    script = tmp_path / "fixed.py"
    script.write_text(render_repro(fixed))
    res = run_script(script)
    assert res.returncode == 0, res.stdout + res.stderr


def test_repro_of_an_equivariance_failure_prints_the_input(tmp_path: Path) -> None:
    m = minimize(planted_case(0, 7, claim="equivariant"))
    folder = write_report(m, tmp_path)
    res = run_script(folder / "repro.py")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "at x = " in res.stdout
    data = json.loads((folder / "report.json").read_text())
    cx = data["counterexample"]
    assert cx["exact"] and cx["error"] > cx["tolerance"] == 0.0


def test_repro_imports_only_equifuzz_and_numpy(tmp_path: Path) -> None:
    folder = write_report(_example_case("b"), tmp_path)
    text = (folder / "repro.py").read_text()
    imports = {line.split()[1] for line in text.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"sys", "fractions", "numpy", "equifuzz"}
    assert run_script(folder / "repro.py").returncode == 1


def test_example_py_builds_the_case_and_the_decorator(tmp_path: Path) -> None:
    folder = write_report(_example_case("a"), tmp_path)
    ns = runpy.run_path(str(folder / "example.py"))
    kw = ns["equifuzz_case"]()
    assert set(kw) == {"net", "rho_in", "rho_out"}
    assert kw["net"].width == 3 and kw["rho_in"].group.order == 2
    assert callable(ns["EXAMPLE"])
    assert "@example(**equifuzz_case())" in (folder / "example.py").read_text()


def test_figure_of_a_compensation_sweep(tmp_path: Path) -> None:
    G = groups.cyclic(2)
    rho = reps.from_generators(G, [-__import__("numpy").eye(3)])
    net = ReLUNet([[1, 0, 0]], None, [[1]], None)
    case = FailureCase(net, rho, reps.trivial(G), claim="equivariant", sweep=((1, 0.3), (2, 0.0)))
    folder = write_report(case, tmp_path)
    w, h = png_size(folder / "figure.png")
    assert w > 0 and h > 0
    no_figure = case.replace(sweep=())
    folder = write_report(no_figure, tmp_path / "none")
    assert not (folder / "figure.png").exists()
    assert "figure.png" not in json.loads((folder / "report.json").read_text())["files"]


def test_write_case_report_takes_only_failure_cases(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from equifuzz import EquifuzzError
    from equifuzz.report import write_case_report

    ex = example_a()
    finding = SimpleNamespace(case="cyclic2/folded", claim="layerwise", net=ex.net, rho_in=ex.rho_in,
                              rho_out=ex.rho_out, seed=5)
    with pytest.raises(EquifuzzError, match="case to be an equifuzz.report.FailureCase, got SimpleNamespace"):
        write_case_report(finding, out=tmp_path)  # type: ignore[arg-type]
    case = FailureCase(ex.net, ex.rho_in, ex.rho_out, claim="layerwise", name="example_a", seed=5)
    data = json.loads((write_case_report(case, out=tmp_path, budget=0) / "report.json").read_text())
    assert data["name"] == "example_a" and data["environment"]["seed"] == 5 and data["network"]["width"] == 3
