"""Argument validation shared by every public entry point (as Hypothesis's ``validation`` module).

Each helper checks one argument and raises an :class:`~equifuzz.errors.EquifuzzError` subclass whose
message names the argument, what it got and what it needs, e.g. ``width must be a non-negative int,
got True (bool)``. Helpers return the value converted to the form the caller works with (an ``int``
from a numpy integer, a float64 array from a list or a tensor) so a caller validates and converts in
one line. This module sits beside ``errors`` below every layer and imports none of them: the checks of
a group, a representation or a network live with their types (:mod:`equifuzz.groups.validation`,
:mod:`equifuzz.reps.finite`, :mod:`equifuzz.nets.validation`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any, overload

import numpy as np

from .exceptions import InvalidArgument, NonFiniteError, ShapeError, TooLargeError

__all__ = [
    "MAX_ORDER",
    "MAX_BYTES",
    "describe",
    "check_type",
    "check_int",
    "check_bool",
    "check_real",
    "check_tolerance",
    "check_budget",
    "check_choice",
    "check_array",
    "check_callable",
    "check_counts",
    "check_positive_reals",
    "check_function",
    "check_order",
    "check_bytes",
    "format_bytes",
]

#: The largest group held as a Cayley table (int64, 8 |G|^2 bytes: about 200 MB at 5040 = |S7|).
MAX_ORDER = 5040
#: The largest dense float64 array (a representation's matrices, a table) built in one piece.
MAX_BYTES = 2**30


def describe(value: Any) -> str:
    """A short, readable account of a value for an error message: ``True (bool)``, ``array of shape ...``."""
    mod = type(value).__module__
    if mod.startswith("torch") and hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"a torch tensor of shape {tuple(value.shape)} and dtype {str(value.dtype).replace('torch.', '')}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def check_type(name: str, value: Any, types: type | tuple[type, ...], what: str) -> Any:
    """``value`` if it is an instance of ``types``; otherwise InvalidArgument ("name must be what, got ...")."""
    if not isinstance(value, types):
        raise InvalidArgument(f"{name} must be {what}, got {describe(value)}")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(name: str, value: Any, *, min: int | None = None, max: int | None = None,
              too_large: str | None = None) -> int:
    """A Python int from an int or numpy integer (never a bool, never a float) in ``[min, max]``.

    Past ``max`` the error is a TooLargeError when ``too_large`` says what to use instead.
    """
    if min == 0:
        need = "a non-negative int"
    elif min == 1:
        need = "a positive int"
    elif min is not None:
        need = f"an int >= {min}"
    else:
        need = "an int"
    if not _is_int(value):
        raise InvalidArgument(f"{name} must be {need}, got {describe(value)}")
    v = int(value)
    if min is not None and v < min:
        raise InvalidArgument(f"{name} must be {need}, got {v}")
    if max is not None and v > max:
        if too_large is not None:
            raise TooLargeError(f"{name} = {v} is too large (at most {max}); {too_large}")
        raise InvalidArgument(f"{name} must be at most {max}, got {v}")
    return v


def check_bool(name: str, value: Any) -> bool:
    """A bool (Python or numpy); 0, 1, None and strings are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidArgument(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def check_real(name: str, value: Any, *, min: float | None = None, max: float | None = None,
               finite: bool = True, strict: bool = False) -> float:
    """A float from a real number (not a bool, not complex): finite and in the given range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise InvalidArgument(f"{name} must be a real number, got {describe(value)}")
    v = float(value)
    if math.isnan(v) or (finite and math.isinf(v)):
        raise InvalidArgument(f"{name} must be a finite number, got {v}")
    if min is not None and (v <= min if strict else v < min):
        raise InvalidArgument(f"{name} must be {'>' if strict else '>='} {min}, got {v}")
    if max is not None and v > max:
        raise InvalidArgument(f"{name} must be <= {max}, got {v}")
    return v


@overload
def check_tolerance(name: str, value: Any) -> float: ...
@overload
def check_tolerance(name: str, value: Any, *, allow_none: bool) -> float | None: ...
def check_tolerance(name: str, value: Any, *, allow_none: bool = False) -> float | None:
    """A tolerance: a finite real number >= 0 (None too where the caller picks a default)."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        extra = " or None" if allow_none else ""
        raise InvalidArgument(f"{name} must be a finite number >= 0{extra}, got {describe(value)}")
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise InvalidArgument(f"{name} must be a finite number >= 0, got {v}")
    return v


def check_budget(name: str, value: Any, *, integer: bool = False, allow_none: bool = False) -> Any:
    """A budget: a positive int (a count) or a positive finite number of seconds."""
    if value is None and allow_none:
        return None
    if integer:
        return check_int(name, value, min=1)
    return check_real(name, value, min=0.0, strict=True)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """``value`` if it is one of ``choices`` (compared by equality, strings only as strings)."""
    options = list(choices)
    try:
        ok = any(type(value) is type(c) and value == c for c in options)
    except Exception:  # an object whose == raises is not a choice
        ok = False
    if not ok:
        raise InvalidArgument(f"{name} must be one of {', '.join(repr(c) for c in options)}, got {describe(value)}")
    return value


def _to_numpy(name: str, value: Any) -> np.ndarray:
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        if value.is_complex():
            raise InvalidArgument(f"{name} must be real, got {describe(value)}")
        return value.detach().to("cpu").double().numpy()
    if isinstance(value, (str, bytes, dict, set, frozenset)) or value is None:
        raise InvalidArgument(f"{name} must be a real array, got {describe(value)}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nesting and the like
        raise ShapeError(f"{name} must be a rectangular real array, got {describe(value)}: {exc}") from None
    if arr.dtype == object:
        flat = arr.ravel()
        if not all(isinstance(v, (numbers.Real, np.floating, np.integer)) and not isinstance(v, (bool, np.bool_))
                   for v in flat):
            bad = next(v for v in flat if not isinstance(v, (numbers.Real, np.floating, np.integer))
                       or isinstance(v, (bool, np.bool_)))
            raise InvalidArgument(f"{name} must hold real numbers, got an entry {describe(bad)}")
        return np.array([float(v) for v in flat], dtype=np.float64).reshape(arr.shape)
    if arr.dtype.kind not in "iuf":
        raise InvalidArgument(f"{name} must be a real numeric array, got {describe(arr)}")
    return arr.astype(np.float64)


def check_array(name: str, value: Any, *, ndim: int | None = None, shape: Sequence[int | None] | None = None,
                finite: bool = True, nonempty: bool = False) -> np.ndarray:
    """A float64 copy of a real array (list, numpy array, torch tensor of any real dtype).

    Refuses strings, complex, bool and object entries, ragged lists, wrong ``ndim`` / ``shape``
    (``None`` in ``shape`` matches any length) and, with ``finite``, NaN and inf.
    """
    arr = _to_numpy(name, value)
    if ndim is not None and arr.ndim != ndim:
        raise ShapeError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape, strict=True)):
            want = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
            raise ShapeError(f"{name} must have shape {want}, got {arr.shape}")
    if nonempty and arr.size == 0:
        raise ShapeError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        at = np.argwhere(~np.isfinite(arr))[0].tolist()
        raise NonFiniteError(f"{name} holds NaN or inf (first at index {at})")
    return arr


