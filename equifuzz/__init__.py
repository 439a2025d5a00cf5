"""equifuzz: property-based testing and fuzzing of equivariance claims."""
from . import groups, reps
from .nets import ReLUNet, from_torch
from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors_all

__version__ = "0.1.0"
__all__ = ["groups", "reps", "ReLUNet", "from_torch", *_errors_all]
