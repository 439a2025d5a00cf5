"""Monte Carlo squared risk E ||f(x) - target(x)||^2 under an input law (T3 chain, T5c)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors.exceptions import ShapeError
from ..errors.validation import check_array, check_callable, check_function, check_int
from .equivariance import as_numpy_function
from .verdict import Verdict

__all__ = ["RiskEstimate", "risk", "gaussian", "uniform_ball", "uniform_cube"]

Sampler = Callable[[np.random.Generator, int], np.ndarray]


@dataclass(frozen=True)
class RiskEstimate(Verdict):
    """``value`` = mean squared error over ``n`` draws, with its standard error; ``holds`` is True."""

    value: float
    stderr: float
    n: int
    seed: int
    sampler: str

    def __str__(self) -> str:
        return f"risk {self.value:.6g} +- {self.stderr:.2g} (n = {self.n}, seed {self.seed}, {self.sampler})"


def gaussian(d: int, sigma: float = 1.0) -> Sampler:
    """N(0, sigma^2 I_d): invariant under every orthogonal representation."""
    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        return sigma * rng.standard_normal((n, d))
    sample.__name__ = f"gaussian(d={d}, sigma={sigma})"
    return sample


def uniform_cube(d: int, half_width: float = 1.0) -> Sampler:
    """U[-a, a]^d: invariant under signed permutations of coordinates."""
    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(-half_width, half_width, size=(n, d))
    sample.__name__ = f"uniform_cube(d={d}, a={half_width})"
    return sample


def uniform_ball(d: int, radius: float = 1.0) -> Sampler:
    """Uniform on the ball of radius r: invariant under O(d)."""
    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        x = rng.standard_normal((n, d))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x * radius * rng.uniform(0, 1, size=(n, 1)) ** (1.0 / d)
    sample.__name__ = f"uniform_ball(d={d}, r={radius})"
    return sample


def risk(f: Any, target: Any, sampler: Sampler, n: int = 100_000, *, seed: int = 0,
         batch: int = 65_536) -> RiskEstimate:
    """Monte Carlo estimate of E ||f(x) - target(x)||^2 with x ~ sampler (float64)."""
    check_callable("f", f)
    check_callable("target", target)
    check_callable("sampler", sampler)
    n = check_int("n", n, min=2, max=10**8, too_large="estimate with at most 10^8 samples")
    seed = check_int("seed", seed, min=0)
    batch = check_int("batch", batch, min=1, max=10**7, too_large="use batches of at most 10^7 samples")
    try:
        x_probe = sampler(np.random.default_rng(seed), min(batch, n))  # the size the first batch asks for
    except Exception as exc:
        raise ShapeError(f"sampler(rng, n) must return an (n, d) array: it raised {type(exc).__name__}: {exc}") from exc
    x_probe = check_array("sampler(rng, n)", x_probe, ndim=2)
    p_f = check_function("f", as_numpy_function(f)[0], x_probe[:4], None)
    check_function("target", as_numpy_function(target)[0], x_probe[:4], p_f)
    if n < 2:
        raise ShapeError(f"risk needs n >= 2 samples, got {n}")
    F, _ = as_numpy_function(f)
    T, _ = as_numpy_function(target)

    def residual(x: np.ndarray) -> np.ndarray:
        e = np.atleast_2d(F(x)) - np.atleast_2d(T(x))
        return e if e.shape[0] == len(x) else e.reshape(len(x), -1)

    mean, se = mean_squared(residual, sampler, n, seed, batch)
    return RiskEstimate(True, mean, se, n, seed, getattr(sampler, "__name__", "sampler"))


def mean_squared(residual: Callable[[np.ndarray], np.ndarray], sampler: Sampler, n: int, seed: int,
                 batch: int = 65_536) -> tuple[float, float]:
    """Monte Carlo E ||residual(x)||^2 with x ~ sampler over ``n`` samples drawn ``batch`` at a time from
    ``default_rng(seed)``: (estimate, standard error). ``residual`` maps (k, d) inputs to (k, p)."""
    rng = np.random.default_rng(seed)
    total, total_sq, done = 0.0, 0.0, 0
    while done < n:
        k = min(batch, n - done)
        sq = (residual(np.asarray(sampler(rng, k), dtype=np.float64)) ** 2).sum(axis=1)
        total += float(sq.sum())
        total_sq += float((sq ** 2).sum())
        done += k
    mean = total / n
    var = max(total_sq / n - mean ** 2, 0.0)
    return mean, math.sqrt(var / n)
