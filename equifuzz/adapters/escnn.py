"""escnn adapter: equifuzz groups and representations from escnn's (and e2cnn's), and the blocks of a module.

    from equifuzz.adapters import escnn as efs  # pip install 'equifuzz[escnn]' && pip install --no-deps escnn
    model = efs.prepare(my_escnn_module, torch.float64)   # a copy: cast, eval() under no_grad, tensors in/out
    G, rho_in, rho_out = efs.blocks(my_escnn_module)
    ef.assert_equivariant(model, G, rho_in, rho_out, rtol=efs.rtol(model))

- :func:`group`: a finite escnn group (``cyclic_group(4)``, ``dihedral_group(4)``, ``octa_group()``, ...)
  becomes a ``FiniteGroup`` with escnn's Cayley table (its elements, in ``G.elements`` order, are the
  labels); SO(2) and O(2) become ``so2()``/``o2()``, an element's matrix being the one escnn's gspace
  moves the plane by (``basespace_action``), mapped back to escnn's element to evaluate its
  representations.
- :func:`representation`: a ``FieldType`` (or an escnn ``Representation``) as an equifuzz
  representation of that group, with escnn's own matrices.
- :func:`blocks`: (group, rho_in, rho_out) of any ``EquivariantModule``: representations over
  ``no_base_space``; ``ef.gate.Grid`` image (volume) specs over the 2D (3D) gspaces, with escnn's own
  base-space matrices as the way each element moves the grid (the gate restricts off-grid groups to
  their exact subgroup and says so).
- :func:`prepare`: the module the gate should call: a deep copy (escnn shares basis buffers between
  modules, so the original is never cast in place), cast to ``dtype``, switched to ``eval()`` under
  ``torch.no_grad()`` (escnn caches its expanded filters in ``eval()``; built with gradients they are
  non-leaf tensors that ``copy.deepcopy`` refuses), taking and returning plain tensors.
- :func:`rtol`: escnn samples its bases in float32 (``basisexpansion_singleblock.py``), so a float64
  escnn model is float32-accurate; the tolerance for it is ``RTOL_FLOAT32_BASES`` (16 float32 eps),
  which correct float64 models pass and a 1e-5 defect fails (measured in tests/adapters/test_escnn.py).
- :func:`point_blocks` and :func:`prepare_points`: point convolutions (``R2PointConv``, needs
  torch_geometric) on rows of nodes, their positions and an edge list, for ``NodeWise`` blocks.
- e2cnn 0.2.3 models work the same way (``group``, ``representation``, ``blocks``, ``prepare``, ``rtol``):
  its planar gspaces, with the base-space matrices of :func:`basespace_matrix`.
- :func:`relu_net`: an escnn Linear-ReLU-Linear model over ``no_base_space`` as
  (``ReLUNet``, rho_in, rho_out) for the exact oracles, and :func:`hidden_representation` its hidden
  permutation representation: ``len_dimension(rho_in, hidden, rho_out)`` equals escnn's parameter
  count, and ``realizability`` decides the minimal layer-wise width (redundant hidden fields);
  :func:`exact_report` puts them together (:class:`ExactReport`).
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors.exceptions import RepresentationError, ShapeError
from ..groups.continuous import ContinuousGroup, o2, so2
from ..groups.finite import FiniteGroup
from ..nets.relu_net import ReLUNet
from ..reps.continuous import ContinuousRepresentation
from ..reps.finite import Representation, subgroup_from_elements

__all__ = ["group", "representation", "blocks", "prepare", "rtol", "relu_net", "hidden_representation", "GridSpec",
           "Tensors", "basespace_matrix", "point_blocks", "prepare_points", "PointTensors",
           "RTOL_FLOAT32_BASES", "ExactReport", "exact_report"]

#: the tolerance for float64 escnn models: 16 float32 eps (their bases are sampled in float32)
RTOL_FLOAT32_BASES = 16 * float(np.finfo(np.float32).eps)


def _escnn() -> Any:
    try:
        import escnn
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("equifuzz.adapters.escnn needs escnn: pip install 'equifuzz[escnn]' && pip install "
                          "--no-deps escnn==1.0.11 (in its own environment: lie_learn pins numpy < 2)") from exc
    return escnn


@dataclass(frozen=True)
class _Escnn:
    """An equifuzz group and how its elements map to escnn's: ``to_escnn(element)``."""

    group: FiniteGroup | ContinuousGroup
    escnn_group: Any
    gspace: Any


