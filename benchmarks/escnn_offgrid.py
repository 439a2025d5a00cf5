"""The approximate off-grid mode (``ef.gate.assert_approximately_equivariant``): its calibration and
where it separates correct models from off-grid defects.

Models (float64; ``models()``): plain torch CNNs of isotropic Gaussian filters with ReLU, 2 and 3
layers (exactly SO(2)-equivariant on the continuum; gated as C8 and as SO(2)); escnn 1.0.11 C8 and C16
models (R2Conv trivial -> regular, ReLU, R2Conv regular -> regular, 3x3 and 5x5 kernels) and SO(2)
models (R2Conv trivial -> irreps, norm ReLU, R2Conv -> trivial (+ irrep 1)), each escnn architecture of
the calibration with two weight draws. The margins (``MARGINS``) are 1.25 x the worst score of the
calibration models over ``CALIBRATION_SEEDS`` input draws at each band; the models marked held out
(another C16 and SO(2) architecture, a third weight draw of the SO(2) one) are not in it and test it.

Defects are **off-grid only**: the model plus eps times a random convolution made equivariant under
C4 exactly (the script checks that the exact gate, on C4, passes every defect model) but not under 45
degrees, scaled so that its output RMS is eps times the model's on a fixed draw: eps = 1, 1e-1, 1e-2,
1e-3. Each cell is the verdict's score q = error / floor at its worst element, over ``SEEDS`` input
draws (the worst for correct models, the least for defects), with how many draws fail at the margins
just measured. Run in escnn's environment: ``python benchmarks/escnn_offgrid.py`` (without escnn, the
torch rows only).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

import equifuzz as ef
from equifuzz import groups, reps
from equifuzz.errors import EquivarianceError
from equifuzz.gate import Grid
from equifuzz.gate.approximate import MARGINS, assert_approximately_equivariant

warnings.filterwarnings("ignore")
BANDS = (1.5, 2.0, 3.0, 5.0, 8.0)
TABLE_BANDS = (1.5, 3.0, 8.0)  # the separation table (the calibration covers every band)
EPS = (0.0, 1.0, 1e-1, 1e-2, 1e-3)
CALIBRATION_SEEDS = (0, 1, 2, 3, 4)  # the margins are measured on these draws
SEEDS = (10, 11)  # the separation table uses other draws
SAFETY = 1.25


def c4_filters(cout: int, cin: int, k: int, per_element: int, gen: torch.Generator) -> torch.Tensor:
    """Random k x k filters for ``cout`` output fields of ``per_element`` channels each; channel j of a
    field uses base filter j mod (per_element / 4)... rotated by 90 (j // (per_element / 4)) degrees:
    C4-equivariant from trivial inputs to fields on which the quarter turn shifts channels by
    per_element / 4 (trivial fields: per_element = 1, the filter averaged over C4)."""
    if per_element == 1:
        w = torch.randn(cout, cin, k, k, generator=gen, dtype=torch.float64)
        return sum(torch.rot90(w, r, dims=(-2, -1)) for r in range(4)) / 4  # type: ignore[return-value]
    q = per_element // 4
    base = torch.randn(cout, q, cin, k, k, generator=gen, dtype=torch.float64)
    fs = [torch.rot90(base[:, j % q], j // q, dims=(-2, -1)) for j in range(per_element)]
    return torch.stack(fs, 1).flatten(0, 1)


class Defect(torch.nn.Module):
    """model(x) + eps * scale * conv(x, filters), the filters C4-equivariant (c4_filters)."""

    def __init__(self, model: Callable[[torch.Tensor], torch.Tensor], filters: torch.Tensor, eps: float,
                 cin: int) -> None:
        super().__init__()
        self.model, self.w, self.eps = model, filters, eps
        x0 = torch.randn(2, cin, 41, 41, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
        with torch.no_grad():
            self.scale = float(model(x0).pow(2).mean().sqrt() / self.conv(x0).pow(2).mean().sqrt())

    def conv(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.w, padding=self.w.shape[-1] // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) + self.eps * self.scale * self.conv(x)


class Isotropic(torch.nn.Module):
    """Isotropic Gaussian 5x5 filters (random amplitude and width) with ReLU between: trivial -> trivial."""

    def __init__(self, cin: int = 2, hidden: int = 6, cout: int = 3, layers: int = 2) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(5 + layers)
        widths = [cin] + [hidden] * (layers - 1) + [cout]
        self.ws = [self._iso(co, ci, gen) for ci, co in zip(widths, widths[1:], strict=False)]
        self.bs = [0.1 * torch.randn(c, generator=gen, dtype=torch.float64) for c in widths[1:-1]]

    @staticmethod
    def _iso(cout: int, cin: int, gen: torch.Generator) -> torch.Tensor:
        r = torch.arange(5, dtype=torch.float64) - 2
        rr = r[:, None] ** 2 + r[None] ** 2
        a = torch.randn(cout, cin, 1, 1, generator=gen, dtype=torch.float64)
        s = torch.rand(cout, cin, 1, 1, generator=gen, dtype=torch.float64) + 0.6
        return a * torch.exp(-rr / (2 * s ** 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for w, b in zip(self.ws[:-1], self.bs, strict=True):
            x = torch.relu(F.conv2d(x, w, b, padding=2))
        return F.conv2d(x, self.ws[-1], padding=2)


def score(model: Any, G: Any, rin: Any, rout: Any, K: float, seed: int, margin: float | None = None
          ) -> tuple[float, str, float, int]:
    t = time.perf_counter()
    try:
        v = assert_approximately_equivariant(model, G, rin, rout, band=K, seed=seed, margin=margin)
    except EquivarianceError as e:
        v = e.verdict
    return v.score, v.status, time.perf_counter() - t, v.n_evaluations


def models() -> list[tuple[str, Any, Any, Any, Any, torch.Tensor, int, bool, bool]]:
    """(name, model, group, rho_in, rho_out, C4 defect filters, input channels, held out, in the
    separation table): the models held out are not in the calibration (they test the margins); every
    escnn architecture of the calibration comes with two weight draws, the first in the table."""
    gen = torch.Generator().manual_seed(7)
    out = []
    for layers in (2, 3):
        iso = Isotropic(layers=layers)
        for G in (groups.cyclic(8), groups.so2()):
            out.append((f"torch isotropic {layers} layers, {G.name}", iso, G, Grid(reps.trivial(G, 2)),
                        Grid(reps.trivial(G, 3)), c4_filters(3, 2, 5, 1, gen), 2, False, True))
    try:
        from escnn import gspaces
        from escnn import nn as enn

        from equifuzz.adapters import escnn as efs
    except ImportError:
        print("escnn is not installed: torch rows only", file=sys.stderr)
        return out

    def regular(n: int, cin: int, fields: int, k1: int, k2: int, held_out: bool, weights: int = 0) -> None:
        gs = gspaces.rot2dOnR2(n)
        fin, hid = enn.FieldType(gs, [gs.trivial_repr] * cin), enn.FieldType(gs, [gs.regular_repr] * fields)
        torch.manual_seed(weights)
        net = enn.SequentialModule(enn.R2Conv(fin, hid, k1, padding=k1 // 2), enn.ReLU(hid),
                                   enn.R2Conv(hid, hid, k2, padding=k2 // 2))
        G, rin, rout = efs.blocks(net)
        out.append((f"escnn C{n} {cin} -> {fields} regular, {k1}x{k1} then {k2}x{k2}, weights {weights}",
                    efs.prepare(net, torch.float64), G, rin, rout, c4_filters(fields, cin, 5, n, gen), cin, held_out,
                    weights == 0))

    def irreps(freq: int, hidden: list[int], outs: list[int], k: int, held_out: bool, weights: int = 0) -> None:
        gs = gspaces.rot2dOnR2(-1, maximum_frequency=freq)
        fin = enn.FieldType(gs, [gs.trivial_repr] * 2)
        hid = enn.FieldType(gs, [gs.irrep(f) for f in hidden])
        fout = enn.FieldType(gs, [gs.irrep(f) for f in outs])
        torch.manual_seed(weights)
        net = enn.SequentialModule(enn.R2Conv(fin, hid, k, padding=k // 2), enn.NormNonLinearity(hid, "n_relu"),
                                   enn.R2Conv(hid, fout, k, padding=k // 2))
        G, rin, rout = efs.blocks(net)
        w = torch.zeros(fout.size, 2, 5, 5, dtype=torch.float64)
        trivial = outs.count(0)  # the trivial output fields come first
        w[:trivial] = c4_filters(trivial, 2, 5, 1, gen)  # the defect on the trivial output fields only
        out.append((f"escnn SO(2) irreps {hidden} -> {outs}, {k}x{k}, norm ReLU, weights {weights}",
                    efs.prepare(net, torch.float64), G, rin, rout, w, 2, held_out, weights == 0 or held_out))

    for weights in (0, 1):
        regular(8, 2, 2, 5, 5, False, weights)
        regular(8, 3, 4, 5, 3, False, weights)
        regular(8, 3, 4, 3, 3, False, weights)
        regular(16, 3, 4, 5, 3, False, weights)
        irreps(4, [1, 1, 2, 2], [0, 0, 1], 5, False, weights)
    regular(16, 3, 4, 5, 5, True)
    irreps(2, [1, 1, 1], [0, 0], 7, True)
    irreps(4, [1, 1, 2, 2], [0, 0, 1], 5, True, weights=2)  # a third weight draw of the worst architecture
    return out


def main() -> None:
    ms = models()
    seeds = ", ".join(map(str, CALIBRATION_SEEDS))
    print(f"Calibration: the worst score of the correct models (seeds {seeds}) per band, and the margin "
          f"(x {SAFETY:g})\n")
    cal = [m for m in ms if not m[7]]
    print("| K | " + " | ".join(m[0] for m in cal) + " | worst | margin |")
    print("|---" * (len(cal) + 3) + "|")
    margins = {}
    for K in BANDS:
        worst = [max(score(m[1], m[2], m[3], m[4], K, s, margin=1e9)[0] for s in CALIBRATION_SEEDS) for m in cal]
        margins[K] = round(SAFETY * max(worst), 2)
        print(f"| {K:g} | " + " | ".join(f"{w:.2f}" for w in worst) + f" | {max(worst):.2f} | {margins[K]:.2f} |",
              flush=True)
    print(f"\nmeasured margins {margins}; in use {MARGINS}\n")
    print(f"Separation (seeds {', '.join(map(str, SEEDS))}; score = error / floor; correct: the worst seed, defects: "
          "the least; in brackets how many seeds fail at the margins just measured)\n")
    defects = " | ".join(f"{e:g} defect" for e in EPS[1:])
    print(f"| model | K | margin | correct | {defects} | s per call | calls |")
    print("|---" * (len(EPS) + 5) + "|")
    for name, model, G, rin, rout, w, cin, held_out, in_table in ms:
        if not in_table:
            continue
        name += " (held out)" if held_out else ""
        for eps in EPS[1:]:  # the defects are invisible to the exact gate on C4
            ef.assert_equivariant(Defect(model, w, eps, cin), G, rin, rout, rtol=1e-5, report_dir="/tmp/offgrid")
        for K in TABLE_BANDS:
            cells, secs, calls = [], [], 0
            for eps in EPS:
                fn = model if eps == 0 else Defect(model, w, eps, cin)
                runs = [score(fn, G, rin, rout, K, s, margin=margins[K]) for s in SEEDS]
                secs += [r[2] for r in runs]
                calls = runs[0][3]
                q = max(r[0] for r in runs) if eps == 0 else min(r[0] for r in runs)
                fails = sum(r[1] == "fails" for r in runs)
                cells.append(f"{q:.2f} ({fails}/{len(SEEDS)})")
            print(f"| {name} | {K:g} | {margins[K]:g} | " + " | ".join(cells)
                  + f" | {sum(secs) / len(secs):.2f} | {calls} |", flush=True)


if __name__ == "__main__":
    main()
