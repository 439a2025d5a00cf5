"""Throughput of the batched kernel against a per-(network, element) loop doing the same work.

Both sides compute, for B random networks, E element matrix pairs (A_e, C_e) and N shared inputs,
max_n ||f_b(A_e x_n) - C_e f_b(x_n)|| / (||f_b(x_n)|| + ||f_b(A_e x_n)|| + eps s_b) and its argmax,
in the same dtype on the same device. The loop evaluates f_b(X) once per network and the transformed
inputs A_e X once per element (both hoisted out of the inner loop), then for every (b, e) calls a
plain torch forward on the N inputs. Reported: seconds (best of ``repeats``), the loop/batched ratio,
network evaluations per second ((E + 1) B N single-input evaluations per pass) and achieved GFLOP/s
counted as the network evaluations' multiply-adds, 2 (E + 1) B N (m d + m p), the same count for
both sides.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from .kernel import DEFAULT_EPS, DEFAULT_MAX_BYTES, NetBatch, default_device, equivariance_errors, no_tf32

__all__ = ["BenchResult", "run_bench", "loop_errors", "random_elements", "DEFAULTS_CPU", "DEFAULTS_GPU"]

DEFAULTS_GPU = dict(nets=256, elements=16, inputs=1024, width=64, dim=16, out=4)
DEFAULTS_CPU = dict(nets=256, elements=16, inputs=128, width=8, dim=4, out=2)
"""On a CPU the default is the regime a fuzzing campaign lives in (many networks of the size of the
theory's examples, d = 2..4 and widths 3..24, modest N per round), where a per-pair loop is dominated
by dispatch overhead. At the GPU size a 2-core CPU loop already runs its (1024 x 64) GEMMs near peak
and the batch wins only ~2x there; ``equifuzz bench --inputs 1024 --width 64 --dim 16 --out 4``
shows it."""


def random_elements(E: int, d: int, p: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """E random orthogonal matrix pairs (A_e in O(d), C_e in O(p)) from a fixed seed."""
    rng = np.random.default_rng(seed)

    def orth(k: int) -> np.ndarray:
        q, r = np.linalg.qr(rng.standard_normal((E, k, k)))
        return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[:, None, :]

    return orth(d), orth(p)


def loop_errors(batch: NetBatch, A: np.ndarray, C: np.ndarray, X: np.ndarray, *, eps: float = DEFAULT_EPS,
                dtype: torch.dtype = torch.float32, device: str | torch.device | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """The same (B, E) max errors and argmaxes as the kernel, one (network, element) at a time."""
    dev = default_device(device)
    B, E = batch.size, A.shape[0]
    with no_tf32(), torch.no_grad():
        W1, b1, W2, b2 = batch.tensors(dev, dtype)
        Xt = torch.as_tensor(X, dtype=dtype, device=dev)
        At = torch.as_tensor(A, dtype=dtype, device=dev)
        Ct = torch.as_tensor(C, dtype=dtype, device=dev)
        floor = (eps * batch.scale).tolist()
        AX = [Xt @ At[e].T for e in range(E)]
        best = torch.empty((B, E), dtype=dtype, device=dev)
        arg = torch.empty((B, E), dtype=torch.int64, device=dev)
        for b in range(B):
            w1, c1, w2, c2 = W1[b], b1[b], W2[b], b2[b]

            vn = torch.linalg.vector_norm(w2, dim=0)
            bn = torch.linalg.vector_norm(c2)

            def f(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                h = torch.relu(x @ w1.T + c1)  # noqa: B023
                return h @ w2.T + c2, h @ vn + bn  # noqa: B023

            Y, MY = f(Xt)
            for e in range(E):
                YA, MYA = f(AX[e])
                num = torch.linalg.vector_norm(YA - Y @ Ct[e].T, dim=1)
                rel = num / (MY + MYA + floor[b])
                v, i = rel.max(0)
                best[b, e] = v
                arg[b, e] = i
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
    return best.double().cpu().numpy(), arg.cpu().numpy()


@dataclass(frozen=True)
class BenchResult:
    nets: int
    elements: int
    inputs: int
    width: int
    dim: int
    out: int
    dtype: str
    device: str
    batched_s: float
    loop_s: float
    ratio: float
    evals_per_s: float
    gflops: float
    loop_gflops: float
    flops: float
    chunk: tuple[int, int, int]
    peak_bytes: int
    max_bytes: int
    max_abs_diff: float
    threads: int
    allocated_bytes: int | None = None
    measured_peak_bytes: int | None = None
    compile_s: float | None = None
    compiled_s: float | None = None
    compile_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [
            f"work: {self.nets} nets x {self.elements} elements x {self.inputs} inputs, width {self.width}, "
            f"d = {self.dim}, p = {self.out}, {self.dtype} on {self.device} ({self.threads} torch threads)",
            f"batched kernel: {self.batched_s * 1e3:.2f} ms   loop over (net, element): {self.loop_s * 1e3:.2f} ms   "
            f"ratio {self.ratio:.1f}x",
            f"network evaluations/s: batched {self.evals_per_s:.3g}, "
            f"loop {self.evals_per_s * self.batched_s / self.loop_s:.3g}",
            f"achieved GFLOP/s ({self.flops / 1e9:.3g} GFLOP of network multiply-adds): batched {self.gflops:.2f}, "
            f"loop {self.loop_gflops:.2f}",
            f"peak memory estimate: {self.peak_bytes / 2**20:.2f} MiB for chunk (inputs, elements, nets) = "
            f"{self.chunk} under max_bytes = {self.max_bytes / 2**20:.0f} MiB (device tensors held: "
            f"{(self.allocated_bytes or 0) / 2**20:.2f} MiB"
            + (f"; CUDA allocator peak {self.measured_peak_bytes / 2**20:.2f} MiB" if self.measured_peak_bytes else "")
            + ")",
            f"max |batched - loop| error: {self.max_abs_diff:.2e}",
        ]
        if self.compile_error is not None:
            out.append(f"torch.compile: failed ({self.compile_error})")
        elif self.compiled_s is not None:
            out.append(f"torch.compile: compile + first call {self.compile_s:.1f} s, "
                       f"then {self.compiled_s * 1e3:.2f} ms "
                       f"({self.batched_s / self.compiled_s:.2f}x the eager kernel)")
        return out


def _best_time(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run_bench(
    nets: int | None = None,
    elements: int | None = None,
    inputs: int | None = None,
    width: int | None = None,
    dim: int | None = None,
    out: int | None = None,
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
    repeats: int = 5,
    max_bytes: int = DEFAULT_MAX_BYTES,
    compile: bool = False,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> BenchResult:
    """Time the batched kernel and the loop on identical work; defaults depend on the device."""
    dev = default_device(device)
    dflt = DEFAULTS_GPU if dev.type == "cuda" else DEFAULTS_CPU
    B = nets or dflt["nets"]
    E = elements or dflt["elements"]
    N = inputs or dflt["inputs"]
    m = width or dflt["width"]
    d = dim or dflt["dim"]
    p = out or dflt["out"]
    say = progress or (lambda s: None)
    batch = NetBatch.random(B, m, d, p, seed)
    A, C = random_elements(E, d, p, seed + 1)
    X = np.random.default_rng(seed + 2).standard_normal((N, d))
    kw: dict[str, Any] = dict(dtype=dtype, device=dev, max_bytes=max_bytes)

    say("warm-up")
    measured_peak = None
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        base = torch.cuda.memory_allocated(dev)
        torch.cuda.reset_peak_memory_stats(dev)
    res = equivariance_errors(batch, A, C, X, **kw)
    if dev.type == "cuda":
        measured_peak = int(torch.cuda.max_memory_allocated(dev) - base)
    loop_best, _ = loop_errors(batch, A, C, X, dtype=dtype, device=dev)
    diff = float(np.max(np.abs(loop_best - res.max_error)))
    # interleave the two sides so that a busy machine slows both alike; the best repeat counts
    t_batch = t_loop = float("inf")
    for r in range(repeats):
        say(f"batched kernel ({r + 1}/{repeats})")
        t_batch = min(t_batch, _best_time(lambda: equivariance_errors(batch, A, C, X, **kw), 3))
        say(f"loop over (network, element) ({r + 1}/{repeats})")
        t_loop = min(t_loop, _best_time(lambda: loop_errors(batch, A, C, X, dtype=dtype, device=dev), 1))

    compile_s = compiled_s = None
    compile_error = None
    if compile:
        say("torch.compile (first call compiles)")
        try:
            t0 = time.perf_counter()
            equivariance_errors(batch, A, C, X, compile=True, **kw)
            compile_s = time.perf_counter() - t0
            compiled_s = _best_time(lambda: equivariance_errors(batch, A, C, X, compile=True, **kw), repeats)
        except Exception as exc:  # noqa: BLE001 - a failed compile is a measurement, not a crash
            compile_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"

    evals = (E + 1) * B * N
    flops = 2.0 * evals * (m * d + m * p)
    return BenchResult(
        nets=B, elements=E, inputs=N, width=m, dim=d, out=p, dtype=str(dtype).replace("torch.", ""),
        device=str(dev), batched_s=t_batch, loop_s=t_loop, ratio=t_loop / t_batch, evals_per_s=evals / t_batch,
        gflops=flops / t_batch / 1e9, loop_gflops=flops / t_loop / 1e9, flops=flops, chunk=res.chunk,
        peak_bytes=res.peak_bytes, max_bytes=max_bytes, max_abs_diff=diff, threads=torch.get_num_threads(),
        allocated_bytes=res.allocated_bytes, measured_peak_bytes=measured_peak, compile_s=compile_s,
        compiled_s=compiled_s, compile_error=compile_error,
    )
