"""Downstream CI recipe for an EGNN-style model (egnn-pytorch layout: a batch of graphs, dense).

Copy this file into your tests and replace ``EGNNLayer`` by your model. One call checks rotations,
reflections, translations and node relabelling together (`NodeWise` blocks: one entry per node on
axis -2), and ``batch_dim=0`` lets the gate stack many rotated copies into few calls.
"""

import pytest
import torch

import equifuzz as ef
from equifuzz.gate import NodeWise

O3, SO3 = ef.groups.o3(), ef.groups.so3()


class EGNNLayer(torch.nn.Module):
    """Satorras et al. (2021): feats (b, n, d), coors (b, n, 3), all pairs interact within a graph.
    ``pseudo`` plants a reflection-only defect: a cross product, which rotates like a vector but does
    not flip under reflections (a rotation-only test cannot see it)."""

    def __init__(self, dim: int = 8, pseudo: float = 0.0) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.edge = torch.nn.Sequential(torch.nn.Linear(2 * dim + 1, 32), torch.nn.SiLU(), torch.nn.Linear(32, 16))
        self.coor = torch.nn.Linear(16, 1)
        self.node = torch.nn.Sequential(torch.nn.Linear(dim + 16, 32), torch.nn.SiLU(), torch.nn.Linear(32, dim))
        self.pseudo = pseudo
        self.double()

    def forward(self, feats: torch.Tensor, coors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rel = coors[:, :, None] - coors[:, None]                      # (b, n, n, 3)
        d2 = rel.pow(2).sum(-1, keepdim=True)
        n = feats.shape[1]
        pair = torch.cat([feats[:, :, None].expand(-1, -1, n, -1), feats[:, None].expand(-1, n, -1, -1), d2], -1)
        m = self.edge(pair)                                           # (b, n, n, 16)
        coors_out = coors + (rel * self.coor(m)).mean(dim=2)
        if self.pseudo:
            c = coors - coors.mean(dim=1, keepdim=True)
            axis = (c.pow(2).sum(-1, keepdim=True) * c).sum(dim=1, keepdim=True)  # a vector of the whole graph
            coors_out = coors_out + self.pseudo * torch.cross(c, axis.expand_as(c), dim=-1)
        return self.node(torch.cat([feats, m.sum(dim=2)], -1)), coors_out


def _inputs():
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(4, 6, 8, generator=g, dtype=torch.float64)   # 4 graphs of 6 nodes
    return feats, torch.randn(4, 6, 3, generator=g, dtype=torch.float64)


RHO_IN = (NodeWise(None), NodeWise("cartesian_points"))   # feats are invariant, coors are points
RHO_OUT = (NodeWise(None), NodeWise("cartesian_points"))


def test_egnn_layer_is_e3_and_permutation_equivariant(equifuzz_gate):
    equifuzz_gate(EGNNLayer(), O3, RHO_IN, RHO_OUT, inputs=_inputs(), batch_dim=0)


def test_a_reflection_only_defect_passes_so3_and_fails_o3(equifuzz_gate):
    broken = EGNNLayer(pseudo=0.05)
    equifuzz_gate(broken, SO3, RHO_IN, RHO_OUT, inputs=_inputs(), batch_dim=0)   # rotations: fine
    with pytest.raises(ef.EquivarianceError, match="not equivariant"):
        equifuzz_gate(broken, O3, RHO_IN, RHO_OUT, inputs=_inputs(), batch_dim=0)  # the gate sees reflections
