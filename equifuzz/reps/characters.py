"""Characters, inner products, fixed subspaces, intertwiners and real irreducible decompositions of
finite-group representations (re-exported by :mod:`equifuzz.reps`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors.exceptions import RepresentationError, ShapeError
from ..errors.validation import check_array, check_bytes, check_int, check_type, describe
from ..groups.finite import FiniteGroup, Subgroup
from ..groups.validation import check_group
from .families import regular
from .finite import Representation, _check_rank_tol, _same_group, check_rep
from .linalg import null_space

__all__ = ["inner", "dim_hom", "dim_fix", "fixed_basis", "intertwiners", "irreducibles", "decompose"]


def _char(x: Representation | np.ndarray, name: str = "character") -> np.ndarray:
    return x.character() if isinstance(x, Representation) else check_array(name, x, ndim=1, nonempty=True)


def inner(chi: Representation | np.ndarray, psi: Representation | np.ndarray) -> float:
    """<chi, psi> = 1/|G| sum_g chi(g) psi(g) (real characters)."""
    if isinstance(chi, Representation) and isinstance(psi, Representation):
        _same_group((chi, psi))
    a, b = _char(chi, "chi"), _char(psi, "psi")
    if a.shape != b.shape:
        raise ShapeError(f"characters of different groups: lengths {a.shape} and {b.shape}")
    return float(np.dot(a, b) / a.shape[0])


def _as_int(x: float, what: str) -> int:
    k = round(x)
    if abs(x - k) > 1e-6:
        raise RepresentationError(f"{what} = {x} is not an integer: the input is not a representation")
    return int(k)


def dim_hom(r1: Representation, r2: Representation) -> int:
    """dim Hom_G(r1, r2) = <chi_1, chi_2>."""
    check_rep("r1", r1)
    check_rep("r2", r2)
    _same_group((r1, r2))
    return _as_int(inner(r1, r2), "dim Hom")


def dim_fix(r: Representation, K: Subgroup | None = None) -> int:
    """dim of the subspace fixed by K (default: the whole group) = 1/|K| sum_{k in K} chi(k)."""
    check_rep("r", r)
    chi = r.character()
    if K is None:
        return _as_int(float(chi.mean()), "dim Fix")
    check_type("K", K, Subgroup, "a Subgroup or None")
    r.group._own(K)
    return _as_int(float(chi[list(K.elements)].mean()), "dim Fix")


def fixed_basis(r: Representation, K: Subgroup | Sequence[int] | None = None, tol: float = 1e-9) -> np.ndarray:
    """Orthonormal basis (dim, k) of Fix_K = {x : rho(g) x = x for g in K} (default K = G).

    K is a Subgroup (its generators suffice) or any list of elements; the null space of the stacked
    rho(g) - I, so ``k == dim_fix(r, K)`` for a subgroup (the character formula cross-checks it).
    """
    check_rep("r", r)
    tol = _check_rank_tol(tol)
    if K is None:
        elements = list(r.group.generators)
    elif isinstance(K, (str, bytes)) or not isinstance(K, (Subgroup, Sequence, np.ndarray)):
        raise ShapeError(f"K must be a Subgroup, a list of elements or None, got {describe(K)}")
    elif isinstance(K, Subgroup):
        r.group._own(K)
        elements = list(K.generators)
    else:
        elements = [r.group.check_element(g) for g in K]
    d = r.dim
    if d == 0:
        return np.zeros((0, 0))
    if not elements:
        return np.eye(d)
    return null_space(np.concatenate([r(g) - np.eye(d) for g in elements]), tol).copy()


def intertwiners(r1: Representation, r2: Representation, tol: float = 1e-9) -> np.ndarray:
    """A basis (k, dim r2, dim r1) of {X : X rho_1(g) = rho_2(g) X for all generators g}.

    Null space of the stacked linear equations; the independent check of ``dim_hom``.
    """
    check_rep("r1", r1)
    check_rep("r2", r2)
    tol = _check_rank_tol(tol)
    G = _same_group((r1, r2))
    p, d = r2.dim, r1.dim
    check_bytes(f"the intertwiner equations ({p * d} unknowns)", 8.0 * (p * d) ** 2 * max(1, len(G.generators)),
                "use representations of smaller dimension")
    rows = []
    for g in G.generators:
        # vec(X A) - vec(B X) with row-major vec: X A -> (I (x) A^T), B X -> (B (x) I)
        rows.append(np.kron(np.eye(p), r1(g).T) - np.kron(r2(g), np.eye(d)))
    if not rows:
        return np.eye(p * d).reshape(p * d, p, d)
    return null_space(np.concatenate(rows), tol).T.reshape(-1, p, d)


def irreducibles(G: FiniteGroup, seed: int = 0) -> list[Representation]:
    """The real irreducible representations of G (orthogonal), one per isomorphism class.

    Eigenspaces of a generic symmetric matrix in the commutant of the regular representation are
    irreducible; they are grouped by character. <chi, chi> is 1, 2 or 4 (real, complex, quaternionic).
    """
    check_group("G", G)
    seed = check_int("seed", seed, min=0)
    reg = regular(G)
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((G.order, G.order))
    A = A + A.T
    C = np.einsum("gij,jk,glk->il", reg.matrices, A, reg.matrices) / G.order
    w, V = np.linalg.eigh(C)
    groups_: list[list[int]] = []
    for i in range(len(w)):
        if groups_ and abs(w[i] - w[groups_[-1][0]]) < 1e-8 * max(1.0, abs(w[i])):
            groups_[-1].append(i)
        else:
            groups_.append([i])
    out: list[Representation] = []
    chars: list[np.ndarray] = []
    for idx in groups_:
        B = V[:, idx]
        mats = np.einsum("ia,gij,jb->gab", B, reg.matrices, B)
        chi = np.trace(mats, axis1=1, axis2=2)
        if any(np.allclose(chi, c, atol=1e-8) for c in chars):
            continue
        chars.append(chi)
        mats = np.where(np.abs(mats) < 1e-13, 0.0, mats)
        out.append(Representation(G, mats, name=f"irrep{len(out)}[{len(idx)}]"))
    out.sort(key=lambda r: (r.dim, -r.character().sum()))
    for k, r in enumerate(out):
        r.name = f"irrep{k}[{r.dim}]"
    return out


def decompose(rep: Representation) -> list[tuple[Representation, int]]:
    """Multiplicities of the real irreducibles in ``rep``: m_i = <chi, chi_i> / <chi_i, chi_i>."""
    check_rep("rep", rep)
    out = []
    for irr in irreducibles(rep.group):
        m = inner(rep, irr) / inner(irr, irr)
        k = _as_int(m, f"multiplicity of {irr.name}")
        if k:
            out.append((irr, k))
    return out


