"""Images and volumes: group elements that map the pixel (voxel) grid to itself, acting exactly.

``Grid(rho, spatial=2)`` is the action on a block of shape (..., C, H, W) (or (..., C, D, H, W) with
``spatial=3``): an element g moves the grid and acts on the channel axis by rho(g),

    [g.x](p) = rho(g) x(g^-1 p).

**Convention** (escnn's, tested against its ``GeometricTensor.transform``). A point of an H x W image
at row i, column j has coordinates p = (x, y) = (j - (W-1)/2, (H-1)/2 - i): x runs along the columns
(axis -1, to the right), y up the rows (axis -2, row 0 at the top); a voxel (k, i, j) of a D x H x W
volume sits at (j - (W-1)/2, (H-1)/2 - i, (D-1)/2 - k) (:data:`COORDINATES`). So the rotation by +90
degrees, [[0, -1], [1, 0]], is ``torch.rot90(x, 1, dims=(-2, -1))`` (counter-clockwise as an image is
displayed), the reflection diag(-1, 1) (x -> -x) flips the columns (``x.flip(-1)``), and diag(1, -1)
(y -> -y; the ``s`` of ``dihedral(n)``, see ``reps.rotation``) flips the rows (``x.flip(-2)``).

Which matrix an element moves the grid by: the element's own matrix for SO(2)/O(2)/SO(3)/O(3); for a
finite group, ``points`` (a representation on R^2 or R^3), by default the rotation representation of a
cyclic or dihedral group (``reps.rotation``) or the group's matrix labels (groups from ``from_matrices``).
Only signed permutation matrices map the grid to itself (rotations by multiples of 90 degrees, the
reflections of the square, the 48 symmetries of the cube); the grid is moved by ``flip`` and
``permute`` (exact, on the tensor's device, differentiable). A grid that a permutation of axes maps
to another shape (a non-square image under a rotation by 90 degrees) is refused with a ``ShapeError``.

**Elements off the grid.** :func:`on_grid` (called by the gate) restricts the check to the subgroup
that acts exactly: C4 inside C8, C16 or SO(2), D4 inside D8 or O(2), the 24 rotations of the cube in
SO(3), the 48 cube symmetries in O(3); the verdict names the subgroup gated. Every block of the call is
then acted on through the subgroup's embedding (:class:`Restricted`; a ``NodeWise`` block stays one,
its feature action restricted, and edge indices and adjacency matrices, which read only the node
permutation, are left as they are). The other elements can be checked approximately, against an
interpolation floor: :mod:`equifuzz.gate.approximate`.

**Inputs.** The gate draws Gaussian images (4 per set) of ``rho.dim`` channels at each of ``sizes`` (default one odd
and one even size: 17 and 16 in 2D, 7 and 6 in 3D), two input sets per size, so a failure that depends
on the size (a stride-2 model that is equivariant only on some sizes) is found and the report's inputs
carry the size that fails.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..errors.exceptions import GroupMismatchError, RepresentationError, ShapeError
from ..groups.closure import from_matrices
from ..groups.continuous import ContinuousGroup
from ..groups.elements import Element
from ..groups.finite import FiniteGroup
from ..reps.continuous import ContinuousRepresentation
from ..reps.families import rotation
from ..reps.finite import Representation, subgroup_from_elements
from ..search.probe import Action
from .nodes import Adjacency, EdgeIndex, NodeWise

__all__ = ["Grid", "Restricted", "on_grid", "move_grid", "grid_group", "DEFAULT_SIZES", "COORDINATES"]

AnyGroup = FiniteGroup | ContinuousGroup
AnyRep = Representation | ContinuousRepresentation

#: the image sizes drawn when none are given: one odd and one even per number of spatial axes
DEFAULT_SIZES = {2: (17, 16), 3: (7, 6)}


def _signed_permutation(M: np.ndarray) -> np.ndarray | None:
    """``M`` rounded to a signed permutation matrix, or None when it is not one (to 1e-9)."""
    R = np.rint(M)
    if np.abs(M - R).max(initial=0.0) > 1e-9:
        return None
    if not (np.all(np.abs(R).sum(axis=0) == 1) and np.all(np.abs(R).sum(axis=1) == 1)):
        return None
    return R


#: the coordinates of a grid point from its centred indices q on the last 2 or 3 axes: p = S q
#: (escnn's: x along the columns, y up the rows; in 3D also z against the first spatial axis)
COORDINATES = {2: np.array([[0.0, 1.0], [-1.0, 0.0]]), 3: np.array([[0.0, 0.0, 1.0], [0.0, -1.0, 0.0],
                                                                   [-1.0, 0.0, 0.0]])}


def _move_indices(x: torch.Tensor, T: np.ndarray) -> torch.Tensor:
    """out[q] = x[T q] on the last ``len(T)`` axes (q: centred indices), T a signed permutation matrix:
    flips and a permutation of the spatial axes."""
    d = T.shape[0]
    pi = [int(np.flatnonzero(T[a])[0]) for a in range(d)]  # (T q)_a = t_a q_pi(a)
    t = [int(T[a, pi[a]]) for a in range(d)]
    ax = [x.ndim - d + a for a in range(d)]
    if any(x.shape[ax[a]] != x.shape[ax[pi[a]]] for a in range(d)):
        raise ShapeError(f"the element permutes the spatial axes of a grid of shape {tuple(x.shape[-d:])}, which "
                         "it maps to a grid of another shape: draw square (cubic) grids")
    flips = [ax[a] for a in range(d) if t[a] < 0]
    y = x.flip(flips) if flips else x
    if pi == list(range(d)):
        return y
    dims = list(range(x.ndim))
    for a in range(d):
        dims[ax[pi[a]]] = ax[a]
    return y.permute(dims)


def move_grid(x: torch.Tensor, M: np.ndarray) -> torch.Tensor:
    """[g.x](p) = x(M^-1 p) on the last ``len(M)`` axes of ``x`` (the coordinates p of the module
    docstring), for a signed permutation matrix M."""
    S = COORDINATES[M.shape[0]]
    return _move_indices(x, np.rint(S.T @ M.T @ S))


def _grid_generators(d: int, reflections: bool) -> list[np.ndarray]:
    if d == 2:
        return [np.array([[0.0, -1.0], [1.0, 0.0]])] + ([np.diag([1.0, -1.0])] if reflections else [])
    rz = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
    rx = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    return [rz, rx] + ([-np.eye(3)] if reflections else [])


def grid_group(group: ContinuousGroup) -> FiniteGroup:
    """The subgroup of SO(2)/O(2)/SO(3)/O(3) that maps the grid to itself (C4, D4, the 24 rotations or 48
    symmetries of the cube), its elements' matrices as labels."""
    d, refl = group.dim, not group.orientation_preserving
    names = {(2, False): "C4", (2, True): "D4", (3, False): "cube rotations (24)", (3, True): "cube symmetries (48)"}
    return from_matrices(_grid_generators(d, refl), name=f"{names[d, refl]} in {group.name}")


