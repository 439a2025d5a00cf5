"""Reference e3nn modules and planted defects, each with the blocks a gate needs.

``REFERENCE`` builds equivariant modules (o3.Linear, FullyConnectedTensorProduct, SphericalHarmonics,
Norm, Gate and a small point convolution); ``DEFECTS`` builds modules with one planted defect each:

- ``parity``: an output labelled 1e that is really 1o;
- ``bias_l1``: a bias of relative size ``eps`` added to an l = 1 output;
- ``unrotated_input``: an l = 1 operand held fixed in the module, so it does not rotate with the data;
- ``transposed_action``: a frame-canonicalized map that returns R^T h(R^T x) instead of R h(R^T x);
- ``elementwise_l1``: tanh applied componentwise to l = 1 features;
- ``clamped_l1``: l = 1 features clamped componentwise to [-3, 3] (visible only for large inputs).

Every builder takes ``(seed, dtype)`` (it seeds torch in a forked random state) and returns a
:class:`ZooCase`; the same case feeds equifuzz's gate and e3nn's own
``e3nn.util.test.assert_equivariant`` (``e3nn_irreps_in``/``e3nn_irreps_out``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from .e3nn import _e3nn_o3, irreps

__all__ = ["ZooCase", "REFERENCE", "DEFECTS", "PointConv"]


@dataclass
class ZooCase:
    """A module with its blocks: ``rho_in``/``rho_out`` for the gate, irreps for e3nn's helper."""

    name: str
    module: torch.nn.Module
    rho_in: Any
    rho_out: Any
    e3nn_irreps_in: Any
    e3nn_irreps_out: Any
    dtype: torch.dtype = torch.float64
    description: str = ""
    #: the axis along which the module maps entries independently (``assert_equivariant(batch_dim=)``)
    batch_dim: int | None = 0
    #: inputs to start from (``assert_equivariant(inputs=)``); None: the gate draws them
    inputs: Any = None


def _seeded(build: Callable[..., ZooCase]) -> Callable[..., ZooCase]:
    """Build under ``torch.manual_seed(seed)`` and with ``dtype`` as the default dtype (e3nn computes its
    constants -- Wigner 3j, spherical-harmonic coefficients -- in the default dtype, so a float32-built
    module cast to float64 is only float32-accurate), without touching the caller's state."""

    @functools.wraps(build)
    def seeded(seed: int = 0, dtype: torch.dtype = torch.float64, **kw: Any) -> ZooCase:
        default = torch.get_default_dtype()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            torch.set_default_dtype(dtype)
            try:
                return build(dtype, **kw)
            finally:
                torch.set_default_dtype(default)

    return seeded


def _case(name: str, module: torch.nn.Module, ins: list[str], outs: str, dtype: torch.dtype,
          description: str = "", points: bool = False) -> ZooCase:
    module = module.to(dtype)
    rho_in: Any = tuple(irreps(s) for s in ins)
    e3_in: list[Any] = [_e3nn_o3().Irreps(s) for s in ins]
    if points:
        rho_in = ("cartesian_points", *rho_in)  # the gate acts on it as rotated, translated points
        e3_in = ["cartesian_points", *e3_in]
    if len(rho_in) == 1:
        rho_in, e3_in = rho_in[0], e3_in[0]
    return ZooCase(name, module, rho_in, irreps(outs), e3_in, _e3nn_o3().Irreps(outs), dtype, description)


