"""Finite groups as Cayley tables over the elements 0..n-1 (identity 0), and their constructors.

A :class:`FiniteGroup` knows its multiplication table, inverses, generators, shortest words in the
generators, subgroups and conjugacy classes. Elements may carry labels (a permutation tuple or a
float64 matrix) from which representations such as ``sign`` or ``standard`` are read off.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors.exceptions import GroupAxiomError, ShapeError, UnknownElementError
from ..errors.validation import MAX_ORDER, check_array, check_int, check_order, check_type, describe

__all__ = ["FiniteGroup", "Subgroup", "from_table", "same_table"]

DEFAULT_MAX_ORDER = 5040


@dataclass(frozen=True)
class Subgroup:
    """A subgroup K of ``group``: its elements (sorted indices into the parent) and generators."""

    group: FiniteGroup = field(repr=False, compare=False)
    elements: tuple[int, ...]
    generators: tuple[int, ...]

    @property
    def order(self) -> int:
        return len(self.elements)

    @property
    def index(self) -> int:
        return self.group.order // self.order

    def __contains__(self, g: object) -> bool:
        return g in self._set

    @cached_property
    def _set(self) -> frozenset[int]:
        return frozenset(self.elements)

    def is_normal(self) -> bool:
        G = self.group
        return all(G.conjugate(k, g) in self for g in G.generators for k in self.generators)

    def as_group(self) -> FiniteGroup:
        """The subgroup as a group of its own, element i of the result being ``elements[i]``."""
        G = self.group
        pos = {g: i for i, g in enumerate(self.elements)}
        table = np.array([[pos[int(G.table[a, b])] for b in self.elements] for a in self.elements])
        labels = None if G.labels is None else [G.labels[g] for g in self.elements]
        gens = [pos[g] for g in self.generators if g != 0]
        names = [G.generator_name(g) for g in self.generators if g != 0]
        return FiniteGroup(
            table, gens, name=f"<{', '.join(names) or 'e'}> in {G.name}", labels=labels,
            generator_names=names,
        )

    def __str__(self) -> str:
        gens = ", ".join(self.group.word_str(g) for g in self.generators) or "e"
        return f"<{gens}> (order {self.order})"


class FiniteGroup:
    """A finite group given by its Cayley table ``table[g, h] = g h`` over 0..n-1 (identity 0).

    The table is checked at construction: identity, Latin square (inverses) and associativity
    (Light's test over the generators, which suffices once the generators generate).
    """

    def __init__(
        self,
        table: np.ndarray | Sequence[Sequence[int]],
        generators: Iterable[int],
        *,
        name: str = "G",
        labels: Sequence[object] | None = None,
        generator_names: Sequence[str] | None = None,
        family: tuple[str, int] | None = None,
    ) -> None:
        try:
            table = np.asarray(table)
        except (TypeError, ValueError) as exc:  # ragged rows
            raise ShapeError(f"a Cayley table must be a non-empty square array, got {describe(table)}: {exc}") from None
        if table.ndim != 2 or table.shape[0] != table.shape[1] or table.shape[0] == 0:
            raise ShapeError(f"a Cayley table must be a non-empty square array, got shape {table.shape}")
        if not np.issubdtype(table.dtype, np.integer):
            raise GroupAxiomError(f"a Cayley table must hold integers, got dtype {table.dtype}")
        n = table.shape[0]
        check_order("a Cayley table", n, "use a smaller group")
        if table.min() < 0 or table.max() >= n:
            raise GroupAxiomError(f"Cayley table entries must lie in 0..{n - 1}")
        self.table = np.ascontiguousarray(table, dtype=np.int64)
        self.table.setflags(write=False)
        if isinstance(generators, (str, bytes)) or not isinstance(generators, Iterable):
            raise UnknownElementError(f"generators must be a list of element indices, got {describe(generators)}")
        gens = list(generators)
        for g in gens:
            if isinstance(g, (bool, np.bool_)) or not isinstance(g, (int, np.integer)) or not 0 <= g < n:
                raise UnknownElementError(f"generator {describe(g)} is not an element of a group of order {n} "
                                          f"(an int in 0..{n - 1})")
        self.generators: tuple[int, ...] = tuple(int(g) for g in gens)
        self.name = check_type("name", name, str, "a string")
        self.labels = None if labels is None else list(labels)
        if self.labels is not None and len(self.labels) != n:
            raise ShapeError(f"{len(self.labels)} labels for a group of order {n}")
        if generator_names is None:
            generator_names = [chr(ord("a") + i) if i < 26 else f"g{i}" for i in range(len(self.generators))]
        if len(generator_names) != len(self.generators):
            raise ShapeError(f"{len(generator_names)} generator names for {len(self.generators)} generators")
        self.generator_names = tuple(generator_names)
        self.family = family
        self._check_axioms()

    # -- axioms ----------------------------------------------------------------------------------
    def _check_axioms(self) -> None:
        t, n = self.table, self.order
        ar = np.arange(n)
        if not (np.array_equal(t[0], ar) and np.array_equal(t[:, 0], ar)):
            bad = int(np.flatnonzero((t[0] != ar) | (t[:, 0] != ar))[0])
            raise GroupAxiomError(f"element 0 is not the identity: 0*{bad} or {bad}*0 != {bad}")
        for axis, what in ((1, "row"), (0, "column")):
            s = np.sort(t, axis=axis)
            ok = np.all(s == (ar[None, :] if axis == 1 else ar[:, None]), axis=axis)
            if not ok.all():
                i = int(np.flatnonzero(~ok)[0])
                raise GroupAxiomError(
                    f"{what} {i} of the Cayley table repeats an element, so {i} has no inverse "
                    "(a group table is a Latin square)"
                )
        reached = self._closure_mask(self.generators)
        if not reached.all():
            missing = int(np.flatnonzero(~reached)[0])
            raise GroupAxiomError(
                f"the generators {list(self.generators)} do not generate the group: "
                f"element {missing} is never reached"
            )
        for a in self.generators:  # Light's associativity test: (x a) y == x (a y)
            lhs = t[t[:, a], :]
            rhs = t[:, t[a, :]]
            if not np.array_equal(lhs, rhs):
                x, y = (int(v) for v in np.argwhere(lhs != rhs)[0])
                raise GroupAxiomError(
                    f"multiplication is not associative: ({x}*{a})*{y} != {x}*({a}*{y})"
                )

    # -- basic structure -------------------------------------------------------------------------
    @property
    def order(self) -> int:
        return int(self.table.shape[0])

    def __len__(self) -> int:
        return self.order

    @property
    def elements(self) -> range:
        return range(self.order)

    @cached_property
    def inverses(self) -> np.ndarray:
        inv = np.argmin(self.table, axis=1)  # the column holding the identity 0
        inv.setflags(write=False)
        return inv

    def check_element(self, g: object) -> int:
        """Return ``g`` as an int element index, raising UnknownElementError otherwise."""
        if isinstance(g, (bool, np.bool_)) or not isinstance(g, (int, np.integer)):
            raise UnknownElementError(f"{g!r} is not an element index of {self.name} (order {self.order})")
        if not 0 <= int(g) < self.order:
            raise UnknownElementError(
                f"{int(g)} is not an element of {self.name}: elements are 0..{self.order - 1}"
            )
        return int(g)

    def mul(self, g: int, h: int, *more: int) -> int:
        out = int(self.table[self.check_element(g), self.check_element(h)])
        for k in more:
            out = int(self.table[out, self.check_element(k)])
        return out

    def inv(self, g: int) -> int:
        return int(self.inverses[self.check_element(g)])

    def power(self, g: int, k: int) -> int:
        g = self.check_element(g)
        if k < 0:
            g, k = self.inv(g), -k
        out = 0
        for _ in range(k):
            out = int(self.table[out, g])
        return out

    def conjugate(self, g: int, h: int) -> int:
        """h g h^-1."""
        return int(self.table[self.table[h, g], self.inverses[h]])

    def element_order(self, g: int) -> int:
        g = self.check_element(g)
        k, x = 1, g
        while x != 0:
            x = int(self.table[x, g])
            k += 1
        return k

    @cached_property
    def is_abelian(self) -> bool:
        return bool(np.array_equal(self.table, self.table.T))

    # -- words -----------------------------------------------------------------------------------
    @cached_property
    def _words(self) -> list[tuple[int, ...]]:
        words: list[tuple[int, ...] | None] = [None] * self.order
        words[0] = ()
        queue = deque([0])
        while queue:
            g = queue.popleft()
            for i, a in enumerate(self.generators):
                h = int(self.table[g, a])
                if words[h] is None:
                    words[h] = words[g] + (i,)  # type: ignore[operator]
                    queue.append(h)
        return words  # type: ignore[return-value]

    def word(self, g: int) -> tuple[int, ...]:
        """A shortest word (a_1, ..., a_k) of generator positions with g = gens[a_1] ... gens[a_k]."""
        return self._words[self.check_element(g)]

    def word_str(self, g: int) -> str:
        """The shortest word of ``g`` written with generator names and powers, e.g. ``r^2 s``."""
        w = self.word(g)
        if not w:
            return "e"
        parts = []
        for i, run in itertools.groupby(w):
            k = len(list(run))
            parts.append(self.generator_names[i] + (f"^{k}" if k > 1 else ""))
        return " ".join(parts)

    def generator_name(self, g: int) -> str:
        if g in self.generators:
            return self.generator_names[self.generators.index(g)]
        return self.word_str(g)

    def evaluate_word(self, word: Sequence[int]) -> int:
        out = 0
        for i in word:
            out = int(self.table[out, self.generators[i]])
        return out

    def random_elements(self, n_words: int, rng: np.random.Generator) -> list[int]:
        """The generators and ``n_words`` random words in them of length 4 to 32, without repeats and
        without the identity: the elements a sampled check tries in a large group."""
        chosen = list(dict.fromkeys(self.generators))
        for _ in range(n_words):
            if not self.generators:
                break
            word = rng.integers(0, len(self.generators), size=int(rng.integers(4, 33)))
            chosen.append(self.evaluate_word(word.tolist()))
        return [g for g in dict.fromkeys(chosen) if g != 0]

    # -- subgroups -------------------------------------------------------------------------------
    def _closure_mask(self, gens: Iterable[int]) -> np.ndarray:
        gens = [int(g) for g in gens]
        mask = np.zeros(self.order, dtype=bool)
        mask[0] = True
        frontier = np.array([0])
        if not gens:
            return mask
        while frontier.size:
            new = np.unique(self.table[np.ix_(frontier, np.asarray(gens, dtype=np.int64))])
            new = new[~mask[new]]
            mask[new] = True
            frontier = new
        return mask

    def subgroup(self, generators: Iterable[int]) -> Subgroup:
        """The subgroup generated by ``generators``."""
        gens = tuple(dict.fromkeys(self.check_element(g) for g in generators if g != 0))
        elems = tuple(int(x) for x in np.flatnonzero(self._closure_mask(gens)))
        return Subgroup(self, elems, gens)

    def subgroup_classes(self, budget: int | None = None) -> list[Subgroup]:
        """One subgroup per conjugacy class of subgroups, sorted by order then elements (cyclic
        extension, see :mod:`equifuzz.groups.lattice`); past ``budget`` joins
        :class:`~equifuzz.errors.BudgetExceededError` is raised."""
        from .lattice import subgroup_classes

        return [Subgroup(self, elements, gens) for elements, gens in subgroup_classes(self, budget)]

    def subgroups(self, budget: int | None = None) -> list[Subgroup]:
        """All subgroups, sorted by order then elements, each with a small generating set: the
        conjugates of :meth:`subgroup_classes` (``budget`` as there)."""
        from .lattice import all_subgroups

        return [Subgroup(self, elements, gens) for elements, gens in all_subgroups(self, budget)]

    @cached_property
    def class_labels(self) -> np.ndarray:
        """``class_labels[g]`` = index of g's conjugacy class in :meth:`conjugacy_classes`."""
        lab = np.zeros(self.order, dtype=np.int64)
        for i, cls in enumerate(self.conjugacy_classes()):
            lab[list(cls)] = i
        return lab

    def conjugacy_classes(self) -> list[tuple[int, ...]]:
        """The conjugacy classes, each sorted, in order of their smallest element."""
        seen = np.zeros(self.order, dtype=bool)
        classes = []
        allh = np.arange(self.order)
        for g in range(self.order):
            if seen[g]:
                continue
            cls = np.unique(self.table[self.table[allh, g], self.inverses[allh]])
            seen[cls] = True
            classes.append(tuple(int(x) for x in cls))
        return classes

    def cosets(self, K: Subgroup) -> np.ndarray:
        """``coset[g]`` = index of the left coset gK, numbered in order of first appearance."""
        self._own(K)
        coset = np.full(self.order, -1, dtype=np.int64)
        k = np.array(K.elements)
        n = 0
        for g in range(self.order):
            if coset[g] < 0:
                coset[self.table[g, k]] = n
                n += 1
        return coset

    def _own(self, K: Subgroup) -> None:
        from ..errors.exceptions import GroupMismatchError

        if not same_table(K.group, self):
            raise GroupMismatchError(f"subgroup {K} belongs to {K.group.name}, not to {self.name}")

    def __repr__(self) -> str:
        return f"FiniteGroup({self.name}, order={self.order}, generators={list(self.generator_names)})"

    def __str__(self) -> str:
        return self.name

    def describe(self) -> str:
        gens = ", ".join(
            f"{n} = {self._label_str(g)}" for n, g in zip(self.generator_names, self.generators, strict=True)
        )
        return f"{self.name} (order {self.order}; generators {gens})"

    def _label_str(self, g: int) -> str:
        if self.labels is None:
            return f"#{g}"
        lab = self.labels[g]
        if isinstance(lab, np.ndarray):
            return np.array2string(np.round(lab, 6), separator=",").replace("\n", "")
        return str(lab)


# ---------------------------------------------------------------------------------------------
# construction from a table, and the argument helpers of the constructors


def from_table(table: np.ndarray, generators: Iterable[int], **kw: object) -> FiniteGroup:
    """A group from an explicit Cayley table (checked)."""
    return FiniteGroup(table, generators, **kw)  # type: ignore[arg-type]


def _names_for(names: Sequence[str] | None, gen_idx: list[int], given: int) -> Sequence[str] | None:
    return names if names is not None and len(gen_idx) == given else None


def _check_max_order(max_order: object) -> int:
    return check_int("max_order", max_order, min=1, max=MAX_ORDER,
                     too_large=f"groups are held as Cayley tables of at most {MAX_ORDER} elements")


def _sequence(name: str, value: object) -> list[object]:
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise ShapeError(f"{name} must be a list, got {describe(value)}")
    return list(value)


def _int_vector(name: str, value: object) -> np.ndarray:
    arr = check_array(name, value, ndim=1)
    if not np.array_equal(arr, np.round(arr)) or (isinstance(value, np.ndarray) and value.dtype.kind not in "iu"):
        raise ShapeError(f"{name} = {describe(value)} is not a permutation (a list of ints)")
    return arr.astype(np.int64)


def same_table(a: FiniteGroup, b: FiniteGroup) -> bool:
    """Whether two finite groups are one group: the same object or one Cayley table."""
    return a is b or (a.order == b.order and bool(np.array_equal(a.table, b.table)))
