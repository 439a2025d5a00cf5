"""The public surface of equifuzz as a catalogue of entry points for the API fuzz tests.

Each :class:`Entry` names one public function, a known-good call (``good``), and for each argument
(:class:`Slot`) a predicate ``accepts`` saying which values are legitimate, some valid variants (a
torch module where a ReLUNet is wanted, a numpy integer where an int is) and extra bad values of
its own. Bad values for a slot are the shared pool :func:`junk` plus the slot's extras, less those
the slot accepts. ``check`` states the answer of a valid call, known by construction (Example A of
THEORY.md: a C2-equivariant network that is not layer-wise equivariant, realizable at width 6).
Nothing random runs at import; everything is built on first use.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy
from torch import nn

import equifuzz as ef
from equifuzz import groups as eg
from equifuzz import reps as er


@dataclass(frozen=True)
class Slot:
    name: str
    accepts: Callable[[Any], bool]
    variants: tuple[Any, ...] = ()
    bad: tuple[Any, ...] = ()
    keyword: bool = False


@dataclass(frozen=True)
class Entry:
    name: str
    fn: Callable[..., Any]
    good: dict[str, Any]
    slots: tuple[Slot, ...]
    check: Callable[[Any], None]
    strategy: bool = False
    extra_kwargs: dict[str, Any] = field(default_factory=dict)

    def call(self, values: dict[str, Any]) -> Any:
        args = [values[s.name] for s in self.slots if not s.keyword]
        kwargs = {s.name: values[s.name] for s in self.slots if s.keyword}
        out = self.fn(*args, **kwargs, **self.extra_kwargs)
        if self.strategy:
            out = draw_one(out)
        return out


# Drawing one example of a strategy under test, inside a test: the nesting, speed, size and filtering health
# checks describe a test's own input strategy; the strategy drawn here is the object under test (large
# groups are slow and large by design), so those four do not apply. The other checks stay on.
_DRAW = settings(
    database=None, max_examples=1, phases=[Phase.generate], deadline=None,
    suppress_health_check=[HealthCheck.nested_given, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)


def draw_one(strategy: SearchStrategy[Any]) -> Any:
    """One example of a strategy, drawn the way a test would (argument errors surface here).

    Drawn by a passing inner test, not ``hypothesis.find``: ``find`` records the example it finds as a
    failure of the enclosing test, and the pytest plugin then writes a patch and tells the user to apply it."""
    assert isinstance(strategy, SearchStrategy), f"expected a strategy, got {type(strategy).__name__}"
    drawn: list[Any] = []

    @_DRAW
    @given(strategy)
    def grab(value: Any) -> None:
        drawn.append(value)

    grab()
    return drawn[0]


# -- predicates ------------------------------------------------------------------------------------


def is_int(v: Any, lo: int | None = None, hi: int | None = None) -> bool:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        return False
    return (lo is None or v >= lo) and (hi is None or v <= hi)


def ints(lo: int | None = None, hi: int | None = None) -> Callable[[Any], bool]:
    return lambda v: is_int(v, lo, hi)


def is_bool(v: Any) -> bool:
    return isinstance(v, (bool, np.bool_))


def is_real(v: Any) -> bool:
    return not is_bool(v) and isinstance(v, (int, float, np.integer, np.floating, Fraction))


def is_tanh_net(v: Any) -> bool:
    return isinstance(v, nn.Sequential) and len(v) == 3 and isinstance(v[1], nn.Tanh)


def tols(lo: float = 0.0, hi: float = math.inf, none: bool = False, strict: bool = False) -> Callable[[Any], bool]:
    def ok(v: Any) -> bool:
        if v is None:
            return none
        return (
            is_real(v) and math.isfinite(float(v)) and (float(v) > lo if strict else float(v) >= lo) and float(v) <= hi
        )

    return ok


def empty(v: Any) -> bool:
    return isinstance(v, (list, tuple, np.ndarray)) and len(v) == 0


def real_matrix(v: Any) -> bool:
    return (
        isinstance(v, np.ndarray) and v.ndim == 2 and v.size > 0 and v.dtype.kind in "if" and bool(np.isfinite(v).all())
    )


def any_rep(v: Any) -> bool:
    return isinstance(v, er.Representation)


def any_group(v: Any) -> bool:
    return isinstance(v, eg.FiniteGroup) and v.order <= 100


def one_of(*good: Any) -> Callable[[Any], bool]:
    return lambda v: any(v is g for g in good)


def equals(*good: Any) -> Callable[[Any], bool]:
    return lambda v: any(type(v) is type(g) and v == g for g in good)


NEVER = one_of()


# -- the shared bad pool --------------------------------------------------------------------------


@cache
def junk() -> tuple[Any, ...]:
    """Wrong types, shapes, dtypes, NaN/inf, empty, negative, bool-for-int, other groups' objects."""
    V4 = eg.klein4()
    return (
        None,
        True,
        False,
        -1,
        0,
        2.5,
        math.nan,
        math.inf,
        -math.inf,
        "3",
        b"x",
        object(),
        [],
        [[]],
        {},
        1 + 2j,
        Fraction(1, 3),
        np.int64(-2),
        np.float32(1.5),
        np.zeros(0),
        np.zeros((0, 0)),
        np.full((2, 2), np.nan),
        np.eye(3),
        np.array(["a", "b"]),
        np.ones((2, 2), dtype=complex),
        [[1.0], [1.0, 2.0]],
        torch.zeros(2, dtype=torch.float32),
        torch.ones((2, 2), dtype=torch.int64),
        torch.zeros(2, dtype=torch.complex64),
        lambda x: x,
        int,
        V4,
        er.trivial(V4),
        V4.subgroups()[1],
        eg.so3(),
        er.defining(eg.so3()),
        ef.ReLUNet([[1.0, 2.0, 3.0]], None, [[1.0]], None),
        nn.Conv1d(1, 1, 1),
        nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)),
    )


