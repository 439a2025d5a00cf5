"""Metamorphic suite: networks with their truth by construction, changed in ways whose effect on the truth is
known, alone and combined; every oracle answers the truth or undecided (with its reason), never the wrong
definite answer, and the oracles obey their cross-laws on the same draws.

Bases (``_metamorphic.py``): a union of neuron orbits (equivariant, layer-wise), one neuron per reversed
hyperplane (equivariant, not layer-wise), the textbook float symmetrization of a random network
(equivariant, layer-wise), and an orbit network with a planted defect (not equivariant). Changes: float
symmetrization (rational and irrational representations), permuting neurons, rescaling each neuron by 2^k
or by reals in 1e-150..1e150, splitting one neuron or every neuron in two, a zero-output neuron, one lone
neuron 1e-100..1e-300 times the largest (the truth flips to not equivariant), global scales
1e-300..1e300, an orthogonal change of basis, and the weights passed as float32, int, lists or torch
tensors.

The README's test command runs this suite under one fixed Hypothesis seed (``FIXED_SEED``); with
``--hypothesis-seed=N`` on the command line that seed is used instead.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import given, note, seed, settings
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import strategies as efs
from equifuzz.certificate import check_verdict, verify_witness
from equifuzz.errors import EquifuzzError
from equifuzz.reps import Representation

from . import _metamorphic as mm
from ._strategies import settings as drawn_settings

FIXED_SEED = 20_201
#: examples per test: the profile's
EXAMPLES = settings().max_examples


@pytest.fixture(autouse=True)
def _fixed_seed(request: pytest.FixtureRequest) -> None:
    """The suite's fixed seed, unless the command line names one (--hypothesis-seed)."""
    if request.config.getoption("hypothesis_seed", None) is None:
        seed(FIXED_SEED)(request.function)


# -- settings ------------------------------------------------------------------------------------


def _gen(G: ef.groups.FiniteGroup, *mats: object) -> Representation:
    return ef.reps.from_generators(G, [np.array(m, dtype=float) for m in mats])


@cache
def catalogue() -> tuple[tuple[str, Representation, Representation], ...]:
    """Named (rho_in, rho_out): rational (integer, permutation) and irrational (rotations by 2 pi / n in float,
    and C4, D4 by a rotation written with np.cos / np.sin, whose matrix holds cos(pi / 2) = 6e-17), with non-trivial
    outputs."""
    C2, C4, D4 = ef.groups.cyclic(2), ef.groups.cyclic(4), ef.groups.dihedral(4)
    C3, C5, C6, C7, C8 = (ef.groups.cyclic(n) for n in (3, 5, 6, 7, 8))
    D3, S3 = ef.groups.dihedral(3), ef.groups.symmetric(3)
    swap, neg, negI = _gen(C2, [[0, 1], [1, 0]]), _gen(C2, [[-1]]), _gen(C2, -np.eye(2))
    c4 = _gen(C4, [[0, -1], [1, 0]])
    d4 = _gen(D4, [[0, -1], [1, 0]], [[1, 0], [0, -1]])
    rot = {n: ef.reps.rotation(G) for n, G in ((3, C3), (4, C4), (5, C5), (6, C6), (7, C7), (8, C8))}
    t = np.pi / 2
    cs = [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]  # cos(pi / 2) = 6.1e-17, as a user writes it
    rot[4] = _gen(C4, cs)
    rd3, rd4 = ef.reps.rotation(D3), _gen(D4, cs, [[1, 0], [0, -1]])
    std = ef.reps.standard(S3)
    return (
        ("C2 swap / trivial", swap, ef.reps.trivial(C2)),
        ("C2 swap / swap", swap, swap),
        ("C2 -1 / trivial", neg, ef.reps.trivial(C2)),
        ("C2 -I / sign + trivial", negI, ef.reps.direct_sum(ef.reps.sign(C2), ef.reps.trivial(C2))),
        ("C4 integer rotation / same", c4, c4),
        ("C4 float rotation / same", rot[4], rot[4]),
        ("C4 float rotation / trivial", rot[4], ef.reps.trivial(C4)),
        ("D4 integer / same", d4, d4),
        ("D4 float rotation / same", rd4, rd4),
        ("C3 rotation / same", rot[3], rot[3]),
        ("C5 rotation / same", rot[5], rot[5]),
        ("C6 rotation / rotation + trivial", rot[6], ef.reps.direct_sum(rot[6], ef.reps.trivial(C6))),
        ("C7 rotation / same", rot[7], rot[7]),
        ("C8 rotation / same", rot[8], rot[8]),
        ("D3 rotation / same", rd3, rd3),
        ("D3 rotation / sign", rd3, ef.reps.sign(D3)),
        ("S3 standard / standard", std, std),
        ("S3 standard / trivial", std, ef.reps.trivial(S3)),
    )


