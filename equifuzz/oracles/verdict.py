"""The base of every verdict: a frozen dataclass with ``holds``, a readable ``__str__`` and ``to_dict``."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import numpy as np


def jsonable(x: Any) -> Any:
    """Convert numbers, arrays, fractions, groups, representations and networks to JSON values."""
    from ..groups.finite import FiniteGroup, Subgroup
    from ..nets.relu_net import ReLUNet
    from ..reps.finite import Representation

    if x is None or isinstance(x, (bool, str, int)):
        return x
    if isinstance(x, float):
        return x if np.isfinite(x) else str(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.floating):
        return jsonable(float(x))
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, Fraction):
        return str(x)
    if isinstance(x, np.ndarray):
        return [jsonable(v) for v in x.tolist()] if x.dtype != object else [jsonable(v) for v in x]
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, ReLUNet):
        return x.to_dict()
    if isinstance(x, Subgroup):
        return {"order": x.order, "elements": list(x.elements),
                "generators": [x.group.word_str(g) for g in x.generators]}
    if isinstance(x, Representation):
        return {"name": x.name, "dim": x.dim, "group": x.group.name}
    if isinstance(x, FiniteGroup):
        return {"name": x.name, "order": x.order}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: jsonable(getattr(x, f.name)) for f in dataclasses.fields(x) if f.repr}
    return repr(x)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Outcome of an oracle. ``holds`` says whether the property holds: True, False, or None when the oracle
    could not decide within its budget or precision (undecided; the verdict says why); the rest says why."""

    holds: bool | None

    @property
    def status(self) -> str:
        """"holds", "fails" or "undecided"."""
        return {True: "holds", False: "fails"}.get(self.holds, "undecided")  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        out = {"verdict": type(self).__name__}
        out.update({f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self) if f.repr})
        return out

    def __bool__(self) -> bool:
        raise TypeError(f"use {type(self).__name__}.holds rather than the truth value of a verdict")
