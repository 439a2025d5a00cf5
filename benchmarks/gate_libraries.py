"""The gate on public equivariant libraries, in their own environment (never in CI).

Set up a separate virtual environment with the libraries and equifuzz, then run the script there:

    python3 -m venv /tmp/libs && /tmp/libs/bin/pip install -c constraints.txt -e . \\
        egnn-pytorch en-transformer se3-transformer-pytorch equiformer-pytorch
    /tmp/libs/bin/python benchmarks/gate_libraries.py [--out benchmarks/gate_libraries.md]

For every library that imports, a small model is gated with its claimed symmetry (O(3) with
translations and node relabelling; feature and coordinate outputs), in float32 and float64, batched
(``batch_dim=0``: a batch of graphs) and unbatched (model calls counted for both). Two defects are
planted by wrapping the model: a reflection-only term (a cross product, which rotates like a vector
but does not flip under reflections) and a stretch along z (which commutes with rotations about z).
Each is also run through a library-style test, as the libraries' repositories test equivariance
(one random proper rotation from three random angles and a translation, ``allclose(atol=1e-6)``);
the libraries' wheels ship no tests, so that test is re-implemented here. Libraries that are not
installed are listed with the reason.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import math
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

import equifuzz as ef
from equifuzz.gate import NodeWise

O3 = ef.groups.o3()
RHO = (NodeWise(None), NodeWise("cartesian_points"))
LIBRARIES = ["egnn-pytorch", "en-transformer", "se3-transformer-pytorch", "equiformer-pytorch", "mace-torch",
             "torchmd-net"]


def _egnn(dtype: torch.dtype) -> torch.nn.Module:
    from egnn_pytorch import EGNN

    torch.manual_seed(0)
    return EGNN(dim=8, m_dim=16).to(dtype).eval()


def _en_transformer(dtype: torch.dtype) -> torch.nn.Module:
    from en_transformer import EnTransformer

    torch.manual_seed(0)
    return EnTransformer(dim=8, depth=1, dim_head=32, heads=2, neighbors=0).to(dtype).eval()


class Typed(torch.nn.Module):
    """An SE(3)-transformer-style model as (type-0 features (b, n, d), type-1 features (b, n, d, 3))."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, feats: torch.Tensor, coors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model(feats, coors)
        if isinstance(out, dict):
            return out["0"], out["1"]
        return out[0], out[1]


def _se3_transformer(dtype: torch.dtype) -> torch.nn.Module:
    from se3_transformer_pytorch import SE3Transformer

    torch.manual_seed(0)
    return Typed(SE3Transformer(dim=8, heads=2, dim_head=8, depth=1, num_degrees=2, output_degrees=2,
                                reduce_dim_out=False)).to(dtype).eval()


def _equiformer(dtype: torch.dtype) -> torch.nn.Module:
    from equiformer_pytorch import Equiformer

    torch.manual_seed(0)
    return Typed(Equiformer(dim=8, dim_head=8, heads=2, num_degrees=2, depth=1)).to(dtype).eval()


BUILDERS: dict[str, Callable[[torch.dtype], torch.nn.Module]] = {
    "egnn-pytorch": _egnn,
    "en-transformer": _en_transformer,
    "se3-transformer-pytorch": _se3_transformer,
    "equiformer-pytorch": _equiformer,
}
MODULES = {"egnn-pytorch": "egnn_pytorch", "en-transformer": "en_transformer",
           "se3-transformer-pytorch": "se3_transformer_pytorch", "equiformer-pytorch": "equiformer_pytorch"}
#: libraries whose second output is type-1 features (vectors per channel) rather than coordinates
TYPED = {"se3-transformer-pytorch", "equiformer-pytorch"}
#: the symmetry each library claims: SE(3) (rotations and translations) for the SE(3)-transformer,
#: E(3)/E(n) (with reflections) for the others
CLAIMED = {"se3-transformer-pytorch": ef.groups.so3()}
CONFIRMED: list[str] = []
RHO_TYPED = (NodeWise(None), NodeWise(ef.reps.defining(O3), axis=-3))