# -- Example A and friends -------------------------------------------------------------------------


@cache
def world() -> dict[str, Any]:
    C2, C3, C4, S3 = eg.cyclic(2), eg.cyclic(3), eg.cyclic(4), eg.symmetric(3)
    neg = er.from_generators(C2, [-np.eye(2)])
    netA = ef.ReLUNet([[1, 0], [0, 1], [-1, -1]], None, [[1, 1, 1]], None)
    rot = er.rotation(C4)
    return dict(
        C2=C2,
        C3=C3,
        C4=C4,
        S3=S3,
        neg=neg,
        triv2=er.trivial(C2),
        netA=netA,
        torchA=netA.to_torch(),
        rot=rot,
        triv4=er.trivial(C4),
        K2=C4.subgroup([2]),
        reg2=er.regular(C2),
        rotC2=er.rotation(C2),
        netA_f32=netA.to_torch(torch.float32),
    )


def _same_function(expected: ef.ReLUNet) -> Callable[[Any], None]:
    def check(net: Any) -> None:
        assert isinstance(net, ef.ReLUNet)
        assert ef.equivalent(net, expected).holds

    return check


def expect(x: Any) -> Callable[[Any], None]:
    def check(v: Any) -> None:
        assert v == x, f"expected {x!r}, got {v!r}"

    return check


def expect_shape(shape: tuple[int, ...]) -> Callable[[Any], None]:
    def check(v: Any) -> None:
        assert np.shape(v) == shape, f"expected shape {shape}, got {np.shape(v)}"

    return check


def _order(n: int) -> Callable[[Any], None]:
    def check(G: Any) -> None:
        assert isinstance(G, eg.FiniteGroup) and G.order == n

    return check


def _dim(d: int) -> Callable[[Any], None]:
    def check(rho: Any) -> None:
        assert isinstance(rho, (er.Representation, er.ContinuousRepresentation)) and rho.dim == d

    return check


@cache
def entries() -> tuple[Entry, ...]:
    from api_fuzz_faces import _gate_entries, _oracle_entries, _strategy_entries
    from api_fuzz_layers import _group_entries, _net_entries, _rep_entries
    from api_fuzz_search import _search_entries

    w = world()
    return tuple(
        _group_entries(w)
        + _rep_entries(w)
        + _net_entries(w)
        + _oracle_entries(w)
        + _gate_entries(w)
        + _strategy_entries(w) + _search_entries(w)
    )


def bad_values(slot: Slot) -> list[Any]:
    """The distinct bad values of a slot: the shared pool and its extras, less what it accepts."""
    out = []
    for v in (*junk(), *slot.bad):
        try:
            ok = bool(slot.accepts(v))
        except Exception:
            ok = False
        if not ok:
            out.append(v)
    return out
