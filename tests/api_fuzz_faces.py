"""The catalogue of tests/api_fuzz_cases.py, part 2: oracles, the gate, strategies."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from api_fuzz_cases import (  # noqa: I001
    NEVER,
    Entry,
    Slot,
    _same_function,
    any_rep,
    empty,
    equals,
    expect,
    expect_shape,
    ints,
    is_bool,
    is_int,
    is_tanh_net,
    one_of,
    tols,
)
from hypothesis.strategies import SearchStrategy
from torch import nn

import equifuzz as ef
from equifuzz import groups as eg
from equifuzz import reps as er
from equifuzz import strategies as efs
from equifuzz.oracles import gaussian


def _oracle_entries(w: dict[str, Any]) -> list[Entry]:
    A, neg, triv2, C2 = w["netA"], w["neg"], w["triv2"], w["C2"]
    other = (er.trivial(eg.cyclic(3), 2), er.trivial(C2, 3))
    c2_rep = lambda v: isinstance(v, er.Representation) and v.group.order == 2  # noqa: E731
    def net_slot(name):
        return Slot(
            name,
            one_of(A),
            (w["torchA"],),  # noqa: E731
            (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)),),
        )
    rin = Slot("rho_in", one_of(neg), (), other)
    rout = Slot("rho_out", one_of(triv2), (), other)
    tol = lambda none=False: Slot("tol", tols(none=none), (np.float32(1e-6), Fraction(1, 10**9)), (-1e-8,),  # noqa: E731
                                  keyword=True)
    holds = lambda v: expect(True)(v.holds)  # noqa: E731
    fails = lambda v: expect(False)(v.holds)  # noqa: E731
    return [
        Entry(
            "check_equivariant",
            ef.check_equivariant,
            {
                "f": A,
                "rho_in": neg,
                "rho_out": triv2,
                "tol": None,
                "method": "auto",
                "n_inputs": 16,
                "n_words": 4,
                "seed": 0,
            },
            (
                Slot(
                    "f",
                    is_tanh_net,
                    (w["torchA"], A.to_exact()),
                    (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)),),
                ),
                rin,
                rout,
                Slot("tol", tols(none=True), (1e-6, 0.0), (-1,), keyword=True),
                Slot(
                    "method",
                    equals("auto", "canonical", "exact", "sampled"),
                    ("sampled", "exact", "canonical"),
                    ("Auto", "fast"),
                    keyword=True,
                ),
                Slot("n_inputs", ints(1, 10**5), (np.int64(8), 1), (10**12,), keyword=True),
                Slot("n_words", ints(0, 10**4), (0,), (10**12,), keyword=True),
                Slot("seed", ints(0), (np.int64(3),), keyword=True),
            ),
            holds,
        ),
        Entry(
            "check_layerwise",
            ef.check_layerwise,
            {"net": A, "rho_in": neg, "rho_out": triv2, "up_to_scaling": True, "tol": 1e-8},
            (net_slot("net"), rin, rout, Slot("up_to_scaling", is_bool, (False,), keyword=True), tol(none=True)),
            fails,
        ),
        Entry(
            "compensate",
            ef.compensate,
            {"net": A, "rho_in": neg, "rho_out": triv2, "merge": True, "tol": 1e-8},
            (net_slot("net"), rin, rout, Slot("merge", is_bool, (False,), keyword=True), tol()),
            _same_function(A),
        ),
        Entry(
            "symmetrize",
            ef.symmetrize,
            {"net": A, "rho_in": neg, "rho_out": triv2},
            (net_slot("net"), rin, rout),
            _same_function(A),
        ),
        Entry(
            "equivalent",
            ef.equivalent,
            {"net1": A, "net2": A, "tol": 1e-8},
            (net_slot("net1"), net_slot("net2"), tol(none=True)),  # None: the default (1e-8, 1e-4 for float32)
            holds,
        ),
        Entry(
            "realizability",
            ef.realizability,
            {"f": A, "rho_in": neg, "rho_out": triv2, "width": 6, "tol": 1e-8, "budget": 200},
            (
                net_slot("f"),
                rin,
                rout,
                Slot("width", ints(0), (np.int64(6), 100), ()),
                tol(),
                Slot("budget", ints(1), (np.int64(50),), keyword=True),
            ),
            lambda v: expect((True, 6))((v.realizable, v.lower)),
        ),
        Entry(
            "len_dimension",
            ef.len_dimension,
            {
                "rho_in": neg,
                "rho_hidden": w["reg2"],
                "rho_out": triv2,
                "hidden_bias": True,
                "output_bias": True,
                "method": "character",
            },
            (
                Slot("rho_in", c2_rep, (), other),
                Slot("rho_hidden", one_of(w["reg2"]), (), (w["rotC2"], er.trivial(eg.cyclic(3)))),
                Slot("rho_out", c2_rep, (), other),
                Slot("hidden_bias", is_bool, (), keyword=True),
                Slot("output_bias", is_bool, (), keyword=True),
                Slot("method", equals("character", "nullspace"), ("nullspace",), ("chars",), keyword=True),
            ),
            expect(5),
        ),
        Entry(
            "gn_dimension",
            ef.gn_dimension,
            {"d": 2, "width": 3, "p": 1, "hidden_bias": True, "output_bias": True},
            (
                Slot("d", ints(1), (np.int64(2),)),
                Slot("width", ints(0), (np.int64(3),)),
                Slot("p", ints(1)),
                Slot("hidden_bias", is_bool),
                Slot("output_bias", is_bool),
            ),
            expect(13),
        ),
        Entry(
            "risk",
            ef.risk,
            {"f": A, "target": A, "sampler": gaussian(2), "n": 64, "seed": 0, "batch": 32},
            (
                Slot("f", is_tanh_net, (w["torchA"],)),
                Slot("target", is_tanh_net, (w["torchA"],), (ef.ReLUNet(np.eye(2), None, np.eye(2), None),)),
                Slot("sampler", NEVER, (), (gaussian(3), lambda rng, n: "x")),
                Slot("n", ints(2, 10**8), (np.int64(64),), (1, 10**12)),
                Slot("seed", ints(0), (5,), keyword=True),
                Slot("batch", ints(1), (np.int64(7),), keyword=True),
            ),
            lambda v: expect(0.0)(v.value),
        ),
    ]


def _gate_entries(w: dict[str, Any]) -> list[Entry]:
    return [
        Entry(
            "assert_equivariant",
            ef.assert_equivariant,
            {
                "fn": w["torchA"],
                "group": w["C2"],
                "rho_in": w["neg"],
                "rho_out": w["triv2"],
                "profile": "dev",
                "atol": None,
                "rtol": None,
                "seed": 0,
            },
            (
                Slot("fn", NEVER, (w["netA"],)),
                Slot("group", one_of(w["C2"]), (), (eg.cyclic(3),)),
                Slot("rho_in", one_of(w["neg"]), (), (er.trivial(w["C2"], 3),)),
                Slot("rho_out", lambda v: v is None or v is w["triv2"], (), (er.trivial(w["C2"], 2),)),
                Slot(
                    "profile",
                    lambda v: v is None or equals("dev", "ci", "nightly", "gpu")(v),
                    ("ci",),
                    ("fast",),
                    keyword=True,
                ),
                Slot("atol", tols(none=True), (1e-9,), (), keyword=True),
                Slot("rtol", tols(none=True), (1e-6,), (), keyword=True),
                Slot("seed", ints(0), (np.int64(1),), keyword=True),
            ),
            lambda v: expect(True)(v.holds),
        ),
    ]


def _strategy_entries(w: dict[str, Any]) -> list[Entry]:
    A, neg, triv2, rot, triv4, C4 = w["netA"], w["neg"], w["triv2"], w["rot"], w["triv4"], w["C4"]
    of = lambda G: lambda v: isinstance(v, er.Representation) and v.group.order == G.order  # noqa: E731
    c3 = er.trivial(eg.cyclic(3))
    rot_in = Slot("rho_in", of(C4), (), (c3,))
    triv_out = Slot("rho_out", of(C4), (), (c3,))
    neg_in = Slot("rho_in", of(w["C2"]), (), (c3,))
    triv2_out = Slot("rho_out", of(w["C2"]), (), (c3,))
    net_in = Slot("rho_in", one_of(neg), (), (er.trivial(w["C2"], 3), er.trivial(eg.cyclic(3), 2)))
    net_out = Slot("rho_out", one_of(triv2), (), (er.trivial(eg.cyclic(3)), er.trivial(w["C2"], 2)))
    seed = lambda kw=False: Slot("seed", ints(0), (np.int64(3), 2**40), (), keyword=kw)  # noqa: E731
    int_or_strategy = lambda lo: lambda v: is_int(v, lo, 10**4) or isinstance(v, SearchStrategy)  # noqa: E731
    bool_or_strategy = lambda v: is_bool(v) or isinstance(v, SearchStrategy)  # noqa: E731
    from hypothesis import strategies as st

    def layerwise(dn: Any) -> None:
        assert ef.check_layerwise(dn.net, dn.rho_in, dn.rho_out).holds

    def equivariant(dn: Any) -> None:
        assert ef.check_equivariant(dn.net, dn.rho_in, dn.rho_out).holds

    def pair(v: Any) -> None:
        r1, r2 = v
        assert r1.group is r2.group and r1.dim <= 4 and r2.dim <= 3 and r1.group.order <= 8

    def flipped(v: Any) -> None:
        if v is not None:
            assert ef.check_equivariant(v[0], neg, triv2).holds and not ef.check_layerwise(v[0], neg, triv2).holds

    def planted(m: Any) -> None:
        if m is not None:
            assert isinstance(m, efs.Mutant) and not ef.check_equivariant(m.net, neg, triv2, tol=1e-12).holds

    def cob(Q: Any) -> None:
        assert np.shape(Q) == (2, 2) and np.linalg.cond(Q) <= 50

    return [
        Entry(
            "strategies.groups",
            efs.groups,
            {"max_order": 6, "families": None},
            (
                Slot("max_order", ints(1, 5040), (np.int64(6), 1), (10**9,)),
                Slot(
                    "families",
                    lambda v: v is None or (isinstance(v, (list, tuple)) and v and set(v) <= set(efs.FAMILIES)),
                    (["cyclic"],),
                    ("cyclic", ["free"], [1]),
                ),
            ),
            lambda G: expect(True)(isinstance(G, eg.FiniteGroup) and G.order <= 6),
            strategy=True,
        ),
        Entry(
            "strategies.subgroups",
            efs.subgroups,
            {"G": C4},
            (Slot("G", lambda v: isinstance(v, eg.FiniteGroup), (efs.groups(max_order=4),), (st.integers(),)),),
            lambda K: expect(True)(isinstance(K, eg.Subgroup)),
            strategy=True,
        ),
        Entry(
            "strategies.representations",
            efs.representations,
            {"G": C4, "kinds": efs.KINDS, "max_dim": 4, "change_of_basis": False},
            (
                Slot("G", lambda v: isinstance(v, eg.FiniteGroup), (efs.groups(max_order=4),), (st.integers(),)),
                Slot(
                    "kinds",
                    lambda v: v is None or (isinstance(v, (list, tuple)) and bool(v) and set(v) <= set(efs.KINDS)),
                    (["trivial"],),
                    ("trivial", ["spin"]),
                ),
                Slot("max_dim", ints(1, 4), (np.int64(2), 1), (10**9,)),
                Slot("change_of_basis", is_bool, (True,)),
            ),
            lambda r: expect(True)(isinstance(r, er.Representation) and r.dim <= 4),
            strategy=True,
        ),
        Entry(
            "strategies.relu_nets",
            efs.relu_nets,
            {"d": 2, "p": 1, "width": 3, "hidden_bias": True, "output_bias": False, "integer_weights": True},
            (
                Slot("d", equals(2, np.int64(2)), (np.int64(2),), (10**9,)),
                Slot("p", equals(1, np.int64(1))),
                Slot("width", int_or_strategy(1), (st.integers(1, 3), np.int64(2)), (10**9, st.just("x"))),
                Slot("hidden_bias", bool_or_strategy, (st.booleans(),), (st.just(3),)),
                Slot("output_bias", bool_or_strategy),
                Slot("integer_weights", bool_or_strategy),
            ),
            lambda n: expect((2, 1))((n.d, n.p)),
            strategy=True,
        ),
        Entry(
            "strategies.layerwise_nets",
            efs.layerwise_nets,
            {"rho_in": rot, "rho_out": triv4, "max_orbits": 2, "max_width": 8},
            (
                rot_in,
                triv_out,
                Slot("max_orbits", ints(1, 64), (1,), (10**9,), keyword=True),
                Slot("max_width", ints(4, 10**4), (np.int64(5),), (10**9,), keyword=True),
            ),
            layerwise,
            strategy=True,
        ),
        Entry(
            "strategies.equivariant_nets",
            efs.equivariant_nets,
            {"rho_in": neg, "rho_out": triv2, "kinds": ("len", "gen-not-len")},
            (
                neg_in,
                triv2_out,
                Slot(
                    "kinds",
                    lambda v: isinstance(v, (list, tuple)) and bool(v) and set(v) <= set(efs.EQUIVARIANT_KINDS),
                    (["len"],),
                    ("len", ["gn"]),
                ),
            ),
            equivariant,
            strategy=True,
        ),
        Entry(
            "strategies.rep_pairs",
            efs.rep_pairs,
            {"max_order": 8, "max_in_dim": 4, "max_out_dim": 3},
            (
                Slot("max_order", ints(1, 8), (np.int64(4),), (10**9,)),
                Slot("max_in_dim", ints(1, 4), (2,), (10**9,)),
                Slot("max_out_dim", ints(1, 3), (1,), (10**9,)),
            ),
            pair,
            strategy=True,
        ),
        Entry(
            "strategies.mutants",
            efs.mutants,
            {"net": A, "rho_in": neg, "rho_out": triv2, "kinds": ("drop_neuron", "perturb")},
            (
                Slot("net", NEVER, (), (nn.Linear(2, 1),)),
                net_in,
                net_out,
                Slot(
                    "kinds",
                    lambda v: isinstance(v, (list, tuple)) and bool(v) and set(v) <= set(efs.MUTANT_KINDS),
                    (["drop_neuron"],),
                    ("perturb", ["rot"]),
                ),
            ),
            lambda m: expect(True)(isinstance(m, efs.Mutant)),
            strategy=True,
        ),
        Entry(
            "strategies.epsilons",
            efs.epsilons,
            {"smallest": 1e-3},
            (Slot("smallest", tols(0.0, 0.5, strict=True), (1e-7, np.float64(0.01)), (0.0, 1.5)),),
            lambda e: expect(True)(0 < e <= 0.5),
            strategy=True,
        ),
        Entry(
            "strategies.inputs",
            efs.inputs,
            {"rho_in": rot, "net": None, "max_per_family": 4, "families": efs.INPUT_FAMILIES},
            (
                Slot("rho_in", any_rep),
                Slot("net", lambda v: v is None or v is A, (A,)),
                Slot("max_per_family", ints(1, 10**4), (1,), (10**9,), keyword=True),
                Slot(
                    "families",
                    lambda v: (
                        isinstance(v, (list, tuple))
                        and all(isinstance(f, str) for f in v)
                        and set(v) <= set(efs.INPUT_FAMILIES)
                    ),
                    (["tiny"],),
                    ("tiny", ["giant"]),
                    keyword=True,
                ),
            ),
            lambda X: expect(2)(np.shape(X)[1]),
            strategy=True,
        ),
        Entry(
            "strategies.build_relu_net",
            efs.build_relu_net,
            {"d": 2, "p": 1, "width": 3, "seed": 0},
            (Slot("d", equals(2)), Slot("p", equals(1)), Slot("width", ints(0, 100), (), (10**9,)), seed()),
            lambda n: expect((2, 3, 1))((n.d, n.width, n.p)),
        ),
        Entry(
            "strategies.build_layerwise_net",
            efs.build_layerwise_net,
            {"rho_in": rot, "rho_out": triv4, "stabilizers": [w["K2"]], "seed": 0},
            (
                rot_in,
                triv_out,
                Slot("stabilizers", empty, ((w["K2"],),), ([eg.klein4().subgroups()[1]], [2], "K")),
                seed(),
            ),
            lambda v: expect(True)(ef.check_layerwise(v[0], rot, triv4).holds),
        ),
        Entry(
            "strategies.build_symmetrized_net",
            efs.build_symmetrized_net,
            {"rho_in": rot, "rho_out": triv4, "width": 2, "seed": 0},
            (rot_in, triv_out, Slot("width", ints(1, 64), (1,), (10**9,)), seed()),
            lambda n: expect(True)(ef.check_equivariant(n, rot, triv4).holds),
        ),
        Entry(
            "strategies.build_flipped_net",
            efs.build_flipped_net,
            {"rho_in": neg, "rho_out": triv2, "picks": [0], "seed": 0},
            (
                neg_in,
                triv2_out,
                Slot(
                    "picks",
                    lambda v: empty(v) or (isinstance(v, (list, tuple)) and all(is_int(x, 0) for x in v)),
                    ((0, 1),),
                    ([1.5], "0", [-1]),
                ),
                seed(),
            ),
            flipped,
        ),
        Entry(
            "strategies.reversing_elements",
            efs.reversing_elements,
            {"rho_in": neg},
            (Slot("rho_in", any_rep),),
            lambda v: expect([1])([s for s, _ in v]),
        ),
        Entry(
            "strategies.plant",
            efs.plant,
            {"kind": "perturb", "net": A, "rho_in": neg, "rho_out": triv2, "seed": 0, "epsilon": 1e-3},
            (
                Slot("kind", equals(*efs.MUTANT_KINDS), ("drop_neuron",), ("perturbed",)),
                Slot("net", NEVER, (), (nn.Linear(2, 1),)),
                net_in,
                net_out,
                seed(),
                Slot("epsilon", tols(0.0, 0.5, strict=True), (0.1,), (0.0, 2.0)),
            ),
            planted,
        ),
        Entry(
            "strategies.find_witness",
            efs.find_witness,
            {"net": A, "rho_in": neg, "rho_out": triv2, "seed": 0, "margin": 100.0},
            (
                Slot("net", NEVER, (), (nn.Linear(2, 1),)),
                net_in,
                net_out,
                seed(),
                Slot("margin", tols(0.0, strict=True), (10,), (0.0,)),
            ),
            expect(None),
        ),
        Entry(
            "strategies.change_of_basis_matrix",
            efs.change_of_basis_matrix,
            {"d": 2, "seed": 0},
            (Slot("d", equals(2, np.int64(2)), (np.int64(2),), (10**9,)), seed()),
            cob,
        ),
        Entry(
            "strategies.build_inputs",
            efs.build_inputs,
            {"rho_in": rot, "seed": 0, "counts": {"gaussian": 3}},
            (
                Slot("rho_in", any_rep),
                seed(),
                Slot(
                    "counts",
                    lambda v: v == {},
                    ({"gaussian": np.int64(3)},),
                    ({"gaussian": -1}, {"giant": 2}, {"gaussian": 1.5}, {"gaussian": 10**12}),
                ),
            ),
            expect_shape((3, 2)),
        ),
    ]
