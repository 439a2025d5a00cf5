"""Rotations off the pixel grid: can an interpolated check separate correct escnn models from defects?

A measurement for the approximate mode of issue 22 (not built): escnn C8 model (R2Conv trivial ->
regular, ReLU, R2Conv regular -> regular, float64), rotated by 45 degrees with escnn's own interpolating
``GeometricTensor.transform``. Inputs are band-limited (Gaussian noise with Fourier frequencies up to
K cycles per image kept) on a smooth disk; the error is measured on a central disk, relative:

    e(f) = ||disk (f(g.x) - g.f(x))|| / ||disk g.f(x)||,

for the correct model, the model plus eps times a plain 1x1 convolution of the input (eps = 1e-3,
1e-2), and the interpolation floor: a pointwise ReLU on the input's trivial fields (exactly equivariant
on the continuum, so its error is the interpolation's). The 90-degree element (on the grid) is shown
for reference. Run in escnn's environment: ``python benchmarks/escnn_offgrid.py``.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

from equifuzz.adapters import escnn as efs

warnings.filterwarnings("ignore")
from escnn import gspaces  # noqa: E402
from escnn import nn as enn  # noqa: E402


def main() -> None:
    torch.manual_seed(0)
    gs = gspaces.rot2dOnR2(8)
    fin, hid = enn.FieldType(gs, [gs.trivial_repr] * 2), enn.FieldType(gs, [gs.regular_repr] * 2)
    net = enn.SequentialModule(enn.R2Conv(fin, hid, 5, padding=2), enn.ReLU(hid), enn.R2Conv(hid, hid, 5, padding=2))
    model = efs.prepare(net, torch.float64)
    w = torch.randn(hid.size, fin.size, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    print("| image | disk radius (measured) | K | element | ReLU floor | correct | 1e-3 defect | 1e-2 defect |")
    print("|---|---|---|---|---|---|---|---|")
    for n, outer, inner in ((41, 16, 10), (65, 28, 20)):
        yy, xx = torch.meshgrid(torch.arange(n) - n // 2, torch.arange(n) - n // 2, indexing="ij")
        r = (xx ** 2 + yy ** 2).double().sqrt()
        disk = (r <= inner).double()
        f = torch.fft.fftfreq(n) * n
        radius = (f[:, None] ** 2 + f[None, :] ** 2).sqrt()

        def err(fn: Any, x: torch.Tensor, g: Any, tout: Any, disk: torch.Tensor = disk) -> float:
            gx = enn.GeometricTensor(x, fin).transform(g).tensor
            rhs = enn.GeometricTensor(fn(x), tout).transform(g).tensor
            return float(((fn(gx) - rhs) * disk).norm() / (rhs * disk).norm())

        for K in (1.5, 2, 3, 5, 8):
            z = torch.fft.fft2(torch.randn(4, fin.size, n, n, dtype=torch.float64))
            x = torch.fft.ifft2(z * (radius <= K)).real * torch.clamp((outer - r) / 3, 0, 1)
            for g in (gs.fibergroup.elements[1], gs.fibergroup.elements[2]):
                cells = [err(lambda x, e=e: model(x) + e * torch.einsum("oc,bc...->bo...", w, x), x, g, hid)
                         for e in (0.0, 1e-3, 1e-2)]
                floor = err(torch.relu, x, g, fin)
                row = " | ".join(f"{c:.2e}" for c in cells)
                print(f"| {n}x{n} | {inner} | {K} | {g} | {floor:.2e} | {row} |", flush=True)


if __name__ == "__main__":
    main()
