"""Torch modules the oracles can read are decided through the canonical form, not sampled; a sampled verdict
says that it certifies only the inputs it drew."""

from __future__ import annotations

import numpy as np
import pytest

import equifuzz as ef
from equifuzz.certificate import verify_witness

torch = pytest.importorskip("torch")  # torch is a dependency; the skip names it if an install lacks it
nn = torch.nn

C4 = ef.groups.cyclic(4)
ROT = ef.reps.from_generators(C4, [np.array([[0.0, -1.0], [1.0, 0.0]])], name="rotation by 90")


def _weights(lone_bias: float = -1e5) -> tuple[np.ndarray, ...]:
    """An exact C4 orbit of four neurons, plus one lone neuron that only fires beyond 1e5 / ||w||."""
    R = ROT(1)
    Rh = [np.linalg.matrix_power(R, h) for h in range(4)]
    W1 = np.array([M @ [0.7, -0.4] for M in Rh] + [[0.3, -0.8]])
    b1 = np.array([0.9] * 4 + [lone_bias])
    W2 = np.column_stack([M @ [1.0, 0.5] for M in Rh] + [[1.0, 2.0]])
    return W1, b1, W2


def _module(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, dtype: torch.dtype) -> nn.Sequential:
    m = nn.Sequential(nn.Linear(W1.shape[1], W1.shape[0]), nn.ReLU(), nn.Linear(W1.shape[0], W2.shape[0]))
    m = m.to(dtype)
    with torch.no_grad():
        m[0].weight.copy_(torch.tensor(W1))
        m[0].bias.copy_(torch.tensor(b1))
        m[2].weight.copy_(torch.tensor(W2))
        m[2].bias.zero_()
    return m


def test_float64_module_with_a_lone_far_neuron_is_decided_not_sampled() -> None:
    """The issue's reproducer: sampling never reaches the lone neuron's half-space (it fires beyond |x| ~ 1e5),
    so a sampled check says equivariant; the module is read exactly and decided NOT equivariant, as its
    ReLUNet is, with a witness that verifies against the module's weights."""
    m = _module(*_weights(), torch.float64)
    v = ef.check_equivariant(m, ROT, ROT)
    assert v.holds is False and v.method.startswith("canonical") and v.semantics == "exact"
    assert "read exactly" in v.scope and "float64" in v.scope and "read exactly" in str(v)
    net = ef.from_torch(m)
    assert ef.check_equivariant(net, ROT, ROT).holds is False
    assert v.witness is not None and verify_witness(net, net, v.witness)
    sampled = ef.check_equivariant(m, ROT, ROT, method="sampled")
    assert sampled.holds is True  # what the issue saw: no drawn input reaches the lone neuron
    assert "certifies only the" in sampled.scope and f"{sampled.n_inputs} inputs" in sampled.scope


def test_module_without_the_lone_neuron_holds_and_says_it_was_read() -> None:
    W1, b1, W2 = _weights()
    m = _module(W1[:4], b1[:4], W2[:, :4], torch.float64)
    v = ef.check_equivariant(m, ROT, ROT)
    assert v.holds is True and v.semantics == "exact" and "read exactly" in v.scope


def test_other_callables_are_sampled_and_say_so() -> None:
    m = _module(*_weights(), torch.float64)

    class Shifted(nn.Sequential):  # a subclass may compute something else than its layers say
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x) + 0.0

    shifted = Shifted(*list(m))
    hooked = _module(*_weights(), torch.float64)
    hooked[1].register_forward_hook(lambda mod, inp, out: out * 2)
    for f in (lambda x: m(torch.as_tensor(x)), shifted, hooked):
        v = ef.check_equivariant(f, ROT, ROT)
        assert v.method.startswith("sampled") and v.semantics == "sampled"
        assert "certifies only the" in v.scope and "certifies only the" in str(v)


def test_float32_module_is_decided_with_the_float32_tolerance() -> None:
    """A float32 module computes in float32: it is decided on its weights (read exactly) with the tolerance
    semantics at 1e-4. An exact float32 orbit holds; one float32 ulp off in an output weight is never a false
    alarm at that tolerance (holds, or undecided when no point shows it above the tolerance), while the exact
    semantics, when asked, sees the ulp; the lone neuron fails."""
    W1, b1, W2 = _weights()
    orbit = _module(W1[:4], b1[:4], W2[:, :4], torch.float32)
    v = ef.check_equivariant(orbit, ROT, ROT)
    assert v.holds is True and v.semantics == "tolerance" and v.tolerance == pytest.approx(1e-4, rel=1e-3)
    assert "float32" in v.scope and "tolerance" in v.scope
    with torch.no_grad():
        orbit[2].weight[0, 1] = torch.nextafter(orbit[2].weight[0, 1], torch.tensor(10.0))  # one float32 ulp
    assert ef.check_equivariant(orbit, ROT, ROT).holds is not False
    assert ef.check_equivariant(orbit, ROT, ROT, semantics="exact").holds is False
    lone = _module(*_weights(), torch.float32)
    assert ef.check_equivariant(lone, ROT, ROT).holds is False


def test_equivalent_reads_modules_and_says_so() -> None:
    m = _module(*_weights(), torch.float64)
    v = ef.equivalent(m, ef.from_torch(m))
    assert v.holds is True and "net1:" in v.scope and "read exactly" in str(v)
    W1, b1, W2 = _weights()
    other = _module(W1, np.r_[b1[:4], -2e5], W2, torch.float64)
    assert ef.equivalent(m, other).holds is False


def test_a_float32_module_takes_any_real_tolerance() -> None:
    """The tolerance is validated before the module is read: a Fraction or an int tolerance is a real number
    like any other (it was formatted with ``:g`` first, a raw TypeError for a Fraction)."""
    from fractions import Fraction

    W1, b1, W2 = _weights()
    orbit = _module(W1[:4], b1[:4], W2[:, :4], torch.float32)
    for tol in (Fraction(1, 10**4), 1):
        for verdict in (ef.check_equivariant(orbit, ROT, ROT, tol=tol), ef.check_layerwise(orbit, ROT, ROT, tol=tol),
                        ef.equivalent(orbit, orbit, tol=tol)):
            assert verdict.holds is True and verdict.tolerance >= float(tol), str(verdict)
