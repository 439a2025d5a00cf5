"""equifuzz: property-based testing and fuzzing of equivariance claims.

The names below load on first use (PEP 562): ``import equifuzz`` imports only the exceptions, so the
pytest plugin that every pytest session loads costs no torch, search, report or gate import until a
test uses them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors.exceptions import *  # noqa: F401,F403
from .errors.exceptions import __all__ as _errors_all

if TYPE_CHECKING:
    from . import gate, groups, reps
    from .gate import GateVerdict, assert_equivariant, irreps_representation
    from .nets.relu_net import CanonicalForm, ReLUNet, from_torch
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

#: public name -> module that defines it (a name equal to its module's last part is the module itself)
_LAZY: dict[str, str] = {
    "groups": ".groups",
    "reps": ".reps",
    "gate": ".gate",
    "assert_equivariant": ".gate",
    "GateVerdict": ".gate",
    "irreps_representation": ".gate",
    "ReLUNet": ".nets",
    "CanonicalForm": ".nets",
    "from_torch": ".nets",
    **{name: ".oracles" for name in (
        "Verdict", "EquivarianceVerdict", "EquivalenceVerdict", "LayerwiseVerdict", "Orbit", "check_equivariant",
        "check_layerwise", "compensate", "equivalent", "symmetrize", "realizability", "RealizabilityVerdict",
        "len_dimension", "gn_dimension", "risk", "RiskEstimate",
    )},
}

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


def __getattr__(name: str) -> Any:
    """Load a public name (or a submodule such as ``equifuzz.search``) on first access."""
    module = _LAZY.get(name)
    if module is None and name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if module is None:
        try:
            value: Any = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        mod = importlib.import_module(module, __name__)
        value = mod if module == f".{name}" else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
