"""Fixtures for the oracle tests: the worked examples of THEORY.md and canonical-form comparison."""

from __future__ import annotations

import numpy as np
import pytest

from equifuzz import CanonicalForm
from equifuzz.builders.examples import Case, example_a, example_b


@pytest.fixture(scope="session")
def case_a() -> Case:
    """Example A (float64): Z2 by -I on R^2, f = relu(x1) + relu(x2) + relu(-x1 - x2)."""
    return example_a()


@pytest.fixture(scope="session")
def case_a_exact() -> Case:
    """Example A with Fraction weights."""
    return example_a(exact=True)


@pytest.fixture(scope="session")
def case_b() -> Case:
    """Example B: C4 by rotations, three reversed kink-line pairs, minimal layer-wise width 12."""
    return example_b()


@pytest.fixture(scope="session", params=["a", "a_exact", "b"])
def case(request: pytest.FixtureRequest) -> Case:
    """Each worked example in turn (Example A in float64 and exact mode, Example B)."""
    return {"a": example_a, "a_exact": lambda: example_a(exact=True), "b": example_b}[request.param]()


def unit_form(form: CanonicalForm) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A canonical form in float64 with unit normals (exact forms have first non-zero normal entry 1),
    hyperplanes sorted lexicographically by (normal, offset)."""
    k = form.n_hyperplanes
    p, d = np.shape(form.linear)
    N = np.asarray(form.normals, dtype=np.float64).reshape(k, d)
    beta = np.asarray(form.offsets, dtype=np.float64).reshape(k)
    C = np.asarray(form.channels, dtype=np.float64).reshape(k, p)
    if form.normalization == "projective":
        n = np.linalg.norm(N, axis=1)
        N, beta, C = N / n[:, None], beta / n, C * n[:, None]
    keys = np.round(np.concatenate([N, beta[:, None]], axis=1), 9) + 0.0  # ties broken alike despite round-off
    order = np.lexsort(keys.T[::-1]) if k else np.zeros(0, dtype=np.int64)
    return (N[order], beta[order], C[order], np.asarray(form.linear, dtype=np.float64),
            np.asarray(form.constant, dtype=np.float64))


def assert_forms_close(f1: CanonicalForm, f2: CanonicalForm, rtol: float = 1e-9, scale: float = 1.0) -> None:
    """Two canonical forms describe the same data (hyperplanes, channels, linear part, constant)."""
    a, b = unit_form(f1), unit_form(f2)
    assert a[0].shape == b[0].shape, f"{a[0].shape[0]} vs {b[0].shape[0]} kink hyperplanes"
    names = ("normals", "offsets", "channels", "linear part", "constant")
    for name, x, y in zip(names, a, b, strict=True):
        s = scale if name in ("channels", "linear part", "constant") else 1.0 + float(np.max(np.abs(a[1]), initial=0.0))
        np.testing.assert_allclose(x, y, rtol=0, atol=rtol * s, err_msg=f"canonical {name} differ")
