"""Group elements as they act on data, and the choice of the elements a check tries.

An :class:`Element` is an element of a finite group (``index``) or of SO(2)/O(2)/SO(3)/O(3) (``matrix``),
optionally with a ``translation`` (acting on blocks of points: the Euclidean group) and a permutation
``perm`` of the nodes of a graph or point cloud (node i of g.x is node perm[i] of x).

Which elements to try: every non-identity element of a finite group of order at most
``ALL_ELEMENTS_UP_TO``, else the generators plus random words (:meth:`FiniteGroup.random_elements`);
for a continuous group every element of its fixed covering subgroup (the cube group in O(3), the 12-gon
group in O(2), ...) plus Haar samples. With blocks of points every element also translates (by a
Gaussian of the given scale), and one element is a pure translation.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from .continuous import ContinuousGroup
from .finite import FiniteGroup

__all__ = ["Element", "ALL_ELEMENTS_UP_TO", "covering", "elements_to_try", "identity_element"]

ALL_ELEMENTS_UP_TO = 64


@dataclass(frozen=True, eq=False)
class Element:
    """A group element as a check applies it: a finite-group ``index`` or a continuous-group ``matrix``,
    with a ``translation`` for blocks of points (``None``: no translation) and a ``perm`` of the nodes
    for node-indexed blocks (``None``: nodes keep their numbers)."""

    label: str
    index: int | None = None
    matrix: np.ndarray | None = None
    translation: np.ndarray | None = None
    perm: np.ndarray | None = None

    def replace(self, **kw: Any) -> Element:
        return dataclasses.replace(self, **kw)

    def describe(self) -> str:
        def fmt(a: np.ndarray) -> str:
            return np.array2string(np.asarray(a), precision=4, separator=", ", max_line_width=400)

        s = self.label
        if self.matrix is not None:
            s += f", R = {fmt(self.matrix)}"
        if self.translation is not None:
            s += f", t = {fmt(self.translation)}"
        if self.perm is not None:
            p = np.asarray(self.perm)
            s += f", node permutation {p.tolist() if len(p) <= 24 else str(p[:24].tolist())[:-1] + ', ...]'}"
        return s


@functools.lru_cache(maxsize=8)
def covering(group: ContinuousGroup) -> FiniteGroup:
    """The covering subgroup of a continuous group, built once."""
    return group.covering()


def identity_element(group: FiniteGroup | ContinuousGroup, label: str = "identity") -> Element:
    if isinstance(group, FiniteGroup):
        return Element(label, index=0)
    return Element(label, matrix=np.eye(group.dim))


def elements_to_try(group: FiniteGroup | ContinuousGroup, n_words: int, rng: np.random.Generator,
                  translation: tuple[int, float] | None = None) -> list[Element]:
    """The elements a check tries first (see the module docstring); never the identity alone.
    ``translation`` = (dimension, scale) of the points' translations, or None."""
    out: list[Element] = []
    if isinstance(group, FiniteGroup):
        chosen = list(range(1, group.order)) if group.order <= ALL_ELEMENTS_UP_TO \
            else group.random_elements(n_words, rng)
        out = [Element(f"g = {group.word_str(g)}", index=g) for g in chosen]
    else:
        cover = covering(group)
        assert cover.labels is not None  # the covering subgroup's elements are its matrices
        for g in range(1, cover.order):
            out.append(Element(f"covering element {cover.word_str(g)}", matrix=np.asarray(cover.labels[g])))
        for i, M in enumerate(group.sample(n_words, rng)):
            out.append(Element(f"Haar sample {i}", matrix=M))
    if translation is not None:
        dim, scale = translation
        out = [g.replace(translation=rng.standard_normal(dim) * scale) for g in out]
        out.append(identity_element(group, "pure translation").replace(translation=rng.standard_normal(dim) * scale))
    return out
