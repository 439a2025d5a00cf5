"""The catalogue of tests/api_fuzz_cases.py, part 1: groups, representations, networks."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from api_fuzz_cases import (  # noqa: I001
    NEVER,
    Entry,
    Slot,
    _dim,
    _order,
    any_group,
    any_rep,
    empty,
    equals,
    expect,
    expect_shape,
    ints,
    is_bool,
    is_int,
    one_of,
    real_matrix,
    tols,
)
from torch import nn

import equifuzz as ef
from equifuzz import groups as eg
from equifuzz import reps as er


def _group_entries(w: dict[str, Any]) -> list[Entry]:
    C3 = w["C3"]
    small_group = lambda v: isinstance(v, eg.FiniteGroup) and v.order <= 2000  # noqa: E731
    rot90 = np.array([[0.0, -1.0], [1.0, 0.0]])
    return [
        Entry(
            "groups.cyclic",
            eg.cyclic,
            {"n": 4},
            (Slot("n", ints(1, 5040), (np.int64(6), 1), (10**7, 10**30)),),
            lambda G: _order(G.order)(G) if G.order in (1, 4, 6) else expect(4)(G.order),
        ),
        Entry(
            "groups.dihedral", eg.dihedral, {"n": 3}, (Slot("n", ints(1, 2520), (np.int64(3),), (10**4,)),), _order(6)
        ),
        Entry(
            "groups.symmetric",
            eg.symmetric,
            {"n": 3},
            (Slot("n", equals(3, np.int64(3)), (np.int64(3),), (9, 12)),),
            _order(6),
        ),
        Entry("groups.alternating", eg.alternating, {"n": 4}, (Slot("n", equals(4), (), (9, 10**3)),), _order(12)),
        Entry(
            "groups.abelian",
            eg.abelian,
            {"a": 2, "b": 3},
            (
                Slot("a", equals(2, np.int64(2)), (np.int64(2),), (10**4,)),
                Slot("b", equals(3, np.int64(3)), (np.int64(3),), (10**4,)),
            ),
            _order(6),
        ),
        Entry(
            "groups.direct_product",
            eg.direct_product,
            {"G": w["C2"], "H": C3},
            (Slot("G", small_group, (), (eg.cyclic(3000),)), Slot("H", small_group, (), (eg.cyclic(3000),))),
            _order(6),
        ),
        Entry(
            "groups.from_permutations",
            eg.from_permutations,
            {"generators": [(1, 2, 0)], "degree": None, "max_order": 60},
            (
                Slot(
                    "generators",
                    empty,
                    ([np.array([1, 2, 0])],),
                    ([(0, 0, 1)], [(1, 2, 0), (1, 0)], [[1.5, 0, 2]], [(1, 2, 3)]),
                ),
                Slot("degree", lambda v: v is None or equals(3)(v), (3,), (2, 4), keyword=True),
                Slot("max_order", ints(3, 5040), (3, np.int64(5040)), (1, 2, 10**9), keyword=True),
            ),
            _order(3),
        ),
        Entry(
            "groups.from_matrices",
            eg.from_matrices,
            {"generators": [rot90], "max_order": 60, "tol": 1e-8},
            (
                Slot(
                    "generators",
                    NEVER,
                    ([rot90.tolist()], [torch.tensor(rot90)]),
                    ([np.zeros((0, 0))], [np.eye(2), np.eye(3)], [np.ones(3)], [np.diag([1.0, 0.0])], [2 * np.eye(2)]),
                ),
                Slot("max_order", ints(4, 5040), (np.int64(4),), (1, 2, 10**9), keyword=True),
                Slot("tol", tols(0.0, 1e-2, strict=True), (1e-10,), (0.0, 0.5, 10**30), keyword=True),
            ),
            _order(4),
        ),
        Entry(
            "groups.from_table",
            eg.from_table,
            {"table": C3.table.copy(), "generators": [1]},
            (
                Slot(
                    "table",
                    NEVER,
                    (C3.table.tolist(),),
                    (np.zeros((2, 3), int), np.array([[0, 1], [1, 2]]), np.array([[0.0, 1.0], [1.0, 0.0]])),
                ),
                Slot(
                    "generators",
                    lambda v: v == [1] or v == (1,) or v == [2] or v == [1, 2],
                    ((2,), [1, 2]),
                    ([5], [1.5], "1", [[1]], [True]),
                ),
            ),
            _order(3),
        ),
    ]


def _rep_entries(w: dict[str, Any]) -> list[Entry]:
    C2, C4, S3, rot, triv4 = w["C2"], w["C4"], w["S3"], w["rot"], w["triv4"]
    rot90 = np.array([[0.0, -1.0], [1.0, 0.0]])
    g4 = lambda *extra: Slot("G", one_of(C4, *extra))  # noqa: E731
    r = lambda name, *ok, bad=(), keyword=False: Slot(name, one_of(*ok), (), bad, keyword)  # noqa: E731
    wrong_dim = er.trivial(C4, 3)
    return [
        Entry(
            "reps.trivial",
            er.trivial,
            {"G": C4, "n": 2},
            (
                Slot("G", lambda v: isinstance(v, (eg.FiniteGroup, eg.ContinuousGroup)), (eg.so2(),)),
                Slot("n", ints(1, 50), (np.int64(2),), (10**6,)),
            ),
            _dim(2),
        ),
        Entry(
            "reps.sign",
            er.sign,
            {"G": C4, "K": None},
            (
                g4(),
                Slot("K", lambda v: v is None or v is w["K2"], (w["K2"],), (C4.subgroup([]), C4.subgroups()[-1])),
            ),
            _dim(1),
        ),
        Entry("reps.regular", er.regular, {"G": w["C3"]}, (Slot("G", any_group, (), (eg.cyclic(2000),)),), _dim(3)),
        Entry("reps.coset", er.coset, {"G": C4, "K": w["K2"]}, (g4(), r("K", w["K2"])), _dim(2)),
        Entry(
            "reps.permutation",
            er.permutation,
            {"G": w["C3"], "images": {1: [1, 2, 0]}},
            (
                Slot("G", one_of(w["C3"])),
                Slot(
                    "images",
                    NEVER,
                    ([[0, 1, 2], [1, 2, 0], [2, 0, 1]],),
                    ({1: [0, 0, 1]}, {1: [1, 0, 2]}, {5: [1, 2, 0]}, [[0, 1], [1, 0]], {1: "abc"}),
                ),
            ),
            _dim(3),
        ),
        Entry("reps.rotation", er.rotation, {"G": C4}, (Slot("G", one_of(C4), (), (S3,)),), _dim(2)),
        Entry("reps.standard", er.standard, {"G": S3}, (Slot("G", one_of(S3), (), (C4, eg.dihedral(3))),), _dim(3)),
        Entry(
            "reps.signed_permutation",
            er.signed_permutation,
            {"G": C2, "images": {1: [1, 0]}, "signs": {1: [1, 1]}},
            (
                Slot("G", one_of(C2)),
                Slot("images", NEVER, (), ({1: [0, 0]}, {2: [1, 0]})),
                Slot("signs", NEVER, ({1: [-1, -1]},), ({1: [2, 1]}, {1: [1]}, {2: [1, 1]}, {1: [math.nan, 1]})),
            ),
            _dim(2),
        ),
        Entry(
            "reps.direct_sum",
            er.direct_sum,
            {"r1": rot, "r2": triv4},
            (r("r1", rot, bad=(er.trivial(C2),)), r("r2", triv4)),
            _dim(3),
        ),
        Entry(
            "reps.tensor",
            er.tensor,
            {"r1": rot, "r2": rot},
            (r("r1", rot, bad=(er.regular(eg.cyclic(100)),)), r("r2", rot, bad=(er.regular(eg.cyclic(100)),))),
            _dim(4),
        ),
        Entry(
            "reps.change_basis",
            er.change_basis,
            {"rep": rot, "Q": np.diag([2.0, 1.0])},
            (
                r("rep", rot),
                Slot(
                    "Q",
                    NEVER,
                    ([[2.0, 0.0], [0.0, 1.0]], torch.eye(2, dtype=torch.float32)),
                    (np.ones((2, 2)), np.eye(3), [[1.0, math.inf], [0.0, 1.0]]),
                ),
            ),
            _dim(2),
        ),
        Entry(
            "reps.from_matrices",
            er.from_matrices,
            {"G": C2, "mats": np.stack([np.eye(2), -np.eye(2)])},
            (
                Slot("G", one_of(C2)),
                Slot(
                    "mats",
                    NEVER,
                    ([np.eye(2), -np.eye(2)], {1: -np.eye(2)}),
                    (
                        [np.eye(2), np.eye(3)],
                        [np.eye(2), 2 * np.eye(2)],
                        np.zeros((2, 0, 0)),
                        [np.eye(2), np.eye(2), np.eye(2)],
                    ),
                ),
            ),
            _dim(2),
        ),
        Entry(
            "reps.from_generators",
            er.from_generators,
            {"G": C4, "gen_mats": [rot90]},
            (
                g4(),
                Slot(
                    "gen_mats",
                    NEVER,
                    ({1: rot90}, [rot90.tolist()], [torch.tensor(rot90)]),
                    (
                        [np.zeros((0, 0))],
                        [np.eye(2), np.eye(3)],
                        [np.eye(3)[:2]],
                        [np.diag([1.0, 0.0])],
                        [2 * rot90],
                        {7: rot90},
                        [[["a", "b"], ["c", "d"]]],
                    ),
                ),
            ),
            _dim(2),
        ),
        Entry(
            "reps.inner",
            er.inner,
            {"chi": rot, "psi": rot},
            (
                Slot(
                    "chi", one_of(rot), (), (wrong_dim.character()[:3], np.array([1.0, math.nan, 0, 0]))
                ),
                Slot("psi", one_of(rot)),
            ),
            expect(2.0),
        ),
        Entry("reps.dim_hom", er.dim_hom, {"r1": rot, "r2": rot}, (r("r1", rot), r("r2", rot)), expect(2)),
        Entry(
            "reps.dim_fix",
            er.dim_fix,
            {"r": triv4, "K": None},
            (Slot("r", any_rep), Slot("K", lambda v: v is None or v is w["K2"], (w["K2"],))),
            expect(1),
        ),
        Entry(
            "reps.intertwiners",
            er.intertwiners,
            {"r1": rot, "r2": rot, "tol": 1e-9},
            (r("r1", rot), r("r2", rot), Slot("tol", tols(0.0, 1e-2, strict=True), (1e-6,), (), keyword=True)),
            expect_shape((2, 2, 2)),
        ),
        Entry(
            "reps.irreducibles",
            er.irreducibles,
            {"G": C4, "seed": 0},
            (Slot("G", any_group, (), (eg.cyclic(3000),)), Slot("seed", ints(0), (np.int64(7),))),
            lambda v: expect([1, 1, 2])(sorted(x.dim for x in v)),
        ),
        Entry(
            "reps.decompose",
            er.decompose,
            {"rep": rot},
            (Slot("rep", any_rep),),
            lambda v: expect([(2, 1)])([(i.dim, m) for i, m in v]),
        ),
        Entry(
            "reps.subgroup_from_elements",
            er.subgroup_from_elements,
            {"G": C4, "elements": [0, 2]},
            (
                Slot("G", lambda v: isinstance(v, eg.FiniteGroup) and v.order == 4),
                Slot("elements", NEVER, ((0, 2), np.array([2, 0])), ([0, 1, 5], [1.5], "02", [0, 1], [[0, 2]])),
            ),
            lambda K: expect(2)(K.order),
        ),
        Entry(
            "reps.fixed_basis",
            er.fixed_basis,
            {"r": rot, "K": None, "tol": 1e-9},
            (
                Slot("r", any_rep),
                Slot(
                    "K",
                    lambda v: (
                        v is None
                        or v is w["K2"]
                        or empty(v)
                        or (isinstance(v, (list, tuple)) and all(is_int(x, 0, 3) for x in v))
                    ),
                    (),
                    ([7], [1.5]),
                ),
                Slot("tol", tols(0.0, 1e-2, strict=True), (1e-6,), keyword=True),
            ),
            expect_shape((2, 0)),
        ),
        Entry(
            "reps.defining",
            er.defining,
            {"K": eg.so3()},
            (Slot("K", lambda v: isinstance(v, eg.ContinuousGroup), (eg.o2(),)),),
            lambda rho: expect(True)(rho.dim in (2, 3)),
        ),
        Entry(
            "reps.determinant",
            er.determinant,
            {"K": eg.so3()},
            (Slot("K", lambda v: isinstance(v, eg.ContinuousGroup), (eg.o2(),)),),
            _dim(1),
        ),
    ]


def _net_entries(w: dict[str, Any]) -> list[Entry]:
    A = w["netA"]
    x = np.array([[1.0, -2.0], [0.5, 0.25]])
    fA = A(x)

    def same_as_A(net: Any) -> None:
        assert isinstance(net, ef.ReLUNet) and np.allclose(net(x), fA)

    seq_bad = (nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)), nn.Sequential(nn.Linear(2, 3), nn.ReLU()), nn.ReLU())
    return [
        Entry(
            "ReLUNet",
            ef.ReLUNet,
            {"W1": A.W1, "b1": None, "W2": A.W2, "b2": None, "exact": None},
            (
                Slot(
                    "W1",
                    lambda v: real_matrix(v) and v.shape[0] == 3,
                    (A.W1.tolist(), torch.tensor(A.W1, dtype=torch.float32)),
                    (
                        [[1.0, 0.0]],
                        [[1, 0], [0, 1], [Fraction(1, 3), 1 / 3]],
                        [["1", "0"], ["0", "1"], ["1", "1"]],
                        [[True, False], [False, True], [True, True]],
                    ),
                ),
                Slot("b1", lambda v: v is None, (np.zeros(3), [0, 0, 0]), ([0.0, 0.0], [math.nan, 0.0, 0.0])),
                Slot(
                    "W2", lambda v: real_matrix(v) and v.shape[1] == 3, (A.W2.tolist(),), ([[1, 1]], [[1, 1, math.inf]])
                ),
                Slot("b2", lambda v: v is None, (np.zeros(1),), ([0.0, 0.0],)),
                # exact=True and exact=False are valid too, but either makes the Fraction/float mixture above a
                # valid call (the stated rule converts everything exactly, or to float64: test_errors.py), so
                # only the default (None: the mixture is refused) is mixed in here
                Slot("exact", lambda v: v is None or is_bool(v), (), ("yes", 1), keyword=True),
            ),
            same_as_A,
        ),
        Entry(
            "from_torch",
            ef.from_torch,
            {"module": w["torchA"]},
            (Slot("module", NEVER, (w["netA_f32"],), seq_bad),),
            same_as_A,
        ),
        Entry(
            "ReLUNet.from_dict",
            ef.ReLUNet.from_dict,
            {"data": A.to_dict()},
            (
                Slot(
                    "data",
                    NEVER,
                    (A.to_exact().to_dict(),),
                    (
                        {"W1": [[1.0]]},
                        {"exact": True, "W1": [["1/0"]], "b1": None, "W2": [["1"]], "b2": None},
                        {"exact": True, "W1": [["x"]], "b1": None, "W2": [["1"]], "b2": None},
                        {"exact": "no", "W1": [[1.0]], "b1": None, "W2": [[1.0]], "b2": None},
                        {"W1": [[1.0]], "b1": None, "W2": [[1.0]], "b2": None, "extra": 1},
                    ),
                ),
            ),
            same_as_A,
        ),
    ]
