"""A function under test, called on blocks of inputs, and the action of group elements on blocks.

``Probe`` calls the function on float64 blocks cast to its own dtype and device and returns float64
outputs on that device. An :class:`Action` says how an element acts on one block (the gate builds them
from representations, Irreps, points and node-indexed blocks); ``measure`` and ``compare`` turn f(x) and
f(g.x) into the measured error of :mod:`equifuzz.oracles.error`. Node permutations act on tensors
through ``permute_axis`` (node-indexed entries) and ``relabel_indices`` (edge lists and other node
indices).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors.exceptions import RepresentationError, ShapeError
from ..groups.elements import Element
from ..oracles.error import Measure, equivariance_error

__all__ = ["Action", "Fixed", "Probe", "transform_inputs", "measure", "compare", "check_shapes", "permute_axis",
           "relabel_indices", "node_permutation"]


class Action(abc.ABC):
    """The action of group elements on one input or output block: the extension point of the gate.

    A subclass needs only :meth:`apply` (g acting on a tensor, differentiably, on the tensor's device).
    The gate also uses, when present: ``dim`` (the size of the last axis, checked on outputs; ``None``:
    no check), ``transforms`` (False: the block is passed as given), ``permutes``/``translates`` (node
    permutations, translations of points), :meth:`draw` (random inputs; the default draws (n, dim)
    Gaussians; ``variants`` kinds of inputs, e.g. one per image size), :meth:`nodes` and
    :meth:`describe`. A report records, per block, :meth:`record` (data: the element's matrix for the
    built-in linear actions, whose ``records_matrix`` is True; otherwise the action's own description)
    and the action object itself, pickled beside the case, so that a replay applies the recorded
    element through the very same ``apply``.
    """

    name: str = "block"
    dim: int | None = None
    transforms: bool = True
    #: acted on by node permutations
    permutes: bool = False
    #: moved by an element's translation (blocks of points)
    translates: bool = False
    #: ``matrix(g)`` is exactly what ``apply`` does on the last axis, so a report may store the matrix alone
    records_matrix: bool = False
    #: how many kinds of inputs :meth:`draw` makes (``variant`` 0 .. variants-1; e.g. one per image size)
    variants: int = 1

    def matrix(self, g: Element) -> np.ndarray:
        """The matrix g acts by on this block (linear actions only)."""
        raise RepresentationError(f"block {self.name} is not acted on by a matrix")

    @abc.abstractmethod
    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        """g acting on the block x."""

    def draw(self, n: int, gen: torch.Generator, variant: int = 0) -> torch.Tensor:
        """``n`` random float64 inputs for this block (on the CPU; the gate moves them to the device)."""
        if self.dim is None:
            raise ShapeError(f"the gate cannot draw inputs for block {self.name}: its action declares no shape "
                             "(no dim and no draw()); pass inputs=, or define draw(n, gen, variant) on the action")
        return torch.randn(n, self.dim, generator=gen, dtype=torch.float64)

    def nodes(self) -> dict[str, Any] | None:
        """How node permutations act on this block, as data: None, or {"kind": "node-wise", "axis": a},
        {"kind": "edge index"}, {"kind": "adjacency", "axes": [a, b]}."""
        return None

    def describe(self, g: Element) -> str:
        """What g does to this block, in words (for reports)."""
        return f"{type(self).__name__} {self.name} under {g.label}"

    def record(self, g: Element) -> dict[str, Any]:
        """What g does to this block, as data a report stores: the matrix and translation of a linear
        action on the last axis (``records_matrix``), else the action's description (the replay then
        calls the pickled action itself); and the node action."""
        moves = self.transforms
        if moves and not self.records_matrix:
            return {"name": self.name, "matrix": None, "translation": None, "nodes": self.nodes(),
                    "replay": "action", "action": self.describe(g)}
        return {"name": self.name, "matrix": self.matrix(g) if moves else None,
                "translation": g.translation if moves and self.translates else None, "nodes": self.nodes()}


@dataclass(eq=False)
class Fixed(Action):
    """A block that does not transform (passed through unchanged; not drawn by the gate)."""

    name: str = "not transformed"

    def __post_init__(self) -> None:
        self.dim = None
        self.transforms = False

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        return x


def node_permutation(g: Element, device: torch.device) -> torch.Tensor | None:
    return None if g.perm is None else torch.as_tensor(np.asarray(g.perm), dtype=torch.long, device=device)


def permute_axis(x: torch.Tensor, perm: torch.Tensor, axis: int, name: str) -> torch.Tensor:
    """Node i of the result is node perm[i] of x along ``axis``."""
    if not -x.ndim <= axis < x.ndim or x.shape[axis] != len(perm):
        raise ShapeError(f"block {name} has shape {tuple(x.shape)}; its node axis {axis} must have one "
                         f"entry per node ({len(perm)} nodes)")
    return x.index_select(axis, perm)


def relabel_indices(x: torch.Tensor, perm: torch.Tensor, name: str) -> torch.Tensor:
    """Integer node indices after relabelling: entry j becomes perm^-1[j]."""
    if x.is_floating_point() or x.is_complex():
        raise ShapeError(f"block {name} must hold integer node indices, got {x.dtype}")
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(len(perm), device=perm.device)
    return inv[x]


def _cast(x: Any, dtype: torch.dtype) -> Any:
    """Every floating tensor in ``x`` (a tensor, or tuples, lists and dicts of them) cast to ``dtype``."""
    if isinstance(x, torch.Tensor):
        return x.to(dtype) if x.is_floating_point() else x
    if isinstance(x, (tuple, list)):
        return type(x)(_cast(v, dtype) for v in x)
    if isinstance(x, dict):
        return {k: _cast(v, dtype) for k, v in x.items()}
    return x


class Probe:
    """The function under test, called on float64 blocks and returning float64 blocks.

    Transforming input blocks are cast to ``dtype`` (the function's own) on ``device``; blocks that do
    not transform are passed as given, or with ``cast_all`` (the float64 re-check) with every floating
    tensor in them cast to ``dtype`` too. A callable that rejects tensors is called with numpy arrays.

    The function runs with gradients enabled (``torch.enable_grad``), so a model may differentiate
    inside, e.g. forces as -dE/dx with ``torch.autograd.grad`` after ``x.requires_grad_()``: every
    transforming block it receives is a fresh leaf tensor (a copy; the caller's inputs are never
    changed). Outputs are detached.
    """

    def __init__(self, fn: Callable[..., Any], dtype: torch.dtype, device: torch.device,
                 in_actions: Sequence[Action], out_actions: Sequence[Action], out_tuple: bool, *,
                 cast_all: bool = False) -> None:
        self.fn, self.dtype, self.device = fn, dtype, device
        self.in_actions, self.out_actions, self.out_tuple = list(in_actions), list(out_actions), out_tuple
        self.cast_all = cast_all
        self.calls = 0
        self._numpy = False
        self.eps = float(torch.finfo(dtype).eps)

    def args(self, xs: Sequence[Any]) -> list[Any]:
        """The arguments the function receives for the float64 blocks ``xs``."""
        out = []
        for a, x in zip(self.in_actions, xs, strict=True):
            if a.transforms:
                out.append(x.detach().to(self.dtype, copy=True))
            else:
                out.append(_cast(x, self.dtype) if self.cast_all else x)
        return out

    def __call__(self, xs: Sequence[Any]) -> list[torch.Tensor]:
        args = self.args(xs)
        self.calls += 1
        with torch.enable_grad():
            if not self._numpy:
                try:
                    y = self.fn(*args)
                except (TypeError, AttributeError):
                    if isinstance(self.fn, torch.nn.Module):
                        raise
                    self._numpy = True
            if self._numpy:
                y = self.fn(*[a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else a for a in args])
        return self._outputs(y)

    def _outputs(self, y: Any) -> list[torch.Tensor]:
        if self.out_tuple:
            if not isinstance(y, (tuple, list)):
                raise ShapeError(f"rho_out names {len(self.out_actions)} output blocks, but the function "
                                 "returned a single output")
            ys = list(y)
        elif isinstance(y, (tuple, list)) and y and isinstance(y[0], (torch.Tensor, np.ndarray)):
            raise ShapeError(f"the function returned {len(y)} outputs, but rho_out names one block; pass a tuple "
                             "rho_out with one representation (or None) per output")
        else:
            ys = [y]
        if len(ys) != len(self.out_actions):
            raise ShapeError(f"the function returned {len(ys)} output(s), but rho_out names {len(self.out_actions)}")
        out = []
        for k, (a, t) in enumerate(zip(self.out_actions, ys, strict=True)):
            t = t.detach() if isinstance(t, torch.Tensor) else torch.as_tensor(np.asarray(t, dtype=np.float64))
            t = t.to(device=self.device, dtype=torch.float64)
            if a.dim is not None and (t.ndim == 0 or t.shape[-1] != a.dim):
                raise ShapeError(f"output {k} ({a.name}) has shape {tuple(t.shape)}; its representation has "
                                 f"dimension {a.dim}, which must be the size of the last axis")
            out.append(t)
        return out


def transform_inputs(probe: Probe, xs: Sequence[Any], g: Element) -> list[Any]:
    """g.x: every transforming input block acted on by g, the others as they are."""
    return [a.apply(g, x) if a.transforms or a.permutes else x for a, x in zip(probe.in_actions, xs, strict=True)]


def check_shapes(k: int, a: Action, y: torch.Tensor, yg: torch.Tensor, g: Element) -> None:
    if y.shape != yg.shape:
        raise ShapeError(f"output {k} ({a.name}) has shape {tuple(y.shape)} at x but {tuple(yg.shape)} at g.x "
                         f"({g.label}): the function's output shape must not depend on the group element")


def measure(probe: Probe, xs: Sequence[Any], ys: Sequence[torch.Tensor], g: Element, *,
            rtol: float, atol: float | None) -> Measure:
    """Compare f(g.x) with g.f(x) block by block (``ys`` = f(x), already computed)."""
    return compare(probe, ys, probe(transform_inputs(probe, xs, g)), g, rtol=rtol, atol=atol)


def compare(probe: Probe, ys: Sequence[torch.Tensor], ygs: Sequence[torch.Tensor], g: Element, *,
            rtol: float, atol: float | None) -> Measure:
    """The measure of one element from ``ys`` = f(x) and ``ygs`` = f(g.x)."""
    for k, (a, y, yg) in enumerate(zip(probe.out_actions, ys, ygs, strict=True)):
        check_shapes(k, a, y, yg, g)
    targets = [a.apply(g, y) for a, y in zip(probe.out_actions, ys, strict=True)]
    return equivariance_error(ygs, targets, ys, eps=probe.eps, rtol=rtol, atol=atol)
