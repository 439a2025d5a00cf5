"""Bad input raises an EquifuzzError subclass whose message says what is wrong; never a verdict."""

from __future__ import annotations

import numpy as np
import pytest

import equifuzz as ef
from equifuzz import (
    EquifuzzError,
    GroupMismatchError,
    InvalidArgument,
    NonFiniteError,
    ReLUNet,
    ShapeError,
    groups,
    reps,
)


@pytest.fixture(scope="module")
def c4():
    G = groups.cyclic(4)
    return G, reps.rotation(G), reps.trivial(G)


@pytest.fixture(scope="module")
def net2():
    return ReLUNet([[1.0, 0.0], [0.0, 1.0]], [0.0, 1.0], [[1.0, 1.0]], [0.0])


ORACLES = {
    "check_equivariant": lambda n, a, b: ef.check_equivariant(n, a, b),
    "check_equivariant[sampled]": lambda n, a, b: ef.check_equivariant(n, a, b, method="sampled"),
    "check_layerwise": lambda n, a, b: ef.check_layerwise(n, a, b),
    "compensate": lambda n, a, b: ef.compensate(n, a, b),
    "symmetrize": lambda n, a, b: ef.symmetrize(n, a, b),
    "realizability": lambda n, a, b: ef.realizability(n, a, b, width=4),
}


@pytest.mark.parametrize("oracle", list(ORACLES))
def test_input_dimension_mismatch(oracle: str, c4) -> None:
    G, _, rho_out = c4
    rho_in3 = reps.direct_sum(reps.rotation(G), reps.trivial(G))  # dim 3, the network takes R^2
    with pytest.raises(ShapeError, match=r"dimension 2|\(n, 3\)|shape") as info:
        ORACLES[oracle](ReLUNet([[1.0, 0.0]], [0.0], [[1.0]], None), rho_in3, rho_out)
    assert isinstance(info.value, EquifuzzError)


@pytest.mark.parametrize("oracle", list(ORACLES))
def test_output_dimension_mismatch(oracle: str, c4, net2) -> None:
    G, rho_in, _ = c4
    with pytest.raises(ShapeError, match=r"1 outputs|dimension 2|shape") as info:
        ORACLES[oracle](net2, rho_in, reps.rotation(G))
    assert isinstance(info.value, EquifuzzError)


def test_shape_mismatch_messages_name_both_dimensions(c4, net2) -> None:
    G, rho_in, rho_out = c4
    with pytest.raises(ShapeError) as info:
        ef.check_equivariant(net2, reps.trivial(G, 3), rho_out)
    assert "2" in str(info.value) and "3" in str(info.value) and "rho_in" in str(info.value)
    with pytest.raises(ShapeError) as info:
        ef.check_layerwise(net2, rho_in, reps.rotation(G))
    assert "1 outputs" in str(info.value) and "rho_out" in str(info.value)


def test_inconsistent_network_shapes() -> None:
    with pytest.raises(ShapeError, match="W1 has 2 rows .* W2 has 3 columns"):
        ReLUNet(np.ones((2, 3)), None, np.ones((1, 3)), None)
    with pytest.raises(ShapeError, match=r"b1 must have shape \(2,\)"):
        ReLUNet(np.ones((2, 3)), np.ones(3), np.ones((1, 2)), None)
    with pytest.raises(ShapeError, match=r"b2 must have shape \(1,\)"):
        ReLUNet(np.ones((2, 3)), None, np.ones((1, 2)), np.ones(2))
    with pytest.raises(ShapeError, match="not comparable"):
        ef.equivalent(ReLUNet(np.ones((1, 2)), None, np.ones((1, 1))), ReLUNet(np.ones((1, 3)), None, np.ones((1, 1))))


@pytest.mark.parametrize("where", ["W1", "b1", "W2", "b2"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights(where: str, bad: float) -> None:
    p = {"W1": np.ones((2, 2)), "b1": np.zeros(2), "W2": np.ones((1, 2)), "b2": np.zeros(1)}
    p[where] = p[where].copy()
    p[where].flat[-1] = bad
    with pytest.raises(NonFiniteError, match=f"{where} holds NaN or inf") as info:
        ReLUNet(p["W1"], p["b1"], p["W2"], p["b2"])
    assert isinstance(info.value, EquifuzzError)
    with pytest.raises(NonFiniteError):
        ReLUNet(p["W1"], p["b1"], p["W2"], p["b2"], exact=True)


MISMATCH = {
    **ORACLES,
    "len_dimension": lambda n, a, b: ef.len_dimension(a, reps.regular(a.group), b),
}


@pytest.mark.parametrize("oracle", list(MISMATCH))
@pytest.mark.parametrize("other_group", ["V4", "C3"])
def test_representation_of_another_group(oracle: str, other_group: str, c4, net2) -> None:
    G, rho_in, _ = c4
    H = groups.klein4() if other_group == "V4" else groups.cyclic(3)  # V4: same order as C4, another group
    other = reps.trivial(H)
    with pytest.raises(GroupMismatchError, match="share one group") as info:
        MISMATCH[oracle](net2, rho_in, other)
    assert isinstance(info.value, EquifuzzError)
    assert G.name in str(info.value) and H.name in str(info.value)


def test_another_copy_of_the_same_group_is_the_same_group(c4, net2) -> None:
    G, rho_in, _ = c4
    v = ef.check_equivariant(net2, rho_in, reps.trivial(groups.cyclic(4)))  # same Cayley table
    assert not v.holds and v.element == 1  # relu(x1) + relu(x2 + 1) is not rotation invariant


@pytest.mark.parametrize("width", [-1, -6])
def test_realizability_with_negative_width(width: int, c4, net2) -> None:
    G, rho_in, rho_out = c4
    with pytest.raises(InvalidArgument, match=f"width must be a non-negative int, got {width}") as info:
        ef.realizability(net2, rho_in, rho_out, width=width)
    assert isinstance(info.value, EquifuzzError)


def test_realizability_with_non_integer_width(c4, net2) -> None:
    G, rho_in, rho_out = c4
    with pytest.raises(InvalidArgument, match="non-negative int"):
        ef.realizability(net2, rho_in, rho_out, width=2.5)  # type: ignore[arg-type]


def test_unknown_methods(c4, net2) -> None:
    G, rho_in, rho_out = c4
    with pytest.raises(InvalidArgument, match="method must be"):
        ef.check_equivariant(net2, rho_in, rho_out, method="magic")
    with pytest.raises(InvalidArgument, match="method must be one of 'character', 'nullspace'"):
        ef.len_dimension(rho_in, reps.regular(G), rho_out, method="magic")