class PointConv(torch.nn.Module):
    """One e3nn point convolution: messages TP(x_src, Y(r_dst - r_src); w(|r|)) summed over neighbours
    within ``r_max`` (smooth radial cutoff), normalized by the square root of the mean degree."""

    def __init__(self, irreps_in: str, irreps_out: str, lmax: int = 2, r_max: float = 2.5, n_basis: int = 8) -> None:
        super().__init__()
        from e3nn import nn, o3

        self.irreps_in, self.irreps_out = o3.Irreps(irreps_in), o3.Irreps(irreps_out)
        self.irreps_sh = o3.Irreps.spherical_harmonics(lmax)
        self.r_max, self.n_basis = r_max, n_basis
        self.tp = o3.FullyConnectedTensorProduct(self.irreps_in, self.irreps_sh, self.irreps_out,
                                                 shared_weights=False)
        self.fc = nn.FullyConnectedNet([n_basis, 16, self.tp.weight_numel], torch.nn.functional.silu)

    def forward(self, pos: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``pos`` (N, 3) and ``x`` (N, dim), or a batch of clouds (B, N, 3) and (B, N, dim)."""
        if pos.ndim == 2:
            return self._clouds(pos[None], x[None])[0]
        return self._clouds(pos, x)

    def _clouds(self, pos: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        from e3nn import o3
        from e3nn.math import soft_one_hot_linspace

        b, n = pos.shape[:2]
        dist = torch.cdist(pos, pos)
        mask = (dist < self.r_max) & ~torch.eye(n, dtype=torch.bool, device=pos.device)
        cloud, src, dst = torch.nonzero(mask, as_tuple=True)
        src, dst = cloud * n + src, cloud * n + dst  # nodes of all clouds numbered 0 .. b n - 1
        vec = pos.reshape(b * n, 3)[dst] - pos.reshape(b * n, 3)[src]
        sh = o3.spherical_harmonics(self.irreps_sh, vec, normalize=True, normalization="component")
        emb = soft_one_hot_linspace(vec.norm(dim=1), 0.0, self.r_max, self.n_basis, basis="smooth_finite",
                                    cutoff=True) * self.n_basis ** 0.5
        msg = self.tp(x.reshape(b * n, -1)[src], sh, self.fc(emb))
        out = torch.zeros(b * n, self.irreps_out.dim, dtype=msg.dtype, device=msg.device)
        out = out.index_add_(0, dst, msg).reshape(b, n, -1)
        degree = mask.sum(dim=(1, 2)).to(msg.dtype) / max(n, 1)  # mean degree of each cloud
        return out / degree.clamp(min=1.0).sqrt()[:, None, None]


@_seeded
def linear(dtype: torch.dtype) -> ZooCase:
    o3 = _e3nn_o3()
    return _case("o3.Linear", o3.Linear("4x0e + 2x1o + 1x2e", "2x0e + 3x1o + 2x2e"),
                 ["4x0e + 2x1o + 1x2e"], "2x0e + 3x1o + 2x2e", dtype)


@_seeded
def tensor_product(dtype: torch.dtype) -> ZooCase:
    o3 = _e3nn_o3()
    a, b, c = "2x0e + 2x1o", "1x0e + 1x1o + 1x2e", "2x0e + 2x1o + 2x1e + 1x2e"
    return _case("FullyConnectedTensorProduct", o3.FullyConnectedTensorProduct(a, b, c), [a, b], c, dtype)


@_seeded
def spherical_harmonics(dtype: torch.dtype) -> ZooCase:
    o3 = _e3nn_o3()
    sh = o3.SphericalHarmonics([0, 1, 2, 3], normalize=True, irreps_in="1o")
    return _case("SphericalHarmonics", sh, ["1o"], str(sh.irreps_out), dtype)


@_seeded
def norm(dtype: torch.dtype) -> ZooCase:
    o3 = _e3nn_o3()
    return _case("Norm", o3.Norm("2x0e + 3x1o + 1x2e"), ["2x0e + 3x1o + 1x2e"], "6x0e", dtype)


@_seeded
def gate(dtype: torch.dtype) -> ZooCase:
    from e3nn import nn

    g = nn.Gate("4x0e", [torch.tanh], "2x0e", [torch.sigmoid], "2x1o")
    return _case("Gate", g, [str(g.irreps_in)], str(g.irreps_out), dtype)


@_seeded
def point_conv(dtype: torch.dtype) -> ZooCase:
    a, c = "4x0e + 2x1o", "2x0e + 2x1o + 1x2e"
    case = _case("point convolution", PointConv(a, c), [a], c, dtype, points=True)
    # one cloud of 16 points with a leading batch axis (the gate stacks clouds along it); e3nn's helper
    # draws 1 to 4 points
    case.inputs = (torch.randn(1, 16, 3, dtype=torch.float64), torch.randn(1, 16, 10, dtype=torch.float64))
    return case


REFERENCE: dict[str, Callable[[int, torch.dtype], ZooCase]] = {
    "linear": linear,
    "tensor_product": tensor_product,
    "spherical_harmonics": spherical_harmonics,
    "norm": norm,
    "gate": gate,
    "point_conv": point_conv,
}


# -- planted defects -----------------------------------------------------------------------------


class _BiasedLinear(torch.nn.Module):
    bias: torch.Tensor

    def __init__(self, eps: float) -> None:
        super().__init__()
        o3 = _e3nn_o3()
        self.lin = o3.Linear("2x0e + 2x1o", "1x0e + 1x1o")
        self.register_buffer("bias", torch.zeros(4))
        self.bias[1:] = eps * torch.randn(3) / 3 ** 0.5

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x) + self.bias


class _FixedOperand(torch.nn.Module):
    direction: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        o3 = _e3nn_o3()
        self.tp = o3.FullyConnectedTensorProduct("2x0e + 1x1o", "1x1o", "1x0e + 1x1o + 1x1e")
        self.register_buffer("direction", torch.randn(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tp(x, self.direction.expand(x.shape[0], 3))


class _FrameMap(torch.nn.Module):
    """Input: four vectors u, v, w, x (4x1o). The frame R from QR of [u v w] (positive diagonal) moves as
    R -> Q R; y = R h(R^T x) is equivariant, the planted y = R^T h(R^T x) is not."""

    def __init__(self, transposed: bool) -> None:
        super().__init__()
        self.h = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
        self.transposed = transposed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = x.reshape(-1, 4, 3)
        q, r = torch.linalg.qr(v[:, :3].transpose(1, 2))
        R = q * torch.sign(torch.diagonal(r, dim1=1, dim2=2))[:, None, :]
        z = torch.einsum("nji,nj->ni", R, v[:, 3])
        hz = self.h(z)
        return torch.einsum("nji,nj->ni" if self.transposed else "nij,nj->ni", R, hz)


class _ElementwiseTanh(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = _e3nn_o3().Linear("2x0e + 2x1o", "2x0e + 2x1o")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.lin(x))


class _Clamped(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = _e3nn_o3().Linear("2x0e + 2x1o", "1x0e + 1x1o")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.lin(x)
        return torch.cat([y[:, :1], y[:, 1:].clamp(-3.0, 3.0)], dim=1)


@_seeded
def parity(dtype: torch.dtype) -> ZooCase:
    return _case("parity", _e3nn_o3().Linear("2x0e + 2x1o", "2x1o"), ["2x0e + 2x1o"], "2x1e", dtype,
                 "output labelled 2x1e is really 2x1o")


@_seeded
def bias_l1(dtype: torch.dtype, eps: float = 1.0) -> ZooCase:
    return _case("bias_l1", _BiasedLinear(eps), ["2x0e + 2x1o"], "1x0e + 1x1o", dtype,
                 f"bias of norm ~{eps:g} added to the l = 1 output")


@_seeded
def unrotated_input(dtype: torch.dtype) -> ZooCase:
    return _case("unrotated_input", _FixedOperand(), ["2x0e + 1x1o"], "1x0e + 1x1o + 1x1e", dtype,
                 "the tensor product's l = 1 operand is held fixed and does not rotate")


@_seeded
def transposed_action(dtype: torch.dtype) -> ZooCase:
    return _case("transposed_action", _FrameMap(transposed=True), ["4x1o"], "1x1o", dtype,
                 "the frame is applied as R^T instead of R on the output")


@_seeded
def elementwise_l1(dtype: torch.dtype) -> ZooCase:
    return _case("elementwise_l1", _ElementwiseTanh(), ["2x0e + 2x1o"], "2x0e + 2x1o", dtype,
                 "tanh applied componentwise to the l = 1 features")


@_seeded
def clamped_l1(dtype: torch.dtype) -> ZooCase:
    return _case("clamped_l1", _Clamped(), ["2x0e + 2x1o"], "1x0e + 1x1o", dtype,
                 "l = 1 features clamped componentwise to [-3, 3]")


@_seeded
def frame_map(dtype: torch.dtype) -> ZooCase:
    """The correct frame-canonicalized map (the control for ``transposed_action``)."""
    return _case("frame_map", _FrameMap(transposed=False), ["4x1o"], "1x1o", dtype)


DEFECTS: dict[str, Callable[..., ZooCase]] = {
    "parity": parity,
    "bias_l1": bias_l1,
    "unrotated_input": unrotated_input,
    "transposed_action": transposed_action,
    "elementwise_l1": elementwise_l1,
    "clamped_l1": clamped_l1,
}
REFERENCE["frame_map"] = frame_map
