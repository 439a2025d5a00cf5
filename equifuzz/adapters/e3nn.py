"""e3nn adapter: O(3) representations from e3nn ``Irreps`` and the blocks of an e3nn module.

    from equifuzz.adapters import e3nn as efe
    ef.assert_equivariant(module, efe.O3, *efe.blocks(module))            # irreps read off the module
    ef.assert_equivariant(conv, efe.O3, ("cartesian_points", efe.irreps("8x0e + 4x1o")), efe.irreps("4x1o"))

The matrices follow e3nn's own ``Irreps.D_from_matrix`` (its angles, generators and parity), so the gate
checks a module against the action e3nn itself defines; the exponentials are computed accurately
(:func:`wigner_D`), and tests hold them to ``D_from_matrix`` where torch's are accurate.
Install with ``pip install 'equifuzz[e3nn]'``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors.exceptions import GroupMismatchError, RepresentationError
from ..groups.continuous import ContinuousGroup, o3, so3
from ..reps.continuous import ContinuousRepresentation

__all__ = ["O3", "SO3", "irreps", "IrrepsRepresentation", "wigner_D", "wigner_D_many", "so3_generators",
           "blocks", "maps_entries_independently", "ENTRYWISE_MODULES"]

O3 = o3()
SO3 = so3()


def _e3nn_o3() -> Any:
    try:
        from e3nn import o3 as e3o3
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("equifuzz.adapters.e3nn needs e3nn: pip install 'equifuzz[e3nn]'") from exc
    return e3o3


def so3_generators(l: int) -> np.ndarray:
    """The real generators (J_x, J_y, J_z) of SO(3) on degree-l features, in e3nn's real basis (float64).

    From the maths, not from e3nn (``o3.so3_generators`` appeared after 0.4.4): the spin-l ladder
    operators give the complex generators 1/2 (J+ + J-), i m (diagonal), -i/2 (J+ - J-) on the basis
    |l, m>, and the change of basis Q from real to complex spherical harmonics (real form of Wikipedia's
    table, as e3nn's ``change_basis_real_to_complex``) makes them real: X -> Q^H X Q. Each is real
    antisymmetric, and [J_x, J_y] = J_z (as the rotation generators of R^3).
    """
    m = np.arange(-l, l + 1, dtype=np.float64)
    raising = np.diag(-np.sqrt(l * (l + 1) - m[:-1] * (m[:-1] + 1)), k=-1)
    lowering = np.diag(np.sqrt(l * (l + 1) - m[1:] * (m[1:] - 1)), k=1)
    X = np.stack([0.5 * (raising + lowering), np.diag(1j * m), -0.5j * (raising - lowering)])
    q = np.zeros((2 * l + 1, 2 * l + 1), dtype=np.complex128)
    r = 2 ** -0.5
    for k in range(-l, 0):
        q[l + k, l + abs(k)] = r
        q[l + k, l - abs(k)] = -1j * r
    q[l, l] = 1.0
    for k in range(1, l + 1):
        q[l + k, l + abs(k)] = (-1) ** k * r
        q[l + k, l - abs(k)] = 1j * (-1) ** k * r
    J = q.conj().T @ X @ q
    assert np.abs(J.imag).max(initial=0.0) < 1e-12
    return np.ascontiguousarray(J.real)


@functools.cache
def _spectral(l: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of the generator J_axis for degree l: i J is Hermitian, so J = V diag(-i w)
    V^H with V unitary and exp(t J) = V diag(exp(-i t w)) V^H to round-off."""
    w, V = np.linalg.eigh(1j * so3_generators(l)[axis])
    return w, V


def _expm(l: int, axis: int, t: float) -> np.ndarray:
    w, V = _spectral(l, axis)
    return ((V * np.exp(-1j * t * w)) @ V.conj().T).real


def wigner_D(irreps_: Any, R: np.ndarray) -> np.ndarray:
    """e3nn's ``Irreps.D_from_matrix(R)`` in float64 with accurate exponentials.

    Same convention as e3nn (``matrix_to_angles``, then exp(alpha J_y) exp(beta J_x) exp(gamma J_y) with
    the generators of :func:`so3_generators`, which are e3nn's, times the parity p^k), but the
    exponentials come from the generators' spectral decomposition: ``torch.matrix_exp`` in float64
    loses up to 1e-10 for arguments of norm ~0.01-0.08, which D_from_matrix inherits and a searched
    element finds.
    """
    R = np.asarray(R, dtype=np.float64)
    d = float(np.sign(np.linalg.det(R)))
    a, b, c = matrix_to_angles(d * R)
    parsed = _parsed(str(irreps_))
    dim = sum(mul * (2 * l + 1) for mul, l, _ in parsed)
    D = np.zeros((dim, dim))
    # e3nn's bases make degree 0 trivial and degree 1 the rotation itself (the tests hold this to
    # D_from_matrix): only l >= 2 needs the exponentials
    per_l: dict[int, np.ndarray] = {0: np.ones((1, 1)), 1: d * R}
    i = 0
    for mul, l, p in parsed:
        if l not in per_l:
            per_l[l] = _expm(l, 1, a) @ _expm(l, 0, b) @ _expm(l, 1, c)
        block = per_l[l] * (p if d < 0 else 1)
        for _ in range(mul):
            D[i:i + 2 * l + 1, i:i + 2 * l + 1] = block
            i += 2 * l + 1
    return D


@functools.cache
def _parsed(spec: str) -> tuple[tuple[int, int, int], ...]:
    return tuple((int(mul), int(ir.l), int(ir.p)) for mul, ir in _e3nn_o3().Irreps(spec))


def _rot_x(t: float) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rot_y(t: float) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def matrix_to_angles(R: np.ndarray) -> tuple[float, float, float]:
    """e3nn's ``matrix_to_angles`` in numpy (same formulas in every e3nn release): R = Y(alpha) X(beta)
    Y(gamma), alpha and beta from the image of the y axis, gamma from the rest."""
    y = np.asarray(R, dtype=np.float64)[:, 1]
    y = np.clip(y / max(float(np.linalg.norm(y)), 1e-12), -1.0, 1.0)
    beta, alpha = float(np.arccos(y[1])), float(np.arctan2(y[0], y[2]))
    rest = (_rot_y(alpha) @ _rot_x(beta)).T @ R
    return alpha, beta, float(np.arctan2(rest[0, 2], rest[0, 0]))


def irreps(spec: Any, group: ContinuousGroup = O3) -> ContinuousRepresentation:
    """The representation of ``group`` (O(3) by default, or SO(3)) on the features of ``Irreps(spec)``."""
    if not isinstance(group, ContinuousGroup) or group.dim != 3:
        raise GroupMismatchError(f"irreps act through 3x3 rotation matrices; {group} is not SO(3) or O(3)")
    ir = _e3nn_o3().Irreps(spec)
    key = str(ir)
    return IrrepsRepresentation(group, int(ir.dim), lambda m: _cached_D(key, np.asarray(m, np.float64).tobytes()),
                                name=key)


@dataclass(frozen=True)
class IrrepsRepresentation(ContinuousRepresentation):
    """The representation on ``Irreps(name)``, with :meth:`many` for a stack of matrices at once."""

    def many(self, Rs: np.ndarray) -> np.ndarray:
        """D(R) for every R of a (E, 3, 3) stack, as one (E, dim, dim) array (:func:`wigner_D_many`)."""
        return wigner_D_many(self.name, Rs)


def wigner_D_many(irreps_: Any, Rs: np.ndarray) -> np.ndarray:
    """:func:`wigner_D` of every matrix of a (E, 3, 3) stack, vectorized over the stack.

    The blocks of each degree depend on the matrices only, so they are remembered for the last
    ``_BLOCKS_KEPT`` stacks (the gate asks for the same stack on its input and its output irreps), and
    the Euler angles are computed only when a degree l >= 2 needs them."""
    Rs = np.asarray(Rs, dtype=np.float64).reshape(-1, 3, 3)
    parsed = _parsed(str(irreps_))
    blocks = _blocks(Rs, {l for _, l, _ in parsed})
    d = blocks[-1][:, 0, 0]
    dim = sum(mul * (2 * l + 1) for mul, l, _ in parsed)
    D = np.zeros((len(Rs), dim, dim))
    i = 0
    for mul, l, p in parsed:
        block = blocks[l] if p == 1 else blocks[l] * np.where(d < 0, -1.0, 1.0)[:, None, None]
        for _ in range(mul):
            D[:, i:i + 2 * l + 1, i:i + 2 * l + 1] = block
            i += 2 * l + 1
    return D


#: how many stacks of matrices ``wigner_D_many`` remembers the blocks of
_BLOCKS_KEPT = 8
_BLOCKS: dict[bytes, dict[int, np.ndarray]] = {}


def _blocks(Rs: np.ndarray, degrees: set[int]) -> dict[int, np.ndarray]:
    """The rotation part of the blocks of every degree in ``degrees`` for the stack ``Rs`` (key -1: the
    determinants' signs, as (E, 1, 1)); degree 0 is 1 and degree 1 is d R (e3nn's bases)."""
    key = Rs.tobytes()
    hit = _BLOCKS.get(key)
    if hit is None:
        if len(_BLOCKS) >= _BLOCKS_KEPT:
            del _BLOCKS[next(iter(_BLOCKS))]
        d = np.sign(np.linalg.det(Rs))
        hit = _BLOCKS[key] = {-1: d[:, None, None], 0: np.ones((len(Rs), 1, 1)), 1: d[:, None, None] * Rs}
    missing = sorted(l for l in degrees if l not in hit)
    if missing:
        alpha, beta, gamma = _angles_many(hit[1])
        for l in missing:
            hit[l] = _expm_many(l, 1, alpha) @ _expm_many(l, 0, beta) @ _expm_many(l, 1, gamma)
    return hit


def _angles_many(P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`matrix_to_angles` of every rotation of a (E, 3, 3) stack (the first row of
    (Y(alpha) X(beta))^T R is cos(alpha) R[0] - sin(alpha) R[2], which gives gamma)."""
    y = P[:, :, 1] / np.maximum(np.linalg.norm(P[:, :, 1], axis=1, keepdims=True), 1e-12)
    y = np.clip(y, -1.0, 1.0)
    beta, alpha = np.arccos(y[:, 1]), np.arctan2(y[:, 0], y[:, 2])
    ca, sa = np.cos(alpha), np.sin(alpha)
    return alpha, beta, np.arctan2(ca * P[:, 0, 2] - sa * P[:, 2, 2], ca * P[:, 0, 0] - sa * P[:, 2, 0])


@functools.cache
def _spectral_parts(l: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The eigenvalues w_k of i J_axis and the real matrices [Re P_k; Im P_k] of its spectral projectors
    P_k = v_k v_k^H, stacked as (2 (2l+1), (2l+1)^2): exp(t J) = sum_k Re(exp(-i t w_k) P_k)
    = sum_k cos(t w_k) Re P_k + sin(t w_k) Im P_k."""
    w, V = _spectral(l, axis)
    P = V.T[:, :, None] * V.conj().T[:, None, :]  # P[k] = v_k v_k^H
    n = 2 * l + 1
    return w, np.concatenate([P.real.reshape(n, n * n), P.imag.reshape(n, n * n)])


def _expm_many(l: int, axis: int, t: np.ndarray) -> np.ndarray:
    """exp(t_e J_axis) for every t_e, (E, 2l+1, 2l+1), from the spectral decomposition (one real product)."""
    w, parts = _spectral_parts(l, axis)
    tw = t[:, None] * w[None, :]
    n = 2 * l + 1
    return (np.concatenate([np.cos(tw), np.sin(tw)], axis=1) @ parts).reshape(len(t), n, n)


@functools.lru_cache(maxsize=4096)
def _cached_D(spec: str, R: bytes) -> np.ndarray:
    """wigner_D, remembered for matrices met again (the gate's covering elements, in every call)."""
    D = wigner_D(spec, np.frombuffer(R, dtype=np.float64).reshape(3, 3))
    D.setflags(write=False)
    return D


def blocks(module: Any, group: ContinuousGroup = O3) -> tuple[Any, Any]:
    """(rho_in, rho_out) read off an e3nn module's ``irreps_in``/``irreps_out`` (or ``irreps_in1``,
    ``irreps_in2`` for tensor products); several inputs give a tuple."""
    if hasattr(module, "irreps_in1") and hasattr(module, "irreps_in2"):
        rho_in: Any = (irreps(module.irreps_in1, group), irreps(module.irreps_in2, group))
    elif hasattr(module, "irreps_in"):
        rho_in = irreps(module.irreps_in, group)
    else:
        raise RepresentationError(f"{type(module).__name__} has no irreps_in: pass rho_in yourself")
    if not hasattr(module, "irreps_out"):
        raise RepresentationError(f"{type(module).__name__} has no irreps_out: pass rho_out yourself")
    return rho_in, irreps(module.irreps_out, group)


#: e3nn's modules that map every entry of their leading axes on its own (``...`` in their signatures):
#: every module of ``e3nn.o3`` and ``e3nn.nn`` that holds no statistic over the batch and draws nothing
#: at random (not BatchNorm, not Dropout). Read by the gate to batch them without an experiment.
ENTRYWISE_MODULES = (
    ("o3", "Linear"), ("o3", "TensorProduct"), ("o3", "FullyConnectedTensorProduct"), ("o3", "FullTensorProduct"),
    ("o3", "ElementwiseTensorProduct"), ("o3", "TensorSquare"), ("o3", "SphericalHarmonics"), ("o3", "Norm"),
    ("nn", "Gate"), ("nn", "Activation"), ("nn", "NormActivation"), ("nn", "Extract"), ("nn", "ExtractIr"),
    ("nn", "Identity"), ("nn", "FullyConnectedNet"), ("nn", "S2Activation"), ("nn", "SO3Activation"),
)


def maps_entries_independently(module: Any) -> bool:
    """Whether ``module`` is, exactly (not a subclass, which may change ``forward``), one of e3nn's
    :data:`ENTRYWISE_MODULES`: f(x)[i] depends on x[i] alone along every leading axis."""
    import importlib

    for sub, name in ENTRYWISE_MODULES:
        try:
            cls = getattr(importlib.import_module(f"e3nn.{sub}"), name, None)
        except ImportError:
            return False
        if cls is not None and type(module) is cls:
            return True
    return False