_CONVERTED: dict[int, _Escnn] = {}


def _convert(gspace: Any) -> _Escnn:
    """The conversion of a gspace, remembered per gspace object (escnn's gspaces are not hashable)."""
    hit = _CONVERTED.get(id(gspace))
    if hit is not None and hit.gspace is gspace:
        return hit
    _CONVERTED[id(gspace)] = out = _convert_new(gspace)
    return out


def _convert_new(gspace: Any) -> _Escnn:
    G = gspace.fibergroup
    d = int(gspace.dimensionality)
    if not G.continuous:
        els = list(G.elements)
        index = {e: i for i, e in enumerate(els)}
        if els[0] != G.identity:
            i0 = index[G.identity]
            els[0], els[i0] = els[i0], els[0]
            index = {e: i for i, e in enumerate(els)}
        mul = G.combine if hasattr(G, "combine") else (lambda a, b: a @ b)  # e2cnn: plain ints and tuples
        table = np.array([[index[mul(a, b)] for b in els] for a in els], dtype=np.int64)
        if hasattr(G, "generators"):
            gens = [index[g] for g in G.generators if index[g] != 0]
        else:  # e2cnn names none: a small generating set, greedily
            whole = FiniteGroup(table, list(range(1, len(els))))
            gens = list(subgroup_from_elements(whole, range(len(els))).generators)
        ef = FiniteGroup(table, gens or list(range(1, len(els))), name=G.name, labels=els)
        return _Escnn(ef, G, gspace)
    name = str(G.name)
    if name not in ("SO(2)", "O(2)"):
        raise RepresentationError(f"the escnn adapter maps finite groups, SO(2) and O(2); got {name}")
    if d not in (0, 2):
        raise RepresentationError(f"{name} acting on R^{d} is not supported")
    return _Escnn(so2() if name == "SO(2)" else o2(), G, gspace)


def basespace_matrix(gspace: Any, e: Any) -> np.ndarray:
    """The matrix element ``e`` moves the base space by: escnn's ``basespace_action``; for e2cnn (which
    has none) the rotation by e's angle after the reflection about the gspace's flip axis, as e2cnn
    defines its planar groups (tested against e2cnn's ``GeometricTensor.transform``)."""
    if hasattr(gspace, "basespace_action"):
        return np.asarray(gspace.basespace_action(e), dtype=np.float64)
    G = gspace.fibergroup
    flip, k = e if isinstance(e, tuple) else (e, 0) if type(gspace).__name__ == "Flip2dOnR2" else (0, e)
    theta = float(k) if G.continuous else 2 * np.pi * int(k) / max(int(getattr(G, "rotation_order", G.order())), 1)
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    if not flip:
        return R
    a = 2 * float(getattr(gspace, "axis", np.pi / 2))
    return R @ np.array([[np.cos(a), np.sin(a)], [np.sin(a), -np.cos(a)]])


def _element(G: Any, value: Any) -> Any:
    return G.element(value) if hasattr(G, "element") else value  # e2cnn's elements are the values


def _matrix(conv: _Escnn, e: Any) -> np.ndarray:
    """The 2x2 matrix an element of SO(2)/O(2) moves the plane by (its base-space action over R^2,
    else its standard representation)."""
    if int(conv.gspace.dimensionality) == 2:
        return basespace_matrix(conv.gspace, e)
    return np.asarray(conv.escnn_group.standard_representation()(e), dtype=np.float64)


def to_escnn(conv: _Escnn, M: np.ndarray) -> Any:
    """The escnn element of SO(2)/O(2) whose matrix (:func:`_matrix`) is M."""
    G = conv.escnn_group
    if conv.group.name == "SO(2)":
        return _element(G, float(np.arctan2(M[1, 0], M[0, 0])))
    if np.linalg.det(M) > 0:
        return _element(G, (0, float(np.arctan2(M[1, 0], M[0, 0]))))
    F = _matrix(conv, _element(G, (1, 0.0)))  # an element with the flip is R(theta) F
    R = M @ np.linalg.inv(F)
    return _element(G, (1, float(np.arctan2(R[1, 0], R[0, 0]))))


