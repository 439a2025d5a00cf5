"""Exceptions raised for bad input. A failed property is a verdict, never an exception."""

from __future__ import annotations

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


class EquifuzzError(Exception):
    """Base class of every error equifuzz raises on bad input."""


class InvalidArgument(EquifuzzError, ValueError, TypeError):
    """An argument has the wrong type or value; the message names it, what it got and what it needs.

    It is both a ValueError and a TypeError, so callers catching either builtin still catch it.
    """


class TooLargeError(InvalidArgument):
    """An object would not fit: the message says how big it would be and what to use instead.

    Raised before anything is allocated.
    """


class BudgetExceededError(EquifuzzError, RuntimeError):
    """A computation ran past the budget it was given (the message names the budget and how to raise it)."""


class ShapeError(EquifuzzError, ValueError):
    """An array has the wrong shape (the message names the expected and the given shape)."""


class NonFiniteError(EquifuzzError, ValueError):
    """An array holds NaN or inf (the message names where)."""


class SingularMatrixError(EquifuzzError, ValueError):
    """A matrix that must be invertible is singular (or numerically so)."""


class HomomorphismError(EquifuzzError, ValueError):
    """Matrices do not define a representation: rho(g h) != rho(g) rho(h) for a named pair."""


class RepresentationError(EquifuzzError, ValueError):
    """A representation cannot be built or does not support the operation asked of it."""


class GroupAxiomError(EquifuzzError, ValueError):
    """A multiplication table violates a group axiom (the message names the violating elements)."""


class GroupClosureError(EquifuzzError, ValueError):
    """A generating set generates more than ``max_order`` elements (or does not close)."""


class UnknownElementError(EquifuzzError, KeyError):
    """An element index or label does not belong to the group."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class GroupMismatchError(EquifuzzError, ValueError):
    """Objects that must share one group (representations, subgroups) belong to different groups."""


class EquivarianceError(EquifuzzError, AssertionError):
    """Raised by :func:`equifuzz.assert_equivariant` when a module is not equivariant."""

    def __init__(self, message: str, verdict: object = None) -> None:
        super().__init__(message)
        self.verdict = verdict


class VacuousCheckError(EquifuzzError, AssertionError):
    """Raised by :func:`equifuzz.assert_equivariant` when the check could not have failed: an output block
    is identically zero or constant, or does not change when the inputs that carry the action change. The
    message names the block and how to declare it deliberate (``allow_constant=``)."""

    def __init__(self, message: str, verdict: object = None) -> None:
        super().__init__(message)
        self.verdict = verdict


class DeviceError(EquifuzzError, ValueError):
    """Tensors or modules that must share one device are on different devices."""
