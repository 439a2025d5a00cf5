"""The CI gate: ``assert_equivariant`` for any torch module or callable, and representation adapters.

Use it in the test suite of an equivariant library::

    ef.assert_equivariant(model, ef.groups.o3(), rho_in, rho_out)          # raises EquivarianceError

For a finite group the check covers every generator plus random long words; for SO(2), O(2), SO(3),
O(3) a fixed covering subgroup plus Haar samples. ``irreps_representation`` wraps any object with a
``D_from_matrix`` method (e3nn's ``Irreps``) as a representation of O(3) or SO(3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import EquivarianceError, GroupMismatchError
from .groups import ContinuousGroup, FiniteGroup
from .oracles.equivariance import EquivarianceVerdict, check_equivariant
from .reps import ContinuousRepresentation, Representation

__all__ = ["assert_equivariant", "irreps_representation"]


def assert_equivariant(
    module: Callable[..., Any],
    group: FiniteGroup | ContinuousGroup,
    rho_in: Representation | ContinuousRepresentation,
    rho_out: Representation | ContinuousRepresentation,
    *,
    tol: float | None = None,
    n_inputs: int = 256,
    n_words: int = 32,
    seed: int = 0,
) -> EquivarianceVerdict:
    """Check f(rho_in(g) x) = rho_out(g) f(x); return the verdict, or raise EquivarianceError with it.

    ``tol`` defaults to 1e-4 for float32/half modules and 1e-8 otherwise (scale-aware relative error,
    divided by ||rho(g) - I||); the verdict states the tolerance, the worst element and input, and the
    seed that replays the draw.
    """
    for name, rho in (("rho_in", rho_in), ("rho_out", rho_out)):
        g = rho.group
        same = g is group or (isinstance(g, FiniteGroup) and isinstance(group, FiniteGroup)
                              and g.order == group.order and np.array_equal(g.table, group.table)) or g == group
        if not same:
            raise GroupMismatchError(f"{name} is a representation of {g}, not of {group}")
    verdict = check_equivariant(module, rho_in, rho_out, tol=tol, method="sampled", n_inputs=n_inputs,
                                n_words=n_words, seed=seed)
    if not verdict.holds:
        raise EquivarianceError(f"{type(module).__name__} is not equivariant (seed {seed}):\n{verdict}", verdict)
    return verdict


def irreps_representation(group: ContinuousGroup, irreps: Any, name: str | None = None) -> ContinuousRepresentation:
    """A representation of O(3)/SO(3) from an object with ``D_from_matrix(R)`` and ``dim`` (e3nn Irreps)."""
    if group.dim != 3:
        raise GroupMismatchError(f"irreps act through 3x3 matrices; {group} acts on R^{group.dim}")

    def fn(m: np.ndarray) -> np.ndarray:
        import torch

        D = irreps.D_from_matrix(torch.as_tensor(m, dtype=torch.float64))
        return D.detach().cpu().double().numpy() if hasattr(D, "detach") else np.asarray(D, dtype=np.float64)

    return ContinuousRepresentation(group, int(irreps.dim), fn, name=name or str(irreps))
