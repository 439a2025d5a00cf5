"""assert_equivariant: the CI gate for modules and callables of finite and continuous groups."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import equifuzz as ef
from equifuzz.examples import example_a, example_b


class Norm(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.norm(dim=-1, keepdim=True)


class FirstCoordinate(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :1].abs()


@pytest.mark.parametrize("group", [ef.groups.so2(), ef.groups.o2(), ef.groups.so3(), ef.groups.o3()])
def test_invariant_norm_passes_continuous_groups(group):
    v = ef.assert_equivariant(Norm(), group, ef.reps.defining(group), ef.reps.trivial(group))
    assert v.holds and v.max_error < 1e-12
    assert v.n_elements > 10


@pytest.mark.parametrize("group", [ef.groups.so2(), ef.groups.so3()])
def test_non_invariant_module_raises_with_a_report(group):
    with pytest.raises(ef.EquivarianceError) as info:
        ef.assert_equivariant(FirstCoordinate(), group, ef.reps.defining(group), ef.reps.trivial(group), seed=5)
    assert "seed 5" in str(info.value)
    assert info.value.verdict is not None and not info.value.verdict.holds
    assert info.value.verdict.input is not None


def test_float32_module_gets_a_float32_tolerance():
    net = example_b().net.to_torch(torch.float32)
    case = example_b()
    v = ef.assert_equivariant(net, case.group, case.rho_in, case.rho_out)
    assert v.dtype == "float32" and v.tolerance == pytest.approx(1e-4)


def test_finite_group_modules_and_plain_callables():
    case = example_a()
    v = ef.assert_equivariant(case.net.to_torch(), case.group, case.rho_in, case.rho_out)
    assert v.holds
    assert ef.assert_equivariant(lambda x: np.abs(x).sum(axis=1, keepdims=True), case.group, case.rho_in,
                                 case.rho_out).holds
    broken = case.net.subnet([0, 1])
    with pytest.raises(ef.EquivarianceError):
        ef.assert_equivariant(broken.to_torch(), case.group, case.rho_in, case.rho_out)


def test_group_mismatch_is_bad_input():
    case = example_a()
    with pytest.raises(ef.GroupMismatchError, match="not of"):
        ef.assert_equivariant(Norm(), ef.groups.cyclic(3), case.rho_in, case.rho_out)


class FakeIrreps:
    """Anything with D_from_matrix and dim, as e3nn's Irreps: here 1 scalar + 1 vector (dim 4)."""

    dim = 4

    def D_from_matrix(self, R: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(4, 4, dtype=R.dtype)
        out[0, 0] = 1.0
        out[1:, 1:] = R
        return out


def test_irreps_adapter():
    K = ef.groups.so3()
    rho = ef.irreps_representation(K, FakeIrreps())

    def f(x: np.ndarray) -> np.ndarray:  # scalar channel times vector channel: equivariant 0e + 1o -> 1o
        return x[:, :1] * x[:, 1:]

    assert ef.assert_equivariant(lambda x: np.concatenate([x[:, :1] ** 2, f(x)], axis=1), K, rho, rho).holds
    with pytest.raises(ef.EquivarianceError):
        ef.assert_equivariant(lambda x: x[:, [0, 1, 1, 3]], K, rho, rho)
