"""The exact oracles on escnn 1.0.11 MLPs: minimal layer-wise width against the model's width, the hidden
fields it does without, and ``len_dimension`` against escnn's parameter count (``efs.exact_report``).

Run in escnn's environment (``tox -e escnn`` or a venv with ``pip install --no-deps escnn==1.0.11``):

    python benchmarks/escnn_exact.py            # prints the Markdown rows of benchmarks/README.md

Models: Linear-ReLU-Linear over ``no_base_space``, input one regular field, output a regular and a
trivial field, seeded random weights; the hidden fields of each row. Two rows have a redundancy built in:
the C4/C2 quotient field's output weights set to zero, and the second of two D4 quotient fields given
twice the first one's input weights (hidden biases zero). The oracles' tolerance is their default (1e-8)
except on the last row: escnn samples C8's bases (cos 45 degrees) in float32. Times are wall-clock on a shared, loaded
machine.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import torch

from equifuzz.adapters import escnn as efs

warnings.filterwarnings("ignore")
from escnn import group as eg  # noqa: E402
from escnn import gspaces  # noqa: E402
from escnn import nn as enn  # noqa: E402


def model(G: Any, fields: list[Any], seed: int = 0) -> Any:
    gs = gspaces.no_base_space(G)
    fin, out = enn.FieldType(gs, [gs.regular_repr]), enn.FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    hid = enn.FieldType(gs, [gs.regular_repr if f == "regular" else gs.quotient_repr(f) for f in fields])
    torch.manual_seed(seed)
    return enn.SequentialModule(enn.Linear(fin, hid), enn.ReLU(hid), enn.Linear(hid, out))


def touching(linear: Any, rows: slice | None = None, cols: slice | None = None) -> list[int]:
    """The weight coefficients of an escnn Linear whose basis element reaches the given rows or columns."""
    saved, hits = linear.weights.data.clone(), []
    with torch.no_grad():
        for i in range(saved.numel()):
            linear.weights.data.zero_()
            linear.weights.data[i] = 1.0
            W, _ = linear.expand_parameters()
            if torch.any((W[rows] if rows is not None else W[:, cols]) != 0):
                hits.append(i)
        linear.weights.data.copy_(saved)
    return hits


def silent_quotient() -> Any:
    net = model(eg.cyclic_group(4), ["regular", 2])
    l2 = list(net.children())[2]
    with torch.no_grad():
        l2.weights.data[touching(l2, cols=slice(4, 6))] = 0.0
    return net


def merging_quotients() -> Any:
    net = model(eg.dihedral_group(4), [(None, 2), (None, 2)])
    l1 = list(net.children())[0]
    with torch.no_grad():
        l1.weights.data[touching(l1, rows=slice(4, 8))] = 2.0 * l1.weights.data[touching(l1, rows=slice(0, 4))]
        l1.bias.data.zero_()
    return net


ROWS = [
    ("C4", "3 regular", lambda: model(eg.cyclic_group(4), ["regular"] * 3)),
    ("C4", "regular + C4/C2", lambda: model(eg.cyclic_group(4), ["regular", 2])),
    ("C4", "regular + C4/C2, zero output weights", silent_quotient),
    ("D4", "2 regular", lambda: model(eg.dihedral_group(4), ["regular"] * 2)),
    ("D4", "regular + D4/C2", lambda: model(eg.dihedral_group(4), ["regular", (None, 2)])),
    ("D4", "2 D4/C2, the second twice the first", merging_quotients),
    ("C8", "2 regular", lambda: model(eg.cyclic_group(8), ["regular"] * 2)),
    ("C8", "2 regular, tol = RTOL_FLOAT32_BASES", lambda: model(eg.cyclic_group(8), ["regular"] * 2)),
]


def main() -> None:
    print("| group | hidden fields | width | minimal width | redundant fields | len_dimension | escnn parameters "
          "| time |")
    print("|---|---|---|---|---|---|---|---|")
    for g, name, make in ROWS:
        net = make()
        t = time.perf_counter()
        rep = efs.exact_report(net, tol=efs.RTOL_FLOAT32_BASES if "RTOL" in name else None)
        dt = time.perf_counter() - t
        if rep.minimal is None:
            m = f"none: {rep.reason.splitlines()[0]}"
        else:
            m = str(rep.minimal) if rep.minimal_decided else f"<= {rep.minimal} (undecided at {list(rep.undecided)})"
        red = "; ".join(str(r) for r in rep.redundant) or "none"
        print(f"| {g} | {name} | {rep.width} | {m} | {red} | {rep.len_dimension} | {rep.parameters} | {dt:.2f} s |")


if __name__ == "__main__":
    main()
