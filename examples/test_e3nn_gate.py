"""Downstream CI recipe for e3nn modules: run it with `pytest examples/` (equifuzz[e3nn] installed).

``efe.blocks(model)`` reads the irreps off the module. No ``batch_dim`` is needed: an e3nn module maps
the rows of its inputs independently, so the gate stacks all rotated copies into a few calls by itself
(``verdict.batching`` says so).
"""

import torch
from e3nn import o3

from equifuzz.adapters import e3nn as efe


def test_my_block_is_o3_equivariant(equifuzz_gate):
    model = o3.FullyConnectedTensorProduct("2x0e + 1x1o", "1x1o", "1x0e + 2x1o + 1x1e").to(torch.float64)
    equifuzz_gate(model, efe.O3, *efe.blocks(model))  # raises EquivarianceError with a minimal report
