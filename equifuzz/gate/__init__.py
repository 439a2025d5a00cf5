"""The CI gate: ``assert_equivariant`` for any torch module or callable, for finite and continuous groups.

Use it in the test suite of an equivariant library::

    ef.assert_equivariant(model, ef.groups.o3(), rho_in, rho_out)   # raises EquivarianceError

Modules: ``actions`` (how an element acts on one block), ``check`` (the measurement and its
tolerances), ``search`` (elements, inputs and the targeted search), ``minimize`` and ``report``
(the minimal replayable report), ``batch`` (many pairs in few calls), ``nodes`` (node permutations),
``fingerprint`` and ``persist`` (report identity and replay), ``assertion`` (the gate itself).
"""

from .actions import Action, Element, Fixed, Linear, Points, irreps_representation
from .assertion import BUDGETS, Budget, GateVerdict, RoundingWarning, assert_equivariant
from .batch import BatchIndependenceError
from .check import ATOL_EPS, RTOL_POWER
from .nodes import Adjacency, EdgeIndex, NodeWise
from .report import replay

__all__ = [
    "assert_equivariant",
    "GateVerdict",
    "RoundingWarning",
    "BatchIndependenceError",
    "Budget",
    "BUDGETS",
    "RTOL_POWER",
    "ATOL_EPS",
    "Action",
    "Element",
    "Linear",
    "Points",
    "Fixed",
    "irreps_representation",
    "NodeWise",
    "EdgeIndex",
    "Adjacency",
    "replay",
]