@dataclass(eq=False)
class Grid(Action):
    """An image or volume block: rho(g) on the channel axis, g moving the grid (module docstring).

    ``rep``: the representation on the channels (a finite group's or SO(2)/O(2)/SO(3)/O(3)'s);
    ``spatial``: 2 (images) or 3 (volumes); ``sizes``: the grid sizes the gate draws inputs at (ints
    for square/cubic grids or tuples), default :data:`DEFAULT_SIZES`; ``points``: for a finite group,
    the representation on R^``spatial`` that says how each element moves the grid (default: the
    rotation representation of a cyclic or dihedral group, or the group's matrix labels);
    ``channel_axis``: default ``-(spatial + 1)`` (the axis before the spatial ones); ``images``: at most
    this many images (volumes) per drawn input set (each holds many pixels; the profile's row count is
    meant for vectors).
    """

    rep: AnyRep
    spatial: int = 2
    sizes: Sequence[int | tuple[int, ...]] | None = None
    points: Representation | None = None
    channel_axis: int | None = None
    images: int = 4
    name: str = ""
    _points: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.spatial not in (2, 3):
            raise ShapeError(f"Grid acts on 2 (images) or 3 (volumes) spatial axes, got spatial={self.spatial!r}")
        self.dim = None  # the block's last axis is spatial; the channel axis is checked in apply
        self.channels = int(self.rep.dim)
        self.channel_axis = -(self.spatial + 1) if self.channel_axis is None else int(self.channel_axis)
        if not -self.spatial - 1 >= self.channel_axis:
            raise ShapeError(f"the channel axis must come before the {self.spatial} spatial axes (an axis <= "
                             f"{-self.spatial - 1}), got channel_axis={self.channel_axis}")
        sizes = DEFAULT_SIZES[self.spatial] if self.sizes is None else tuple(self.sizes)
        if not sizes:
            raise ShapeError("Grid(sizes=...) must name at least one grid size")
        self._sizes = [(int(s),) * self.spatial if isinstance(s, (int, np.integer)) else tuple(int(v) for v in s)
                       for s in sizes]
        for s in self._sizes:
            if len(s) != self.spatial or min(s) < 1:
                raise ShapeError(f"grid size {s} must give {self.spatial} positive sizes")
        self.variants = len(self._sizes)
        self.name = self.name or f"grid{self.spatial}d {getattr(self.rep, 'name', 'rep')}"
        group = self.rep.group
        if isinstance(group, ContinuousGroup):
            if group.dim != self.spatial:
                raise GroupMismatchError(f"{group.name} acts on R^{group.dim}, but the grid has {self.spatial} "
                                         "spatial axes")
        else:
            self._points = self._point_matrices(group)

    def _point_matrices(self, group: FiniteGroup) -> np.ndarray:
        if self.points is not None:
            if self.points.group is not group and self.points.group.order != group.order:
                raise GroupMismatchError(f"points is a representation of {self.points.group.name}, not of {group.name}")
            P = np.asarray(self.points.matrices, dtype=np.float64)
        elif group.family is not None and group.family[0] in ("cyclic", "dihedral") and self.spatial == 2:
            P = np.asarray(rotation(group).matrices, dtype=np.float64)
        elif group.labels is not None and all(np.shape(lab) == (self.spatial, self.spatial)  # type: ignore[call-overload]
                                              for lab in group.labels):
            P = np.stack([np.asarray(lab, dtype=np.float64) for lab in group.labels])
        else:
            raise RepresentationError(f"Grid needs to know how the elements of {group.name} move the grid: pass "
                                      f"points=, a representation of {group.name} on R^{self.spatial}")
        if P.shape[1:] != (self.spatial, self.spatial):
            raise ShapeError(f"points must act on R^{self.spatial}, got matrices of shape {P.shape[1:]}")
        return P

    # -- how an element moves the grid ---------------------------------------------------------------
    def spatial_matrix(self, g: Element) -> np.ndarray:
        """The matrix g moves the points of R^spatial by (not necessarily on the grid)."""
        if self._points is not None:
            if g.index is None:
                raise GroupMismatchError(f"{self.name} is a representation of a finite group; element {g.label} "
                                         "has no index")
            return self._points[g.index]
        if g.matrix is None:
            raise GroupMismatchError(f"{self.name} is a representation of {self.rep.group}; element {g.label} "
                                     "has no matrix")
        return np.asarray(g.matrix, dtype=np.float64)

    def grid_matrix(self, g: Element) -> np.ndarray | None:
        """The signed permutation matrix g moves the grid by, or None when g does not map the grid to itself."""
        return _signed_permutation(self.spatial_matrix(g))

    def on_grid(self, g: Element) -> bool:
        return self.grid_matrix(g) is not None

    def channel_matrix(self, g: Element) -> np.ndarray:
        if isinstance(self.rep, Representation):
            if g.index is None:
                raise GroupMismatchError(f"{self.name}: element {g.label} has no index")
            return np.asarray(self.rep(g.index), dtype=np.float64)
        assert g.matrix is not None
        return np.asarray(self.rep(g.matrix), dtype=np.float64)

    # -- the Action interface ------------------------------------------------------------------------
    def draw(self, n: int, gen: torch.Generator, variant: int = 0) -> torch.Tensor:
        return torch.randn(min(n, self.images), self.channels, *self._sizes[variant], generator=gen,
                           dtype=torch.float64)

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        ca = self.channel_axis
        assert ca is not None
        if x.ndim < -ca or x.shape[ca] != self.channels:
            raise ShapeError(f"block {self.name} has {self.channels} channels on axis {ca} followed by "
                             f"{self.spatial} spatial axes; got a tensor of shape {tuple(x.shape)}")
        M = self.grid_matrix(g)
        if M is None:
            raise RepresentationError(f"{g.describe()} does not map the pixel grid to itself (its matrix "
                                      f"{np.round(self.spatial_matrix(g), 4).tolist()} is not a signed permutation); "
                                      "the gate checks the subgroup that does (ef.gate.grid.on_grid)")
        R = torch.tensor(self.channel_matrix(g), dtype=x.dtype, device=x.device)
        y = torch.movedim(torch.movedim(x, ca, -1) @ R.T, -1, ca)
        return move_grid(y, M)

    def describe(self, g: Element) -> str:
        M = self.grid_matrix(g)
        grid = "not on the grid" if M is None else f"grid moved by {M.astype(int).tolist()}"
        return (f"{self.name}: channels (axis {self.channel_axis}) by rho({g.label}), {grid} on the last "
                f"{self.spatial} axes ([g.x](p) = rho(g) x(g^-1 p), p = centred indices)")