@cache
def reversing_catalogue() -> tuple[tuple[str, Representation, Representation], ...]:
    """The settings of the catalogue whose rho_in reverses some hyperplane (where flipped networks exist)."""
    from equifuzz.builders import reversing_elements

    return tuple(c for c in catalogue() if reversing_elements(c[1]))


@st.composite
def reps_pair(draw: st.DrawFn, reversing: bool = False) -> tuple[str, Representation, Representation]:
    if reversing:
        return draw(st.sampled_from(reversing_catalogue()))
    if draw(st.integers(0, 3)):
        return draw(st.sampled_from(catalogue()))
    s = draw(drawn_settings(max_order=8, max_d=3, max_p=2))
    return repr(s), s.rho_in, s.rho_out


# -- networks with their truth -------------------------------------------------------------------

BASES = ("orbits", "random symmetrized", "defect", "flipped")
DEFECTS = ("drop_neuron", "perturb", "flip_sign", "bias_nontrivial")


@st.composite
def known_networks(draw: st.DrawFn) -> tuple[mm.Known, str]:
    base = draw(st.sampled_from(BASES))
    name, ri, ro = draw(reps_pair(reversing=base == "flipped"))
    G = ri.group
    s = draw(efs.seeds())
    hb, ob, integer = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    k: mm.Known | None = None
    if base == "flipped":
        k = mm.flipped(ri, ro, [draw(st.integers(0, 7))], s, output_bias=ob)
    elif base == "random symmetrized" and G.order * 2 <= 48:
        k = mm.random_symmetrized(ri, ro, draw(st.integers(1, 2)), s)
    if k is None:
        subs = [K for K in G.subgroups() if K.index <= 8]
        Ks = draw(st.lists(st.sampled_from(subs), min_size=1, max_size=2))
        k = mm.orbits(ri, ro, Ks, s, hidden_bias=hb, output_bias=ob, integer=integer)
        if base == "defect":
            kind = draw(st.sampled_from(DEFECTS))
            eps = draw(st.sampled_from((1e-3, 1e-2, 0.1)))
            k = mm.defect(k, kind, s, eps) or k
    rng = np.random.default_rng(draw(efs.seeds()))
    for change in draw(st.lists(st.sampled_from(tuple(mm.CHANGES)), max_size=4)):
        k = mm.CHANGES[change](k, rng)
    dtype = draw(st.sampled_from(mm.DTYPES))
    if dtype in ("float32", "torch32"):
        k = mm.round_to_float32(k)
    net, dtype = mm.as_dtype(k.net, dtype)
    k = mm.Known(net, k.rho_in, k.rho_out, k.equivariant, k.layerwise, k.realizable, k.same_as,
                 k.history + (dtype,), k.integer)
    note(f"{name}: {k!r}")
    note("net = ReLUNet(" + ", ".join(repr(None if a is None else np.asarray(a, dtype=float).tolist())
                                      for a in mm.params_or_none(k.net)) + ")")
    return k, name


