"""The layer contract of shared/DESIGN.md, kept as code: one package per layer, import-linter's contracts in
pyproject.toml hold with no exception, no import cycle among the modules, a package's __init__ only
re-exports its modules and no module imports its own package's __init__, and no module is over 600 lines."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import grimp

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: import-linter brings tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600
#: the top of equifuzz/: its faces (the pytest plugin, the command line, the lazy public names)
FACES = {"__init__.py", "cli.py", "plugin.py", "py.typed"}


def _contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def _graph(type_checking: bool = True) -> grimp.ImportGraph:
    sys.path.insert(0, str(ROOT))  # `strategies` (equifuzz.strategies when installed) as its folder
    try:
        return grimp.build_graph("equifuzz", "strategies", exclude_type_checking_imports=not type_checking,
                                 cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    report = out.stdout + out.stderr
    assert out.returncode == 0, report
    assert "4 kept, 0 broken" in report, report


def test_the_contract_has_no_exception_and_names_every_package():
    contracts = _contracts()
    assert not [c["name"] for c in contracts if c.get("ignore_imports")]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    assert not [layer for layer in layers if ":" in layer], "layers must be independent siblings (|), not ':'"
    named = {m.strip() for layer in layers for m in layer.split("|")}
    packages = {f"equifuzz.{p.name}" for p in (ROOT / "equifuzz").iterdir() if (p / "__init__.py").is_file()}
    faces = {f"equifuzz.{f.removesuffix('.py')}" for f in FACES if f.endswith(".py") and f != "__init__.py"}
    assert named == packages | faces | {"strategies"}


def test_the_top_level_holds_the_faces_and_one_package_per_layer():
    entries = {p.name for p in (ROOT / "equifuzz").iterdir() if p.name != "__pycache__"}
    modules = {e for e in entries if not (ROOT / "equifuzz" / e).is_dir()}
    assert modules == FACES
    for e in entries - modules:
        assert (ROOT / "equifuzz" / e / "__init__.py").is_file(), e
    assert len(entries) <= 20


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    adj = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(adj):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = len(index)
                stack.append(v)
                on.add(v)
            for j in range(i, len(adj[v])):
                w = adj[v][j]
                if w not in index:
                    work.append((v, j + 1))
                    work.append((w, 0))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
    return out


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"), ("p.d", "p.e")]:
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_no_import_cycle_among_the_modules():
    """Counting every import: at module level, inside functions, and those made only for type checking."""
    graph = _graph(type_checking=True)
    assert len([m for m in graph.modules if m.startswith("equifuzz.")]) > 80
    assert _cycles(graph) == []


def test_no_module_imports_its_own_package():
    graph = _graph()
    own = []
    for m in graph.modules:
        package = m.rpartition(".")[0]
        if package and package in graph.modules and package in graph.find_modules_directly_imported_by(m):
            own.append(f"{m} -> {package}")
    assert not own


def _only_re_exports(path: Path) -> list[str]:
    """The statements of a package's __init__ that are neither its docstring, imports of modules below it
    (or of another package's names), nor ``__all__``."""
    other = []
    for i, node in enumerate(ast.parse(path.read_text()).body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.ImportFrom) and node.level >= 1 or (
                isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            continue
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]:
            continue
        other.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return other


def test_a_package_init_only_re_exports_its_modules():
    inits = [p for p in (ROOT / "equifuzz").rglob("__init__.py") if p.parent != ROOT / "equifuzz"]
    inits.append(ROOT / "strategies" / "__init__.py")
    assert len(inits) >= 12
    assert [s for p in inits for s in _only_re_exports(p)] == []


def test_no_module_over_600_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
             for folder in ("equifuzz", "strategies") for p in (ROOT / folder).rglob("*.py")}
    assert len(sizes) > 40
    over = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not over, over


def test_the_readme_layout_shows_every_package_and_only_modules_that_exist():
    text = (ROOT / "README.md").read_text()
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    shown: set[str] = set()
    current: list[str] = []
    for line in block.splitlines()[2:]:  # after the language line and `equifuzz/`
        heads = [w.rstrip("/") for w in line[:32].split() if w.endswith("/")]  # the left column: package names
        if heads:
            current = heads
            shown |= set(heads)
        if line.startswith("  __init__.py"):
            current = [""]
        for group in re.findall(r"\(([A-Za-z_]\w*(?:, [A-Za-z_]\w*)*)\)", line):
            for name in (n.strip() for n in group.split(",")):
                where = [ROOT / "equifuzz" / p / f"{name}.py" for p in current]
                assert any(w.is_file() for w in where), f"README layout: no module {name} in {current}"
    packages = {p.name for p in (ROOT / "equifuzz").iterdir() if (p / "__init__.py").is_file()}
    assert shown == packages | {"strategies"}
