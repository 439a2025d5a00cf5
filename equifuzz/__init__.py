"""equifuzz: property-based testing and fuzzing of equivariance claims."""

from . import groups, reps
from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors_all
from .nets import CanonicalForm, ReLUNet, from_torch
from .oracles import (
    EquivalenceVerdict,
    EquivarianceVerdict,
    LayerwiseVerdict,
    Orbit,
    Verdict,
    check_equivariant,
    check_layerwise,
    compensate,
    equivalent,
    symmetrize,
)

__version__ = "0.1.0"
__all__ = [
    "groups",
    "reps",
    "ReLUNet",
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
    *_errors_all,
]