# -- judging --------------------------------------------------------------------------------------


def definite(v: object, truth: bool | None, what: str, holds: bool | None) -> None:
    """A definite answer must be the truth (when the truth is known); None is always allowed, with a reason."""
    if holds is None:
        reason = getattr(v, "reason", "")
        assert reason, f"{what}: undecided without a reason: {v}"
        return
    if truth is not None:
        assert holds == truth, f"{what}: answered {holds}, the truth is {truth}:\n{v}"


def certified(k: mm.Known, v: object, what: str) -> None:
    assert check_verdict(k.net, k.rho_in, k.rho_out, v), f"{what}: the verdict's evidence does not re-check:\n{v}"


def run(fn, *args, **kw):  # type: ignore[no-untyped-def]
    """The oracle's answer, or None for a refusal with a typed EquifuzzError (undecided, with its message)."""
    try:
        return fn(*args, **kw)
    except EquifuzzError as exc:
        note(f"{getattr(fn, '__name__', fn)} refused: {type(exc).__name__}: {exc}")
        return None


def exact_semantics_apply(k: mm.Known) -> bool:
    from equifuzz.nets.exact import rational_matrix

    return all(rational_matrix(k.rho_in(g)) is not None and rational_matrix(k.rho_out(g)) is not None
               for g in k.rho_in.group.generators)


@settings(max_examples=EXAMPLES)
@given(known_networks())
def test_equivariance_layerwise_and_equivalence_answer_the_truth(case: tuple[mm.Known, str]) -> None:
    k, _ = case
    eq = run(ef.check_equivariant, k.net, k.rho_in, k.rho_out)
    if eq is not None:
        definite(eq, k.equivariant, "check_equivariant", eq.holds)
        certified(k, eq, "check_equivariant")
    lw = run(ef.check_layerwise, k.net, k.rho_in, k.rho_out)
    if lw is not None:
        definite(lw, k.layerwise if k.equivariant else False, "check_layerwise", lw.holds)
        certified(k, lw, "check_layerwise")
        if lw.holds and eq is not None:  # layer-wise implies equivariant
            assert eq.holds is not False, f"layer-wise but NOT equivariant:\n{lw}\n{eq}"
    for ref, truth in k.same_as:
        v = run(ef.equivalent, k.net, ref)
        if v is None:
            continue
        definite(v, truth, "equivalent", v.holds)
        if v.holds is False:
            assert v.witness is not None and verify_witness(k.net, ref, v.witness), f"unverified:\n{v}"
        ex = run(ef.equivalent, k.net, ref, semantics="exact")
        tl = run(ef.equivalent, k.net, ref, semantics="tolerance")
        if ex is not None and tl is not None:
            assert not (ex.holds is True and tl.holds is False), \
                f"exactly equivalent, NOT within tolerance:\n{ex}\n{tl}"
            definite(tl, truth, "equivalent(semantics='tolerance')", tl.holds)
            if not truth:
                definite(ex, False, "equivalent(semantics='exact')", ex.holds)
    if exact_semantics_apply(k):
        # exact and tolerance semantics agree wherever both apply, except that the exact numbers of a float
        # construction may differ by round-off the tolerance semantics accepts (identity.py)
        ex = run(ef.check_equivariant, k.net, k.rho_in, k.rho_out, semantics="exact")
        tl = run(ef.check_equivariant, k.net, k.rho_in, k.rho_out, semantics="tolerance")
        if ex is not None and tl is not None:
            assert not (ex.holds is True and tl.holds is False), \
                f"exactly equivariant, NOT within tolerance:\n{ex}\n{tl}"
            definite(tl, k.equivariant, "check_equivariant(semantics='tolerance')", tl.holds)
            if not k.equivariant:
                definite(ex, False, "check_equivariant(semantics='exact')", ex.holds)
            for v, what in ((ex, "exact"), (tl, "tolerance")):
                certified(k, v, f"check_equivariant(semantics={what!r})")
        lex = run(ef.check_layerwise, k.net, k.rho_in, k.rho_out, semantics="exact")
        ltl = run(ef.check_layerwise, k.net, k.rho_in, k.rho_out, semantics="tolerance")
        if lex is not None and ltl is not None:
            assert not (lex.holds is True and ltl.holds is False), \
                f"exactly layer-wise, NOT within tolerance:\n{lex}\n{ltl}"
            definite(ltl, k.layerwise if k.equivariant else False, "check_layerwise(semantics='tolerance')",
                     ltl.holds)
            for v, what in ((lex, "exact"), (ltl, "tolerance")):
                certified(k, v, f"check_layerwise(semantics={what!r})")


