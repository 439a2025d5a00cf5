"""Downstream CI recipe for a MACE-style force field: energy E(positions, species), forces -dE/dx
computed inside the model with ``torch.autograd.grad``.

The gate runs the model with gradients enabled, so ``positions.requires_grad_(True)`` and
``torch.autograd.grad`` work as in training. The energy is invariant, the forces rotate with the
positions (``NodeWise(vector)``: one force per atom) and follow any relabelling of the atoms.
"""

import pytest
import torch

import equifuzz as ef
from equifuzz.gate import NodeWise

O3 = ef.groups.o3()
VEC = ef.reps.defining(O3)


class PairPotential(torch.nn.Module):
    """E = sum over atom pairs of a learned function of (distance, species pair); ``stretch`` plants a
    defect that commutes with rotations about z (the axis a z-rotation test uses) but not with others."""

    def __init__(self, n_species: int = 3, stretch: float = 0.0) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embed = torch.nn.Embedding(n_species, 4)
        self.radial = torch.nn.Sequential(torch.nn.Linear(1 + 4, 32), torch.nn.SiLU(), torch.nn.Linear(32, 1))
        self.register_buffer("metric", torch.diag(torch.tensor([1.0, 1.0, 1.0 + stretch])))
        self.double()

    def forward(self, positions: torch.Tensor, species: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        positions = positions.requires_grad_(True)
        x = positions @ self.metric
        i, j = torch.triu_indices(len(x), len(x), 1)
        r = (x[i] - x[j]).pow(2).sum(-1, keepdim=True).add(1e-12).sqrt()
        e = self.embed(species)
        energy = self.radial(torch.cat([r, e[i] * e[j]], dim=-1)).sum()
        (grad,) = torch.autograd.grad(energy, positions, create_graph=self.training)
        return energy.reshape(1), -grad


def _atoms():
    g = torch.Generator().manual_seed(0)
    return torch.randn(8, 3, generator=g, dtype=torch.float64), torch.randint(0, 3, (8,), generator=g)


RHO_IN = (NodeWise("cartesian_points"), NodeWise(None, axis=0))   # positions; species (n,) do not transform
RHO_OUT = (None, NodeWise(VEC))                            # energy invariant; forces are vectors


def test_energy_is_invariant_and_forces_equivariant(equifuzz_gate):
    equifuzz_gate(PairPotential().eval(), O3, RHO_IN, RHO_OUT, inputs=_atoms())


def test_a_stretch_along_z_is_caught(equifuzz_gate):
    with pytest.raises(ef.EquivarianceError, match="not equivariant"):
        equifuzz_gate(PairPotential(stretch=0.01).eval(), O3, RHO_IN, RHO_OUT, inputs=_atoms())
