"""A float64 version of a module for the gate's rounding re-check, without copying the module.

The re-check of a float32 failure runs the module in float64. ``copy.deepcopy(module).double()`` does
that, but copying costs far more than the check itself for modules with generated code (e3nn
re-compiles every fx graph of a copy: 4-22 ms against about 0.1 ms for a call). :func:`as_float64`
returns instead a :class:`Float64View`: the module itself, called through
``torch.func.functional_call`` with float64 copies of its floating parameters and buffers (integer
ones copied). That is what ``.double()`` computes, and the module is left untouched (a buffer the
forward pass updates, such as BatchNorm's running statistics in training mode, is updated in the copy).

The view is used only where it provably sees the same numbers as the converted copy; otherwise the
module is copied and converted as before:

- no submodule overrides ``Module._apply`` (where ``.double()`` may convert state of its own);
- no submodule is TorchScript (its attributes are not swapped by ``functional_call``);
- no submodule holds a parameter or buffer under a plain attribute, or in a list, tuple or dict
  attribute (``.double()`` converts such aliases in place; the swapped names would not reach them).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch.func import functional_call

__all__ = ["Float64View", "as_float64", "viewable"]


class Float64View(torch.nn.Module):
    """``module`` called with float64 copies of its floating parameters and buffers."""

    module: torch.nn.Module
    state: dict[str, torch.Tensor]

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        object.__setattr__(self, "module", module)  # not a submodule: nothing done to the view reaches it
        state: dict[str, torch.Tensor] = {}
        for name, t in [*module.named_parameters(), *module.named_buffers()]:  # tied ones once: functional_call ties
            state[name] = (t.detach().to(torch.float64).requires_grad_(t.requires_grad) if t.is_floating_point()
                           else t.detach().clone())  # a counter the forward pass increments, too
        object.__setattr__(self, "state", state)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return functional_call(self.module, self.state, args, kwargs, tie_weights=True, strict=False)


def _aliases(module: torch.nn.Module, owned: set[int]) -> bool:
    for m in module.modules():
        for key, value in vars(m).items():
            if key in ("_parameters", "_buffers", "_modules"):
                continue
            items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) \
                else (value,)
            if any(isinstance(v, torch.Tensor) and id(v) in owned for v in items):
                return True
    return False


def viewable(module: torch.nn.Module) -> bool:
    """Whether :class:`Float64View` computes exactly what ``copy.deepcopy(module).double()`` computes
    (module docstring)."""
    for m in module.modules():
        if isinstance(m, torch.jit.ScriptModule) or type(m)._apply is not torch.nn.Module._apply:
            return False
    owned = {id(t) for t in [*module.parameters(), *module.buffers()]}
    return not _aliases(module, owned)


def as_float64(fn: Any) -> Any:
    """``fn`` computing in float64: a :class:`Float64View` of a module where it is exact, else a converted
    copy; a plain callable as it is (the gate casts its inputs)."""
    if not isinstance(fn, torch.nn.Module):
        return fn
    return Float64View(fn) if viewable(fn) else copy.deepcopy(fn).double()
