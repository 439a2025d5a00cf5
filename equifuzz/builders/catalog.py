"""The built-in groups and representations, with a check of their laws (``equifuzz catalog``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import groups, reps
from ..errors.exceptions import RepresentationError
from ..groups.finite import FiniteGroup


def default_groups() -> list[FiniteGroup]:
    """The small groups every campaign covers."""
    return [
        groups.cyclic(2), groups.cyclic(3), groups.cyclic(4), groups.cyclic(6),
        groups.klein4(), groups.dihedral(3), groups.dihedral(4), groups.dihedral(6),
        groups.quaternion(), groups.symmetric(3), groups.alternating(4), groups.symmetric(4),
    ]


def named_representations(G: FiniteGroup) -> dict[str, reps.Representation]:
    """Every built-in representation that applies to G."""
    out: dict[str, reps.Representation] = {"trivial": reps.trivial(G), "regular": reps.regular(G)}  # type: ignore[dict-item]
    builders: list[tuple[str, Callable[[FiniteGroup], reps.Representation]]] = [
        ("sign", reps.sign), ("rotation", reps.rotation), ("standard", reps.standard)]
    for name, build in builders:
        try:
            out[name] = build(G)
        except RepresentationError:
            pass
    subs = G.subgroups()
    for K in subs[1:-1][:2]:
        out[f"coset G/{K}"] = reps.coset(G, K)
    return out


@dataclass(frozen=True)
class LawCheck:
    group: str
    order: int
    representation: str
    dim: int
    homomorphism_error: float
    character_ok: bool

    @property
    def ok(self) -> bool:
        return self.homomorphism_error < 1e-9 and self.character_ok


def check_laws(G: FiniteGroup) -> list[LawCheck]:
    """For each representation: max |rho(gh) - rho(g)rho(h)| over all pairs, and dim Hom by
    characters against the null-space dimension of the intertwiner equations."""
    out = []
    for name, rho in named_representations(G).items():
        m = rho.matrices
        err = float(np.max(np.abs(m[G.table] - np.einsum("gij,hjk->ghik", m, m))))
        char_ok = reps.dim_hom(rho, rho) == len(reps.intertwiners(rho, rho))
        out.append(LawCheck(G.name, G.order, name, rho.dim, err, char_ok))
    return out