def group(gspace_or_group: Any) -> FiniteGroup | ContinuousGroup:
    """The equifuzz group of an escnn gspace (or of a finite escnn group)."""
    return _convert(_gspace(gspace_or_group)).group


def _gspace(x: Any) -> Any:
    if hasattr(x, "fibergroup"):
        return x
    if hasattr(x, "gspace"):  # a FieldType
        return x.gspace
    gspaces = _escnn().gspaces
    return gspaces.no_base_space(x)  # a group


def representation(field: Any, gspace: Any | None = None) -> Representation | ContinuousRepresentation:
    """A ``FieldType`` (or an escnn representation with its ``gspace``) as an equifuzz representation."""
    if hasattr(field, "representation") and hasattr(field, "gspace"):
        rho, gspace = field.representation, field.gspace
    else:
        rho, gspace = field, _gspace(gspace if gspace is not None else field.group)
    conv = _convert(gspace)
    name = str(getattr(field, "name", None) or rho.name)
    if isinstance(conv.group, FiniteGroup):
        assert conv.group.labels is not None
        mats = np.stack([np.asarray(rho(e), dtype=np.float64) for e in conv.group.labels])
        return Representation(conv.group, mats, name=name)
    return ContinuousRepresentation(conv.group, int(rho.size),
                                    lambda M: np.asarray(rho(to_escnn(conv, M)), dtype=np.float64), name=name)


@dataclass(frozen=True)
class GridSpec:
    """An image (volume) block for the gate: ``ef.gate.Grid(rep, spatial, points=points)`` (the gate
    builds it: the adapters sit below the gate)."""

    grid_spec = True
    rep: Representation | ContinuousRepresentation
    spatial: int
    points: Representation | None = None
    sizes: tuple[int, ...] | None = None


def _block(field: Any) -> Representation | ContinuousRepresentation | GridSpec:
    rep = representation(field)
    d = int(field.gspace.dimensionality)
    if d == 0:
        return rep
    if d not in (2, 3):
        raise ShapeError(f"escnn gspace of dimensionality {d}: images (2) and volumes (3) only")
    points = None
    conv = _convert(field.gspace)
    if isinstance(conv.group, FiniteGroup):
        assert conv.group.labels is not None
        P = np.stack([basespace_matrix(field.gspace, e) for e in conv.group.labels])
        points = Representation(conv.group, P, name="base space")
    return GridSpec(rep, d, points)


def blocks(module: Any) -> tuple[FiniteGroup | ContinuousGroup, Any, Any]:
    """(group, rho_in, rho_out) of an escnn ``EquivariantModule`` (from its ``in_type`` and ``out_type``)."""
    if not (hasattr(module, "in_type") and hasattr(module, "out_type")):
        raise RepresentationError(f"{type(module).__name__} has no in_type/out_type: not an escnn EquivariantModule")
    return group(module.in_type.gspace), _block(module.in_type), _block(module.out_type)


class Tensors(torch.nn.Module):
    """An escnn module called on plain tensors: input wrapped as a ``GeometricTensor`` of its in_type,
    output unwrapped."""

    def __init__(self, module: Any) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lib = sys.modules[type(self.module.in_type).__module__.split(".")[0]]  # escnn or e2cnn
        return self.module(lib.nn.GeometricTensor(x, self.module.in_type)).tensor


def prepare(module: Any, dtype: torch.dtype = torch.float64, *, copy_module: bool = True) -> Tensors:
    """The module the gate calls (module docstring): a deep copy, cast, eval() under no_grad, on tensors.

    Some escnn modules cannot be deep-copied (R3Conv over the octahedral group: escnn's group elements,
    used as dictionary keys, cannot be hashed while being copied); ``copy_module=False`` then casts the
    module itself, and with it the basis buffers it shares with modules built alike."""
    with torch.no_grad():
        module.train()  # train mode holds no cached (non-leaf) filters
        if copy_module:
            try:
                module = copy.deepcopy(module)
            except Exception as exc:
                raise RepresentationError(f"{type(module).__name__} cannot be deep-copied ({type(exc).__name__}: "
                                          f"{exc}); pass copy_module=False to cast it in place") from None
        m = module.to(dtype)
        m.eval()
    return Tensors(m)


