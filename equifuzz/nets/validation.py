"""The argument checks of networks: a ReLUNet (or a torch ``Sequential(Linear, ReLU, Linear)`` read as one),
a network with its two representations, and a torch module whose function is exactly its weights.

They raise :class:`~equifuzz.errors.EquifuzzError` subclasses whose message names the argument, as the
checks of :mod:`equifuzz.errors.validation` do.
"""

from __future__ import annotations

from typing import Any

from ..errors.exceptions import InvalidArgument, ShapeError
from ..errors.validation import describe
from ..reps.finite import check_reps
from .relu_net import ReLUNet, from_torch

__all__ = ["torch_relu_net", "check_net", "check_net_and_reps", "check_dims"]


def _is_torch_module(value: Any) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return isinstance(value, torch.nn.Module)


def torch_relu_net(value: Any) -> tuple[Any, str] | None:
    """(ReLUNet, dtype) when ``value`` is a torch module whose function is exactly what its weights say:
    an ``nn.Sequential`` of exactly ``nn.Linear``, ``nn.ReLU``, ``nn.Linear`` (these classes, not subclasses
    that may compute something else), with real floating weights and no forward hooks; None otherwise.

    The weights are read exactly (float32, float16 and bfloat16 values are float64 values too)."""
    if not _is_torch_module(value):
        return None
    import torch
    import torch.nn as nn
    from torch.nn.modules import module as _module

    if type(value) is not nn.Sequential or len(value) != 3:
        return None
    layers = list(value)
    if [type(m) for m in layers] != [nn.Linear, nn.ReLU, nn.Linear]:
        return None
    hooks = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks")
    if any(getattr(m, h, None) for m in (value, *layers) for h in hooks):
        return None
    if getattr(_module, "_global_forward_hooks", None) or getattr(_module, "_global_forward_pre_hooks", None):
        return None
    params = [p for m in layers for p in m.parameters()]
    dtypes = {p.dtype for p in params}
    if len(dtypes) != 1 or not next(iter(dtypes)).is_floating_point or next(iter(dtypes)).is_complex:
        return None
    if any(p.is_meta for p in params):
        return None
    with torch.no_grad():
        net = from_torch(value)
    return net, str(next(iter(dtypes))).replace("torch.", "")


def check_net(name: str, value: Any) -> Any:
    """A ReLUNet; a torch ``Sequential(Linear, ReLU, Linear)`` is converted with ``from_torch``.

    Any other torch module or object is refused with a message saying what is accepted.
    """
    if isinstance(value, ReLUNet):
        return value
    if _is_torch_module(value):
        import torch.nn as nn

        layers = list(value) if isinstance(value, nn.Sequential) else []
        if (len(layers) == 3 and isinstance(layers[0], nn.Linear) and isinstance(layers[1], nn.ReLU)
                and isinstance(layers[2], nn.Linear)):
            return from_torch(value)
        raise InvalidArgument(
            f"{name} must be a ReLUNet or a torch nn.Sequential(nn.Linear, nn.ReLU, nn.Linear), got the torch "
            f"module {type(value).__name__}; for any other module use check_equivariant(module, ...) (sampled) "
            "or assert_equivariant")
    raise InvalidArgument(f"{name} must be a ReLUNet (or nn.Sequential(Linear, ReLU, Linear)), got {describe(value)}")


def check_net_and_reps(name: str, net: Any, rho_in: Any, rho_out: Any, *, continuous_ok: bool = False) -> Any:
    """The network (a ReLUNet, or converted from a torch Sequential) after checking the representations.

    Both representations must be of one group and match the network's input and output dimensions.
    """
    check_reps(rho_in, rho_out, continuous_ok=continuous_ok)
    net = check_net(name, net)
    check_dims(name, net.d, net.p, rho_in, rho_out)
    return net


def check_dims(name: str, d: int, p: int, rho_in: Any, rho_out: Any) -> None:
    """A network of input dimension ``d`` and output dimension ``p`` fits rho_in and rho_out."""
    if d != rho_in.dim:
        raise ShapeError(f"{name} takes inputs of dimension {d} but rho_in has dimension {rho_in.dim}")
    if p != rho_out.dim:
        raise ShapeError(f"{name} has {p} outputs but rho_out has dimension {rho_out.dim}")