@dataclass(eq=False)
class Restricted(Action):
    """A block acted on through an embedding of a subgroup H: element h of H acts as ``embed(h)``."""

    inner: Action
    embed: Callable[[Element], Element]
    note: str = ""

    def __post_init__(self) -> None:
        a = self.inner
        self.name, self.dim, self.transforms = a.name, a.dim, a.transforms
        self.permutes, self.translates = a.permutes, a.translates
        self.variants = getattr(a, "variants", 1)

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        return self.inner.apply(self.embed(g), x)

    def matrix(self, g: Element) -> np.ndarray:
        return self.inner.matrix(self.embed(g))

    def draw(self, n: int, gen: torch.Generator, variant: int = 0) -> torch.Tensor:
        return self.inner.draw(n, gen, variant)

    def nodes(self) -> dict[str, Any] | None:
        return self.inner.nodes()

    def record(self, g: Element) -> dict[str, Any]:
        rec = dict(self.inner.record(self.embed(g)))
        rec["subgroup element"] = g.label
        return rec

    def describe(self, g: Element) -> str:
        return f"{self.inner.describe(self.embed(g))} ({g.label} of {self.note})"


def _grids(actions: Sequence[Action]) -> list[Grid]:
    return [a for a in actions if isinstance(a, Grid)]


