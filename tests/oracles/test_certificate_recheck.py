"""The independent checker re-checks every exact verdict's evidence: it reads the representation matrices as
the oracles do, and re-checks each kind of layer-wise failure (no partner, multiplicity, output bias)."""

from __future__ import annotations

import numpy as np

import equifuzz as ef
from equifuzz.certificate import check_verdict


def test_exact_holds_on_a_float_change_of_basis_rechecks() -> None:
    """rho_in(r) = Q I Q^-1 = I + 3e-19 in float: the oracles read it as the rational I (exact.rational_matrix),
    and so does the checker, so the exact "holds" verdict re-checks (it did not with the raw float matrix)."""
    C2 = ef.groups.cyclic(2)
    Q = np.eye(2) + 0.5 * np.random.default_rng(0).standard_normal((2, 2)) / np.sqrt(2)
    ri, ro = ef.reps.change_basis(ef.reps.trivial(C2, 2), Q), ef.reps.trivial(C2)
    net = ef.ReLUNet([[0.125, -0.13], [0.125, -0.13]], None, [[0.64, 0.64]], None)
    v = ef.check_equivariant(net, ri, ro)
    assert v.holds is True and v.semantics == "exact"
    assert check_verdict(net, ri, ro, v)


def test_layerwise_multiplicity_failure_rechecks() -> None:
    """Two copies of a neuron and one of its image under the sign: every neuron has a partner, but not enough
    copies; the checker counts them exactly."""
    net = ef.ReLUNet([[0.1257302210933933]] * 3, None,
                     [[-0.1321048632913019, -0.1321048632913019, 0.1321048632913019]], None)
    G = ef.groups.direct_product(ef.groups.cyclic(2), ef.groups.cyclic(2))
    ri, ro = ef.reps.trivial(G, 1), ef.reps.from_generators(G, [np.eye(1), -np.eye(1)])
    v = ef.check_layerwise(net, ri, ro, semantics="exact")
    assert v.holds is False and v.failure == "multiplicity"
    assert check_verdict(net, ri, ro, v)
    # the balanced network (two copies of each) holds, and re-checks too
    bal = ef.ReLUNet([[0.125]] * 4, None, [[-0.13, -0.13, 0.13, 0.13]], None)
    vb = ef.check_layerwise(bal, ri, ro, semantics="exact")
    assert vb.holds is True and check_verdict(bal, ri, ro, vb)


def test_layerwise_no_partner_failure_rechecks() -> None:
    C2 = ef.groups.cyclic(2)
    rho = ef.reps.from_generators(C2, [-np.eye(1)])
    net = ef.ReLUNet([[1.0], [-1.0]], None, [[1.0, 2.0]], None)
    v = ef.check_layerwise(net, rho, rho, semantics="exact")
    assert v.holds is False and check_verdict(net, rho, rho, v)