@settings(max_examples=EXAMPLES)
@given(known_networks())
def test_realizability_and_compensate_answer_the_truth_and_obey_their_laws(case: tuple[mm.Known, str]) -> None:
    k, _ = case
    widths = dict(k.realizable)
    lw = run(ef.check_layerwise, k.net, k.rho_in, k.rho_out)
    if lw is not None and lw.holds:  # layer-wise implies realizable at its own width
        widths.setdefault(k.net.width, True)
        assert widths[k.net.width] is True, f"layer-wise, but its truth says not realizable at its width:\n{lw}"
    for m, truth in sorted(widths.items()):
        r = run(ef.realizability, k.net, k.rho_in, k.rho_out, width=m)
        if r is None:
            continue
        definite(r, truth, f"realizability(width={m})", r.realizable)
        if r.realizable:
            w = r.witness
            assert w is not None and w.width <= m, f"realizable at {m} without a witness of width <= {m}:\n{r}"
            wl = run(ef.check_layerwise, w, k.rho_in, k.rho_out)
            assert wl is None or wl.holds is not False, f"the witness is NOT layer-wise:\n{r}\n{wl}"
            same = run(ef.equivalent, w, k.net)
            assert same is None or same.holds is not False, f"the witness computes another function:\n{r}\n{same}"
            # realizable at m implies realizable at m + 1
            r1 = run(ef.realizability, k.net, k.rho_in, k.rho_out, width=m + 1)
            assert r1 is None or r1.realizable is not False, f"realizable at {m} but NOT at {m + 1}:\n{r}\n{r1}"
    c = run(ef.compensate, k.net, k.rho_in, k.rho_out)
    if c is None:
        return
    cl = run(ef.check_layerwise, c, k.rho_in, k.rho_out)
    assert cl is None or cl.holds is not False, f"compensate(f) is NOT layer-wise:\n{cl}"
    if cl is not None:
        assert cl.holds is not None or cl.reason
        assert check_verdict(c, k.rho_in, k.rho_out, cl), \
            f"compensate(f): the layer-wise verdict does not re-check:\n{cl}"
    ce = run(ef.check_equivariant, c, k.rho_in, k.rho_out)
    assert ce is None or ce.holds is not False, f"compensate(f) is NOT equivariant:\n{ce}"
    if k.equivariant:
        same = run(ef.equivalent, c, k.net)
        assert same is None or same.holds is not False, f"compensate(f) is NOT equivalent to the equivariant f:\n{same}"


@settings(max_examples=EXAMPLES)
@given(known_networks())
def test_torch_modules_get_the_truth_or_undecided(case: tuple[mm.Known, str]) -> None:
    """The network as a float64 torch module (Linear, ReLU, Linear): a definite answer is the truth."""
    k, _ = case
    module = k.net.to_torch()
    v = run(ef.check_equivariant, module, k.rho_in, k.rho_out)
    if v is not None:
        definite(v, k.equivariant, "check_equivariant(torch module)", v.holds)
        if v.method.startswith("canonical"):  # decided on the module's weights: the same evidence as for the net
            certified(k, v, "check_equivariant(torch module)")
