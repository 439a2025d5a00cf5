"""The gate on escnn 1.0.11 and e2cnn 0.2.3 models against the libraries' own ``check_equivariance``.

Run in escnn's environment (``tox -e escnn`` or a venv with ``pip install --no-deps escnn==1.0.11``):

    python benchmarks/escnn_table.py            # prints the Markdown table of benchmarks/README.md

Models: MLPs over ``no_base_space`` (C4, D4, C8, regular fields), R2Conv models (C4, D4: lifting
convolution, ReLU, group convolution; C8 and SO(2): gated on their exact subgroup C4), an R3Conv on
the octahedral group (voxels), e2cnn R2Conv models (C4, D4, C8), in float32 and float64, and planted
defects on float64 models: a plain 1x1 convolution of the input added at 1e-3 and 1e-5, a bias 0.1 on
one channel of a regular field, a one-pixel shift of the output, stride 2. The gate runs with
``efs.rtol(model)`` (16 float32 eps for float64 escnn models; the default for e2cnn, whose bases are
float64, and for float32) under the ``dev`` profile. The library's check is its generic
``EquivariantModule.check_equivariance`` (escnn: 20 elements from ``fibergroup.sample()``; e2cnn: its
testing elements; 3 inputs of size 10, atol 1e-7, rtol 1e-5), and again at atol = rtol = 0.1, the
tolerance of R2Conv's own check; run with torch's default dtype set to the model's so that its inputs
match. Times are wall-clock on a shared, loaded machine: compare within a row only.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch

import equifuzz as ef
from equifuzz.adapters import escnn as efs

warnings.filterwarnings("ignore")
from e2cnn import gspaces as e2gs  # noqa: E402
from e2cnn import nn as e2nn  # noqa: E402
from escnn import group as eg  # noqa: E402
from escnn import gspaces  # noqa: E402
from escnn import nn as enn  # noqa: E402


def mlp(G: Any) -> Any:
    gs = gspaces.no_base_space(G)
    fin, hid = enn.FieldType(gs, [gs.regular_repr] * 2), enn.FieldType(gs, [gs.regular_repr] * 3)
    return enn.SequentialModule(enn.Linear(fin, hid), enn.ReLU(hid), enn.Linear(hid, hid))


def voxel_model() -> Any:
    gs = gspaces.octaOnR3()
    fin, hid = enn.FieldType(gs, [gs.trivial_repr]), enn.FieldType(gs, [gs.regular_repr])
    return enn.SequentialModule(enn.R3Conv(fin, hid, 3, padding=1))


def cnn(gs: Any, stride: int = 1, enn: Any = enn) -> Any:
    fin = enn.FieldType(gs, [gs.trivial_repr] * 2)
    if gs.fibergroup.continuous:
        hid = enn.FieldType(gs, [gs.irrep(1)] * 2 + [gs.trivial_repr])
        return enn.SequentialModule(enn.R2Conv(fin, hid, 5, padding=2), enn.R2Conv(hid, hid, 5, padding=2))
    hid = enn.FieldType(gs, [gs.regular_repr] * 2)
    if stride != 1:
        return enn.SequentialModule(enn.R2Conv(fin, hid, 3, padding=1, stride=stride))
    return enn.SequentialModule(enn.R2Conv(fin, hid, 5, padding=2), enn.ReLU(hid), enn.R2Conv(hid, hid, 3, padding=1))


class Defect(torch.nn.Module):
    """A prepared model with a planted defect, on tensors."""

    def __init__(self, model: torch.nn.Module, kind: str, cin: int, cout: int) -> None:
        super().__init__()
        self.model, self.kind = model, kind
        dtype = next(model.parameters()).dtype
        self.w = torch.nn.Parameter(torch.randn(cout, cin, generator=torch.Generator().manual_seed(3)).to(dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.model(x)
        if self.kind.startswith("1x1"):
            return y + float(self.kind.split()[-1]) * torch.einsum("oc,bc...->bo...", self.w, x)
        if self.kind == "bias":
            b = torch.zeros(y.shape[1], dtype=y.dtype)
            b[0] = 0.1
            return y + b.reshape(1, -1, *[1] * (y.ndim - 2))
        if self.kind == "shift":
            return y.roll(1, dims=-1)
        return y


def as_library_module(fn: torch.nn.Module, net: Any) -> Any:
    """A tensor model as a module of the library ``net`` comes from (escnn or e2cnn), so that its own
    check can run on it."""
    lib = sys.modules[type(net.in_type).__module__.split(".")[0]].nn

    class Wrapped(lib.EquivariantModule):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.fn, self.in_type, self.out_type = fn, net.in_type, net.out_type

        def forward(self, x: Any) -> Any:
            return lib.GeometricTensor(self.fn(x.tensor), self.out_type)

        def evaluate_output_shape(self, input_shape: Any) -> Any:
            return input_shape

    return lib.EquivariantModule, Wrapped()


def escnn_check(fn: torch.nn.Module, net: Any, dtype: torch.dtype, tol: tuple[float, float] = (1e-7, 1e-5)
                ) -> tuple[str, float]:
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    t = time.perf_counter()
    base, wrapped = as_library_module(fn, net)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            base.check_equivariance(wrapped, atol=tol[0], rtol=tol[1])
        out = "passes"
    except AssertionError:
        out = "fails"
    except Exception as exc:  # the check itself could not run on this model
        out = f"error ({type(exc).__name__})"
    finally:
        torch.set_default_dtype(default)
    return out, time.perf_counter() - t


def gate(fn: torch.nn.Module, net: Any, rtol: float | None, folder: str) -> tuple[Any, float]:
    G, rho_in, rho_out = efs.blocks(net)
    t = time.perf_counter()
    try:
        v = ef.assert_equivariant(fn, G, rho_in, rho_out, rtol=rtol, report_dir=folder, profile="dev")
    except ef.EquivarianceError as exc:
        v = exc.verdict
    return v, time.perf_counter() - t


def row(name: str, make: Callable[[], Any], dtype: torch.dtype, defect: str | None, folder: str) -> str:
    torch.manual_seed(0)
    net = make()
    voxels = "R3Conv" in name  # escnn cannot deep-copy it: cast in place
    model = efs.prepare(net, dtype, copy_module=not voxels)
    fn = model if defect is None else Defect(model, defect, net.in_type.size, net.out_type.size)
    v, t_gate = gate(fn, net, efs.rtol(model), folder)
    e, t_escnn = escnn_check(fn, net, dtype)
    loose, _ = escnn_check(fn, net, dtype, (0.1, 0.1))
    verdict = "holds" if v.holds else "FAILS"
    sub = " (on C4)" if v.subgroup else ""
    return (f"| {name} | {str(dtype).removeprefix('torch.')} | {defect or '-'} | {verdict}{sub} | {v.ratio:.3g} | "
            f"{t_gate * 1e3:.0f} ms | {v.n_evaluations} | {e} | {t_escnn * 1e3:.0f} ms | {loose} |")


def point_row(dtype: torch.dtype, defect: str | None, folder: str) -> str:
    """R2PointConv on SO(2) (8 nodes, all pairs as edges): rotations, translations and relabellings;
    the library's check (``R2PointConv.check_equivariance``, its testing elements, no translations)
    runs on the module itself, so only on the correct one."""
    from equifuzz.gate import EdgeIndex, NodeWise, Points

    gs = gspaces.rot2dOnR2(-1, maximum_frequency=4)
    fin, fout = enn.FieldType(gs, [gs.trivial_repr] * 2), enn.FieldType(gs, [gs.irrep(1)] * 2 + [gs.trivial_repr])
    torch.manual_seed(0)
    conv = enn.R2PointConv(fin, fout, width=2.0, n_rings=3)
    G, f_in, pos, f_out = efs.point_blocks(conv)
    model = efs.prepare_points(conv, dtype)
    fn: Any = model if defect is None else (lambda f, p, e: model(f, p, e) + 1e-3 * p[:, :1])
    n = 8
    edges = torch.stack(torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")).reshape(2, -1)
    inputs = (torch.randn(n, fin.size, dtype=dtype), torch.randn(n, 2, dtype=dtype), edges)
    t = time.perf_counter()
    try:
        v = ef.assert_equivariant(fn, G, (NodeWise(f_in), NodeWise(Points(pos)), EdgeIndex()), NodeWise(f_out),
                                  inputs=inputs, rtol=efs.rtol(model), report_dir=folder, profile="dev", dtype=dtype)
    except ef.EquivarianceError as exc:
        v = exc.verdict
    t_gate = time.perf_counter() - t
    own = "-"
    if defect is None and dtype == torch.float32:
        t = time.perf_counter()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                conv.eval().check_equivariance()
            own = "passes"
        except AssertionError:
            own = "fails"
        own += f" | {(time.perf_counter() - t) * 1e3:.0f} ms | -"
    else:
        own += " | - | -"
    verdict = "holds" if v.holds else "FAILS"
    return (f"| R2PointConv SO(2) | {str(dtype).removeprefix('torch.')} | {defect or '-'} | {verdict} | "
            f"{v.ratio:.3g} | {t_gate * 1e3:.0f} ms | {v.n_evaluations} | {own} |")


def main() -> None:
    models: list[tuple[str, Callable[[], Any]]] = [
        ("MLP C4", lambda: mlp(eg.cyclic_group(4))), ("MLP D4", lambda: mlp(eg.dihedral_group(4))),
        ("MLP C8", lambda: mlp(eg.cyclic_group(8))), ("R2Conv C4", lambda: cnn(gspaces.rot2dOnR2(4))),
        ("R2Conv D4", lambda: cnn(gspaces.flipRot2dOnR2(4))), ("R2Conv C8", lambda: cnn(gspaces.rot2dOnR2(8))),
        ("R2Conv SO(2)", lambda: cnn(gspaces.rot2dOnR2(-1, maximum_frequency=4))),
        ("R3Conv octahedral", lambda: voxel_model()),
        ("e2cnn R2Conv C4", lambda: cnn(e2gs.Rot2dOnR2(4), enn=e2nn)),
        ("e2cnn R2Conv D4", lambda: cnn(e2gs.FlipRot2dOnR2(4), enn=e2nn)),
        ("e2cnn R2Conv C8", lambda: cnn(e2gs.Rot2dOnR2(8), enn=e2nn))]
    print("| model | dtype | planted defect | gate | ratio | gate time | model calls | the library's check | "
          "its time | the library's check at atol = rtol = 0.1 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name, make in models:
            for dtype in (torch.float32, torch.float64):
                print(row(name, make, dtype, None, folder), flush=True)
        for name, make in models[2:5] + models[7:10]:
            for defect in ("1x1 1e-3", "1x1 1e-5", "bias") + (("shift",) if "Conv" in name else ()):
                print(row(name, make, torch.float64, defect, folder), flush=True)
        for name, gs in (("R2Conv C4 stride 2", gspaces.rot2dOnR2(4)),
                         ("R2Conv D4 stride 2", gspaces.flipRot2dOnR2(4))):
            print(row(name, lambda gs=gs: cnn(gs, stride=2), torch.float64, None, folder), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        for dtype in (torch.float32, torch.float64):
            for defect in (None, "absolute position 1e-3"):
                print(point_row(dtype, defect, folder), flush=True)
    print(f"\n(escnn {__import__('escnn').__version__ if hasattr(__import__('escnn'), '__version__') else '1.0.11'}, "
          f"torch {torch.__version__}, {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
