"""Planted defects in layer-wise equivariant networks: check_equivariant or check_layerwise catches each."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import ReLUNet
from equifuzz import strategies as efs
from equifuzz.builders.examples import Case

from ._strategies import Setting, fixed_basis, planted_lens, settings

DEFECTS = ("drop", "perturb_w", "perturb_b", "perturb_v", "flip_v", "flip_orientation", "output_bias")


@st.composite
def len_with_moving_orbit(draw, *, output_bias: bool | None = None):
    """A planted layer-wise network with an orbit of size >= 2, and one neuron of such an orbit."""
    s = draw(settings(max_order=12, max_d=3, max_p=3, nontrivial=True))
    P = draw(planted_lens(s, max_orbits=3))
    lw = ef.check_layerwise(P.net, s.rho_in, s.rho_out)
    assert lw.holds, str(lw)
    moving = [i for o in lw.orbits if o.size >= 2 for i in o.neurons]
    assume(moving)
    i = draw(st.sampled_from(moving))
    note(f"{s!r}; orbit sizes {lw.orbit_sizes}; defect at neuron {i}; {P.net!r}")
    return s, P.net, i, draw(efs.seeds())


def plant(net: ReLUNet, defect: str, i: int, rng: np.random.Generator, s) -> ReLUNet:
    W1, b1, W2, b2 = (a.copy() for a in net.float_params())
    hb, ob = net.hidden_bias, net.output_bias
    if defect == "drop":
        keep = [j for j in range(net.width) if j != i]
        return ReLUNet(W1[keep], b1[keep] if hb else None, W2[:, keep], b2 if ob else None)
    # sized defects are 1e-6 relative to the scales the oracles measure against (an entry's own size, or
    # even the neuron's, may be ~0): the largest neuron's ||w|| ||v|| for what the neuron contributes, and
    # 1 + the largest offset |b| / ||w|| for where its kink lies
    top = float(np.max(np.linalg.norm(W1, axis=1) * np.linalg.norm(W2, axis=0)))
    wi = float(np.linalg.norm(W1[i]))
    if defect == "perturb_w":
        j = int(np.argmax(np.abs(W1[i])))
        W1[i, j] += 1e-6 * top / np.linalg.norm(W2[:, i]) * np.sign(W1[i, j])
    elif defect == "perturb_b":
        hb = True
        bscale = 1 + float(np.max(np.abs(b1) / np.linalg.norm(W1, axis=1)))
        b1[i] += 1e-6 * max(top / np.linalg.norm(W2[:, i]), bscale * wi) * (np.sign(b1[i]) or 1.0)
    elif defect == "perturb_v":
        j = int(np.argmax(np.abs(W2[:, i])))
        W2[j, i] += 1e-6 * top / wi * (np.sign(W2[j, i]) or 1.0)
    elif defect == "flip_v":
        W2[:, i] *= -1
    elif defect == "flip_orientation":
        W1[i], b1[i] = -W1[i], -b1[i]
    elif defect == "output_bias":
        ob = True
        # a vector moved by some generator, at the scale of the network
        delta = rng.standard_normal(s.p)
        Fix = fixed_basis(s.rho_out, s.G.subgroup(s.G.generators))
        delta -= Fix @ (Fix.T @ delta)
        b2 = b2 + delta * max(1.0, np.abs(W2).max())
    return ReLUNet(W1, b1 if hb else None, W2, b2 if ob else None)


def _kink_moved(net: ReLUNet, bad: ReLUNet, i: int) -> float:
    """How far neuron i's hyperplane (unit normal, offset over 1 + the largest offset) moved."""
    def hyperplanes(n: ReLUNet) -> tuple[np.ndarray, np.ndarray]:
        W1, b1, _, _ = n.float_params()
        norm = np.linalg.norm(W1, axis=1)
        return W1 / norm[:, None], b1 / norm

    (U0, B0), (U1, B1) = hyperplanes(net), hyperplanes(bad)
    bscale = 1 + max(np.abs(B0).max(), np.abs(B1).max())
    return float(max(np.abs(U1[i] - U0[i]).max(), abs(B1[i] - B0[i]) / bscale))


@given(len_with_moving_orbit(), st.sampled_from(DEFECTS[:-1]))
def test_planted_neuron_defects_are_caught(case, defect: str) -> None:
    s, net, i, seed = case
    bad = plant(net, defect, i, np.random.default_rng(seed), s)
    eq = ef.check_equivariant(bad, s.rho_in, s.rho_out)
    lw = ef.check_layerwise(bad, s.rho_in, s.rho_out)
    note(f"{eq}\n{lw}")
    # the neuron multiset is no longer invariant: the parameter-level check always sees it
    assert not lw.holds, str(lw)
    assert lw.element is not None and lw.reason
    if defect in ("perturb_w", "perturb_b") and _kink_moved(net, bad, i) > 1e-7:
        # a kink moved well past the merge tolerance (1e-8) is a new hyperplane that the group cannot map
        # onto a kink with a matching channel, nor (when it is reversed) with a matching linear part: the
        # function is no longer equivariant. (With b = 0 and w along one axis the perturbation only
        # rescales the neuron; like a perturbed output vector it may leave the function equivariant, e.g.
        # when rho_in is trivial and only the fixed part of the orbit's summed channel counts.)
        assert not eq.holds, str(eq)
    assert not (eq.holds and lw.holds)


@given(len_with_moving_orbit())
def test_non_fixed_output_bias_is_caught(case) -> None:
    s, net, i, seed = case
    Fix = fixed_basis(s.rho_out, s.G.subgroup(s.G.generators))
    assume(Fix.shape[1] < s.p)  # some output direction is moved by the group
    bad = plant(net, "output_bias", i, np.random.default_rng(seed), s)
    eq = ef.check_equivariant(bad, s.rho_in, s.rho_out)
    lw = ef.check_layerwise(bad, s.rho_in, s.rho_out)
    assert not eq.holds, str(eq)
    assert not lw.holds and "output bias" in lw.reason, str(lw)
    assert "constant" in eq.reason or "kink" in eq.reason or "linear" in eq.reason


def _witness(case: Case) -> ReLUNet:
    r = ef.realizability(case.net, case.rho_in, case.rho_out, width=case.reference["lower"])
    assert r.realizable
    return r.witness


@pytest.mark.parametrize("defect", DEFECTS)
def test_defects_in_example_witnesses(defect: str, case_a, case_b) -> None:
    for case in (case_a, case_b):
        W = _witness(case)
        s = Setting(case.group, case.rho_in, case.rho_out)
        if defect == "output_bias":  # invariant outputs: every output bias is fixed, so plant a wrong channel
            W1, _, W2, _ = W.float_params()
            bad = ReLUNet(W1, None, W2 * np.where(np.arange(W.width) == 0, 1.5, 1.0), None)
        else:
            bad = plant(W, defect, 0, np.random.default_rng(0), s)
        eq = ef.check_equivariant(bad, case.rho_in, case.rho_out)
        lw = ef.check_layerwise(bad, case.rho_in, case.rho_out)
        assert not lw.holds, (case.name, defect, str(lw))
        # every defect here changes the function into a non-invariant one (a flipped orientation adds the
        # linear function -v w.x, which -I and R^2 reverse)
        assert not eq.holds, (case.name, defect, str(eq))
        assert ef.check_equivariant(bad, case.rho_in, case.rho_out, method="sampled").holds == eq.holds
