"""Oracles: pure functions that decide properties and return verdicts (never print, never raise on a
failed property; bad input raises an EquifuzzError)."""

from .compensate import compensate, symmetrize
from .equivariance import EquivalenceVerdict, EquivarianceVerdict, check_equivariant, equivalent
from .layerwise import LayerwiseVerdict, Orbit, check_layerwise
from .verdict import Verdict

__all__ = [
    "Verdict",
    "EquivarianceVerdict",
    "EquivalenceVerdict",
    "LayerwiseVerdict",
    "Orbit",
    "check_equivariant",
    "equivalent",
    "check_layerwise",
    "compensate",
    "symmetrize",
]
