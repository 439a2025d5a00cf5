"""equifuzz: property-based testing and fuzzing of equivariance claims."""

from . import gate, groups, reps
from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors_all
from .gate import GateVerdict, assert_equivariant, irreps_representation
from .nets import CanonicalForm, ReLUNet, from_torch
from .oracles import (
    EquivalenceVerdict,
    EquivarianceVerdict,
    LayerwiseVerdict,
    Orbit,
    RealizabilityVerdict,
    RiskEstimate,
    Verdict,
    check_equivariant,
    check_layerwise,
    compensate,
    equivalent,
    gn_dimension,
    len_dimension,
    realizability,
    risk,
    symmetrize,
)

__version__ = "0.1.0"
__all__ = [
    "groups",
    "reps",
    "ReLUNet",
    "assert_equivariant",
    "gate",
    "GateVerdict",
    "irreps_representation",
    "CanonicalForm",
    "from_torch",
    "Verdict",
    "EquivarianceVerdict",
    "EquivalenceVerdict",
    "LayerwiseVerdict",
    "Orbit",
    "check_equivariant",
    "check_layerwise",
    "compensate",
    "equivalent",
    "symmetrize",
    "realizability",
    "RealizabilityVerdict",
    "len_dimension",
    "gn_dimension",
    "risk",
    "RiskEstimate",
    *_errors_all,
]
