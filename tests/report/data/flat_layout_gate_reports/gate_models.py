"""Models and a user action for gate reports written before the layout change (pickled by value)."""
import numpy as np
import torch

from equifuzz.gate import Action


class Wrong(torch.nn.Module):
    """A linear map that ignores the action: not equivariant."""

    def __init__(self, d: int) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = torch.nn.Parameter(torch.randn(d, d, generator=g, dtype=torch.float64))

    def forward(self, x):
        return x @ self.w.T


class RepAction(Action):
    """A user-written action that keeps the representation object itself (pickled with the report)."""

    records_matrix = False

    def __init__(self, rep, name="vec"):
        self.rep = rep
        self.group = rep.group
        self.dim = rep.dim
        self.name = name

    def apply(self, g, x):
        M = self.rep(g.index) if g.matrix is None else self.rep.fn(g.matrix) if hasattr(self.rep, "fn") else None
        M = torch.as_tensor(np.asarray(M), dtype=x.dtype, device=x.device)
        return x @ M.T


class ShiftImage(torch.nn.Module):
    """Rolls an image by one pixel: not rotation-equivariant."""

    def forward(self, x):
        return torch.roll(x, 1, dims=-1)
