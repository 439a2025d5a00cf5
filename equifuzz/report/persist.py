"""Save the function under test so that a report replays it in a fresh interpreter.

``torch.save`` pickles classes and functions by reference (module and name), which a fresh process can
resolve only for code it can import. Code defined in a script (``__main__``), in a test file or in any
module that is not part of an installed distribution is therefore pickled by value with cloudpickle
(class bodies, methods and the helpers they use travel in ``module.pt``); installed libraries (torch,
e3nn, equifuzz, ...) stay by reference. Loading needs only torch and cloudpickle, both dependencies.
"""

from __future__ import annotations

import functools
import importlib.metadata
import io
import sys
import types
from pathlib import Path
from typing import Any

import torch

__all__ = ["save_function", "by_value_modules"]


@functools.cache
def _installed_top_levels() -> frozenset[str]:
    return frozenset(importlib.metadata.packages_distributions()) | {"equifuzz"}


def _defining_modules(fn: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(fn, torch.nn.Module):
        names |= {type(m).__module__ for m in fn.modules()}
        for m in fn.modules():  # forward hooks or patched methods defined elsewhere
            for v in vars(m).values():
                if isinstance(v, (types.FunctionType, types.MethodType)):
                    names.add(v.__module__)
    elif isinstance(fn, types.MethodType):
        names |= _defining_modules(fn.__self__) | {fn.__func__.__module__}
    elif isinstance(fn, (list, tuple)):  # several objects saved together (a report's actions)
        for v in fn:
            names |= _defining_modules(v)
    else:
        names.add(getattr(fn, "__module__", None) or type(fn).__module__)
    return {n for n in names if n}


def by_value_modules(fn: Any) -> list[types.ModuleType]:
    """The loaded modules defining parts of ``fn`` that a fresh interpreter may not import."""
    out = []
    for name in sorted(_defining_modules(fn)):
        top = name.split(".")[0]
        if name == "__main__" or top in sys.stdlib_module_names or top in _installed_top_levels():
            continue  # cloudpickle pickles __main__ by value anyway
        mod = sys.modules.get(name)
        if mod is not None:
            out.append(mod)
    return out


def save_function(fn: Any, path: Path) -> str | None:
    """Write ``fn`` to ``path`` (torch.save with cloudpickle); ``None`` on success, else why it failed."""
    import cloudpickle

    mods = by_value_modules(fn)
    registered = []
    buf = io.BytesIO()
    try:
        for m in mods:
            try:
                cloudpickle.register_pickle_by_value(m)
                registered.append(m)
            except ValueError:  # already registered by the caller, or not importable by name
                pass
        torch.save(fn, buf, pickle_module=cloudpickle)
    except Exception as exc:  # lambdas over C objects, open files, ...: the caller passes the function
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        for m in registered:
            cloudpickle.unregister_pickle_by_value(m)
    path.write_bytes(buf.getvalue())
    return None