class Planted(torch.nn.Module):
    """The library model with one defect added to its coordinate output."""

    def __init__(self, model: torch.nn.Module, kind: str, size: float = 1e-2) -> None:
        super().__init__()
        self.model, self.kind, self.size = model, kind, size

    def forward(self, feats: torch.Tensor, coors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.kind == "stretch_z":  # the model sees positions stretched along z
            coors = coors * torch.tensor([1.0, 1.0, 1.0 + self.size], dtype=coors.dtype)
        f, x = self.model(feats, coors)
        if self.kind == "reflection":
            c = coors - coors.mean(dim=1, keepdim=True)
            axis = (c.pow(2).sum(-1, keepdim=True) * c).sum(dim=1, keepdim=True)
            term = self.size * torch.cross(c, axis.expand_as(c), dim=-1)
            x = x + (term[..., None, :] if x.ndim == 4 else term)  # type-1 features: one per channel
        return f, x


def _inputs(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return (torch.randn(2, 6, 8, generator=g, dtype=torch.float64).to(dtype),
            torch.randn(2, 6, 3, generator=g, dtype=torch.float64).to(dtype))


def _rot(a: float, b: float, c: float) -> torch.Tensor:
    """A proper rotation from three angles (z, y, z), as the libraries' own tests build it."""
    def rz(t: float) -> torch.Tensor:
        return torch.tensor([[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0], [0.0, 0.0, 1.0]])

    def ry(t: float) -> torch.Tensor:
        return torch.tensor([[math.cos(t), 0.0, math.sin(t)], [0.0, 1.0, 0.0], [-math.sin(t), 0.0, math.cos(t)]])

    return rz(a) @ ry(b) @ rz(c)


def library_style_test(model: torch.nn.Module, dtype: torch.dtype, typed: bool = False) -> bool:
    """True when the test flags the model (as the libraries' repositories test; type-1 outputs rotate
    without the translation)."""
    torch.manual_seed(1)
    R = _rot(*torch.rand(3).tolist()).to(dtype)
    T = torch.randn(1, 1, 3, dtype=dtype)
    feats, coors = _inputs(dtype)
    with torch.no_grad():
        f1, x1 = model(feats, coors @ R + T)
        f2, x2 = model(feats, coors)
    return not (torch.allclose(f1, f2, atol=1e-6) and torch.allclose(x1, x2 @ R + (0 if typed else T), atol=1e-6))


def plain_torch_error(model: torch.nn.Module, dtype: torch.dtype, typed: bool, n: int = 8) -> float:
    """Worst relative error |f(x R) - f(x) R| / max |f(x)| of the second output over ``n`` random proper
    rotations, in plain torch (no equifuzz): the confirmation of a defect the gate reports."""
    torch.manual_seed(2)
    feats, coors = _inputs(dtype)
    worst = 0.0
    with torch.no_grad():
        _, x = model(feats, coors)
        for _ in range(n):
            R = _rot(*(6.3 * torch.rand(3)).tolist()).to(dtype)
            _, xr = model(feats, coors @ R)
            worst = max(worst, float((xr - x @ R).abs().max() / x.abs().max()))
    return worst


def _gate(model: Any, dtype: torch.dtype, batched: bool, out: str, typed: bool = False,
          group: Any = O3) -> tuple[str, float, int]:
    t = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rho_out = RHO_TYPED if typed else RHO
            if group is not O3:  # the blocks' representations must be of the group gated
                rho_out = (NodeWise(None), NodeWise(ef.reps.defining(group), axis=-3)) if typed else rho_out
            v = ef.assert_equivariant(model, group, RHO, rho_out, inputs=_inputs(dtype), profile="ci",
                                      report_dir=out,
                                      batch_dim=0 if batched else None)
        verdict = "rounding" if v.rounding else "holds"
        calls = v.n_evaluations
    except ef.EquivarianceError as exc:
        v = exc.verdict
        verdict = f"FAILS (ratio {v.ratio:.3g}, relative error {v.error / max(v.scale, 1e-300):.1e})"  # type: ignore[attr-defined]
        calls = v.n_evaluations  # type: ignore[attr-defined]
    return verdict, time.perf_counter() - t, calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="also write the Markdown table here")
    ap.add_argument("--repeats", type=int, default=3, help="gate calls timed per cell (median)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    lines = [f"torch {torch.__version__}, equifuzz profile ci, 1 thread", "",
             "| library | version | claimed | float32 | float64 | median s per gate (float64, batched) | model calls "
             "unbatched -> batched | defects caught by the gate | by the library-style test |",
             "|---|---|---|---|---|---|---|---|---|"]
    missing = []
    with tempfile.TemporaryDirectory() as out:
        for lib in LIBRARIES:
            if lib not in BUILDERS:
                missing.append(f"{lib}: no small model wired into this script yet")
                continue
            try:
                importlib.import_module(MODULES[lib])
                version = importlib.metadata.version(lib)
            except Exception as exc:  # not installed here
                missing.append(f"{lib}: {type(exc).__name__}: {exc}")
                continue
            try:
                line = _row(lib, version, out, args.repeats)
            except Exception as exc:  # a model that cannot be built or run as wired here
                missing.append(f"{lib} {version}: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            lines.append(line)
            print(line, flush=True)
    lines += ["", "Defects of the libraries themselves, confirmed in plain torch:", ""] + [f"- {c}" for c in CONFIRMED]
    lines += ["", "Not gated here:", ""] + [f"- {m}" for m in missing]
    print("\n".join(lines[-len(missing) - len(CONFIRMED) - 5:]))
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


def _row(lib: str, version: str, out: str, repeats: int) -> str:
    ty, K = lib in TYPED, CLAIMED.get(lib, O3)
    verdicts = {dt: _gate(BUILDERS[lib](dt), dt, True, out, ty, K)[0] for dt in (torch.float32, torch.float64)}
    times = [_gate(BUILDERS[lib](torch.float64), torch.float64, True, out, ty, K)[1] for _ in range(repeats)]
    calls_before = _gate(BUILDERS[lib](torch.float64), torch.float64, False, out, ty, K)[2]
    calls_after = _gate(BUILDERS[lib](torch.float64), torch.float64, True, out, ty, K)[2]
    caught_gate, caught_lib = [], []
    for kind in ("reflection", "stretch_z"):
        for dt in (torch.float32, torch.float64):
            planted = Planted(BUILDERS[lib](dt), kind)
            if _gate(planted, dt, True, out, ty, K)[0].startswith("FAILS"):
                caught_gate.append(f"{kind} {str(dt)[6:]}")
            if library_style_test(planted, dt, ty):
                caught_lib.append(f"{kind} {str(dt)[6:]}")
    if any(v.startswith("FAILS") for v in verdicts.values()):
        for dt in (torch.float32, torch.float64):
            CONFIRMED.append(f"{lib} {version}, {str(dt)[6:]}: gate {verdicts[dt]}; plain torch, 8 random rotations: "
                             f"worst relative error {plain_torch_error(BUILDERS[lib](dt), dt, ty):.1e}")
    return (f"| {lib} | {version} | {K.name} | {verdicts[torch.float32]} | {verdicts[torch.float64]} | "
            f"{statistics.median(times):.3f} | {calls_before} -> {calls_after} | "
            f"{', '.join(caught_gate) or 'none'} | {', '.join(caught_lib) or 'none'} |")

if __name__ == "__main__":
    main()
