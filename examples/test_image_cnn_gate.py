"""Downstream CI recipe for a group-equivariant CNN on images (an R2Conv-style C4/D4 model in plain torch).

Copy this file into your tests and replace ``GroupCNN`` by your model. ``Grid(rho)`` is an image block
(batch, channels, H, W): an element rotates the pixel grid by a multiple of 90 degrees or reflects it,
exactly (``torch.rot90``/``flip``), and acts on the channels by ``rho``. Convention (escnn's): +90 degrees
is ``torch.rot90(x, 1, dims=(-2, -1))``; the reflection ``s`` of ``dihedral(n)`` flips the rows. The gate
draws images at an odd and an even size (17 and 16) unless ``sizes=`` says otherwise; off-grid groups
(C8, SO(2)) are checked on their subgroup that maps the grid to itself, and the verdict says so.
"""

import pytest
import torch
import torch.nn.functional as F

import equifuzz as ef
from equifuzz.gate import Grid


def moved_filters(w: torch.Tensor, dihedral: bool) -> torch.Tensor:
    """The filter bank w (out, in, k, k) moved by every element r^k s^e (k fastest) of C4 or D4."""
    return torch.stack([torch.rot90(w.flip(-2) if e else w, k, dims=(-2, -1))
                        for e in ([0, 1] if dihedral else [0]) for k in range(4)], 1).flatten(0, 1)


class GroupCNN(torch.nn.Module):
    """Lifting convolution (scalar image -> regular fields), ReLU, pooling over the group: an invariant
    feature map. ``stride=2`` plants a defect that shows on even sizes only."""

    def __init__(self, dihedral: bool = False, stride: int = 1) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.w = torch.nn.Parameter(torch.randn(4, 3, 3, 3, dtype=torch.float64))
        self.dihedral, self.stride = dihedral, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(F.conv2d(x, moved_filters(self.w, self.dihedral), padding=1, stride=self.stride))
        return y.unflatten(1, (4, -1)).mean(2)  # (batch, 4, H', W'): 4 invariant channels


def test_c4_cnn_is_equivariant(equifuzz_gate):
    C4 = ef.groups.cyclic(4)
    equifuzz_gate(GroupCNN(), C4, Grid(ef.reps.trivial(C4, 3)), Grid(ef.reps.trivial(C4, 4)))


def test_d4_cnn_is_equivariant(equifuzz_gate):
    D4 = ef.groups.dihedral(4)
    equifuzz_gate(GroupCNN(dihedral=True), D4, Grid(ef.reps.trivial(D4, 3)), Grid(ef.reps.trivial(D4, 4)))


def test_stride_two_breaks_rotations_on_even_sizes(equifuzz_gate):
    G = ef.groups.cyclic(4)
    equifuzz_gate(GroupCNN(stride=2), G, Grid(ef.reps.trivial(G, 3), sizes=[17]), Grid(ef.reps.trivial(G, 4)))
    with pytest.raises(ef.EquivarianceError, match="16, 16"):  # the even size fails, and the message shows it
        equifuzz_gate(GroupCNN(stride=2), G, Grid(ef.reps.trivial(G, 3)), Grid(ef.reps.trivial(G, 4)))
