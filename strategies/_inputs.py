"""Inputs for sampled checks: Gaussian points plus adversarial ones.

Adversarial families: points on and beside the boundary hyperplanes of a given network (offsets from
1e-12 to 1e-3 along the normal), points in the fixed subspace Fix_K(rho_in) of a subgroup K (where
group elements act trivially and errors can hide), and huge (1e6) and tiny (1e-6) scales. Which
families appear and how many points each contributes are drawn through Hypothesis (shrinking towards
one Gaussian point); the points come from a drawn seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from equifuzz.nets.relu_net import ReLUNet
from equifuzz.reps.finite import Representation

from ._checks import MAX_COUNT, check_int, check_net, check_rep, check_seed
from ._checks import InvalidStrategyArgument as InvalidArgument
from ._groups import seeds
from ._nets import _projector

__all__ = ["INPUT_FAMILIES", "inputs", "build_inputs"]

#: Families of adversarial inputs (Gaussian points are always included).
INPUT_FAMILIES: tuple[str, ...] = ("boundary", "fixed", "huge", "tiny")

_SEEDS = seeds()
_OFFSETS = np.array([0.0, 1e-12, -1e-12, 1e-9, -1e-9, 1e-6, -1e-6, 1e-3, -1e-3])


def _check_families(families: object) -> list[str]:
    if isinstance(families, str) or not isinstance(families, (list, tuple)) \
            or any(f not in INPUT_FAMILIES for f in families):
        raise InvalidArgument(f"families must be a collection of {list(INPUT_FAMILIES)}, got {families!r}")
    return list(families)


def _check_net(net: object, rho_in: Representation) -> ReLUNet | None:
    if net is None:
        return None
    net = check_net("net", net)
    if net.d != rho_in.dim:  # type: ignore[attr-defined]
        raise InvalidArgument(f"the network takes inputs of dimension {net.d}, "  # type: ignore[attr-defined]
                              f"rho_in has dimension {rho_in.dim}")
    return net  # type: ignore[return-value]


def build_inputs(rho_in: Representation, seed: int, counts: dict[str, int], net: ReLUNet | None = None,
                 subgroup_index: int = 0) -> np.ndarray:
    """The (n, d) float64 array of inputs: ``counts[family]`` points of each family (``"gaussian"`` too).

    ``subgroup_index`` picks the subgroup K (modulo their number) for the ``fixed`` family.
    """
    check_rep("rho_in", rho_in)
    seed = check_seed(seed)
    net = _check_net(net, rho_in)
    subgroup_index = check_int("subgroup_index", subgroup_index, min=0)
    if not isinstance(counts, dict):
        raise InvalidArgument(f"counts must be a dict family -> count, got {counts!r}")
    known = ("gaussian", *INPUT_FAMILIES)
    unknown = [k for k in counts if k not in known]
    if unknown:
        raise InvalidArgument(f"unknown families {unknown} in counts; choose from {list(known)}")
    counts = {k: check_int(f"counts[{k!r}]", c, min=0, max=MAX_COUNT) for k, c in counts.items()}
    rng = np.random.default_rng(seed)
    d = rho_in.dim
    parts = [rng.standard_normal((counts.get("gaussian", 0), d))]
    if counts.get("boundary", 0) and net is not None and net.width:
        W1, b1, _, _ = net.float_params()
        norms = np.linalg.norm(W1, axis=1)
        live = np.flatnonzero(norms > 0)
        if live.size:
            rows = rng.choice(live, size=counts["boundary"])
            for i in rows:
                w, b, nw = W1[i], b1[i], norms[i]
                x0 = -b * w / nw ** 2
                z = rng.standard_normal(d)
                z -= (z @ w) * w / nw ** 2  # along the hyperplane
                t = _OFFSETS[rng.integers(len(_OFFSETS))] * (1.0 + np.linalg.norm(x0))
                parts.append((x0 + z + t * w / nw)[None])
    if counts.get("fixed", 0):
        subs = rho_in.group.subgroups()
        K = subs[subgroup_index % len(subs)]
        P = _projector(rho_in.matrices, K.elements)
        parts.append(rng.standard_normal((counts["fixed"], d)) @ P.T)
    if counts.get("huge", 0):
        parts.append(1e6 * rng.standard_normal((counts["huge"], d)))
    if counts.get("tiny", 0):
        parts.append(1e-6 * rng.standard_normal((counts["tiny"], d)))
    return np.concatenate(parts).reshape(-1, d)


def inputs(rho_in: Representation, net: ReLUNet | None = None, *, max_per_family: int = 16,
           families: Sequence[str] = INPUT_FAMILIES) -> SearchStrategy[np.ndarray]:
    """Arrays (n, d) of inputs for ``rho_in``: 1..``max_per_family`` Gaussian points plus adversarial ones.

    Each family of ``families`` is switched on by a drawn boolean (shrinking towards off) with its own
    drawn count; ``boundary`` needs ``net``.
    """
    check_rep("rho_in", rho_in)
    fams = _check_families(families)
    net = _check_net(net, rho_in)
    max_per_family = check_int("max_per_family", max_per_family, min=1, max=MAX_COUNT)

    return _draw_inputs(rho_in, net, max_per_family, tuple(fams))


@st.composite
def _draw_inputs(draw: st.DrawFn, rho_in: Representation, net: ReLUNet | None, max_per_family: int,
                 fams: tuple[str, ...]) -> np.ndarray:
    counts = {"gaussian": draw(st.integers(1, max_per_family))}
    for fam in INPUT_FAMILIES:
        if fam in fams and draw(st.booleans()):
            counts[fam] = draw(st.integers(1, max_per_family))
    k = draw(st.integers(0, 64)) if "fixed" in counts else 0
    return build_inputs(rho_in, draw(_SEEDS), counts, net, k)