def point_blocks(module: Any) -> tuple[FiniteGroup | ContinuousGroup, Any, Any, Any]:
    """(group, rho_features_in, rho_positions, rho_features_out) of an escnn point convolution
    (``R2PointConv``, ``R3PointConv``): features are rows of nodes, positions move by the base-space
    matrices (escnn's ``basespace_action``; the defining representation for SO(2)/O(2)). Gate it as

        G, f_in, pos, f_out = efs.point_blocks(conv)
        ef.assert_equivariant(efs.prepare_points(conv), G, (NodeWise(f_in), NodeWise(Points(pos)), EdgeIndex()),
                              NodeWise(f_out), inputs=(features, positions, edge_index))

    so that rotations (every element: point clouds have no grid), translations and relabellings of the
    nodes are checked together."""
    if not (hasattr(module, "in_type") and hasattr(module, "out_type")):
        raise RepresentationError(f"{type(module).__name__} has no in_type/out_type: not an escnn EquivariantModule")
    gspace = module.in_type.gspace
    conv = _convert(gspace)
    G = conv.group
    if isinstance(G, FiniteGroup):
        assert G.labels is not None
        pos: Representation | ContinuousRepresentation = Representation(
            G, np.stack([basespace_matrix(gspace, e) for e in G.labels]), name="positions")
    else:
        pos = ContinuousRepresentation(G, G.dim, lambda M: np.asarray(M, dtype=np.float64), name="positions")
    return G, representation(module.in_type), pos, representation(module.out_type)


