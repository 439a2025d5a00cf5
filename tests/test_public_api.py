"""Every name the README uses exists: the public API kept its names when the modules moved into one package
per layer (ef.groups.cyclic, ef.reps.regular, ef.ReLUNet, ef.check_equivariant, the strategies as efs, the
adapters, the plugin's entry point, the exceptions)."""

from __future__ import annotations

import importlib
import re
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
DEFAULT_ALIASES = {"ef": ["equifuzz"], "efs": ["equifuzz.strategies"]}
IMPORT_AS = re.compile(r"^\s*from\s+(equifuzz[\w.]*)\s+import\s+(\w+)\s+as\s+(\w+)", re.M)
IMPORT_MODULE_AS = re.compile(r"^\s*import\s+(equifuzz[\w.]*)\s+as\s+(\w+)", re.M)
FROM_IMPORT = re.compile(r"^\s*from\s+(equifuzz[\w.]*)\s+import\s+([\w ,]+?)\s*(?:#.*)?$", re.M)
REFERENCE = re.compile(r"(?<![\w.])((?:equifuzz|ef|efs|efe)(?:\.[A-Za-z_]\w*)+)")


def _sections() -> list[str]:
    return re.split(r"^## ", README.read_text(), flags=re.M)


def _resolve(base: str, attrs: list[str]) -> Any:
    """``base.attrs[0].attrs[1]...``: a module, then attributes, importing submodules on the way."""
    obj: Any = importlib.import_module(base)
    name = base
    for a in attrs:
        name = f"{name}.{a}"
        if hasattr(obj, a):
            obj = getattr(obj, a)
        else:
            obj = importlib.import_module(name)  # a submodule (raises when there is none)
    return obj


def _references() -> list[tuple[str, list[str], list[str]]]:
    """(reference, candidate modules for its first part, its attributes), per README section."""
    out = []
    for text in _sections():
        aliases = {k: list(v) for k, v in DEFAULT_ALIASES.items()}
        for module, name, alias in IMPORT_AS.findall(text):
            aliases.setdefault(alias, []).append(f"{module}.{name}")
        for module, alias in IMPORT_MODULE_AS.findall(text):
            aliases.setdefault(alias, []).append(module)
        for ref in sorted(set(REFERENCE.findall(text))):
            head, *attrs = ref.split(".")
            if ref.startswith("equifuzz."):
                head = "equifuzz"
            out.append((ref, aliases.get(head, ["equifuzz"] if head == "equifuzz" else []), attrs))
    return out


REFERENCES = _references()


def test_the_readme_names_the_public_api():
    refs = {r for r, _, _ in REFERENCES}
    assert {"ef.groups.cyclic", "ef.reps.regular", "ef.ReLUNet", "ef.check_equivariant", "ef.check_layerwise",
            "ef.realizability", "ef.compensate", "ef.equivalent", "ef.len_dimension", "ef.assert_equivariant",
            "efs.rep_pairs", "efs.equivariant_nets", "efs.mutants"} <= refs
    assert len(REFERENCES) > 40


@pytest.mark.parametrize("ref,candidates,attrs", REFERENCES, ids=[r for r, _, _ in REFERENCES])
def test_every_name_the_readme_uses_resolves(ref, candidates, attrs):
    assert candidates, f"{ref}: no import in its README section binds {ref.split('.')[0]}"
    errors = []
    for base in candidates:
        try:
            _resolve(base, attrs)
            return
        except (ImportError, AttributeError) as exc:
            errors.append(f"{base}: {type(exc).__name__}: {exc}")
    pytest.fail(f"{ref} does not resolve: {errors}")


def test_every_from_import_in_the_readme_works():
    lines = FROM_IMPORT.findall(README.read_text())
    assert len(lines) >= 4
    for module, names in lines:
        mod = importlib.import_module(module)
        for part in names.split(","):
            name = part.split(" as ")[0].strip()
            assert hasattr(mod, name) or importlib.import_module(f"{module}.{name}"), f"from {module} import {name}"


def test_the_faces_keep_their_entry_points():
    import equifuzz as ef
    from equifuzz import strategies as efs

    assert ef.groups.cyclic(4).order == 4 and ef.reps.regular(ef.groups.cyclic(3)).dim == 3
    assert issubclass(ef.EquifuzzError, Exception) and ef.errors.ShapeError.__mro__[1] is ef.EquifuzzError
    assert callable(efs.rep_pairs) and callable(ef.check_equivariant) and isinstance(ef.ReLUNet, type)
    eps = metadata.entry_points()
    (plugin,) = [ep for ep in eps.select(group="pytest11") if ep.name == "equifuzz"]
    (cli,) = [ep for ep in eps.select(group="console_scripts") if ep.name == "equifuzz"]
    assert importlib.import_module(plugin.value).__name__ == "equifuzz.plugin"
    assert callable(cli.load())
