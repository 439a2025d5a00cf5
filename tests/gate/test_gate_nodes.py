"""Node permutations: relabelling the nodes (with edge lists and adjacency relabelled consistently),
alone and jointly with O(3); defects that only a relabelling shows are caught and shrunk to it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import equifuzz as ef
from equifuzz.gate import Adjacency, EdgeIndex, NodeWise, replay

O3 = ef.groups.o3()
VEC = ef.reps.defining(O3)


class TinyEGNN(torch.nn.Module):
    """One EGNN layer (Satorras et al.): messages from invariant features and squared distances along
    the edges of ``edges`` (2, E); positions move along relative vectors. E(3)- and permutation-
    equivariant. ``planted``: "index" adds each node's number to its features (breaks relabelling
    only); "z" adds a constant along z to the positions' update (breaks rotations only)."""

    def __init__(self, planted: str = "") -> None:
        super().__init__()
        torch.manual_seed(0)
        self.phi_e = torch.nn.Sequential(torch.nn.Linear(2 * 4 + 1, 16), torch.nn.SiLU(), torch.nn.Linear(16, 8))
        self.phi_x = torch.nn.Linear(8, 1)
        self.phi_h = torch.nn.Sequential(torch.nn.Linear(4 + 8, 16), torch.nn.SiLU(), torch.nn.Linear(16, 4))
        self.double()
        self.planted = planted

    def forward(self, pos, h, edges):
        if self.planted == "index":
            h = h + 0.1 * torch.arange(len(h), dtype=h.dtype)[:, None]
        src, dst = edges
        rel = pos[dst] - pos[src]
        m = self.phi_e(torch.cat([h[dst], h[src], rel.pow(2).sum(-1, keepdim=True)], dim=-1))
        upd = torch.zeros_like(pos).index_add_(0, dst, rel * self.phi_x(m))
        if self.planted == "z":
            upd = upd + torch.tensor([0.0, 0.0, 0.3], dtype=pos.dtype)
        agg = torch.zeros(len(h), 8, dtype=h.dtype).index_add_(0, dst, m)
        return pos + upd, h + self.phi_h(torch.cat([h, agg], dim=-1))


def _graph(n: int = 7):
    g = torch.Generator().manual_seed(3)
    pos, h = torch.randn(n, 3, generator=g, dtype=torch.float64), torch.randn(n, 4, generator=g, dtype=torch.float64)
    edges = torch.tensor([(i, j) for i in range(n) for j in range(n) if i != j and (i + j) % 3], dtype=torch.long).T
    return pos, h, edges


RHO_IN = (NodeWise("cartesian_points"), NodeWise(None), EdgeIndex())
RHO_OUT = (NodeWise("cartesian_points"), NodeWise(None))


def test_an_egnn_layer_is_equivariant_to_rotations_translations_and_relabelling():
    v = ef.assert_equivariant(TinyEGNN(), O3, RHO_IN, RHO_OUT, inputs=_graph())
    assert v.holds and v.n_outputs == 2


def test_a_defect_only_relabelling_shows_is_caught_and_shrunk_to_a_pure_permutation(tmp_path):
    model = TinyEGNN("index")
    # the rotation-only check passes (the node numbers are invariant under rotations) ...
    plain = (("cartesian_points", None, None), ("cartesian_points", None))
    assert ef.assert_equivariant(model, O3, *plain, inputs=_graph()).holds
    # ... the relabelling check does not
    with pytest.raises(ef.EquivarianceError, match="node permutation") as info:
        ef.assert_equivariant(model, O3, RHO_IN, RHO_OUT, inputs=_graph(), report_dir=tmp_path)
    v = info.value.verdict
    assert v.element.startswith("node permutation") and "R = [[1." in v.element  # identity rotation
    assert replay(v.report).ratio > 1 and replay(v.report, TinyEGNN()).ratio <= 1
    assert "node permutation" in Path(v.report, "report.md").read_text()


def test_a_rotation_defect_is_shrunk_to_the_rotation_alone(tmp_path):
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(TinyEGNN("z"), O3, RHO_IN, RHO_OUT, inputs=_graph(), report_dir=tmp_path)
    v = info.value.verdict
    assert "node permutation" not in v.element and v.element.startswith("covering element")
    assert replay(v.report).ratio > 1 and replay(v.report, TinyEGNN()).ratio <= 1


def test_edges_that_are_not_relabelled_break_relabelling(tmp_path):
    model = TinyEGNN()
    chain = lambda pos, h, edges: model(pos, h, torch.stack([torch.arange(6), torch.arange(1, 7)]))  # noqa: E731
    with pytest.raises(ef.EquivarianceError, match="node permutation"):
        ef.assert_equivariant(chain, O3, RHO_IN, RHO_OUT, inputs=_graph(), report_dir=tmp_path)


def test_adjacency_matrices_are_permuted_on_both_axes(tmp_path):
    K = ef.groups.so3()
    vec = ef.reps.defining(K)
    n = 6
    x = torch.randn(n, 3, dtype=torch.float64)
    A = (torch.rand(n, n, generator=torch.Generator().manual_seed(1)) < 0.5).double()
    v = ef.assert_equivariant(lambda x, A: A @ x, K, (NodeWise(vec), Adjacency()), NodeWise(vec), inputs=(x, A))
    assert v.holds
    with pytest.raises(ef.EquivarianceError, match="node permutation"):  # node 0 is special
        ef.assert_equivariant(lambda x, A: A @ x + x[:1], K, (NodeWise(vec), Adjacency()), NodeWise(vec),
                              inputs=(x, A), report_dir=tmp_path)


def test_permutations_with_a_finite_group_and_a_batch_of_clouds(tmp_path):
    G = ef.groups.dihedral(4)
    rot = ef.reps.rotation(G)
    clouds = torch.randn(3, 5, 2, dtype=torch.float64)  # (batch, nodes, 2)
    centred = lambda p: p - p.mean(dim=-2, keepdim=True)  # noqa: E731
    v = ef.assert_equivariant(centred, G, NodeWise(rot), NodeWise(rot), inputs=clouds, batch_dim=0)
    assert v.holds
    with pytest.raises(ef.EquivarianceError, match="node permutation"):
        ef.assert_equivariant(lambda p: centred(p).cumsum(dim=-2), G, NodeWise(rot), NodeWise(rot), inputs=clouds,
                              batch_dim=0, report_dir=tmp_path)


def test_bad_node_blocks_are_errors():
    with pytest.raises(ef.ShapeError, match="NodeWise"):
        ef.assert_equivariant(lambda e: e.sum(), O3, EdgeIndex(), None, inputs=torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ef.ShapeError, match="integer node indices"):
        ef.assert_equivariant(lambda x, e: x, O3, (NodeWise(VEC), EdgeIndex()), NodeWise(VEC),
                              inputs=(torch.randn(4, 3, dtype=torch.float64), torch.zeros(2, 3)))
