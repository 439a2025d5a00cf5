"""The identity of the function under test, for naming its failure reports.

A report folder is named by a hash of everything that determines the failure; the function's part is
its fingerprint: for a ``torch.nn.Module`` the class (module and qualified name), every parameter and
buffer (name, dtype, shape and bytes) and the plain attributes (numbers, strings, flags) of every
submodule; for a plain callable its qualified name, code, defaults and the values it closes over
(tensors and arrays by their bytes, modules by their fingerprint). Two functions that differ in any
of these get different reports; the same function gets the same fingerprint in every process.
"""

from __future__ import annotations

import hashlib
import types
from typing import Any

import numpy as np
import torch

__all__ = ["fingerprint"]

_PLAIN = (bool, int, float, complex, str, bytes, type(None))
_MODULE_INTERNALS = {"_parameters", "_buffers", "_modules", "training"}


def _safe_repr(obj: Any) -> str:
    try:
        return repr(obj)
    except Exception:
        return "<no repr>"


def _update(h: Any, obj: Any, depth: int, seen: set[int]) -> None:
    if depth > 8 or id(obj) in seen and not isinstance(obj, _PLAIN):
        h.update(b"<seen>")
        return
    if isinstance(obj, _PLAIN):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
        return
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        t = obj.detach()
        h.update(f"tensor:{t.dtype}:{tuple(t.shape)}:".encode())
        if t.device.type == "meta":
            return
        t = t.cpu().contiguous()
        if t.is_complex():
            t = torch.view_as_real(t)
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(obj, np.ndarray):
        h.update(f"ndarray:{obj.dtype}:{obj.shape}:".encode())
        h.update(np.ascontiguousarray(obj).tobytes() if obj.dtype != object else repr(obj).encode())
    elif isinstance(obj, torch.nn.Module):
        h.update(f"module:{type(obj).__module__}.{type(obj).__qualname__}:{obj.training}:".encode())
        for name, p in obj.named_parameters(recurse=False):
            h.update(name.encode())
            _update(h, p, depth + 1, seen)
        for name, b in obj.named_buffers(recurse=False):
            h.update(name.encode())
            _update(h, b, depth + 1, seen)
        for key in sorted(k for k in vars(obj) if k not in _MODULE_INTERNALS and not k.startswith("_")):
            v = vars(obj)[key]
            if isinstance(v, (_PLAIN, tuple, list, dict, torch.Tensor, np.ndarray)):
                h.update(key.encode())
                _update(h, v, depth + 1, seen)
        for name, child in obj.named_children():
            h.update(f"child:{name}:".encode())
            _update(h, child, depth + 1, seen)
    elif isinstance(obj, (tuple, list)) and type(obj) not in (tuple, list):  # Irreps, named tuples
        h.update(f"{type(obj).__module__}.{type(obj).__qualname__}:{_safe_repr(obj)}".encode())
    elif isinstance(obj, (tuple, list)):
        h.update(f"{type(obj).__name__}[{len(obj)}]".encode())
        for v in obj:
            _update(h, v, depth + 1, seen)
    elif isinstance(obj, dict):
        h.update(f"dict[{len(obj)}]".encode())
        for k in sorted(obj, key=repr):
            h.update(repr(k).encode())
            _update(h, obj[k], depth + 1, seen)
    elif isinstance(obj, types.MethodType):
        _update(h, obj.__func__, depth + 1, seen)
        _update(h, obj.__self__, depth + 1, seen)
    elif isinstance(obj, types.FunctionType):
        h.update(f"function:{obj.__module__}.{obj.__qualname__}:".encode())
        _update(h, obj.__code__, depth + 1, seen)
        _update(h, obj.__defaults__, depth + 1, seen)
        for cell in obj.__closure__ or ():
            try:
                _update(h, cell.cell_contents, depth + 1, seen)
            except ValueError:  # an empty cell
                h.update(b"<empty cell>")
    elif isinstance(obj, types.CodeType):
        h.update(obj.co_code)
        h.update(repr(obj.co_names).encode())
        for c in obj.co_consts:
            _update(h, c, depth + 1, seen)
    else:
        h.update(f"object:{type(obj).__module__}.{type(obj).__qualname__}:".encode())
        state = getattr(obj, "__dict__", None)
        if isinstance(state, dict):
            _update(h, {k: v for k, v in state.items() if isinstance(v, (_PLAIN, tuple, list, dict, torch.Tensor,
                                                                          np.ndarray, torch.nn.Module))},
                    depth + 1, seen)


def fingerprint(fn: Any) -> str:
    """SHA-256 (hex) of what determines ``fn``'s outputs, as far as it can be read (module docstring)."""
    h = hashlib.sha256()
    _update(h, fn, 0, set())
    return h.hexdigest()
