"""The equivariance verdict is computed once per network and representation objects, and the early answer
("not equivariant", without building the witness) agrees with the full verdict."""

from __future__ import annotations

import numpy as np
import pytest

import equifuzz as ef
from equifuzz.builders import build_flipped_net, build_relu_net, build_symmetrized_net
from equifuzz.certificate import check_verdict
from equifuzz.oracles.equivariance import canonical_verdict
from equifuzz.oracles.identity import Element, decide, decide_unless_not_holding


def _settings() -> list[tuple[str, ef.reps.Representation, ef.reps.Representation]]:
    C4, D3 = ef.groups.cyclic(4), ef.groups.dihedral(3)
    return [("C4 rotation", ef.reps.rotation(C4), ef.reps.rotation(C4)),  # rational matrices: exact semantics
            ("D3 rotation", ef.reps.rotation(D3), ef.reps.trivial(D3)),  # irrational: tolerance semantics
            ("C4 regular", ef.reps.regular(C4), ef.reps.trivial(C4))]


@pytest.mark.parametrize("k", range(3))
def test_early_answer_agrees_with_the_full_verdict(k: int) -> None:
    """On random (not equivariant), symmetrized (equivariant), folded (equivariant) networks and their exact
    copies: early is None exactly when the verdict does not hold; otherwise it is the full verdict."""
    name, ri, ro = _settings()[k]
    nets = [build_relu_net(ri.dim, ro.dim, 3, 7), build_symmetrized_net(ri, ro, 2, 8)]
    folded = build_flipped_net(ri, ro, [1, 2, 3], 9, integer_weights=False)
    if folded is not None:
        nets.append(folded[0])
    nets += [n.to_exact(max_denominator=1000) for n in nets]
    seen = set()
    for net in nets:
        full = ef.check_equivariant(net, ri, ro)
        assert check_verdict(net, ri, ro, full)
        fresh = ef.ReLUNet(**{k: v for k, v in net.params().items()}, exact=net.exact)  # no verdict kept yet
        early = canonical_verdict(fresh, ri, ro, early=True)
        seen.add(full.holds)
        if full.holds is True:
            assert early is not None and early.holds is True
            assert (early.max_error, early.certificate, early.semantics) == (full.max_error, full.certificate,
                                                                             full.semantics)
        else:
            assert early is None, (name, full)
    assert seen >= {True, False}


def test_the_verdict_is_kept_per_network_and_representation_objects() -> None:
    C4 = ef.groups.cyclic(4)
    ri, ro = ef.reps.rotation(C4), ef.reps.rotation(C4)
    net = build_relu_net(2, 2, 4, 3)
    v = ef.check_equivariant(net, ri, ro)
    assert v.holds is False and v.witness is not None
    assert ef.check_equivariant(net, ri, ro) is v  # asked again: the same verdict, not recomputed
    assert ef.check_equivariant(net, ri, ro, tol=1e-8) is v  # the default tolerance, spelled out
    # other representation objects with the same matrices, or another tolerance: decided again, same answer
    ri2 = ef.reps.rotation(C4)
    v2 = ef.check_equivariant(net, ri2, ro)
    assert v2 is not v and (v2.holds, v2.max_error, v2.word) == (v.holds, v.max_error, v.word)
    assert ef.check_equivariant(net, ri, ro, tol=1e-3) is not v
    # an early question after the full verdict answers with it
    assert canonical_verdict(net, ri, ro, early=True) is v


def test_realizability_uses_the_equivariance_verdict_already_given() -> None:
    C4 = ef.groups.cyclic(4)
    ri, ro = ef.reps.rotation(C4), ef.reps.trivial(C4)
    folded = build_flipped_net(ri, ro, [1, 2, 3], 5, integer_weights=False)
    assert folded is not None
    F = folded[0]
    ev = ef.check_equivariant(F, ri, ro)
    rz = ef.realizability(F, ri, ro, F.width)
    assert rz.equivariance is ev


@pytest.mark.parametrize("below", [True, False])
def test_realizability_validates_its_arguments_once(monkeypatch: pytest.MonkeyPatch, below: bool) -> None:
    """One call validates the network and the representations once, at its entry: the compensation, the
    equivalence and layer-wise checks of its witness and the equivariance verdict take them validated."""
    import equifuzz.nets.validation as nv

    calls: list[str] = []
    for name in ("check_net_and_reps", "check_reps", "check_net"):
        real = getattr(nv, name)
        monkeypatch.setattr(nv, name, lambda *a, _real=real, _name=name, **k: (calls.append(_name), _real(*a, **k))[1])
    import equifuzz.oracles.compensate as oc
    import equifuzz.oracles.equivariance as oe
    import equifuzz.oracles.layerwise as ol
    import equifuzz.oracles.realizability as orz
    for mod in (oc, oe, ol, orz):  # the names these modules imported
        for name in ("check_net_and_reps", "check_reps", "check_net"):
            if hasattr(mod, name):
                monkeypatch.setattr(mod, name, getattr(nv, name))
    D4 = ef.groups.dihedral(4)
    ri, ro = ef.reps.rotation(D4), ef.reps.trivial(D4)
    S = ef.compensate(build_relu_net(2, 1, 2, 3), ri, ro)
    calls.clear()
    rz = ef.realizability(S, ri, ro, S.width - 1 if below else S.width)
    assert rz.realizable is (not below)
    assert calls.count("check_reps") == 1 and calls.count("check_net") == 1, calls


def test_early_still_refuses_what_decide_refuses() -> None:
    """A first element that fails and a second one too ill-conditioned for float64: decide raises on the second,
    and so does the early answer (it does not stop at the first failure before checking what decide refuses)."""
    net = ef.ReLUNet([[1.0, 0.0]], [0.5], [[1.0]], None)
    bad = np.array([[1.0, 1.0], [0.0, 1e-12 * np.pi]])  # not rational, condition number ~1e12
    swap = np.array([[0.0, 1.0], [1.0, 0.0]])
    els = [Element(1, "a", swap, np.eye(1)), Element(2, "b", bad, np.eye(1))]
    with pytest.raises(ef.errors.RepresentationError):
        decide(net, net, els, 1e-8)
    with pytest.raises(ef.errors.RepresentationError):
        decide_unless_not_holding(net, net, els, 1e-8)
    assert decide_unless_not_holding(net, net, els[:1], 1e-8) is None
    assert decide(net, net, els[:1], 1e-8).status == "fails"
