"""The exceptions equifuzz raises for bad input (``exceptions``), and the checks of plain argument values
that raise them (``validation``: ints, reals, tolerances, arrays, sizes). A failed property is a verdict,
never an exception.
"""

from __future__ import annotations

from .exceptions import (
    BudgetExceededError,
    DeviceError,
    EquifuzzError,
    EquivarianceError,
    GroupAxiomError,
    GroupClosureError,
    GroupMismatchError,
    HomomorphismError,
    InvalidArgument,
    NonFiniteError,
    RepresentationError,
    ShapeError,
    SingularMatrixError,
    TooLargeError,
    UnknownElementError,
    VacuousCheckError,
)

__all__ = [
    "EquifuzzError",
    "InvalidArgument",
    "TooLargeError",
    "BudgetExceededError",
    "ShapeError",
    "NonFiniteError",
    "SingularMatrixError",
    "HomomorphismError",
    "RepresentationError",
    "GroupAxiomError",
    "GroupClosureError",
    "UnknownElementError",
    "GroupMismatchError",
    "EquivarianceError",
    "VacuousCheckError",
    "DeviceError",
]
