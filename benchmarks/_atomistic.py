"""Small force fields of mace-torch and torchmd-net for ``gate_libraries.py``: energy and forces
(-dE/dx by ``torch.autograd.grad`` inside the library) as a function of a leading batch of graphs.

Each wrapper takes (species (B, n, ...), positions (B, n, 3)) and returns (energy (B,), forces
(B, n, 3)). The B graphs are joined into one disjoint graph with the library's own ``batch`` vector,
so entry b of the outputs depends on graph b alone (the gate checks that claim under ``batch_dim=0``).
The neighbour graph is built inside from the positions (MACE: every pair closer than r_max, the
radius graph MACE's data pipeline builds; torchmd-net builds its own), so the gated map is a
function of species and positions only, and relabelling the atoms relabels the graph with them.
Gradients are enabled inside, so the wrappers also work under ``torch.no_grad()``.

The libraries' own equivariance tests are re-implemented for any wrapped model (``*_own_test``):
mace-torch's ``tests/test_models.py::test_mace`` (shipped in its wheel, run as is by
:func:`run_shipped_mace_test`) compares energies after a 60 degree rotation about z; torchmd-net's
``tests/test_equivariance.py`` (not in its wheel) rotates by one fixed matrix and compares energies
(``test_scalar_invariance``) and vectors (``test_vector_equivariance``).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

#: MACE's cutoff radius; the radius graph joins atoms closer than this
R_MAX = 4.0
MACE_SPECIES = 2


class MaceForces(torch.nn.Module):
    """A MACE model on a batch of graphs: (one-hot species (B, n, 2), positions (B, n, 3)) ->
    (energy (B,), forces (B, n, 3))."""

    def __init__(self, model: torch.nn.Module, r_max: float = R_MAX) -> None:
        super().__init__()
        self.model, self.r_max = model, r_max

    def forward(self, node_attrs: torch.Tensor, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, n, _ = positions.shape
        with torch.enable_grad():
            pos = positions.reshape(B * n, 3).clone()
            d = torch.cdist(positions.detach(), positions.detach())
            close = (d < self.r_max) & ~torch.eye(n, dtype=torch.bool, device=d.device)
            b, i, j = close.nonzero(as_tuple=True)
            edge_index = torch.stack([b * n + i, b * n + j])  # both directions, as MACE's neighbour list
            zeros = pos.new_zeros(edge_index.shape[1], 3)
            data = {"positions": pos, "node_attrs": node_attrs.reshape(B * n, -1), "edge_index": edge_index,
                    "shifts": zeros, "unit_shifts": zeros, "cell": pos.new_zeros(3 * B, 3),
                    "batch": torch.arange(B, device=pos.device).repeat_interleave(n),
                    "ptr": torch.arange(B + 1, device=pos.device) * n}
            out = self.model(data, training=False, compute_force=True)
        return out["energy"], out["forces"].reshape(B, n, 3)


def build_mace(dtype: torch.dtype, cast: bool = False) -> torch.nn.Module:
    """A tiny MACE (2 elements, r_max 4, 2 interactions, hidden 8x0e + 8x1o, max_ell 2, correlation 2),
    built under ``torch.set_default_dtype(dtype)`` as MACE's tools build a float64 model; ``cast=True``
    builds it in float32 and casts it with ``.to(dtype)`` instead."""
    import mace.modules as mm  # mace first: it allows e3nn 0.4.4's torch.load of its constants
    from e3nn import o3

    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32 if cast else dtype)
    try:
        torch.manual_seed(0)
        model = mm.MACE(r_max=R_MAX, num_bessel=8, num_polynomial_cutoff=5, max_ell=2,
                        interaction_cls=mm.interaction_classes["RealAgnosticResidualInteractionBlock"],
                        interaction_cls_first=mm.interaction_classes["RealAgnosticInteractionBlock"],
                        num_interactions=2, num_elements=MACE_SPECIES, hidden_irreps=o3.Irreps("8x0e + 8x1o"),
                        MLP_irreps=o3.Irreps("8x0e"), gate=torch.nn.functional.silu,
                        atomic_energies=np.zeros(MACE_SPECIES), avg_num_neighbors=5.0, atomic_numbers=[1, 8],
                        correlation=2)
    finally:
        torch.set_default_dtype(old)
    return MaceForces(model).to(dtype).eval()


def mace_inputs(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Two molecule-like graphs of 6 atoms: one-hot species (2, 6, 2) and positions (2, 6, 3)."""
    g = torch.Generator().manual_seed(0)
    species = torch.randint(0, MACE_SPECIES, (2, 6), generator=g)
    pos = torch.randn(2, 6, 3, generator=g, dtype=torch.float64)
    return torch.nn.functional.one_hot(species, MACE_SPECIES).to(dtype), pos.to(dtype)


