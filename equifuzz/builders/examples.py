"""The worked examples of the theory (Examples A and B, the GN-vs-GEN example), as ready-made cases.

Each case bundles a network, the group, the two representations and the reference values that the
tests, the campaign and the report examples check against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import groups, reps
from ..groups.finite import FiniteGroup
from ..nets.relu_net import ReLUNet
from ..reps.finite import Representation

__all__ = ["Case", "example_a", "example_b", "example_gn_gen", "all_examples"]


@dataclass(frozen=True)
class Case:
    """A network with the representations it is claimed to be equivariant for, and reference values."""

    name: str
    net: ReLUNet
    group: FiniteGroup
    rho_in: Representation
    rho_out: Representation
    reference: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def example_a(exact: bool = False) -> Case:
    """Z2 acting by -I on R^2, invariant output; f = relu(x1) + relu(x2) + relu(-x1 - x2).

    Equivariant at width 3, not layer-wise below width 6; f = 1/2 (|x1| + |x2| + |x1 + x2|).
    """
    G = groups.cyclic(2)
    G.name = "Z2"
    rho_in = reps.from_generators(G, [-np.eye(2)], name="-I on R^2")
    rho_out = reps.trivial(G)
    net = ReLUNet([[1, 0], [0, 1], [-1, -1]], None, [[1, 1, 1]], None)
    if exact:
        net = net.to_exact()
    ref = {"lower": 6, "upper": 6, "naive_upper": 6, "width": 3,
           "len_risk": {2: 0.104, 3: 0.104, 4: 0.0105, 5: 0.0105, 6: 0.0}}
    return Case("example_a", net, G, rho_in, rho_out, ref, "Z2 = {I, -I} on R^2, invariant scalar output")


def example_b() -> Case:
    """C4 by 90-degree rotations, invariant output; f = sum_k a_k [relu(u_k.x) + relu(R u_k.x)].

    u_k at 0, 30, 60 degrees and a = (1, -sqrt 3, 1) so that sum a_k u_k = 0. Width 6, minimal
    layer-wise width 12 (three regular orbits); naive |G| m = 24.
    """
    G = groups.cyclic(4)
    rho_in = reps.rotation(G)
    rho_out = reps.trivial(G)
    R = rho_in(1)
    angles = np.deg2rad([0.0, 30.0, 60.0])
    U = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    a = np.array([1.0, -np.sqrt(3.0), 1.0])
    W1 = np.concatenate([U, U @ R.T])
    W2 = np.concatenate([a, a])[None, :]
    net = ReLUNet(W1, None, W2, None)
    ref = {"lower": 12, "upper": 12, "naive_upper": 24, "width": 6}
    return Case("example_b", net, G, rho_in, rho_out, ref, "C4 by rotations on R^2, invariant scalar output")


def example_gn_gen() -> Case:
    """Z2 acting by x -> -x on R, target |x| under U[-1, 1]: the best width-1 GN beats the best GEN."""
    G = groups.cyclic(2)
    G.name = "Z2"
    rho = reps.from_generators(G, [-np.eye(1)], name="-1 on R")
    net = ReLUNet([[1.0], [-1.0]], None, [[1.0, 1.0]], None)  # |x| at width 2
    ref = {"gn1_risk": 1 - 2 * np.sqrt(2) / 3, "gen1_risk": 1 / 12}
    return Case("example_gn_gen", net, G, rho, reps.trivial(G), ref, "|x| on [-1, 1] under x -> -x")


def all_examples() -> list[Case]:
    return [example_a(), example_b()]
