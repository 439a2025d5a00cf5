"""The CI gate: ``assert_equivariant`` for any torch module or callable, for finite and continuous groups.

Use it in the test suite of an equivariant library::

    ef.assert_equivariant(model, ef.groups.o3(), rho_in, rho_out)   # raises EquivarianceError

The gate is a face over the layers: the elements it tries are :func:`equifuzz.groups.elements.elements_to_try`,
its error and tolerance :mod:`equifuzz.oracles.error`, the function under test is called through
:class:`equifuzz.search.probe.Probe`, and a failure is shrunk, written and replayed by
:mod:`equifuzz.report.gate_minimize` and :mod:`equifuzz.report.gate_case`. Its own modules: ``actions``
(how an element acts on one block), ``nodes`` (node permutations), ``check`` (the batched measurement),
``grid`` (images and volumes), ``search`` (inputs and the targeted search), ``batch`` (many pairs in
few calls), ``assertion`` (the assertion itself).
"""

from ..report.gate_case import replay
from ..search.probe import Fixed
from .actions import Action, Element, Linear, Points, irreps_representation
from .approximate import ApproximateVerdict, assert_approximately_equivariant
from .assertion import BUDGETS, Budget, GateVerdict, RoundingWarning, assert_equivariant
from .batch import BatchIndependenceError
from .check import ATOL_EPS, RTOL_POWER
from .grid import Grid
from .nodes import Adjacency, EdgeIndex, NodeWise

__all__ = [
    "assert_equivariant",
    "assert_approximately_equivariant",
    "ApproximateVerdict",
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
    "Grid",
    "replay",
]