class PointTensors(torch.nn.Module):
    """An escnn point convolution called on plain tensors (features (N, C), positions (N, d), edge_index)."""

    def __init__(self, module: Any) -> None:
        super().__init__()
        self.module = module

    def forward(self, features: torch.Tensor, positions: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        lib = sys.modules[type(self.module.in_type).__module__.split(".")[0]]
        return self.module(lib.nn.GeometricTensor(features, self.module.in_type, positions), edge_index).tensor


def prepare_points(module: Any, dtype: torch.dtype = torch.float64, *, copy_module: bool = True) -> PointTensors:
    """:func:`prepare` for a point convolution: the module on (features, positions, edge_index)."""
    return PointTensors(prepare(module, dtype, copy_module=copy_module).module)


def rtol(module: Any) -> float | None:
    """The tolerance for an escnn model in float64: :data:`RTOL_FLOAT32_BASES` (its bases are float32);
    None (the gate's default) for a model in a lower precision, and for e2cnn models (float64 bases:
    correct float64 e2cnn models score ratios near 1e-9 at the default float64 tolerance)."""
    inner = getattr(module, "module", module)
    if type(getattr(inner, "in_type", None)).__module__.startswith("e2cnn"):
        return None
    t = next((p for p in module.parameters() if p.is_floating_point()), None)
    return RTOL_FLOAT32_BASES if t is None or t.dtype == torch.float64 else None


def _layers(module: Any) -> list[Any]:
    layers = list(module.children()) if hasattr(module, "children") else []
    names = [type(m).__name__ for m in layers]
    if names != ["Linear", "ReLU", "Linear"]:
        raise ShapeError(f"relu_net expects an escnn SequentialModule(Linear, ReLU, Linear), got {names}")
    return layers


def hidden_representation(module: Any) -> Representation:
    """The hidden layer's representation of an escnn Linear-ReLU-Linear model (the ReLU's field type),
    checked to permute the channels (regular and quotient fields), as ``len_dimension`` and
    ``realizability`` need it."""
    relu = _layers(module)[1]
    hidden = representation(relu.in_type)
    if not isinstance(hidden, Representation) or not hidden.is_permutation:
        raise RepresentationError(f"the hidden fields {relu.in_type} do not permute their channels: pointwise "
                                  "ReLU is equivariant only for permutation (regular, quotient) fields of a "
                                  "finite group")
    return hidden


def relu_net(module: Any) -> tuple[ReLUNet, Representation, Representation]:
    """An escnn ``SequentialModule(Linear, ReLU, Linear)`` over ``no_base_space`` of a finite group as
    (ReLUNet, rho_in, rho_out); the hidden layer's representation (regular and quotient fields: a
    permutation representation) is the ReLU's field type, checked to be one."""
    l1, _, l2 = _layers(module)
    if int(l1.in_type.gspace.dimensionality) != 0:
        raise ShapeError("relu_net needs a model over gspaces.no_base_space (no image axes)")
    hidden_representation(module)
    with torch.no_grad():
        m = copy.deepcopy(module.train()).to(torch.float64)
        m.eval()
        ex = m.export()
    lin = [x for x in ex.modules() if isinstance(x, torch.nn.Linear)]
    if len(lin) != 2:
        raise ShapeError(f"the exported model has {len(lin)} torch Linear layers, expected 2")

    def arr(t: Any) -> np.ndarray | None:
        return None if t is None else t.detach().cpu().double().numpy()

    net = ReLUNet(arr(lin[0].weight), arr(lin[0].bias), arr(lin[1].weight), arr(lin[1].bias))
    rho_in, rho_out = representation(l1.in_type), representation(l2.out_type)
    assert isinstance(rho_in, Representation) and isinstance(rho_out, Representation)
    return net, rho_in, rho_out


@dataclass(frozen=True)
class RedundantField:
    """A hidden field the model does without: ``into`` the fields its neurons merge into (a neuron whose
    weights and bias are a positive multiple of a kept neuron's adds its output weights to that neuron's),
    empty when every neuron of it contributes nothing (zero output weights, or zero input weights: a
    constant, moved into the output bias)."""

    index: int
    name: str
    size: int
    into: tuple[int, ...]

    def __str__(self) -> str:
        how = f"merges into field {', '.join(map(str, self.into))}" if self.into else "contributes nothing"
        return f"field {self.index} ({self.name}, {self.size} neurons) {how}"


@dataclass(frozen=True)
class ExactReport:
    """The exact oracles on an escnn Linear-ReLU-Linear model (:func:`exact_report`).

    ``minimal`` is the smallest width at which ``realizability`` builds a layer-wise equivariant network
    computing the model's function (None if none was found up to ``|G|`` times the width);
    ``minimal_decided`` is False when a smaller width was left undecided (``undecided`` lists those
    widths: the minimal width is then only an upper bound; ``reason`` says why none was found).
    ``redundant`` lists the hidden fields removed,
    in that order, each removal checked by the oracles (the reduced network is ``equivalent`` to the model
    and ``check_layerwise`` holds on it); ``reduced_width`` is the width left. ``len_dimension`` is the
    dimension of the layer-wise equivariant networks on the model's hidden representation, ``parameters``
    escnn's parameter count of the model; ``tolerance`` the one the oracles used."""

    fields: tuple[str, ...]
    width: int
    minimal: int | None
    minimal_decided: bool
    undecided: tuple[int, ...]
    redundant: tuple[RedundantField, ...]
    reduced_width: int
    len_dimension: int
    parameters: int
    tolerance: float
    reason: str = ""

    def __str__(self) -> str:
        if self.minimal is None:
            m = "not found" + (f" (undecided at widths {list(self.undecided)})" if self.undecided else "")
            m += f": {self.reason}" if self.reason else ""
        elif self.minimal_decided:
            m = f"{self.minimal}"
        else:
            m = f"at most {self.minimal} (undecided at widths {list(self.undecided)})"
        lines = [f"hidden fields {list(self.fields)}: width {self.width}; minimal layer-wise width {m} "
                 f"(tolerance {self.tolerance:.3g})",
                 f"len_dimension {self.len_dimension}, escnn parameter count {self.parameters}"]
        if self.redundant:
            lines += [f"redundant: {r}" for r in self.redundant]
            lines.append(f"without them: width {self.reduced_width} (equivalent and layer-wise, checked)")
        else:
            lines.append("no hidden field found redundant by dropping or merging")
        return "\n".join(lines)


def _reduce(net: ReLUNet, slices: list[range], i: int, kept: list[int], tol: float = 1e-9
            ) -> tuple[ReLUNet, tuple[int, ...]] | None:
    """The network without field i, its neurons dropped or merged into the kept fields' (module comment
    of :class:`RedundantField`); None when some neuron of it is neither."""
    W1, W2 = net.W1, net.W2
    b1 = net.b1 if net.b1 is not None else np.zeros(net.width)
    b2 = (net.b2 if net.b2 is not None else np.zeros(W2.shape[0])).copy()
    W2n = W2.copy()
    rows = np.concatenate([W1, b1[:, None]], axis=1)
    norms = np.linalg.norm(rows, axis=1)
    scale = max(float(norms.max(initial=0.0)), 1.0)
    into: set[int] = set()
    for k in slices[i]:
        if not np.any(W2[:, k]):
            continue
        if not np.any(W1[k]):
            b2 += max(float(b1[k]), 0.0) * W2[:, k]
            continue
        hit = None
        for j in kept:
            for q in slices[j]:
                if norms[q] > 0 and np.linalg.norm(rows[k] / norms[k] - rows[q] / norms[q]) <= tol * scale:
                    hit = (j, q)
                    break
            if hit:
                break
        if hit is None:
            return None
        into.add(hit[0])
        W2n[:, hit[1]] += norms[k] / norms[hit[1]] * W2[:, k]
    keep = [q for j in kept for q in slices[j]]
    return ReLUNet(W1[keep], b1[keep], W2n[:, keep], b2), tuple(sorted(into))


def exact_report(module: Any, *, tol: float | None = None) -> ExactReport:
    """The exact oracles on an escnn Linear-ReLU-Linear model over ``no_base_space``: its minimal
    layer-wise width (``realizability`` walked up from its lower bound to its upper bound), the hidden
    fields it does without (each removal checked: ``equivalent`` to the model and layer-wise equivariant),
    and ``len_dimension`` against escnn's parameter count. ``tol`` is the oracles' tolerance (None: their
    default, 1e-8); escnn samples its bases in float32, so a model whose bases are not exact in float32
    (C8: cos 45 degrees) is equivariant only to about 1e-8 and needs ``tol=RTOL_FLOAT32_BASES``, else
    the report says it is not equivariant at the default tolerance (with the oracle's reason)."""
    from ..oracles.dimension import len_dimension
    from ..oracles.equivariance import equivalent
    from ..oracles.layerwise import check_layerwise
    from ..oracles.realizability import realizability

    net, rho_in, rho_out = relu_net(module)
    hidden = hidden_representation(module)
    reps = list(_layers(module)[1].in_type.representations)
    slices, start = [], 0
    for r in reps:
        slices.append(range(start, start + int(r.size)))
        start += int(r.size)
    kw: dict[str, Any] = {} if tol is None else {"tol": tol}
    first = realizability(net, rho_in, rho_out, max(net.width, 1), **kw)
    minimal, undecided, reason = None, [], ""
    if first.lower is None:
        reason = first.reason or str(first).splitlines()[0]
    else:
        top = first.upper if first.upper is not None else rho_in.group.order * max(net.width, 1)
        for m in range(first.lower, top + 1):
            v = first if m == max(net.width, 1) else realizability(net, rho_in, rho_out, m, **kw)
            if v.realizable is True:
                minimal = m
                break
            if v.realizable is None:
                undecided.append(m)
        if minimal is None:
            reason = f"no width from {first.lower} to {top} realizable"
    kept = list(range(len(reps)))
    current, current_slices = net, slices
    redundant = []
    for i in reversed(range(len(reps))):
        others = [j for j in kept if j != i]
        out = _reduce(current, current_slices, i, others) if others else None
        if out is None:
            continue
        g, into = out
        if equivalent(net, g, tol=tol).holds is True and check_layerwise(g, rho_in, rho_out, tol=tol).holds is True:
            kept, current = others, g
            pos, current_slices = 0, [range(0)] * len(reps)
            for j in kept:
                current_slices[j] = range(pos, pos + int(reps[j].size))
                pos += int(reps[j].size)
            redundant.append(RedundantField(i, str(reps[i].name), int(reps[i].size), into))
    return ExactReport(tuple(str(r.name) for r in reps), net.width, minimal, minimal is not None and not undecided,
                       tuple(undecided), tuple(reversed(redundant)), current.width,
                       len_dimension(rho_in, hidden, rho_out), sum(int(p.numel()) for p in module.parameters()),
                       first.tolerance, reason)