class TorchmdForces(torch.nn.Module):
    """A TorchMD-Net model (derivative=True) on a batch of graphs: (atomic numbers (B, n), positions
    (B, n, 3)) -> (energy (B,), forces (B, n, 3))."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, n, _ = positions.shape
        with torch.enable_grad():
            y, neg_dy = self.model(z.reshape(B * n), positions.reshape(B * n, 3).clone(),
                                   torch.arange(B, device=z.device).repeat_interleave(n))
        return y.reshape(B), neg_dy.reshape(B, n, 3)


TORCHMD_ARGS = dict(model="equivariant-transformer", embedding_dimension=16, num_layers=2, num_rbf=16,
                    rbf_type="expnorm", trainable_rbf=False, activation="silu", attn_activation="silu", num_heads=2,
                    distance_influence="both", neighbor_embedding=True, cutoff_lower=0.0, cutoff_upper=R_MAX,
                    max_z=10, max_num_neighbors=32, reduce_op="add", output_model="Scalar", derivative=True,
                    atom_filter=-1, prior_model=None)


def build_torchmd(dtype: torch.dtype) -> torch.nn.Module:
    """A tiny equivariant transformer (TorchMD_ET: 16 channels, 2 layers, 2 heads, cutoff 4) with a
    scalar energy head and forces (``derivative=True``), built by ``create_model`` in ``dtype``."""
    try:  # the neighbour-list kernels print their compilation; keep the table readable
        import warp

        warp.config.quiet = True
    except ImportError:
        pass
    from torchmdnet.models.model import create_model

    torch.manual_seed(0)
    return TorchmdForces(create_model(dict(TORCHMD_ARGS, precision=64 if dtype == torch.float64 else 32))).eval()


def torchmd_inputs(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Two molecule-like graphs of 6 atoms: atomic numbers (2, 6) in {1, 8} and positions (2, 6, 3)."""
    g = torch.Generator().manual_seed(0)
    z = torch.tensor([1, 8])[torch.randint(0, 2, (2, 6), generator=g)]
    return z, torch.randn(2, 6, 3, generator=g, dtype=torch.float64).to(dtype)


def mace_own_test(model: torch.nn.Module, dtype: torch.dtype) -> bool:
    """True when mace-torch's ``test_mace`` check flags the model: positions rotated by 60 degrees about
    z (``Rotation.from_euler("z", 60, degrees=True)``, applied as ``rot @ x``), energies compared with
    ``torch.allclose`` (default tolerances). Forces are not compared there."""
    t = math.radians(60)
    rot = torch.tensor([[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0], [0.0, 0.0, 1.0]],
                       dtype=dtype)
    species, pos = mace_inputs(dtype)
    with torch.no_grad():
        e1, _ = model(species, pos)
        e2, _ = model(species, pos @ rot.T)
    return not torch.allclose(e1, e2)


#: the fixed rotation of torchmd-net's tests/test_equivariance.py
TORCHMD_ROTATE = [[0.9886788, -0.1102370, 0.1017945], [0.1363630, 0.9431761, -0.3030248],
                  [-0.0626055, 0.3134752, 0.9475304]]


def torchmd_own_test(model: torch.nn.Module, dtype: torch.dtype) -> bool:
    """True when torchmd-net's equivariance tests flag the model: ``pos @ rotate`` with their fixed
    matrix; energies as in ``test_scalar_invariance``, forces as vectors (``y @ rotate``) as in
    ``test_vector_equivariance``, both with ``torch.testing``'s default tolerances of the dtype."""
    rotate = torch.tensor(TORCHMD_ROTATE, dtype=dtype)
    z, pos = torchmd_inputs(dtype)
    with torch.no_grad():
        e1, f1 = model(z, pos)
        e2, f2 = model(z, pos @ rotate)
    try:
        torch.testing.assert_close(e2, e1)
        torch.testing.assert_close(f2, f1 @ rotate)
    except AssertionError:
        return True
    return False


def run_shipped_mace_test() -> str:
    """Run ``tests/test_models.py::test_mace`` as shipped in the mace-torch wheel (its own model, 5
    interactions, energies after a 60 degree rotation about z); 'passed', 'failed' or why not run."""
    import mace

    test = Path(mace.__file__).parent.parent / "tests" / "test_models.py"
    if not test.exists():
        return "not shipped in this wheel"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
                           str(test.parent), f"{test}::test_mace"], capture_output=True, text=True, timeout=600)
    return "passed" if proc.returncode == 0 else f"failed (pytest exit {proc.returncode})"
