"""How a group element acts on one input or output block of a module.

A block is a tensor whose last axis carries a representation: ``Linear`` applies rho(g) to that axis,
``Points`` does the same and then translates (cartesian points: positions move with rotations and
translations), ``Fixed`` leaves the block alone (indices, masks, anything that does not transform).
``as_action`` turns what a user passes (a representation, an object with ``D_from_matrix`` such as
e3nn's ``Irreps``, ``"cartesian_points"``, ``None``) into one of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..errors.exceptions import GroupMismatchError, RepresentationError, ShapeError
from ..groups.continuous import ContinuousGroup
from ..groups.elements import Element
from ..groups.finite import FiniteGroup
from ..groups.validation import same_group
from ..reps.continuous import ContinuousRepresentation, defining
from ..reps.finite import Representation
from ..search.probe import Action, Fixed

__all__ = ["Element", "Action", "Linear", "Points", "Fixed", "apply_many", "apply_pairs", "apply_stacked", "as_action",
           "as_actions", "irreps_representation", "cartesian_points"]

AnyGroup = FiniteGroup | ContinuousGroup
AnyRep = Representation | ContinuousRepresentation
#: matrices a Linear action remembers (per element object) before it forgets the older ones
_CACHE_SIZE = 1024


@dataclass(eq=False)
class Linear(Action):
    """x -> x rho(g)^T on the last axis."""

    records_matrix = True
    rep: AnyRep
    name: str = ""
    _cache: dict[int, tuple[Element, np.ndarray]] = field(default_factory=dict, repr=False)
    _tensors: dict[tuple[int, torch.dtype, torch.device], tuple[Element, torch.Tensor]] = field(
        default_factory=dict, repr=False)
    _stacks: dict[tuple[Any, ...], tuple[Sequence[Element], torch.Tensor]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.dim = self.rep.dim
        self.name = self.name or str(getattr(self.rep, "name", "rep"))

    def matrix(self, g: Element) -> np.ndarray:
        hit = self._cache.get(id(g))
        if hit is not None and hit[0] is g:  # the cache holds g, so its id cannot be reused meanwhile
            return hit[1]
        if len(self._cache) > _CACHE_SIZE:  # the elements of earlier calls are not met again
            self._cache.clear()
        if isinstance(self.rep, Representation):
            if g.index is None:
                raise GroupMismatchError(f"{self.name} is a representation of a finite group; "
                                         f"element {g.label} has no index")
            M = np.asarray(self.rep(g.index), dtype=np.float64)
        else:
            if g.matrix is None:
                raise GroupMismatchError(f"{self.name} is a representation of {self.rep.group}; "
                                         f"element {g.label} has no matrix")
            M = np.asarray(self.rep(g.matrix), dtype=np.float64)
        self._cache[id(g)] = (g, M)
        return M

    def matrices(self, elements: Sequence[Element]) -> np.ndarray:
        """The matrices of many elements, (E, dim, dim); a representation with ``many(matrices)`` (the
        e3nn adapter's) computes the ones not met before in one vectorized call."""
        cache = self._cache
        if len(cache) > _CACHE_SIZE:  # the elements of earlier calls are not met again
            cache.clear()
        todo = list({id(g): g for g in elements if not (id(g) in cache and cache[id(g)][0] is g)}.values())
        many = getattr(self.rep, "many", None)
        if many is not None and len(todo) > 1 and all(g.matrix is not None for g in todo):
            Ms = np.asarray(many(np.stack([g.matrix for g in todo])), dtype=np.float64)  # type: ignore[misc]
            for g, M in zip(todo, Ms, strict=True):
                cache[id(g)] = (g, M)
            if len(todo) == len(elements):
                return Ms
        return np.stack([self.matrix(g) for g in elements])

    def tensors(self, elements: Sequence[Element], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        """``matrices(elements)`` as one (E, dim, dim) tensor, remembered for the last few sequences of
        elements (the gate applies the same elements to every input set and to the outputs)."""
        key = (*map(id, elements), dtype, device)
        hit = self._stacks.get(key)
        if hit is not None:  # the entry holds the elements, so their ids cannot be reused meanwhile
            return hit[1]
        if len(self._stacks) >= 8:
            del self._stacks[next(iter(self._stacks))]
        Ms = torch.as_tensor(self.matrices(elements), dtype=dtype, device=device)
        self._stacks[key] = (list(elements), Ms)
        return Ms

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.dim:
            raise ShapeError(f"block {self.name} has dimension {self.dim}, but the tensor's last axis has "
                             f"{x.shape[-1]} entries (shape {tuple(x.shape)})")
        return x @ self.tensor(g, x.dtype, x.device).T

    def tensor(self, g: Element, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        """``matrix(g)`` as a tensor, remembered per element, dtype and device (an element is applied to
        inputs and outputs, and again at every step of the minimization)."""
        key = (id(g), dtype, device)
        hit = self._tensors.get(key)
        if hit is not None and hit[0] is g:
            return hit[1]
        if len(self._tensors) > _CACHE_SIZE:
            self._tensors.clear()
        M = torch.tensor(self.matrix(g), dtype=dtype, device=device)
        self._tensors[key] = (g, M)
        return M


@dataclass(eq=False)
class Points(Linear):
    """Cartesian points: x -> x rho(g)^T + t (rotate, then translate by the element's translation)."""

    translates = True

    def __post_init__(self) -> None:
        self.name = self.name or "cartesian_points"
        super().__post_init__()

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        y = super().apply(g, x)
        if g.translation is not None:
            y = y + torch.as_tensor(g.translation, dtype=x.dtype, device=x.device)
        return y


def _check_dim(a: Linear, shape: Sequence[int]) -> None:
    if shape[-1] != a.dim:
        raise ShapeError(f"block {a.name} has dimension {a.dim}, but the tensor's last axis has "
                         f"{shape[-1]} entries (shape {tuple(shape)})")


def _translations(elements: Sequence[Element], x: torch.Tensor) -> torch.Tensor | None:
    """The elements' translations as an (E, d) tensor (zero where an element has none), or None if none has."""
    if not any(g.translation is not None for g in elements):
        return None
    T = np.stack([np.zeros(x.shape[-1]) if g.translation is None else np.asarray(g.translation, np.float64)
                  for g in elements])
    return torch.as_tensor(T, dtype=x.dtype, device=x.device)


def apply_many(a: Action, elements: Sequence[Element], x: torch.Tensor) -> torch.Tensor:
    """Every element acting on the block ``x``, stacked on a new leading axis (one matrix product for a
    linear action instead of one per element)."""
    if not isinstance(a, Linear) or not elements:
        return torch.stack([a.apply(g, x) for g in elements])
    _check_dim(a, x.shape)
    Ms = a.tensors(elements, x.dtype, x.device)
    E, d = len(elements), x.shape[-1]
    # one matrix product: x (rows, d) times [M_1^T ... M_E^T] (d, E d)
    y = (x.reshape(-1, d) @ Ms.permute(2, 0, 1).reshape(d, E * d)).reshape(*x.shape[:-1], E, d).movedim(-2, 0)
    T = _translations(elements, x) if a.translates else None
    if T is not None:
        y = y + T.reshape(len(elements), *[1] * (x.ndim - 1), -1)
    return y


def apply_stacked(a: Action, elements: Sequence[Element], X: torch.Tensor) -> torch.Tensor:
    """Element e acting on ``X[e]``, for every e, on a stacked block X of shape (E, ...): one batched
    product for a linear action."""
    if len(elements) != X.shape[0]:
        raise ShapeError(f"{len(elements)} elements for a stack of {X.shape[0]} blocks")
    if not isinstance(a, Linear):
        return torch.stack([a.apply(g, x) for g, x in zip(elements, X.unbind(0), strict=True)])
    _check_dim(a, X.shape[1:])
    Ms = a.tensors(elements, X.dtype, X.device)
    Y = torch.matmul(X.reshape(len(elements), -1, X.shape[-1]), Ms.transpose(1, 2)).reshape(X.shape)
    T = _translations(elements, X) if a.translates else None
    if T is not None:
        Y = Y + T.reshape(len(elements), *[1] * (X.ndim - 2), -1)
    return Y


def apply_pairs(a: Action, elements: Sequence[Element], xs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Element e acting on block xs[e], for every e (one batched product for a linear action on blocks of
    one shape)."""
    if not isinstance(a, Linear) or len(elements) < 2 or len({tuple(x.shape) for x in xs}) != 1:
        return [a.apply(g, x) for g, x in zip(elements, xs, strict=True)]
    _check_dim(a, xs[0].shape)
    return list(apply_stacked(a, elements, torch.stack(list(xs))).unbind(0))


def irreps_representation(group: ContinuousGroup, irreps: Any, name: str | None = None) -> ContinuousRepresentation:
    """A representation of O(3)/SO(3) from an object with ``D_from_matrix(R)`` and ``dim`` (e3nn Irreps)."""
    if not isinstance(group, ContinuousGroup) or group.dim != 3:
        raise GroupMismatchError(f"irreps act through 3x3 rotation matrices; {group} is not SO(3) or O(3)")

    def fn(m: np.ndarray) -> np.ndarray:
        # e3nn builds its Wigner-D constants in the default dtype: float32 unless asked (4e-7 errors)
        default = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            D = irreps.D_from_matrix(torch.as_tensor(m, dtype=torch.float64))
        finally:
            torch.set_default_dtype(default)
        return D.detach().cpu().double().numpy() if hasattr(D, "detach") else np.asarray(D, dtype=np.float64)

    return ContinuousRepresentation(group, int(irreps.dim), fn, name=name or str(irreps))


def cartesian_points(group: ContinuousGroup) -> Points:
    """Cartesian points of R^3 (or R^2) under ``group``: rotated and translated."""
    return Points(defining(group), name="cartesian_points")


def as_action(spec: Any, group: AnyGroup, where: str) -> Action:
    """One block's action from a representation, an Irreps-like object, ``"cartesian_points"`` or ``None``."""
    if spec is None:
        return Fixed()
    if isinstance(spec, Action) and hasattr(spec, "resolve"):  # a node-wise block: its spec acts on the features
        return spec.resolve(lambda inner: as_action(inner, group, where))
    if isinstance(spec, Action):
        rep = getattr(spec, "rep", None)
        if rep is not None and not same_group(rep.group, group):
            raise GroupMismatchError(f"{where} is a representation of {rep.group}, not of {group}")
        return spec
    if isinstance(spec, str):
        if spec in ("cartesian_points", "cartesian"):
            if not isinstance(group, ContinuousGroup):
                raise RepresentationError(f"{where}: 'cartesian_points' needs SO(2), O(2), SO(3) or O(3); for "
                                          f"{group} pass ef.gate.Points(rho) with the representation on the points")
            return Points(defining(group), name="cartesian_points") if spec == "cartesian_points" \
                else Linear(defining(group), name="cartesian")
        raise RepresentationError(f"{where}: unknown block {spec!r}; use a representation, an Irreps, "
                                  "'cartesian_points', 'cartesian' or None")
    if getattr(spec, "grid_spec", False):  # an image block from an adapter (adapters.escnn.GridSpec)
        from .grid import Grid

        if not same_group(spec.rep.group, group):
            raise GroupMismatchError(f"{where} is a representation of {spec.rep.group}, not of {group}")
        return Grid(spec.rep, spec.spatial, sizes=spec.sizes, points=spec.points)
    if isinstance(spec, (Representation, ContinuousRepresentation)):
        if not same_group(spec.group, group):
            raise GroupMismatchError(f"{where} is a representation of {spec.group}, not of {group}")
        return Linear(spec)
    if hasattr(spec, "D_from_matrix") and hasattr(spec, "dim"):
        if not isinstance(group, ContinuousGroup):
            raise GroupMismatchError(f"{where} is an Irreps (a representation of O(3)); {group} is finite")
        if type(spec).__module__.startswith("e3nn."):
            from ..adapters.e3nn import irreps  # accurate exponentials (see adapters.e3nn.wigner_D)

            return Linear(irreps(spec, group))
        return Linear(irreps_representation(group, spec))
    raise RepresentationError(f"{where}: cannot act on a block given as {type(spec).__name__}; pass a "
                              "Representation, an Irreps, 'cartesian_points', 'cartesian' or None")


def as_actions(spec: Any, group: AnyGroup, side: str) -> tuple[list[Action], bool]:
    """Actions for every block of one side, and whether the side was given as a tuple (several blocks)."""
    if isinstance(spec, (tuple, list)) and not hasattr(spec, "D_from_matrix"):  # e3nn's Irreps is a tuple
        return [as_action(s, group, f"{side}[{i}]") for i, s in enumerate(spec)], True
    return [as_action(spec, group, side)], False
