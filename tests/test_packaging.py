"""The installed distribution ships ``strategies/`` as ``equifuzz.strategies``, the plugin and the CLI."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _assert_from_top_level(strategies_file: Path) -> None:
    """An editable install maps equifuzz.strategies onto ROOT/strategies; a built one holds a copy."""
    source = ROOT / "strategies" / "__init__.py"
    if strategies_file.resolve() != source:
        assert strategies_file.parts[-3:] == ("equifuzz", "strategies", "__init__.py")
        assert strategies_file.read_bytes() == source.read_bytes()


def test_strategies_resolve_to_the_top_level_folder():
    from equifuzz import strategies as efs

    _assert_from_top_level(Path(efs.__file__))
    for name in efs.__all__:
        assert getattr(efs, name) is not None


def test_strategies_import_from_the_installed_package(tmp_path):
    """From a folder outside the checkout, so that nothing is found through the working directory."""
    code = "import equifuzz.strategies as s, equifuzz; print(s.__file__); print(equifuzz.__file__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    strategies_file, equifuzz_file = (Path(line) for line in out.stdout.split())
    _assert_from_top_level(strategies_file)
    if strategies_file.resolve() == ROOT / "strategies" / "__init__.py":  # editable: mapped in place
        assert equifuzz_file.resolve() == ROOT / "equifuzz" / "__init__.py"
    else:  # built: a subpackage of the installed equifuzz
        assert equifuzz_file.parent == strategies_file.parent.parent
    assert metadata.distribution("equifuzz").metadata["Name"] == "equifuzz"


def test_installed_entry_points():
    eps = metadata.entry_points()
    assert any(ep.value == "equifuzz.plugin" for ep in eps.select(group="pytest11", name="equifuzz"))
    assert any(ep.value == "equifuzz.cli:main" for ep in eps.select(group="console_scripts", name="equifuzz"))


def _copy_project(dest: Path) -> Path:
    """The files a wheel is built from, copied so that the build leaves the checkout untouched."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("equifuzz", "strategies"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    return dest


def test_wheel_contents(tmp_path):
    import setuptools  # the build backend; --no-build-isolation builds with the installed one
    major = int(setuptools.__version__.split(".")[0])
    assert major >= 68, f"pyproject.toml requires setuptools>=68, the environment has {setuptools.__version__}"
    src = _copy_project(tmp_path / "src")
    out = tmp_path / "wheels"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
           "-q", "-w", str(out), str(src)]
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)
    (wheel,) = out.glob("equifuzz-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "equifuzz/strategies/__init__.py" in names
        assert {"equifuzz/strategies/_groups.py", "equifuzz/strategies/_reps.py"} <= names
        assert "equifuzz/__init__.py" in names and "equifuzz/py.typed" in names
        modules = {str(f.relative_to(ROOT)) for f in (ROOT / "equifuzz").rglob("*.py") if "__pycache__" not in f.parts}
        assert len(modules) > 80 and modules <= names, sorted(modules - names)  # every package of every layer
        assert not any(n.startswith("strategies/") for n in names)  # mapped, not shipped top level
        assert not any(n.startswith("tests/") for n in names)
        (ep_name,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points = configparser.ConfigParser()
        entry_points.read_string(zf.read(ep_name).decode())
    assert entry_points["pytest11"]["equifuzz"] == "equifuzz.plugin"
    assert entry_points["console_scripts"]["equifuzz"] == "equifuzz.cli:main"
