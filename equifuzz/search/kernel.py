"""Batched equivariance errors of B networks x E group elements x N inputs in one pass.

For network b, element e (input matrix A_e = rho_in(g_e), output matrix C_e = rho_out(g_e)) and
input x_n the kernel computes

    num[b, e, n]    = || f_b(A_e x_n) - C_e f_b(x_n) ||_2
    M_b(x)          = sum_i ||v_i|| relu(w_i . x + b_i) + ||b2||     (magnitude of the summands of f_b(x))
    rel[b, e, n]    = num / ( M_b(x_n) + M_b(A_e x_n) + eps * s_b )
    gap[e]          = max( ||A_e - I||_2 , ||C_e - I||_2 )          (spectral norms)
    scaled[b, e, n] = rel / gap[e]        (rel itself where gap[e] <= GAP_FLOOR: g acts trivially)

with s_b the weight scale of network b (``ReLUNet.scale``: max_i ||(w_i, b_i)|| ||v_i||, or |b2|).
``rel`` is scale-aware (invariant under f -> c f, and under x -> t x for bias-free nets) and lies in
[0, 1] for orthogonal rho_out. Its denominator bounds ||f(x)|| + ||f(A x)|| (triangle inequality) and is
the scale of the round-off in computing them, so cancelling neurons, where f is small but its terms
are not, cannot turn float64 round-off into a spurious error. ``scaled`` divides by the distance of g
from the identity as in emlp, so an element close to the identity cannot pass just because it barely
moves anything. Per (b, e) the kernel returns max_n rel, max_n scaled (the same argmax, since gap
only depends on e), the argmax index and that input.

Networks of different widths are padded with zero neurons (w = 0, b = 0, v = 0), which add exact
zeros. Inputs are shared (N, d) or per network (B, N, d). Work is chunked over N, then B, then E so
that the live tensors stay under ``max_bytes`` (see :func:`peak_bytes`); on a CPU chunks are also
kept near the caches. The device is CUDA when
available, else CPU; TF32 is switched off for the call and restored afterwards. Screening in float32
with confirmation in float64 and by the exact oracle is :mod:`equifuzz.search.screen`.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors.exceptions import EquifuzzError, InvalidArgument, NonFiniteError, ShapeError
from ..errors.validation import check_array, describe
from ..nets.relu_net import ReLUNet
from ..reps.finite import Representation, check_reps

__all__ = [
    "DEFAULT_EPS",
    "DEFAULT_MAX_BYTES",
    "SCREEN_TOL",
    "CONFIRM_TOL",
    "GAP_FLOOR",
    "NetBatch",
    "KernelResult",
    "default_device",
    "no_tf32",
    "element_gaps",
    "peak_bytes",
    "plan_chunks",
    "default_chunk_bytes",
    "equivariance_errors",
    "group_errors",
    "paired_errors",
    "KernelMemoryError",
]

DEFAULT_EPS = 1e-6
"""eps in the denominator eps * s_b: keeps rel finite where f vanishes (units of output per input)."""
DEFAULT_MAX_BYTES = 256 * 2**20
SCREEN_TOL = 1e-3
"""float32 screening threshold on the scaled error (float32 round-off of width-64 nets is ~1e-6)."""
CONFIRM_TOL = 1e-8
"""float64 threshold on the scaled error above which a candidate goes to the exact oracle."""
GAP_FLOOR = 1e-12


class KernelMemoryError(EquifuzzError, MemoryError):
    """Even the smallest chunk (one network, one element, one input) exceeds ``max_bytes``."""


# ---------------------------------------------------------------------------------------------
# device and precision


def default_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given, else CUDA when available, else CPU."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@contextlib.contextmanager
def no_tf32() -> Iterator[None]:
    """Switch TF32 off for CUDA matmuls and cuDNN inside the block; restore the settings afterwards."""
    old_mm = torch.backends.cuda.matmul.allow_tf32
    old_cudnn = torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old_mm
        torch.backends.cudnn.allow_tf32 = old_cudnn


# ---------------------------------------------------------------------------------------------
# a batch of networks


@dataclass(frozen=True)
class NetBatch:
    """B networks padded to a common width m: W1 (B, m, d), b1 (B, m), W2 (B, p, m), b2 (B, p).

    Float64 numpy arrays; ``widths[b]`` is the real width of network b (neurons past it are zero),
    ``scale[b]`` its weight scale s_b.
    """

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    widths: np.ndarray
    scale: np.ndarray

    @classmethod
    def from_nets(cls, nets: Sequence[ReLUNet], width: int | None = None) -> NetBatch:
        """Stack networks of one (d, p), padding each to ``width`` (default: the largest) with zero neurons."""
        nets = list(nets)
        if not nets:
            raise ShapeError("a NetBatch needs at least one network")
        d, p = nets[0].d, nets[0].p
        for i, n in enumerate(nets):
            if (n.d, n.p) != (d, p):
                raise ShapeError(f"network {i} maps R^{n.d} -> R^{n.p}, but network 0 maps R^{d} -> R^{p}")
        m = max(n.width for n in nets) if width is None else int(width)
        if m < max(n.width for n in nets):
            raise ShapeError(f"cannot pad to width {m}: the widest network has {max(n.width for n in nets)} neurons")
        B = len(nets)
        W1, b1 = np.zeros((B, m, d)), np.zeros((B, m))
        W2, b2 = np.zeros((B, p, m)), np.zeros((B, p))
        for i, n in enumerate(nets):
            w1, bb1, w2, bb2 = n.float_params()
            k = n.width
            W1[i, :k], b1[i, :k], W2[i, :, :k], b2[i] = w1, bb1, w2, bb2
        widths = np.array([n.width for n in nets], dtype=np.int64)
        scale = np.array([n.scale for n in nets], dtype=np.float64)
        return cls(W1, b1, W2, b2, widths, scale)

    @classmethod
    def from_arrays(cls, W1: Any, b1: Any, W2: Any, b2: Any) -> NetBatch:
        """A batch from stacked float64 arrays (all of full width)."""
        W1, b1, W2, b2 = (np.asarray(a, dtype=np.float64) for a in (W1, b1, W2, b2))
        B, m, d = W1.shape
        p = W2.shape[1]
        if b1.shape != (B, m) or W2.shape != (B, p, m) or b2.shape != (B, p):
            raise ShapeError(f"inconsistent stacked shapes W1 {W1.shape}, b1 {b1.shape}, W2 {W2.shape}, b2 {b2.shape}")
        wn = np.sqrt((W1 ** 2).sum(-1) + b1 ** 2)
        vn = np.sqrt((W2 ** 2).sum(1))
        scale = np.maximum(np.maximum((wn * vn).max(-1, initial=0.0), np.abs(b2).max(-1, initial=0.0)), 1e-300)
        return cls(W1, b1, W2, b2, np.full(B, m, dtype=np.int64), scale)

    @classmethod
    def random(cls, B: int, m: int, d: int, p: int, seed: int = 0) -> NetBatch:
        """B random networks (Gaussian weights, He-scaled first layer) from a fixed seed."""
        rng = np.random.default_rng(seed)
        return cls.from_arrays(rng.standard_normal((B, m, d)) * math.sqrt(2.0 / d), rng.standard_normal((B, m)) * 0.1,
                               rng.standard_normal((B, p, m)) / math.sqrt(m), rng.standard_normal((B, p)) * 0.1)

    @property
    def size(self) -> int:
        return int(self.W1.shape[0])

    @property
    def width(self) -> int:
        return int(self.W1.shape[1])

    @property
    def d(self) -> int:
        return int(self.W1.shape[2])

    @property
    def p(self) -> int:
        return int(self.W2.shape[1])

    def net(self, b: int) -> ReLUNet:
        """Network b, trimmed to its real width."""
        k = int(self.widths[b])
        return ReLUNet(self.W1[b, :k], self.b1[b, :k], self.W2[b, :, :k], self.b2[b])

    def subset(self, idx: Sequence[int] | np.ndarray) -> NetBatch:
        ix = np.asarray(idx, dtype=np.int64)
        return NetBatch(self.W1[ix], self.b1[ix], self.W2[ix], self.b2[ix], self.widths[ix], self.scale[ix])

    def tensors(self, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
        return tuple(torch.as_tensor(a, dtype=dtype, device=device) for a in (self.W1, self.b1, self.W2, self.b2))


def _as_batch(nets: NetBatch | Sequence[ReLUNet] | ReLUNet) -> NetBatch:
    if isinstance(nets, NetBatch):
        return nets
    if isinstance(nets, ReLUNet):
        return NetBatch.from_nets([nets])
    if isinstance(nets, (str, bytes)) or not isinstance(nets, Sequence) or not nets \
            or not all(isinstance(n, ReLUNet) for n in nets):
        raise InvalidArgument("nets must be a ReLUNet, a non-empty list of ReLUNets or a NetBatch, "
                              f"got {describe(nets)}")
    return NetBatch.from_nets(nets)


def element_gaps(A: np.ndarray, C: np.ndarray) -> np.ndarray:
    """gap[e] = max(||A_e - I||_2, ||C_e - I||_2): how far element e is from acting as the identity."""
    A = np.asarray(A, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    ga = np.linalg.norm(A - np.eye(A.shape[-1]), ord=2, axis=(-2, -1)) if A.shape[-1] else np.zeros(len(A))
    gc = np.linalg.norm(C - np.eye(C.shape[-1]), ord=2, axis=(-2, -1)) if C.shape[-1] else np.zeros(len(C))
    return np.maximum(ga, gc)


# ---------------------------------------------------------------------------------------------
# memory plan


def _chunk_elems(E: int, N: int, m: int, d: int, p: int, chunk: tuple[int, int, int], per_net: bool) -> int:
    nn, ne, nb = chunk
    m1, d1 = m + 1, d + 1
    return ((nb if per_net else 1) * d1 * nn  # input chunk [x; 1]
            + nb * m1 * nn + nb * p * nn + nb * nn  # f(x): hidden, output, norm
            + nb * m1 * ne * d1  # folded weights [w_i^T A_e, b_i]
            + nb * m1 * ne * nn  # pre-activations of f(A_e x), rectified in place
            + 2 * nb * ne * p * nn  # f(A_e x), C_e f(x)
            + 2 * nb * ne * nn)  # norms, error


def peak_bytes(B: int, E: int, N: int, m: int, d: int, p: int, chunk: tuple[int, int, int] | None = None, *,
               itemsize: int = 4, per_network_inputs: bool = False) -> int:
    """Peak bytes of the tensors the kernel holds on the device for chunk (n_chunk, e_chunk, b_chunk).

    With m1 = m + 1 and d1 = d + 1 (biases ride along as an extra input 1 and an extra neuron
    relu(1) = 1 whose output weight is b2): resident parameters B (m1 d1 + p m1) + B, element
    matrices E (d1^2 + p^2), inputs d1 N (B d1 N per network), per-(b, e) results 2 B E (8 bytes).
    Per chunk (nb, ne, nn): input chunk d1 nn (nb d1 nn); f(x): nb m1 nn + nb p nn + nb nn; folded
    weights nb m1 ne d1; pre-activations nb m1 ne nn; f(A x) and C f(x) 2 nb ne p nn; norms 2 nb ne nn.
    The kernel allocates exactly these buffers once per call and reuses them across chunks
    (``KernelResult.allocated_bytes`` counts them and equals this figure); only O(nb ne) temporaries of
    the running max, allocator rounding and BLAS workspace come on top. This is the figure ``max_bytes``
    bounds.
    """
    c = (N, E, B) if chunk is None else (min(chunk[0], N), min(chunk[1], E), min(chunk[2], B))
    m1, d1 = m + 1, d + 1
    resident = itemsize * (B * (m1 * d1 + p * m1 + 1) + E * (d1 * d1 + p * p)
                           + (B if per_network_inputs else 1) * d1 * N) + 16 * B * E
    return int(resident + itemsize * _chunk_elems(E, N, m, d, p, c, per_network_inputs))


def plan_chunks(B: int, E: int, N: int, m: int, d: int, p: int, *, itemsize: int = 4,
                per_network_inputs: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
                chunk_bytes: int | None = None) -> tuple[int, int, int]:
    """The largest (n_chunk, e_chunk, b_chunk) within the limits: halve N (to 256), then B, then E, then N.

    ``max_bytes`` bounds :func:`peak_bytes`; ``chunk_bytes`` (optional) also bounds the per-chunk part
    alone, which on a CPU keeps the working set near the caches (see :func:`default_chunk_bytes`).
    """
    def fits(c: tuple[int, int, int]) -> bool:
        if peak_bytes(B, E, N, m, d, p, c, itemsize=itemsize, per_network_inputs=per_network_inputs) > max_bytes:
            return False
        return chunk_bytes is None or itemsize * _chunk_elems(E, N, m, d, p, c, per_network_inputs) <= chunk_bytes

    nn, ne, nb = N, E, B
    floor_n = min(N, 256)
    while not fits((nn, ne, nb)) and nn > floor_n:
        nn = max(floor_n, (nn + 1) // 2)
    while not fits((nn, ne, nb)) and nb > 1:
        nb = (nb + 1) // 2
    while not fits((nn, ne, nb)) and ne > 1:
        ne = (ne + 1) // 2
    while not fits((nn, ne, nb)) and nn > 1:
        nn = (nn + 1) // 2
    if peak_bytes(B, E, N, m, d, p, (nn, ne, nb), itemsize=itemsize,
                  per_network_inputs=per_network_inputs) > max_bytes:
        need = peak_bytes(B, E, N, m, d, p, (1, 1, 1), itemsize=itemsize, per_network_inputs=per_network_inputs)
        raise KernelMemoryError(f"max_bytes={max_bytes} is below the {need} bytes that one network, one element "
                                "and one input need (parameters and inputs stay resident); raise max_bytes")
    return nn, ne, nb


def default_chunk_bytes(device: torch.device) -> int | None:
    """Per-chunk working-set target: 16 MiB on a CPU (measured sweet spot on a 2-core x86 with 4 MiB L2;
    much larger chunks run 3-4x slower), unbounded (only ``max_bytes``) on a GPU."""
    return None if device.type == "cuda" else 16 * 2**20


# ---------------------------------------------------------------------------------------------
# the kernel


def _augment(batch: NetBatch, A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """W1a = [[W1, b1], [0, 1]] (B, m+1, d+1), W2a = [W2, b2] (B, p, m+1), Aa = diag(A_e, 1) (E, d+1, d+1).

    Then f(x) = W2a relu(W1a [x; 1]) exactly (the extra neuron is relu(1) = 1), and the folded weights
    W1a Aa_e give f(A_e x) without transforming the inputs.
    """
    B, m, d = batch.W1.shape
    p = batch.p
    W1a = np.zeros((B, m + 1, d + 1))
    W1a[:, :m, :d] = batch.W1
    W1a[:, :m, d] = batch.b1
    W1a[:, m, d] = 1.0
    W2a = np.zeros((B, p, m + 1))
    W2a[:, :, :m] = batch.W2
    W2a[:, :, m] = batch.b2
    Aa = np.zeros((A.shape[0], d + 1, d + 1))
    Aa[:, :d, :d] = A
    Aa[:, d, d] = 1.0
    return W1a, W2a, Aa


class _Workspace:
    """Named flat buffers reused across chunks: a fresh multi-megabyte tensor per chunk costs page
    faults on every call on a CPU (measured: a 12 MFLOP GEMM took 2.9 ms into fresh memory, 0.2 ms
    into reused memory)."""

    def __init__(self, dtype: torch.dtype, device: torch.device) -> None:
        self.dtype, self.device = dtype, device
        self.bufs: dict[str, torch.Tensor] = {}

    def __call__(self, name: str, *shape: int) -> torch.Tensor:
        n = math.prod(shape)
        buf = self.bufs.get(name)
        if buf is None or buf.numel() < n:
            buf = self.bufs[name] = torch.empty(n, dtype=self.dtype, device=self.device)
        return buf[:n].view(shape)


def _norm_over_dim1(T: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """Euclidean norm over dim 1 (the output coordinates) into ``out``, one fused multiply-add per
    coordinate: torch's reductions over a short middle dimension are 4x (sum) to 400x (vector_norm)
    slower on a CPU."""
    if T.shape[1] == 0:
        return out.zero_()
    torch.mul(T[:, 0], T[:, 0], out=out)
    for k in range(1, T.shape[1]):
        out.addcmul_(T[:, k], T[:, k])
    return out.sqrt_()


def _chunk_errors(W1a: torch.Tensor, W2a: torch.Tensor, Aa: torch.Tensor, C: torch.Tensor, Xa: torch.Tensor,
                  den_floor: torch.Tensor, ws: _Workspace | None = None) -> torch.Tensor:
    """rel[b, e, n] for one chunk (module docstring); Xa = [x; 1] stored (d+1, n) or (nb, d+1, n).

    Three GEMMs do the work: the folded weights W1a Aa_e for all (b, e) at once, the pre-activations of
    every (b, e) in one (nb m1 ne, d1) x (d1, n) product (batched per network for per-network inputs),
    and one (p, m1) x (m1, ne n) product per network. Buffers come from ``ws`` when given.
    """
    nb, m1, d1 = W1a.shape
    ne = Aa.shape[0]
    n = Xa.shape[-1]
    p = W2a.shape[1]
    shared = Xa.dim() == 2

    def new(name: str, *shape: int) -> torch.Tensor:
        return ws(name, *shape) if ws is not None else torch.empty(shape, dtype=W1a.dtype, device=W1a.device)

    H = new("H", nb, m1, n)
    if shared:
        torch.mm(W1a.reshape(nb * m1, d1), Xa, out=H.view(nb * m1, n))
    else:
        torch.bmm(W1a, Xa, out=H)
    H.relu_()
    # one more output row carries M_b = sum_i ||v_i|| relu(.) + ||b2|| (the unit neuron holds b2)
    W2m = torch.cat([W2a, torch.linalg.vector_norm(W2a, dim=1, keepdim=True)], dim=1)  # (nb, p+1, m1)
    YM = new("Y", nb, p + 1, n)
    torch.bmm(W2m, H, out=YM)
    Y, nY = YM[:, :p], YM[:, p:]  # f_b(x), M_b(x)
    W1A = new("W1A", nb * m1, ne * d1)  # row (b, i), column block e: [w_i^T A_e, b_i]
    torch.mm(W1a.reshape(nb * m1, d1), Aa.permute(1, 0, 2).reshape(d1, ne * d1), out=W1A)
    Z = new("Z", nb, m1, ne * n)
    if shared:
        torch.mm(W1A.view(nb * m1 * ne, d1), Xa, out=Z.view(nb * m1 * ne, n))
    else:
        torch.bmm(W1A.view(nb, m1 * ne, d1), Xa, out=Z.view(nb, m1 * ne, n))
    Z.relu_()
    YAM = new("YA", nb, p + 1, ne * n)  # f_b(A_e x_n) at [b, :p, e, n], M_b(A_e x_n) at [b, p, e, n]
    torch.bmm(W2m, Z, out=YAM)
    YA4 = YAM.view(nb, p + 1, ne, n)[:, :p]
    nYA = YAM.view(nb, p + 1, ne, n)[:, p]
    CY = new("CY", nb, ne * p, n)  # C_e f_b(x_n) at [b, e, :, n]
    torch.matmul(C.reshape(ne * p, p), Y, out=CY)
    YA4.sub_(CY.view(nb, ne, p, n).transpose(1, 2))
    num = _norm_over_dim1(YA4, new("num", nb, ne, n))
    return num.div_(nYA.add(nY).add_(den_floor[:, None, None]))


def paired_errors(W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor, A: torch.Tensor,
                  C: torch.Tensor, X: torch.Tensor, eps_scale: float | torch.Tensor) -> torch.Tensor:
    """Differentiable rel[e, s] for one network and inputs X (E, S, d) paired with elements (E, ...).

    Same formula as the kernel: ||f(A_e x) - C_e f(x)|| / (M(x) + M(A_e x) + eps s).
    """
    vn = torch.linalg.vector_norm(W2, dim=0)
    bn = torch.linalg.vector_norm(b2)

    def f(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.relu(x @ W1.T + b1)
        return h @ W2.T + b2, h @ vn + bn

    AX = torch.einsum("eij,esj->esi", A, X)
    Y, MY = f(X)
    YA, MYA = f(AX)
    diff = YA - torch.einsum("epq,esq->esp", C, Y)
    num = torch.linalg.vector_norm(diff, dim=-1)
    return num / (MY + MYA + eps_scale)


@dataclass(frozen=True)
class KernelResult:
    """Per (network b, element e): max_n rel, max_n scaled, the argmax input index and that input."""

    max_error: np.ndarray  # (B, E) float64
    max_scaled: np.ndarray  # (B, E) float64
    argmax: np.ndarray  # (B, E) int64 index into the inputs
    inputs: np.ndarray  # (B, E, d) float64: the worst input per (b, e)
    gap: np.ndarray  # (E,)
    dtype: str
    device: str
    chunk: tuple[int, int, int]
    peak_bytes: int
    seconds: float
    n_inputs: int
    allocated_bytes: int | None = None  # bytes of the device tensors actually held (None under compile)

    def worst(self) -> tuple[int, int, float]:
        """(b, e, scaled error) of the largest scaled error over the whole batch."""
        b, e = np.unravel_index(int(np.argmax(self.max_scaled)), self.max_scaled.shape)
        return int(b), int(e), float(self.max_scaled[b, e])


_COMPILED: dict[str, Any] = {}


def _compiled_chunk_errors() -> Any:
    if "fn" not in _COMPILED:
        _COMPILED["fn"] = torch.compile(_chunk_errors, dynamic=False)
    return _COMPILED["fn"]


def equivariance_errors(
    nets: NetBatch | Sequence[ReLUNet] | ReLUNet,
    A: Any,
    C: Any,
    X: Any,
    *,
    eps: float = DEFAULT_EPS,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    chunk: tuple[int, int, int] | None = None,
    chunk_bytes: int | None | str = "auto",
    compile: bool = False,
) -> KernelResult:
    """Max over inputs of the equivariance error of every network under every element matrix pair.

    ``A`` (E, d, d) and ``C`` (E, p, p) are the input and output matrices of the elements; ``X`` is
    (N, d) shared or (B, N, d) per network. ``chunk`` = (n_chunk, e_chunk, b_chunk) overrides the
    plan that keeps :func:`peak_bytes` under ``max_bytes`` (and the per-chunk part under
    ``chunk_bytes``, by default :func:`default_chunk_bytes`). ``compile`` wraps the chunk function in
    ``torch.compile`` (off by default: see ``equifuzz bench --compile`` for the measurement).
    """
    batch = _as_batch(nets)
    dev = default_device(device)
    A = np.asarray(A, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    Xn = X.detach().cpu().double().numpy() if isinstance(X, torch.Tensor) else np.asarray(X, dtype=np.float64)
    B, m, d, p = batch.size, batch.width, batch.d, batch.p
    if A.ndim != 3 or A.shape[1:] != (d, d):
        raise ShapeError(f"A must have shape (E, {d}, {d}) for networks on R^{d}, got {A.shape}")
    if C.ndim != 3 or C.shape[1:] != (p, p) or C.shape[0] != A.shape[0]:
        raise ShapeError(f"C must have shape ({A.shape[0]}, {p}, {p}) to match A and outputs in R^{p}, got {C.shape}")
    per_net = Xn.ndim == 3
    if not ((Xn.ndim == 2 and Xn.shape[1] == d) or (per_net and Xn.shape[0] == B and Xn.shape[2] == d)):
        raise ShapeError(f"inputs must have shape (N, {d}) or ({B}, N, {d}), got {Xn.shape}")
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(C)) and np.all(np.isfinite(Xn))):
        raise NonFiniteError("element matrices or inputs hold NaN or inf")
    E, N = A.shape[0], Xn.shape[-2]
    itemsize = torch.empty((), dtype=dtype).element_size()
    if chunk is None:
        cb = default_chunk_bytes(dev) if chunk_bytes == "auto" else chunk_bytes
        chunk = plan_chunks(B, E, N, m, d, p, itemsize=itemsize, per_network_inputs=per_net, max_bytes=max_bytes,
                            chunk_bytes=cb)  # type: ignore[arg-type]
    nn, ne, nb = (max(1, min(int(c), full)) for c, full in zip(chunk, (N, E, B), strict=True))
    gap = element_gaps(A, C)
    inv_gap = np.where(gap > GAP_FLOOR, 1.0 / np.maximum(gap, GAP_FLOOR), 1.0)
    W1a, W2a, Aa = _augment(batch, A)
    Xa = np.concatenate([Xn, np.ones(Xn.shape[:-1] + (1,))], axis=-1)

    t0 = time.perf_counter()
    with no_tf32(), torch.no_grad():
        W1t = torch.as_tensor(W1a, dtype=dtype, device=dev)
        W2t = torch.as_tensor(W2a, dtype=dtype, device=dev)
        At = torch.as_tensor(Aa, dtype=dtype, device=dev)
        Ct = torch.as_tensor(C, dtype=dtype, device=dev)
        Xt = torch.as_tensor(Xa, dtype=dtype, device=dev).transpose(-1, -2)  # (d+1, N) or (B, d+1, N)
        floor = torch.as_tensor(eps * batch.scale, dtype=dtype, device=dev)
        best = torch.full((B, E), -1.0, dtype=torch.float64, device=dev)
        arg = torch.zeros((B, E), dtype=torch.int64, device=dev)
        compiled = _compiled_chunk_errors() if compile else None
        ws = _Workspace(dtype, dev)

        def fn(W1c: torch.Tensor, W2c: torch.Tensor, Ac: torch.Tensor, Cc: torch.Tensor, Xc: torch.Tensor,
               fc: torch.Tensor) -> torch.Tensor:
            if compiled is not None:
                return compiled(W1c, W2c, Ac, Cc, Xc, fc)  # type: ignore[no-any-return]
            return _chunk_errors(W1c, W2c, Ac, Cc, Xc, fc, ws=ws)
        x_chunk_bytes = 0
        for b0 in range(0, B, nb):
            bs = slice(b0, min(B, b0 + nb))
            for n0 in range(0, N, nn):
                ns = slice(n0, min(N, n0 + nn))
                Xc = (Xt[..., ns] if not per_net else Xt[bs, :, ns]).contiguous()
                x_chunk_bytes = max(x_chunk_bytes, Xc.numel() * Xc.element_size())
                for e0 in range(0, E, ne):
                    es = slice(e0, min(E, e0 + ne))
                    rel = fn(W1t[bs], W2t[bs], At[es], Ct[es], Xc, floor[bs])
                    val, idx = rel.max(dim=-1)
                    val = val.double()
                    cur = best[bs, es]
                    better = val > cur
                    best[bs, es] = torch.where(better, val, cur)
                    arg[bs, es] = torch.where(better, idx + n0, arg[bs, es])
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
    seconds = time.perf_counter() - t0
    allocated = None
    if compiled is None:
        held = (W1t, W2t, At, Ct, Xt, floor, best, arg, *ws.bufs.values())
        allocated = sum(t.numel() * t.element_size() for t in held) + x_chunk_bytes
    max_err = best.cpu().numpy()
    argmax = arg.cpu().numpy()
    worst_x = Xn[np.arange(B)[:, None], argmax] if per_net else Xn[argmax]
    return KernelResult(
        max_error=max_err, max_scaled=max_err * inv_gap[None, :], argmax=argmax, inputs=worst_x, gap=gap,
        dtype=str(dtype).replace("torch.", ""), device=str(dev), chunk=(nn, ne, nb),
        peak_bytes=peak_bytes(B, E, N, m, d, p, (nn, ne, nb), itemsize=itemsize, per_network_inputs=per_net),
        seconds=seconds, n_inputs=N, allocated_bytes=allocated,
    )


def group_errors(nets: NetBatch | Sequence[ReLUNet] | ReLUNet, rho_in: Representation, rho_out: Representation,
                 X: Any, elements: Sequence[int] | None = None, **kw: Any) -> KernelResult:
    """:func:`equivariance_errors` for the elements of a group (default: every element but the identity)."""
    check_reps(rho_in, rho_out)
    X = check_array("X", X)
    els = default_elements(rho_in) if elements is None else [rho_in.group.check_element(g) for g in elements]
    return equivariance_errors(nets, rho_in.matrices[els], rho_out.matrices[els], X, **kw)


def default_elements(rho_in: Representation, max_elements: int = 256, seed: int = 0) -> list[int]:
    """Every non-identity element, or for large groups the generators plus random words (fixed seed)."""
    G = rho_in.group
    if G.order - 1 <= max_elements:
        return list(range(1, G.order))
    rng = np.random.default_rng(seed)
    els = list(dict.fromkeys(g for g in G.generators if g != 0))
    seen = set(els) | {0}
    ngen = len(G.generators)
    tries = 0
    while len(els) < max_elements and tries < 50 * max_elements:
        tries += 1
        word = rng.integers(0, ngen, size=int(rng.integers(1, 12)))
        g = G.evaluate_word(word.tolist())
        if g not in seen:
            seen.add(g)
            els.append(g)
    return els
