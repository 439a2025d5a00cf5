"""Oracles: pure functions that decide properties and return verdicts (never print, never raise on a
failed property; bad input raises an EquifuzzError)."""

from .compensate import compensate, symmetrize
from .dimension import gn_dimension, len_dimension
from .equivariance import EquivalenceVerdict, EquivarianceVerdict, check_equivariant, equivalent
from .layerwise import LayerwiseVerdict, Orbit, check_layerwise
from .realizability import HyperplaneOrbit, RealizabilityVerdict, hyperplane_orbits, realizability
from .risk import RiskEstimate, gaussian, risk, uniform_ball, uniform_cube
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
    "len_dimension",
    "gn_dimension",
    "realizability",
    "RealizabilityVerdict",
    "HyperplaneOrbit",
    "hyperplane_orbits",
    "risk",
    "RiskEstimate",
    "gaussian",
    "uniform_ball",
    "uniform_cube",
]