def on_grid(group: AnyGroup, in_actions: Sequence[Action], out_actions: Sequence[Action]
            ) -> tuple[AnyGroup, list[Action], list[Action], str | None]:
    """The group the gate checks and the actions it checks it through: ``group`` itself when every
    element maps the grids of all ``Grid`` blocks to themselves, else the subgroup that does, every
    block acting through its embedding; and a sentence naming the subgroup (None when unchanged)."""
    grids = _grids([*in_actions, *out_actions])
    if not grids:
        return group, list(in_actions), list(out_actions), None
    if isinstance(group, ContinuousGroup):
        H = grid_group(group)
        assert H.labels is not None
        mats = [np.asarray(m, dtype=np.float64) for m in H.labels]

        def embed(h: Element) -> Element:
            assert h.index is not None
            return Element(h.label, matrix=mats[h.index], translation=h.translation, perm=h.perm)

        note = (f"gated on {H.name}, the subgroup of {group.name} that maps the pixel grid to itself; other "
                f"rotations move the grid off its pixels and are not checked")
    else:
        on = [k for k in group.elements if all(a.on_grid(Element("", index=k)) for a in grids)]
        if len(on) == group.order:
            return group, list(in_actions), list(out_actions), None
        K = subgroup_from_elements(group, on)
        H = K.as_group()
        parent = list(K.elements)

        def embed(h: Element) -> Element:
            assert h.index is not None
            return Element(h.label, index=parent[h.index], translation=h.translation, perm=h.perm)

        note = (f"gated on {H.name} (order {H.order} of {group.order}), the subgroup of {group.name} that maps "
                "the pixel grid to itself; its other elements move the grid off its pixels and are not checked")
    wrap = [restrict(a, embed, H.name) for a in [*in_actions, *out_actions]]
    return H, wrap[:len(in_actions)], wrap[len(in_actions):], note


def restrict(a: Action, embed: Callable[[Element], Element], note: str) -> Action:
    """Block ``a`` acted on through ``embed``, keeping what the gate reads off its type: a node-wise
    block stays a ``NodeWise`` (its feature action restricted; the gate counts nodes and batches by
    it), edge indices and adjacency matrices only read the node permutation, which ``embed`` keeps."""
    if isinstance(a, (EdgeIndex, Adjacency)):
        return a
    if isinstance(a, NodeWise) and a.inner is not None:
        return dataclasses.replace(a, inner=Restricted(a.inner, embed, note))
    return Restricted(a, embed, note)


def _grid_of(a: Action) -> Grid | None:
    inner = a.inner if isinstance(a, Restricted) else a
    return inner if isinstance(inner, Grid) else None


def size_note(trials: Sequence[Any], in_actions: Sequence[Action]) -> str | None:
    """When the gate drew images of several sizes and the failure shows at some sizes only: a sentence
    naming the sizes that fail and those that hold, with their worst ratios (None otherwise)."""
    grids = [j for j, a in enumerate(in_actions) if _grid_of(a) is not None]
    if not grids:
        return None
    worst: dict[str, float] = {}
    for t in trials:
        xs = t.xs
        if not all(isinstance(xs[j], torch.Tensor) for j in grids):
            continue
        d = [_grid_of(in_actions[j]).spatial for j in grids]  # type: ignore[union-attr]
        key = ", ".join("x".join(map(str, xs[j].shape[-k:])) for j, k in zip(grids, d, strict=True))
        worst[key] = max(worst.get(key, 0.0), float(t.ratio))
    fails = {k: r for k, r in worst.items() if not r <= 1.0}
    holds = {k: r for k, r in worst.items() if r <= 1.0}
    if not fails or not holds:
        return None

    def fmt(d: dict[str, float]) -> str:
        return ", ".join(f"{k} (worst ratio {r:.3g})" for k, r in d.items())

    return f"the failure depends on the image size: it fails at {fmt(fails)} and holds at {fmt(holds)}"
