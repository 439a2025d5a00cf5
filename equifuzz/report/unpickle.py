"""Read a report's pickles (a gate report's ``case.pt``, ``module.pt`` and ``actions.pt``) whatever layout
of equifuzz's modules wrote them.

A pickle names each class and function by its module and name (``equifuzz.elements.Element``). Reports
written before the modules moved into one package per layer name the old modules; :data:`MOVED` lists,
for each old module, the modules that hold its code now, and :func:`load` resolves a name that the old
module no longer provides there. Names that still resolve are loaded as written.
"""

from __future__ import annotations

import importlib
import pickle
import types
from pathlib import Path
from typing import Any

import torch

__all__ = ["MOVED", "load"]

#: old module -> the modules its names live in now (first hit wins)
MOVED: dict[str, tuple[str, ...]] = {
    "equifuzz.errors": ("equifuzz.errors.exceptions",),
    "equifuzz.validation": ("equifuzz.errors.validation", "equifuzz.groups.validation", "equifuzz.reps.finite",
                            "equifuzz.nets.validation"),
    "equifuzz.groups": ("equifuzz.groups.finite", "equifuzz.groups.families", "equifuzz.groups.closure",
                        "equifuzz.groups.continuous", "equifuzz.groups.validation"),
    "equifuzz.group_closure": ("equifuzz.groups.closure",),
    "equifuzz.continuous_groups": ("equifuzz.groups.continuous",),
    "equifuzz.subgroup_lattice": ("equifuzz.groups.lattice",),
    "equifuzz.elements": ("equifuzz.groups.elements",),
    "equifuzz.reps": ("equifuzz.reps.finite", "equifuzz.reps.families", "equifuzz.reps.characters",
                      "equifuzz.reps.continuous"),
    "equifuzz.characters": ("equifuzz.reps.characters",),
    "equifuzz.continuous_reps": ("equifuzz.reps.continuous",),
    "equifuzz.linalg": ("equifuzz.reps.linalg",),
    "equifuzz.nets": ("equifuzz.nets.relu_net",),
    "equifuzz.canonical": ("equifuzz.nets.canonical",),
    "equifuzz.exact": ("equifuzz.nets.exact",),
    "equifuzz.certificate": ("equifuzz.certificate.checker",),
    "equifuzz.builders": ("equifuzz.builders.networks",),
    "equifuzz.examples": ("equifuzz.builders.examples",),
    "equifuzz.catalog": ("equifuzz.builders.catalog",),
    "equifuzz.campaign": ("equifuzz.campaign.driver",),
    "equifuzz.engines": ("equifuzz.campaign.engines",),
    "equifuzz.profiles": ("equifuzz.profiles.records",),
    "equifuzz.report.campaign_summary": ("equifuzz.campaign.summary",),
    "equifuzz.report.compensation": ("equifuzz.campaign.compensation",),
}


def _moved(module: str, name: str) -> Any:
    """``name`` from the first module of ``MOVED[module]`` that has it (``name`` may be dotted: a method)."""
    for target in MOVED.get(module, ()):
        obj: Any = importlib.import_module(target)
        try:
            for part in name.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    return None


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            found = _moved(module, name)
            if found is None:
                raise
            return found


#: the pickle module handed to ``torch.load``: the standard one, with names of old modules resolved
pickle_module = types.ModuleType("equifuzz_report_pickle")
pickle_module.Unpickler = _Unpickler  # type: ignore[attr-defined]
pickle_module.load = lambda f, **kw: _Unpickler(f, **kw).load()  # type: ignore[attr-defined]
pickle_module.loads = pickle.loads  # type: ignore[attr-defined]


def load(path: str | Path) -> Any:
    """``torch.load(path)`` of a report's pickle (whole objects, not only weights), old module names mapped."""
    return torch.load(path, weights_only=False, pickle_module=pickle_module)