def check_callable(name: str, value: Any) -> Callable[..., Any]:
    """A callable (function, torch module, ReLUNet); classes and plain values are refused."""
    if isinstance(value, type) or not callable(value):
        raise InvalidArgument(f"{name} must be a callable mapping an (n, d) array to an (n, p) array, "
                              f"got {describe(value)}")
    return value  # type: ignore[no-any-return]


def format_bytes(n: float) -> str:
    """``1.5 GB``-style size."""
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB", "EB"):
        if n < 1000 or unit == "EB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} EB"  # pragma: no cover


def check_order(what: str, order: int, instead: str) -> None:
    """Refuse, before allocating, a group of ``order`` elements whose Cayley table would not fit."""
    if order > MAX_ORDER:
        raise TooLargeError(
            f"{what} has {order} elements: its Cayley table would hold {order}^2 entries "
            f"({format_bytes(8.0 * order * order)}); equifuzz holds groups of at most {MAX_ORDER} elements "
            f"as tables; {instead}")


def check_bytes(what: str, n_bytes: float, instead: str) -> None:
    """Refuse, before allocating, a dense array of ``n_bytes`` bytes above :data:`MAX_BYTES`."""
    if n_bytes > MAX_BYTES:
        raise TooLargeError(f"{what} would take {format_bytes(n_bytes)} (more than {format_bytes(MAX_BYTES)}); "
                            f"{instead}")


def check_fraction_entries(name: str, flat: Iterable[Any]) -> None:
    """Every entry is an int, a Fraction or a finite float (the exact-mode rule of ReLUNet)."""
    for v in flat:
        if isinstance(v, (bool, np.bool_)):
            raise InvalidArgument(f"{name} entries must be numbers, got {describe(v)}")
        if isinstance(v, (Fraction, int, np.integer)):
            continue
        if isinstance(v, (float, np.floating)):
            if not math.isfinite(v):
                raise NonFiniteError(f"{name} holds NaN or inf")
            continue
        raise InvalidArgument(f"{name} entries must be ints, Fractions or floats, got {describe(v)}")


def check_counts(**counts: Any) -> None:
    """Each keyword is a non-negative int count (at most 10^7: a larger one would not finish)."""
    for name, value in counts.items():
        check_int(name, value, min=0, max=10**7, too_large="use at most 10^7")


def check_positive_reals(**values: Any) -> None:
    """Each keyword is a finite real number > 0 (a step size, a relative offset, an epsilon)."""
    for name, value in values.items():
        check_real(name, value, min=0.0, strict=True)


def check_function(name: str, F: Callable[[np.ndarray], Any], X: np.ndarray, p: int | None) -> int:
    """Evaluate the wrapped callable ``F`` on the probe batch ``X``; it must return a real (n, p) array.

    Returns p. An exception raised by the callable becomes an InvalidArgument naming it.
    """
    from .exceptions import EquifuzzError

    try:
        Y = np.atleast_2d(np.asarray(F(X), dtype=np.float64))
    except EquifuzzError:
        raise
    except Exception as exc:
        raise InvalidArgument(f"{name} cannot be evaluated on a float64 batch of shape {X.shape} "
                              f"(it needs a callable mapping (n, d) to (n, p)): {type(exc).__name__}: {exc}") from exc
    want = "p" if p is None else str(p)
    if Y.ndim != 2 or Y.shape[0] != X.shape[0] or (p is not None and Y.shape[1] != p):
        raise ShapeError(f"{name} maps inputs of shape {X.shape} to an array of shape {Y.shape}; expected shape "
                         f"({X.shape[0]}, {want})" + ("" if p is None else f" (output dimension {p})"))
    return int(Y.shape[1])
