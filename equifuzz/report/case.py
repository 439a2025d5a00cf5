"""A failing case: a network, the two representations and the claim that fails for them.

A :class:`FailureCase` is what a property test, a campaign or the minimizer hands to the report
writers. It serializes to plain JSON (group from generator permutations, representations from
generator matrices as exact rationals where possible, exact or float64 weights) and hashes to a
stable id, so that replaying a report rebuilds the very same case.

Tests attach a case to the exception they raise (``exc.equifuzz_case``, see :class:`CaseFailure`
and :func:`attach_case`); the pytest hook finds it there and writes a report.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import weakref
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors.exceptions import EquifuzzError, GroupMismatchError, ShapeError
from ..groups.closure import from_permutations
from ..groups.finite import FiniteGroup
from ..nets.relu_net import ReLUNet
from ..oracles import (
    EquivarianceVerdict,
    LayerwiseVerdict,
    RealizabilityVerdict,
    check_equivariant,
    check_layerwise,
    realizability,
)
from ..oracles.equivariance import DEFAULT_TOL, rational_matrix
from ..reps.finite import Representation, from_generators

__all__ = [
    "CLAIMS",
    "CASE_ATTRIBUTE",
    "FailureCase",
    "Outcome",
    "CaseFailure",
    "NotAFailureError",
    "attach_case",
    "find_case",
    "evaluate",
    "input_error",
    "fraction_array",
    "group_to_dict",
    "group_from_dict",
    "rep_to_dict",
    "rep_from_dict",
]

CLAIMS = ("equivariant", "layerwise")
CASE_ATTRIBUTE = "equifuzz_case"

CLAIM_TEXT = {
    "equivariant": "the network is equivariant: f(rho_in(g) x) = rho_out(g) f(x) for all g and x",
    "layerwise": ("the network is layer-wise equivariant: its neuron multiset is invariant under "
                  "g.(w, b, v) = (rho_in(g)^-T w, b, rho_out(g) v) and rho_out(g) b2 = b2"),
}


class NotAFailureError(EquifuzzError, ValueError):
    """A case handed to the minimizer or a writer does not fail its claim."""


@dataclass(frozen=True, eq=False)
class FailureCase:
    """A network ``net`` with representations ``rho_in``, ``rho_out`` of one finite group and a claim.

    ``claim`` is ``"equivariant"`` (check_equivariant must hold) or ``"layerwise"`` (check_layerwise
    must hold). ``input`` is an optional counterexample input (exact or float); ``tolerance`` is
    passed to the oracles (None: their defaults). ``seed``, ``device``, ``name``, ``description``
    and ``sweep`` (pairs (width, error) of a compensation sweep) describe where the case came from
    and do not enter its id.
    """

    net: ReLUNet
    rho_in: Representation
    rho_out: Representation
    claim: str = "equivariant"
    name: str = "case"
    tolerance: float | None = None
    input: np.ndarray | None = None
    seed: int | None = None
    device: str = "cpu"
    description: str = ""
    sweep: tuple[tuple[int, float], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.claim not in CLAIMS:
            raise ShapeError(f"claim must be one of {', '.join(CLAIMS)}; got {self.claim!r}")
        if not isinstance(self.net, ReLUNet):
            raise ShapeError(f"a FailureCase needs a ReLUNet, got {type(self.net).__name__}")
        for r, what in ((self.rho_in, "rho_in"), (self.rho_out, "rho_out")):
            if not isinstance(r, Representation):
                raise ShapeError(f"{what} must be a finite-group Representation, got {type(r).__name__}")
        g1, g2 = self.rho_in.group, self.rho_out.group
        if g1 is not g2 and not (g1.order == g2.order and np.array_equal(g1.table, g2.table)):
            raise GroupMismatchError(f"rho_in acts of {g1.name} but rho_out of {g2.name}: they must share one group")
        if self.net.d != self.rho_in.dim or self.net.p != self.rho_out.dim:
            raise ShapeError(f"the network maps R^{self.net.d} -> R^{self.net.p} but the representations have "
                             f"dimensions {self.rho_in.dim} and {self.rho_out.dim}")
        if self.input is not None:
            x = np.asarray(self.input)
            if x.shape != (self.net.d,):
                raise ShapeError(f"input must have shape ({self.net.d},), got {x.shape}")

    # -- access ----------------------------------------------------------------------------------
    @property
    def group(self) -> FiniteGroup:
        return self.rho_in.group

    @property
    def dtype(self) -> str:
        return "fraction" if self.net.exact else "float64"

    def replace(self, **changes: Any) -> FailureCase:
        return dataclasses.replace(self, **changes)

    def evaluate(self) -> Outcome:
        return evaluate(self)

    def fails(self) -> bool:
        return not self.evaluate().holds

    # -- serialization ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The replayable content (group, representations, network, claim, tolerance, input, metadata)."""
        out = self.core()
        out.update({"name": self.name, "seed": self.seed, "device": self.device, "description": self.description,
                    "sweep": [[int(w), float(e)] for w, e in self.sweep]})
        return out

    def core(self) -> dict[str, Any]:
        """The part of :meth:`to_dict` that identifies the failure (hashed into :meth:`digest`)."""
        return {
            "claim": self.claim,
            "group": group_to_dict(self.group),
            "rho_in": rep_to_dict(self.rho_in),
            "rho_out": rep_to_dict(self.rho_out),
            "net": self.net.to_dict(),
            "tolerance": self.tolerance,
            "input": None if self.input is None else [str(Fraction(v)) if not isinstance(v, Fraction) else str(v)
                                                      for v in _as_fractions(self.input)],
        }

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`core` (hex)."""
        text = json.dumps(self.core(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FailureCase:
        G = group_from_dict(data["group"])
        rho_in = rep_from_dict(G, data["rho_in"])
        rho_out = rep_from_dict(G, data["rho_out"])
        net = ReLUNet.from_dict(data["net"])
        x = data.get("input")
        xs = None if x is None else fraction_array([Fraction(v) for v in x])
        return cls(net, rho_in, rho_out, claim=data["claim"], name=data.get("name", "case"),
                   tolerance=data.get("tolerance"), input=xs,
                   seed=data.get("seed"), device=data.get("device", "cpu"), description=data.get("description", ""),
                   sweep=tuple((int(w), float(e)) for w, e in data.get("sweep", [])))

    def normalized(self) -> FailureCase:
        """The case rebuilt from its JSON form (what a replay sees)."""
        return FailureCase.from_dict(json.loads(json.dumps(self.to_dict())))

    def __repr__(self) -> str:
        return (f"FailureCase({self.name!r}, claim={self.claim}, group={self.group.name} (order {self.group.order}), "
                f"{self.net!r})")


# ---------------------------------------------------------------------------------------------
# outcomes


@dataclass(frozen=True)
class Outcome:
    """The oracle verdicts for a case: the claim's verdict, and always the equivariance verdict.

    ``signature`` is what the minimizer keeps fixed: the claim, whether it holds, whether the
    function is equivariant and, for a layer-wise failure of an equivariant function, whether the
    function is realizable by a layer-wise equivariant network of the same width. So an
    equivariant-but-not-layer-wise network never shrinks into one that merely breaks the symmetry,
    nor into a degenerate one (say the zero function) that a narrower layer-wise network computes.
    """

    claim: str
    equivariance: EquivarianceVerdict
    layerwise: LayerwiseVerdict | None
    realizability: RealizabilityVerdict | None = None

    @property
    def realizable(self) -> bool | None:
        return None if self.realizability is None else self.realizability.realizable

    @property
    def verdict(self) -> EquivarianceVerdict | LayerwiseVerdict:
        return self.layerwise if self.claim == "layerwise" and self.layerwise is not None else self.equivariance

    @property
    def holds(self) -> bool:
        return bool(self.verdict.holds)

    @property
    def signature(self) -> tuple[str, bool, bool, bool | None]:
        return (self.claim, self.holds, bool(self.equivariance.holds), self.realizable)

    @property
    def element(self) -> int | None:
        return self.verdict.element

    @property
    def word(self) -> str:
        return self.verdict.word

    @property
    def kind(self) -> str:
        """One line: what kind of failure this is."""
        if self.holds:
            return "the claim holds"
        if self.claim == "equivariant":
            return "the function is not equivariant"
        if self.equivariance.holds:
            if self.realizable is True:
                return ("the function is equivariant and a layer-wise equivariant network of the same width "
                        "computes it, but this network is not layer-wise equivariant")
            if self.realizable is False:
                return ("the function is equivariant but no layer-wise equivariant network of this width "
                        "computes it (strict loss, T3)")
            return "the function is equivariant but the network is not layer-wise equivariant"
        return "the network is not layer-wise equivariant and its function is not even equivariant"


_OUTCOMES: weakref.WeakKeyDictionary[FailureCase, Outcome] = weakref.WeakKeyDictionary()


def evaluate(case: FailureCase) -> Outcome:
    """Run the oracles the claim needs (exact whenever the weights are Fractions and the reps rational). The
    outcome is kept per case object (a case is frozen, its weights and matrices read-only): a writer that asks
    whether a case fails and then minimizes it evaluates it once."""
    hit = _OUTCOMES.get(case)
    if hit is None:
        hit = _OUTCOMES[case] = _evaluate(case)
    return hit


def _evaluate(case: FailureCase) -> Outcome:
    kw: dict[str, Any] = {} if case.tolerance is None else {"tol": case.tolerance}
    eq = check_equivariant(case.net, case.rho_in, case.rho_out, **kw)
    lw = check_layerwise(case.net, case.rho_in, case.rho_out, **kw) if case.claim == "layerwise" else None
    rz = None
    if lw is not None and not lw.holds and eq.holds:
        rz = realizability(case.net, case.rho_in, case.rho_out, case.net.width, **kw)
    return Outcome(case.claim, eq, lw, rz)


def input_error(case: FailureCase, x: Any, g: int) -> tuple[float, float, bool]:
    """||f(rho_in(g) x) - rho_out(g) f(x)||, the tolerance it is compared with, and whether it is exact.

    Exact (tolerance 0) when the weights are Fractions and both matrices rational; otherwise float64
    with tolerance ``tol * scale * (1 + ||x||)`` (``tol`` the case's or the oracle default).
    """
    A, B = case.rho_in(g), case.rho_out(g)
    Aq, Bq = rational_matrix(A), rational_matrix(B)
    if case.net.exact and Aq is not None and Bq is not None:
        xq = fraction_array(_as_fractions(x))
        diff = case.net(Aq @ xq) - Bq @ case.net(xq)
        sq = sum((Fraction(v) ** 2 for v in diff), Fraction(0))
        return float(np.sqrt(float(sq))), 0.0, True
    xf = np.asarray([float(v) for v in np.ravel(x)])
    net = case.net.to_float()
    diff = net(A @ xf) - B @ net(xf)
    rel = DEFAULT_TOL if case.tolerance is None else float(case.tolerance)
    tol = rel * net.scale * (1 + float(np.linalg.norm(xf)))
    return float(np.linalg.norm(diff)), tol, False


# ---------------------------------------------------------------------------------------------
# exceptions that carry a case


class CaseFailure(AssertionError):
    """An assertion failure that carries the failing case in ``equifuzz_case``."""

    def __init__(self, message: str, case: FailureCase) -> None:
        super().__init__(message)
        self.equifuzz_case = case

    @classmethod
    def check(cls, case: FailureCase) -> None:
        """Raise when the case fails its claim (the message is the oracle's verdict)."""
        out = evaluate(case)
        if not out.holds:
            raise cls(f"{case.name}: {out.kind}\n{out.verdict}", case)


def attach_case(exc: BaseException, case: FailureCase) -> BaseException:
    """Attach ``case`` to any exception (``exc.equifuzz_case``) and return the exception."""
    setattr(exc, CASE_ATTRIBUTE, case)
    return exc


def find_case(exc: BaseException | None) -> FailureCase | None:
    """The case attached to ``exc``, its cause/context chain or the members of an exception group."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        case = getattr(e, CASE_ATTRIBUTE, None)
        if isinstance(case, FailureCase):
            return case
        stack.extend(getattr(e, "exceptions", ()) or ())
        stack.extend([e.__cause__, e.__context__])
    return None


# ---------------------------------------------------------------------------------------------
# serialization helpers


def fraction_array(values: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """An object array of Fractions (numpy never turns the Fractions into floats)."""
    flat = [v if isinstance(v, Fraction) else Fraction(v) for v in np.ravel(np.asarray(values, dtype=object))]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(shape if shape is not None else np.shape(values))


def _as_fractions(x: Any) -> list[Fraction]:
    out = []
    for v in np.ravel(np.asarray(x, dtype=object)):
        if isinstance(v, Fraction):
            out.append(v)
        elif isinstance(v, (int, np.integer)):
            out.append(Fraction(int(v)))
        else:
            out.append(Fraction(float(v)))
    return out


def _permutation_labels(G: FiniteGroup) -> bool:
    labs = G.labels
    return bool(labs) and all(isinstance(p, tuple) and all(isinstance(i, (int, np.integer)) for i in p)
                              for p in labs)  # type: ignore[union-attr]


def group_to_dict(G: FiniteGroup) -> dict[str, Any]:
    """The group as generator permutations: its own labels for a permutation group, else the left
    regular action (point x -> g x on the elements 0..|G|-1)."""
    labels: list[Any] = list(G.labels or [])
    if _permutation_labels(G):
        gens = [[int(i) for i in labels[g]] for g in G.generators]
        degree = len(labels[0])
    else:
        gens = [[int(x) for x in G.table[g]] for g in G.generators]
        degree = G.order
    return {"name": G.name, "order": G.order, "degree": degree, "generator_names": list(G.generator_names),
            "generators": gens}


def group_from_dict(data: dict[str, Any]) -> FiniteGroup:
    G = from_permutations([list(p) for p in data["generators"]], degree=int(data["degree"]), name=data["name"],
                          generator_names=list(data["generator_names"]))
    if G.order != int(data["order"]):
        raise ShapeError(f"the generators rebuild a group of order {G.order}, the report says {data['order']}")
    if len(G.generators) != len(data["generators"]):
        raise ShapeError("two generators of the stored group coincide (or one is the identity)")
    return G


def rep_to_dict(rho: Representation) -> dict[str, Any]:
    """Generator matrices, as ``"p/q"`` strings when all are rational, else float64 values."""
    G = rho.group
    mats = [rho(g) for g in G.generators]
    exact = [rational_matrix(M) for M in mats]
    gens: list[list[list[Any]]]
    if all(q is not None for q in exact):
        gens = [[[str(v) for v in row] for row in q] for q in exact]  # type: ignore[union-attr]
        is_exact = True
    else:
        gens = [[[float(v) for v in row] for row in M] for M in mats]
        is_exact = False
    return {"name": rho.name, "dim": rho.dim, "exact": is_exact, "generators": gens}


def rep_from_dict(G: FiniteGroup, data: dict[str, Any]) -> Representation:
    d = int(data["dim"])
    mats = [np.array([[float(Fraction(v)) if data["exact"] else float(v) for v in row] for row in M],
                     dtype=np.float64).reshape(d, d) for M in data["generators"]]
    if not G.generators:
        return Representation(G, np.eye(d)[None], name=data["name"])
    return from_generators(G, mats, name=data["name"])
