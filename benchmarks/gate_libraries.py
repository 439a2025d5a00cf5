"""The gate on public equivariant libraries, in their own environment (never in CI).

Set up separate virtual environments with the libraries and equifuzz (mace-torch pins e3nn 0.4.4, so it
gets one of its own; torchmd-net too, for its torch-geometric and warp-lang stack), then run the script
in each; it gates the libraries that import and lists the others with the reason:

    python3 -m venv /tmp/libs-four && /tmp/libs-four/bin/pip install -c constraints.txt -e . \\
        egnn-pytorch en-transformer se3-transformer-pytorch equiformer-pytorch
    python3 -m venv /tmp/libs-mace && /tmp/libs-mace/bin/pip install -c constraints.txt -e . mace-torch
    python3 -m venv /tmp/libs-tmd && /tmp/libs-tmd/bin/pip install -c constraints.txt -e . torchmd-net
    /tmp/libs-four/bin/python benchmarks/gate_libraries.py [--out benchmarks/gate_libraries.md] [--only LIB ...]

For every library that imports, a small model is gated with its claimed symmetry (O(3) or SO(3) with
translations and node relabelling), in float32 and float64, batched (``batch_dim=0``: a leading batch
of graphs) and unbatched, and once with no ``batch_dim`` (the gate decides; model calls counted for all
three). Feature models map (features, coordinates) to
(features, coordinates or type-1 features); the force fields (mace-torch, torchmd-net; _atomistic.py)
map (species, positions) to (energy, forces = -dE/dx by autograd inside the library), with the batch
of graphs joined into the library's own ``batch`` vector and the neighbour graph built from the
positions. Two defects are planted by wrapping the model: a reflection-only term on the second output
(a cross product, which rotates like a vector but does not flip under reflections) and a stretch
along z of the positions (which commutes with rotations about z). Each is also run through the
library's own equivariance test where the library has one (mace-torch, torchmd-net: re-implemented
for the wrapped model; mace-torch's wheel ships its test, which is also run as shipped), and through
a library-style test (one random proper rotation from three random angles and a translation,
``allclose(atol=1e-6)``, as the other libraries' repositories test; their wheels ship no tests).
A failure of a library's own model is confirmed in plain torch (random rotations, in float64).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import math
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

import equifuzz as ef
from equifuzz.gate import NodeWise

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _atomistic import (  # noqa: E402
    build_mace,
    build_torchmd,
    mace_inputs,
    mace_own_test,
    run_shipped_mace_test,
    torchmd_inputs,
    torchmd_own_test,
)

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
    model = Equiformer(dim=8, dim_head=8, heads=2, num_degrees=2, depth=1, init_out_zero=False)
    return Typed(no_zero_init(model)).to(dtype).eval()


def no_zero_init(model: torch.nn.Module) -> torch.nn.Module:
    """Every parameter that is identically zero after construction (a zero-initialised output layer,
    such as equiformer-pytorch's FeedForward, whose ``init_out_zero`` the constructor does not pass on)
    drawn like its neighbours instead: a model that outputs zeros tests nothing (the gate says so)."""
    with torch.no_grad():
        for p in model.parameters():
            if p.numel() > 1 and not bool(p.any()):
                p.normal_(0.0, 1.0 / math.sqrt(p.shape[0]))
    return model


BUILDERS: dict[str, Callable[[torch.dtype], torch.nn.Module]] = {
    "egnn-pytorch": _egnn,
    "en-transformer": _en_transformer,
    "se3-transformer-pytorch": _se3_transformer,
    "equiformer-pytorch": _equiformer,
    "mace-torch": build_mace,
    "torchmd-net": build_torchmd,
}
MODULES = {"egnn-pytorch": "egnn_pytorch", "en-transformer": "en_transformer",
           "se3-transformer-pytorch": "se3_transformer_pytorch", "equiformer-pytorch": "equiformer_pytorch",
           "mace-torch": "mace", "torchmd-net": "torchmdnet"}
#: libraries whose second output is type-1 features (vectors per channel) rather than coordinates
TYPED = {"se3-transformer-pytorch", "equiformer-pytorch"}
#: force fields: (species, positions) -> (energy per graph, invariant; forces -dE/dx, vectors per atom)
FORCES = {"mace-torch", "torchmd-net"}
#: the libraries' own equivariance tests, re-implemented for any wrapped model (see _atomistic.py)
OWN_TESTS: dict[str, Callable[[torch.nn.Module, torch.dtype], bool]] = {
    "mace-torch": mace_own_test, "torchmd-net": torchmd_own_test}
#: libraries' tests run as shipped in their wheels (the wheels of the others ship none)
SHIPPED_TESTS: dict[str, Callable[[], str]] = {"mace-torch": run_shipped_mace_test}
#: other ways to obtain a float64 model, gated in float64 and confirmed in plain torch
VARIANTS: dict[str, list[tuple[str, Callable[[torch.dtype], torch.nn.Module]]]] = {
    "mace-torch": [("built in float32 and cast with .to(torch.float64)", lambda dt: build_mace(dt, cast=True))]}
#: the symmetry each library claims, as the library states it: SE(3) (rotations and translations) for
#: the SE(3)-transformer and Equiformer (SO(3) irreps without parity), E(3)/E(n) (with reflections)
#: for the others
CLAIMED = {"se3-transformer-pytorch": ef.groups.so3(), "equiformer-pytorch": ef.groups.so3()}
CONFIRMED: list[str] = []
SHIPPED: list[str] = []
#: (library, defect, dtype, verdict, cause the gate names, expected, right or None) per planted defect
CAUSES: list[tuple[str, str, str, str, str, str, bool | None]] = []
#: the output blocks on which a library's own model fails, per dtype
BASE_FAILS: dict[tuple[str, str], set[int]] = {}
#: (what failed, the diagnosis table) of every failure of a library's own model
TABLES: list[tuple[str, list[str]]] = []
#: the cause the diagnosis must name for each planted defect (its kind), or "holds" where the claimed
#: group makes the term no defect (a reflection-only term under SO(3))
EXPECTED = {"reflection": "defect", "stretch_z": "defect", "eps_distance": "absolute epsilon",
            "float32_const": "float32", "leak": "defect"}
#: the orthogonal matrix the float32-constant defect builds in the default dtype (float32) at every call
_Q = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5)))[0].tolist()


class Planted(torch.nn.Module):
    """The library model with one defect added: a reflection-only term (a cross product) on the second
    output; the positions stretched along z; an absolute epsilon in a distance (F.pairwise_distance's
    eps=1e-6 added to every coordinate difference) on the first, invariant output; a float32 constant
    (an orthogonal Q built with torch.tensor in the default dtype, the second output times Q^T Q); a
    1e-8 leak of the second output's x component into its y component."""

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
        elif self.kind == "eps_distance":  # ||c_i - c_j + eps||, as F.pairwise_distance computes it
            if f.ndim == 1:  # an energy: distances to the centroid (over both orders of every pair the
                # epsilon's first-order terms would cancel)
                f = f + (coors - coors.mean(dim=1, keepdim=True) + 1e-6).norm(dim=-1).sum(dim=1)
            else:
                d = (coors[:, :, None, :] - coors[:, None, :, :] + 1e-6).norm(dim=-1)
                f = f + 0.1 * d.mean(dim=-1, keepdim=True)
        elif self.kind == "float32_const":
            Q = torch.tensor(_Q)  # the default dtype: float32
            x = x @ (Q.T @ Q).to(x.dtype)
        elif self.kind == "leak":
            x = x + 1e-8 * x[..., :1] * torch.tensor([0.0, 1.0, 0.0], dtype=x.dtype)
        return f, x


def _inputs(dtype: torch.dtype, lib: str = "") -> tuple[torch.Tensor, torch.Tensor]:
    if lib == "mace-torch":
        return mace_inputs(dtype)
    if lib == "torchmd-net":
        return torchmd_inputs(dtype)
    g = torch.Generator().manual_seed(0)
    return (torch.randn(2, 6, 8, generator=g, dtype=torch.float64).to(dtype),
            torch.randn(2, 6, 3, generator=g, dtype=torch.float64).to(dtype))


def _rot(a: float, b: float, c: float) -> torch.Tensor:
    """A proper rotation from three angles (z, y, z), as the libraries' own tests build it; in float64, so
    that a float64 check does not measure the float32 round-off of the matrix itself."""
    def rz(t: float) -> torch.Tensor:
        return torch.tensor([[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0], [0.0, 0.0, 1.0]],
                            dtype=torch.float64)

    def ry(t: float) -> torch.Tensor:
        return torch.tensor([[math.cos(t), 0.0, math.sin(t)], [0.0, 1.0, 0.0], [-math.sin(t), 0.0, math.cos(t)]],
                            dtype=torch.float64)

    return rz(a) @ ry(b) @ rz(c)


def library_style_test(model: torch.nn.Module, dtype: torch.dtype, typed: bool = False, lib: str = "") -> bool:
    """True when the test flags the model (as the libraries' repositories test; type-1 outputs and
    forces rotate without the translation)."""
    torch.manual_seed(1)
    R = _rot(*torch.rand(3).tolist()).to(dtype)
    T = torch.randn(1, 1, 3, dtype=dtype)
    feats, coors = _inputs(dtype, lib)
    with torch.no_grad():
        f1, x1 = model(feats, coors @ R + T)
        f2, x2 = model(feats, coors)
    return not (torch.allclose(f1, f2, atol=1e-6) and torch.allclose(x1, x2 @ R + (0 if typed else T), atol=1e-6))


def plain_torch_error(model: torch.nn.Module, dtype: torch.dtype, lib: str = "", n: int = 8) -> float:
    """Worst relative error |f(x R) - f(x) R| / max |f(x)| of the second output over ``n`` random proper
    rotations, in plain torch (no equifuzz): the confirmation of a defect the gate reports."""
    torch.manual_seed(2)
    feats, coors = _inputs(dtype, lib)
    worst = 0.0
    with torch.no_grad():
        _, x = model(feats, coors)
        for _ in range(n):
            R = _rot(*(6.3 * torch.rand(3)).tolist()).to(dtype)
            _, xr = model(feats, coors @ R)
            worst = max(worst, float((xr - x @ R).abs().max() / x.abs().max()))
    return worst


def _blocks(lib: str, group: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The input and output blocks of the library's model (the representations are of ``group``)."""
    if lib in FORCES:  # species (one-hot (B, n, k) or atomic numbers (B, n)) do not transform
        species = NodeWise(None, axis=-1) if lib == "torchmd-net" else NodeWise(None)
        return (species, NodeWise("cartesian_points")), (None, NodeWise(ef.reps.defining(group)))
    if lib in TYPED:
        return RHO, (NodeWise(None), NodeWise(ef.reps.defining(group), axis=-3))
    return RHO, RHO


LAST: dict[str, Any] = {}


def _gate(model: Any, dtype: torch.dtype, batched: bool, out: str, lib: str, group: Any = O3,
          default: bool = False) -> tuple[str, float, int]:
    """(verdict, seconds, model calls); the last failure's verdict and message are kept in ``LAST``.
    ``batched``: ``batch_dim=0``, else ``batch_dim=None``; ``default``: no ``batch_dim`` (the gate decides)."""
    t = time.perf_counter()
    LAST.clear()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rho_in, rho_out = _blocks(lib, group)
            how: dict[str, Any] = {} if default else {"batch_dim": 0 if batched else None}
            v = ef.assert_equivariant(model, group, rho_in, rho_out, inputs=_inputs(dtype, lib), profile="ci",
                                      report_dir=out, **how)
        verdict = "rounding" if v.rounding else "holds"
        calls = v.n_evaluations
    except ef.VacuousCheckError as exc:  # the outputs do not respond: nothing was tested
        verdict, calls = "VACUOUS (" + str(exc).splitlines()[1].strip()[:120] + ")", 0
    except ef.EquivarianceError as exc:
        v = exc.verdict
        verdict = f"FAILS (ratio {v.ratio:.3g}, relative error {v.error / max(v.scale, 1e-300):.1e})"  # type: ignore[attr-defined]
        if not math.isfinite(v.error):  # type: ignore[attr-defined]
            verdict += " [the minimized report's inputs are singular for the model]"
        calls = v.n_evaluations  # type: ignore[attr-defined]
        LAST.update(verdict=v, message=str(exc))
    return verdict, time.perf_counter() - t, calls


def _diagnosis_table() -> list[str]:
    """The last failure's diagnosis table, from its report.md."""
    v = LAST.get("verdict")
    if v is None or v.report is None:
        return []
    text = Path(v.report, "report.md").read_text()
    if "## Diagnosis" not in text:
        return []
    return [ln for ln in text.split("## Diagnosis", 1)[1].split("\n## ", 1)[0].splitlines()[1:] if ln.strip()]


def _planted_cause(lib: str, kind: str, dt: torch.dtype, build: Callable[[torch.dtype], torch.nn.Module], out: str,
                   K: Any) -> bool:
    """Gate the planted defect; record the cause the gate names against the expected one; True if caught."""
    verdict = _gate(Planted(build(dt), kind), dt, True, out, lib, K)[0]
    expected = "holds" if kind == "reflection" and K.orientation_preserving else EXPECTED[kind]
    block = "0" if kind == "eps_distance" else "1"  # the output block the defect is planted on
    confounded = int(block) in BASE_FAILS.get((lib, _dt(dt)), set()) and kind in ("reflection", "float32_const",
                                                                                   "leak")
    v = LAST.get("verdict")
    d = None if v is None else v.diagnosis
    cause = None if d is None else d.get("by_output_block", {}).get(block)
    named = "holds" if verdict.startswith(("holds", "rounding")) else (
        "block passes" if cause is None else cause["kind"])
    rtol = f"; rtol {cause['suggested_rtol']:.0e} suggested" if cause and cause.get("suggested_rtol") else ""
    if d is not None and d.get("ratio_by_class"):
        classes = ", ".join(f"{n} {'fail' if r > 1 else 'hold'}" for n, r in d["ratio_by_class"].items())
        rtol += f"; {classes}"
    right = named == expected or (expected == "float32" and named.startswith("float32"))
    if confounded:  # the library's own failure on this block mixes in: no truth to compare with
        expected, right = f"{expected}, mixed with the library's own {_dt(dt)} failure of this block", None
    CAUSES.append((lib, kind, _dt(dt), verdict.split(" (")[0], named + rtol, expected, right))
    return verdict.startswith("FAILS")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="also write the Markdown table here")
    ap.add_argument("--repeats", type=int, default=3, help="gate calls timed per cell (median)")
    ap.add_argument("--no-timing", action="store_true", help="skip the timed and unbatched calls (verdicts, "
                                                              "diagnoses and planted defects only)")
    ap.add_argument("--only", nargs="+", choices=LIBRARIES, default=LIBRARIES, help="gate only these libraries")
    args = ap.parse_args()
    torch.set_num_threads(1)
    lines = [f"torch {torch.__version__}, equifuzz profile ci, 1 thread", "",
             "| library | version | claimed | float32 | float64 | s per gate, float64: batched median (unbatched) "
             "| model calls: batch_dim=None -> batch_dim=0 -> no batch_dim | defects caught by the gate "
             "| by the library's own test (else library-style) |",
             "|---|---|---|---|---|---|---|---|---|"]
    missing = []
    with tempfile.TemporaryDirectory() as out:
        for lib in args.only:
            try:
                importlib.import_module(MODULES[lib])
                version = importlib.metadata.version(lib)
            except Exception as exc:  # not installed here
                missing.append(f"{lib}: {type(exc).__name__}: {exc}")
                continue
            try:
                line = _row(lib, version, out, 0 if args.no_timing else args.repeats)
            except Exception as exc:  # a model that cannot be built or run as wired here
                missing.append(f"{lib} {version}: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            lines.append(line)
            print(line, flush=True)
    tail = ["", "Planted defects: the cause the gate names (its diagnosis) against the truth:", "",
            "| library | defect | dtype | verdict | cause named | truth | right |", "|---|---|---|---|---|---|---|"]
    tail += [f"| {a} | {b} | {c} | {d} | {e} | {f} | {'n/a' if g is None else 'yes' if g else 'NO'} |"
             for a, b, c, d, e, f, g in CAUSES]
    judged = [c for c in CAUSES if c[-1] is not None]
    n_right, n_na = sum(bool(c[-1]) for c in judged), len(CAUSES) - len(judged)
    tail += ["", f"Right on {n_right} of {len(judged)} (n/a: {n_na}).", ""]
    for what, table in TABLES:
        tail += ["", f"Diagnosis of {what}:", "", *table]
    tail += ["", "Defects of the libraries themselves, confirmed in plain torch:", ""] + [f"- {c}" for c in CONFIRMED]
    if SHIPPED:
        tail += ["", "The libraries' own tests, run as shipped in their wheels:", ""] + [f"- {c}" for c in SHIPPED]
    tail += ["", "Not gated here:", ""] + [f"- {m}" for m in missing]
    print("\n".join(tail))
    if args.out:
        Path(args.out).write_text("\n".join(lines + tail) + "\n")


def _dt(dtype: torch.dtype) -> str:
    return str(dtype)[6:]


def _row(lib: str, version: str, out: str, repeats: int) -> str:
    ty, K, build = lib in TYPED or lib in FORCES, CLAIMED.get(lib, O3), BUILDERS[lib]
    dtypes = (torch.float32, torch.float64)
    verdicts = {}
    for dt in dtypes:
        verdicts[dt] = _gate(build(dt), dt, True, out, lib, K)[0]
        if LAST:
            BASE_FAILS[(lib, _dt(dt))] = {j for j, r in enumerate(LAST["verdict"].block_ratios) if r > 1}
            TABLES.append((f"{lib} {version}, {_dt(dt)}, under {K.name}: {verdicts[dt]}", _diagnosis_table()))
    times: list[float] = [math.nan]
    time_before, calls_before, calls_after, calls_default = math.nan, 0, 0, 0
    if repeats:
        times = [_gate(build(torch.float64), torch.float64, True, out, lib, K)[1] for _ in range(repeats)]
        _, time_before, calls_before = _gate(build(torch.float64), torch.float64, False, out, lib, K)
        calls_after = _gate(build(torch.float64), torch.float64, True, out, lib, K)[2]
        calls_default = _gate(build(torch.float64), torch.float64, True, out, lib, K, default=True)[2]
    caught_gate, caught_own, caught_style = [], [], []
    for kind in ("eps_distance", "float32_const", "leak"):  # float64 models: the causes below float32 round-off
        if _planted_cause(lib, kind, torch.float64, build, out, K):
            caught_gate.append(f"{kind} float64")
    for kind in ("reflection", "stretch_z"):
        for dt in dtypes:
            planted = Planted(build(dt), kind)
            if _planted_cause(lib, kind, dt, build, out, K):
                caught_gate.append(f"{kind} {_dt(dt)}")
            if lib in OWN_TESTS and OWN_TESTS[lib](planted, dt):
                caught_own.append(f"{kind} {_dt(dt)}")
            if library_style_test(planted, dt, ty, lib):
                caught_style.append(f"{kind} {_dt(dt)}")
    if any(v.startswith("FAILS") for v in verdicts.values()):
        for dt in dtypes:
            CONFIRMED.append(f"{lib} {version}, {_dt(dt)}: gate {verdicts[dt]}; plain torch, 8 random rotations: "
                             f"worst relative error {plain_torch_error(build(dt), dt, lib):.1e}")
    for name, variant in VARIANTS.get(lib, []):
        verdict = _gate(variant(torch.float64), torch.float64, True, out, lib, K)[0]
        if LAST:
            TABLES.append((f"{lib} {version}, float64, {name}: {verdict}", _diagnosis_table()))
        CONFIRMED.append(f"{lib} {version}, float64, {name}: gate {verdict}; plain torch, 8 random rotations: "
                         f"worst relative error {plain_torch_error(variant(torch.float64), torch.float64, lib):.1e} "
                         f"(built in float64: {plain_torch_error(build(torch.float64), torch.float64, lib):.1e})")
    if lib in SHIPPED_TESTS:
        SHIPPED.append(f"{lib} {version}: {SHIPPED_TESTS[lib]()}")
    timing = (f"{statistics.median(times):.3f} ({time_before:.3f}) | {calls_before} -> {calls_after} -> {calls_default}"
              if repeats
              else "not timed (--no-timing) | not counted")
    own = (f"own test: {', '.join(caught_own) or 'none'}; library-style: {', '.join(caught_style) or 'none'}"
           if lib in OWN_TESTS else ', '.join(caught_style) or 'none')
    return (f"| {lib} | {version} | {K.name} | {verdicts[torch.float32]} | {verdicts[torch.float64]} | "
            f"{timing} | "
            f"{', '.join(caught_gate) or 'none'} | {own} |")


if __name__ == "__main__":
    main()
