"""Real representations of finite groups (one float64 matrix per element): the Representation type,
construction from matrices or generator images, direct sums, tensor products, changes of basis, and
the argument checks of representations (check_rep, check_reps).

A :class:`Representation` is validated at construction: shapes, finiteness, invertibility and the
homomorphism law rho(g h) = rho(g) rho(h) (checked for all g and all generators h, which suffices).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from ..errors.exceptions import (
    GroupMismatchError,
    HomomorphismError,
    NonFiniteError,
    RepresentationError,
    ShapeError,
    SingularMatrixError,
)
from ..errors.validation import check_array, check_bytes, check_real, check_type, describe
from ..groups.finite import FiniteGroup, Subgroup
from ..groups.validation import check_group, check_same_group, same_group
from .continuous import ContinuousRepresentation

__all__ = [
    "Representation",
    "PermutationRepresentation",
    "direct_sum",
    "tensor",
    "change_basis",
    "from_matrices",
    "from_generators",
    "subgroup_from_elements",
    "check_rep",
    "check_reps",
]

HOM_TOL = 1e-8


class Representation:
    """rho: G -> GL(d) given by one float64 matrix per group element (``matrices[g]``)."""

    def __init__(self, group: FiniteGroup, matrices: np.ndarray, *, name: str | None = None,
                 _checked: bool = False) -> None:
        if not isinstance(group, FiniteGroup):
            raise RepresentationError(f"a Representation needs a FiniteGroup, got {type(group).__name__}")
        mats = check_array("matrices", matrices, finite=False)
        if name is not None:
            check_type("name", name, str, "a string or None")
        if mats.ndim != 3 or mats.shape[1] != mats.shape[2] or mats.shape[0] != group.order:
            raise ShapeError(
                f"a representation of {group.name} needs matrices of shape ({group.order}, d, d), "
                f"got {mats.shape}"
            )
        if mats.shape[1] == 0:
            raise ShapeError(f"a representation has dimension >= 1, got matrices of shape {mats.shape}")
        self.group = group
        self.name = name or f"rep{mats.shape[1]}"
        if not _checked:
            _validate(group, mats)
        mats.setflags(write=False)
        self._mats = mats

    # -- access ----------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self._mats.shape[1])

    @property
    def matrices(self) -> np.ndarray:
        """Read-only float64 array of shape (|G|, d, d)."""
        return self._mats

    def __call__(self, g: int) -> np.ndarray:
        return self._mats[self.group.check_element(g)]

    def generator_matrices(self) -> np.ndarray:
        return self._mats[list(self.group.generators)]

    def character(self) -> np.ndarray:
        """chi(g) = trace rho(g), one float64 per element."""
        return np.trace(self._mats, axis1=1, axis2=2).copy()

    @cached_property
    def is_permutation(self) -> bool:
        m = self._mats
        binary = np.all((np.abs(m) < 1e-12) | (np.abs(m - 1) < 1e-12))
        return bool(binary and np.allclose(m.sum(axis=1), 1) and np.allclose(m.sum(axis=2), 1))

    @cached_property
    def is_orthogonal(self) -> bool:
        eye = np.eye(self.dim)
        return bool(np.allclose(np.swapaxes(self._mats, 1, 2) @ self._mats, eye, atol=1e-10))

    def permutations(self) -> np.ndarray:
        """For a permutation representation: ``perm[g, i]`` = j with rho(g) e_i = e_j."""
        if not self.is_permutation:
            raise RepresentationError(f"{self.name} is not a permutation representation")
        return np.argmax(self._mats, axis=1)

    def dual(self) -> Representation:
        """The contragredient rho^*(g) = rho(g)^{-T} (acts on weights w of w.x)."""
        inv = self._mats[self.group.inverses]
        return Representation(self.group, np.swapaxes(inv, 1, 2), name=f"{self.name}*", _checked=True)

    def orthogonalized(self) -> Representation:
        """An equivalent orthogonal representation S rho S^-1 with S = M^{1/2}, M = sum rho^T rho."""
        S = self.orthogonalizer()
        Sinv = np.linalg.inv(S)
        mats = S @ self._mats @ Sinv
        return Representation(self.group, mats, name=f"orth({self.name})", _checked=True)

    def orthogonalizer(self) -> np.ndarray:
        """S = (sum_g rho(g)^T rho(g) / |G|)^{1/2}, so that S rho(g) S^-1 is orthogonal."""
        M = np.einsum("gji,gjk->ik", self._mats, self._mats) / self.group.order
        w, V = np.linalg.eigh((M + M.T) / 2)
        return (V * np.sqrt(w)) @ V.T

    def restrict(self, K: Subgroup) -> Representation:
        """Restriction to a subgroup K, as a representation of ``K.as_group()``."""
        self.group._own(K)
        return Representation(K.as_group(), self._mats[list(K.elements)], name=f"{self.name}|K", _checked=True)

    # -- algebra ---------------------------------------------------------------------------------
    def __add__(self, other: Representation) -> Representation:
        return direct_sum(self, other)

    def __mul__(self, other: Representation) -> Representation:
        return tensor(self, other)

    def __repr__(self) -> str:
        return f"Representation({self.name} of {self.group.name}, dim={self.dim})"

    __str__ = __repr__

    def allclose(self, other: Representation, atol: float = 1e-10) -> bool:
        return self.group.order == other.group.order and self.dim == other.dim and bool(
            np.allclose(self._mats, other._mats, atol=atol))


class PermutationRepresentation(Representation):
    """A permutation representation stored as point images ``perms[g, i]`` (rho(g) e_i = e_perms[g,i]).

    Matrices are built only when asked for, so hidden layers of thousands of neurons stay cheap.
    """

    def __init__(self, group: FiniteGroup, perms: np.ndarray, *, name: str | None = None) -> None:
        perms = np.array(perms, dtype=np.int64)
        if perms.ndim != 2 or perms.shape[0] != group.order:
            raise ShapeError(f"point images must have shape ({group.order}, m), got {perms.shape}")
        m = perms.shape[1]
        if m and not np.all(np.sort(perms, axis=1) == np.arange(m)):
            g = int(np.flatnonzero(~np.all(np.sort(perms, axis=1) == np.arange(m), axis=1))[0])
            raise ShapeError(f"the images of element {g} are not a permutation of 0..{m - 1}")
        if m and not np.array_equal(perms[0], np.arange(m)):
            raise HomomorphismError("the identity does not act as the identity permutation")
        for h in group.generators:  # rho(g h) = rho(g) rho(h): perm[gh, i] = perm[g, perm[h, i]]
            bad = np.flatnonzero(np.any(perms[group.table[:, h]] != perms[:, perms[h]], axis=1))
            if bad.size:
                g = int(bad[0])
                raise HomomorphismError(f"not a homomorphism: the permutation of g h differs from that of g "
                                        f"then h for g = {group.word_str(g)}, h = {group.word_str(h)}")
        perms.setflags(write=False)
        self.group = group
        self.name = name or f"perm{m}"
        self.perms = perms

    @property
    def dim(self) -> int:
        return int(self.perms.shape[1])

    @cached_property
    def _dense(self) -> np.ndarray:
        n, m = self.perms.shape
        mats = np.zeros((n, m, m))
        mats[np.arange(n)[:, None], self.perms, np.arange(m)[None, :]] = 1.0
        mats.setflags(write=False)
        return mats

    @property
    def matrices(self) -> np.ndarray:
        return self._dense

    @property
    def _mats(self) -> np.ndarray:  # type: ignore[override]
        return self._dense

    def __call__(self, g: int) -> np.ndarray:
        g = self.group.check_element(g)
        m = self.dim
        out = np.zeros((m, m))
        out[self.perms[g], np.arange(m)] = 1.0
        return out

    def character(self) -> np.ndarray:
        return (self.perms == np.arange(self.dim)[None, :]).sum(axis=1).astype(np.float64)

    @property
    def is_permutation(self) -> bool:  # type: ignore[override]
        return True

    @property
    def is_orthogonal(self) -> bool:  # type: ignore[override]
        return True

    def permutations(self) -> np.ndarray:
        return self.perms

    def orbits(self) -> list[list[int]]:
        """The orbits of the points, each sorted, in order of their smallest point."""
        seen = np.zeros(self.dim, dtype=bool)
        out = []
        for i in range(self.dim):
            if not seen[i]:
                orb = np.unique(self.perms[:, i])
                seen[orb] = True
                out.append([int(x) for x in orb])
        return out

    def stabilizer(self, i: int) -> Subgroup:
        """The subgroup of elements fixing point i."""
        return subgroup_from_elements(self.group, np.flatnonzero(self.perms[:, i] == i))


def subgroup_from_elements(G: FiniteGroup, elements: Sequence[int] | np.ndarray) -> Subgroup:
    """The subgroup with exactly these elements, with a small generating set (greedy)."""
    check_group("G", G)
    if isinstance(elements, (str, bytes)) or not isinstance(elements, (Sequence, np.ndarray, range, set, frozenset)):
        raise ShapeError(f"elements must be a list of element indices, got {describe(elements)}")
    target = sorted(G.check_element(x) for x in elements)
    gens: list[int] = []
    current = {0}
    for g in target:
        if g not in current:
            gens.append(g)
            current = set(G.subgroup(gens).elements)
    K = G.subgroup(gens)
    if list(K.elements) != target:
        raise RepresentationError(f"the elements {target} do not form a subgroup of {G.name}")
    return K


def _validate(G: FiniteGroup, mats: np.ndarray) -> None:
    if not np.all(np.isfinite(mats)):
        g = int(np.argwhere(~np.isfinite(mats))[0][0])
        raise NonFiniteError(f"rho({G.word_str(g)}) (element {g}) holds NaN or inf")
    d = mats.shape[1]
    eye = np.eye(d)
    scale = max(1.0, float(np.max(np.abs(mats))))
    if np.max(np.abs(mats[0] - eye)) > HOM_TOL * scale:
        raise HomomorphismError(f"rho(e) is not the identity (max deviation "
                                f"{np.max(np.abs(mats[0] - eye)):.3g})")
    conds = np.linalg.cond(mats)
    if not np.all(np.isfinite(conds)) or np.max(conds) > 1e12:
        g = int(np.argmax(np.where(np.isfinite(conds), conds, np.inf)))
        raise SingularMatrixError(f"rho({G.word_str(g)}) (element {g}) is singular "
                                  f"(condition number {conds[g]:.3g})")
    for h in G.generators:
        lhs = mats[G.table[:, h]]
        rhs = mats @ mats[h]
        err = np.max(np.abs(lhs - rhs), axis=(1, 2))
        g = int(np.argmax(err))
        tol = HOM_TOL * scale * max(1.0, float(np.max(np.abs(mats[h]))))
        if err[g] > tol:
            raise HomomorphismError(
                f"not a homomorphism: rho(g h) != rho(g) rho(h) for g = {G.word_str(g)} (element {g}), "
                f"h = {G.word_str(h)} (element {h}); max entry error {err[g]:.3g} > tolerance {tol:.3g}"
            )


# ---------------------------------------------------------------------------------------------
# construction from matrices, and the algebra of representations


def from_matrices(G: FiniteGroup, mats: np.ndarray | Mapping[int, np.ndarray] | Sequence[np.ndarray],
                  *, name: str | None = None) -> Representation:
    """A representation from one matrix per element, or a mapping generator -> matrix."""
    check_group("G", G)
    if isinstance(mats, Mapping):
        return from_generators(G, mats, name=name)
    return Representation(G, check_array("mats", mats, finite=False), name=name)


def from_generators(G: FiniteGroup, gen_mats: Mapping[int, np.ndarray] | Sequence[np.ndarray],
                    *, name: str | None = None) -> Representation:
    """Extend generator images to all elements along shortest words, then validate.

    ``gen_mats`` maps each generator (element index) to its matrix, or lists them in the order of
    ``G.generators``. Inconsistent images (relations not respected) raise HomomorphismError.
    """
    check_group("G", G)
    if isinstance(gen_mats, (str, bytes)) or not isinstance(gen_mats, (Mapping, Sequence, np.ndarray)):
        raise ShapeError(f"gen_mats must be a list of matrices or a mapping generator -> matrix, "
                         f"got {describe(gen_mats)}")
    if not isinstance(gen_mats, Mapping):
        seq = list(gen_mats)
        if len(seq) != len(G.generators):
            raise ShapeError(f"{len(seq)} generator matrices for the {len(G.generators)} generators of {G.name}")
        gen_mats = dict(zip(G.generators, seq, strict=True))
    missing = [G.generator_name(g) for g in G.generators if g not in gen_mats]
    extra = [g for g in gen_mats if g not in G.generators]
    if missing or extra:
        raise ShapeError(f"generator matrices must be given exactly for the generators {list(G.generators)} "
                         f"of {G.name}; missing {missing}, not generators {extra}")
    gm = {g: check_array(f"the matrix of generator {g}", m, ndim=2, finite=False) for g, m in gen_mats.items()}
    for g, m in gm.items():  # before multiplying along words, which would turn inf into NaN
        if not np.all(np.isfinite(m)):
            raise NonFiniteError(f"rho({G.word_str(g)}) (element {g}) holds NaN or inf")
    dims = {m.shape for m in gm.values()}
    if len(dims) > 1 or any(len(s) != 2 or s[0] != s[1] for s in dims):
        raise ShapeError(f"generator matrices must be square and of one size, got shapes {sorted(dims)}")
    d = next(iter(dims))[0] if dims else 1
    if d == 0:
        raise ShapeError("generator matrices must not be empty (0 x 0): a representation has dimension >= 1")
    _check_size(G, d, "from_generators")
    mats = np.empty((G.order, d, d))
    for g in G.elements:
        m = np.eye(d)
        for i in G.word(g):
            m = m @ gm[G.generators[i]]
        mats[g] = m
    return Representation(G, mats, name=name)


def direct_sum(*reps: Representation) -> Representation:
    """rho_1 + rho_2 + ...: block diagonal."""
    if not reps:
        raise ShapeError("direct_sum needs at least one representation")
    for i, r in enumerate(reps):
        check_rep(f"representation {i}", r)
    G = _same_group(reps)
    d = sum(r.dim for r in reps)
    _check_size(G, d, "direct_sum")
    mats = np.zeros((G.order, d, d))
    o = 0
    for r in reps:
        mats[:, o:o + r.dim, o:o + r.dim] = r.matrices
        o += r.dim
    return Representation(G, mats, name=" + ".join(r.name for r in reps), _checked=True)


def tensor(r1: Representation, r2: Representation) -> Representation:
    """rho_1 (x) rho_2 (Kronecker product)."""
    check_rep("r1", r1)
    check_rep("r2", r2)
    G = _same_group((r1, r2))
    _check_size(G, r1.dim * r2.dim, "tensor(r1, r2)")
    mats = np.einsum("gij,gkl->gikjl", r1.matrices, r2.matrices).reshape(G.order, r1.dim * r2.dim, -1)
    return Representation(G, mats, name=f"({r1.name}) x ({r2.name})", _checked=True)


def change_basis(rep: Representation, Q: np.ndarray) -> Representation:
    """The equivalent representation Q rho(g) Q^-1."""
    check_rep("rep", rep)
    Q = check_array("Q", Q, finite=False)
    if Q.shape != (rep.dim, rep.dim):
        raise ShapeError(f"change of basis must be ({rep.dim}, {rep.dim}), got {Q.shape}")
    if not np.all(np.isfinite(Q)):
        raise NonFiniteError("change of basis holds NaN or inf")
    if np.linalg.cond(Q) > 1e10:
        raise SingularMatrixError(f"change of basis is singular (condition number {np.linalg.cond(Q):.3g})")
    mats = Q @ rep.matrices @ np.linalg.inv(Q)
    return Representation(rep.group, mats, name=f"Q({rep.name})", _checked=True)


def _check_size(G: FiniteGroup, d: int, what: str, instead: str = "use a smaller group or dimension") -> None:
    """Refuse, before allocating, |G| dense d x d float64 matrices that would not fit."""
    check_bytes(f"{what}: {G.order} matrices of size {d} x {d}", 8.0 * G.order * d * d, instead)


def _check_rank_tol(tol: object) -> float:
    """A relative singular-value threshold: above round-off, far below 1."""
    return check_real("tol", tol, min=0.0, max=1e-2, strict=True)


def _same_group(reps: Sequence[Representation]) -> FiniteGroup:
    G = reps[0].group
    for r in reps[1:]:
        if not same_group(r.group, G):
            raise GroupMismatchError(f"{r.name} is a representation of {r.group.name}, not of {G.name}")
    return G


def check_rep(name: str, value: Any, *, continuous_ok: bool = False) -> Any:
    """A Representation (or, with ``continuous_ok``, a ContinuousRepresentation)."""
    if continuous_ok:
        return check_type(name, value, (Representation, ContinuousRepresentation),
                          "a Representation or a ContinuousRepresentation")
    if isinstance(value, ContinuousRepresentation):
        raise RepresentationError(f"{name} must be a representation of a finite group, got {value.name} of "
                                  f"{value.group.name}; use the covering group {value.group.name}.covering()")
    return check_type(name, value, Representation, "a Representation (e.g. equifuzz.reps.trivial(G))")


def check_reps(rho_in: Any, rho_out: Any, *, continuous_ok: bool = False) -> None:
    """rho_in and rho_out are representations of one group."""
    check_rep("rho_in", rho_in, continuous_ok=continuous_ok)
    check_rep("rho_out", rho_out, continuous_ok=continuous_ok)
    check_same_group([("rho_in", rho_in), ("rho_out", rho_out)])
