"""Node permutations: graph and point-cloud models must not depend on how the nodes are numbered.

An element may carry a permutation ``perm`` of the N nodes (relabelled input: node i of g.x is node
perm[i] of x). Blocks declare how they see it:

- ``NodeWise(spec, axis=-2)``: one entry per node along ``axis`` (positions, node features, per-node
  outputs); the entries are reordered (``x[..., perm, :]``) after ``spec`` (a representation, an
  Irreps, ``"cartesian_points"`` or ``None``) acts on the last axis;
- ``EdgeIndex()``: integer node indices (an edge list of shape (2, E), a neighbour list): every entry
  j becomes perm^-1[j], so each edge joins the same two (relabelled) nodes;
- ``Adjacency(axes=(-2, -1))``: an N x N matrix (adjacency, distances, a mask) reordered on both axes.

Other blocks (graph-level inputs, an energy) are invariant under relabelling. With any such block the
gate pairs every group element with a random node permutation (both at once) and adds pure
permutations (the group's identity), so one call checks E(3)/O(3)/SO(3) and relabelling jointly and
separately; a failure is shrunk to the permutation or the group element alone when that suffices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors.exceptions import ShapeError
from ..groups.elements import Element
from ..search.probe import Action, Fixed, node_permutation, permute_axis, relabel_indices

__all__ = ["NodeWise", "EdgeIndex", "Adjacency", "permutes", "node_count", "with_node_permutations", "name_blocks"]


@dataclass(eq=False)
class NodeWise(Action):
    """A block with one entry per node along ``axis``; ``spec`` acts on the last axis (see module docstring)."""

    spec: Any = None
    axis: int = -2
    inner: Action | None = None
    #: which block this is ("input block 0", "output block 1"), for messages; set by the gate
    where: str = ""

    def __post_init__(self) -> None:
        if self.inner is None and self.spec is None:
            self.inner = Fixed()
        inner = self.inner
        self.dim = None if inner is None else inner.dim
        self.transforms = False if inner is None else inner.transforms
        self.translates = False if inner is None else inner.translates
        self.records_matrix = inner is None or inner.records_matrix or not inner.transforms
        self.name = f"node-wise {'unresolved' if inner is None else inner.name}"
        self.permutes = True

    def resolve(self, as_action: Callable[[Any], Action]) -> NodeWise:
        """This block with ``spec`` turned into the action on the features (the gate does it)."""
        return self if self.inner is not None else NodeWise(self.spec, self.axis, as_action(self.spec), self.where)

    def matrix(self, g: Element) -> np.ndarray:
        assert self.inner is not None
        return self.inner.matrix(g)

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        assert self.inner is not None
        y = self.inner.apply(g, x) if self.inner.transforms else x
        p = node_permutation(g, y.device)
        return y if p is None else permute_axis(y, p, self.axis, _named(self))

    def nodes(self) -> dict[str, Any]:
        return {"kind": "node-wise", "axis": self.axis}


@dataclass(eq=False)
class EdgeIndex(Action):
    """Integer node indices (edge lists, neighbour lists): entry j becomes perm^-1[j]."""

    name: str = "edge index"
    where: str = ""

    def __post_init__(self) -> None:
        self.dim, self.transforms, self.permutes = None, False, True

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        p = node_permutation(g, x.device)
        return x if p is None else relabel_indices(x, p, _named(self))

    def nodes(self) -> dict[str, Any]:
        return {"kind": "edge index"}


@dataclass(eq=False)
class Adjacency(Action):
    """An N x N matrix on ``axes`` (adjacency, distances, masks), reordered on both."""

    axes: tuple[int, int] = (-2, -1)
    name: str = "adjacency"
    where: str = ""

    def __post_init__(self) -> None:
        self.dim, self.transforms, self.permutes = None, False, True

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        p = node_permutation(g, x.device)
        if p is None:
            return x
        for ax in self.axes:
            x = permute_axis(x, p, ax, _named(self))
        return x

    def nodes(self) -> dict[str, Any]:
        return {"kind": "adjacency", "axes": list(self.axes)}


def _named(a: NodeWise | EdgeIndex | Adjacency) -> str:
    return f"{a.where} ({a.name})" if a.where else a.name


def name_blocks(actions: Sequence[Action], side: str) -> list[Action]:
    """The node-indexed blocks of one side as copies that name themselves ("input block 0 (node-wise
    cartesian_points)") in their shape errors; ``side`` is "input" or "output". Copies, because one
    block object may be given on both sides."""
    return [dataclasses.replace(a, where=f"{side} block {j}") if isinstance(a, (NodeWise, EdgeIndex, Adjacency))
            else a for j, a in enumerate(actions)]


def permutes(actions: Sequence[Action]) -> bool:
    """Whether any block is acted on by node permutations."""
    return any(getattr(a, "permutes", False) for a in actions)


def node_count(actions: Sequence[Action], xs: Sequence[Any]) -> int:
    """The number of nodes N, read off the first node-wise or adjacency input block."""
    for j, (a, x) in enumerate(zip(actions, xs, strict=True)):
        if isinstance(a, NodeWise):
            if not isinstance(x, torch.Tensor) or not -x.ndim <= a.axis < x.ndim:
                raise ShapeError(f"input block {j} ({a.name}) must be a tensor with node axis {a.axis}")
            return int(x.shape[a.axis])
        if isinstance(a, Adjacency) and isinstance(x, torch.Tensor) and x.ndim >= 2:
            return int(x.shape[a.axes[0]])
    raise ShapeError("node permutations need an input block with one entry per node: wrap it in "
                     "ef.gate.NodeWise(spec) (or pass an ef.gate.Adjacency block)")


def with_node_permutations(group: Any, elements: Sequence[Element], n_nodes: int, n_pure: int,
                           rng: np.random.Generator) -> list[Element]:
    """Every element paired with a uniform random permutation of the nodes, then ``n_pure`` pure
    permutations (the group's identity, no translation): the joint and the separate checks."""
    out = [g.replace(perm=rng.permutation(n_nodes)) for g in elements]
    identity: dict[str, Any] = {"index": 0} if hasattr(group, "order") else {"matrix": np.eye(group.dim)}
    out += [Element(f"node permutation {i}", perm=rng.permutation(n_nodes), **identity) for i in range(n_pure)]
    return out
