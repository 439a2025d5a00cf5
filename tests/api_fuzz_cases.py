"""The public surface of equifuzz as a catalogue of entry points for the API fuzz tests.

Each :class:`Entry` names one public function, a known-good call (``good``), and for each argument
(:class:`Slot`) a predicate ``accepts`` saying which values are legitimate, some valid variants (a
torch module where a ReLUNet is wanted, a numpy integer where an int is) and extra bad values of
its own. Bad values for a slot are the shared pool :func:`junk` plus the slot's extras, less those
the slot accepts. ``check`` states the answer of a valid call, known by construction (Example A of
THEORY.md: a C2-equivariant network that is not layer-wise equivariant, realizable at width 6).
Nothing random runs at import; everything is built on first use.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import torch
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.strategies import SearchStrategy
from torch import nn

import equifuzz as ef
from equifuzz import groups as eg
from equifuzz import reps as er
from equifuzz import strategies as efs
from equifuzz.oracles import gaussian


@dataclass(frozen=True)
class Slot:
    name: str
    accepts: Callable[[Any], bool]
    variants: tuple[Any, ...] = ()
    bad: tuple[Any, ...] = ()
    keyword: bool = False


@dataclass(frozen=True)
class Entry:
    name: str
    fn: Callable[..., Any]
    good: dict[str, Any]
    slots: tuple[Slot, ...]
    check: Callable[[Any], None]
    strategy: bool = False
    extra_kwargs: dict[str, Any] = field(default_factory=dict)

    def call(self, values: dict[str, Any]) -> Any:
        args = [values[s.name] for s in self.slots if not s.keyword]
        kwargs = {s.name: values[s.name] for s in self.slots if s.keyword}
        out = self.fn(*args, **kwargs, **self.extra_kwargs)
        if self.strategy:
            out = draw_one(out)
        return out


_DRAW = settings(database=None, max_examples=10, phases=[Phase.generate], deadline=None,
                 suppress_health_check=list(HealthCheck))


def draw_one(strategy: SearchStrategy[Any]) -> Any:
    """One example of a strategy, drawn the way a test would (argument errors surface here)."""
    assert isinstance(strategy, SearchStrategy), f"expected a strategy, got {type(strategy).__name__}"
    return find(strategy, lambda _: True, settings=_DRAW)


# -- predicates ------------------------------------------------------------------------------------

def is_int(v: Any, lo: int | None = None, hi: int | None = None) -> bool:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        return False
    return (lo is None or v >= lo) and (hi is None or v <= hi)


def ints(lo: int | None = None, hi: int | None = None) -> Callable[[Any], bool]:
    return lambda v: is_int(v, lo, hi)


def is_bool(v: Any) -> bool:
    return isinstance(v, (bool, np.bool_))


def is_real(v: Any) -> bool:
    return not is_bool(v) and isinstance(v, (int, float, np.integer, np.floating, Fraction))


def is_tanh_net(v: Any) -> bool:
    return isinstance(v, nn.Sequential) and len(v) == 3 and isinstance(v[1], nn.Tanh)


def tols(lo: float = 0.0, hi: float = math.inf, none: bool = False, strict: bool = False) -> Callable[[Any], bool]:
    def ok(v: Any) -> bool:
        if v is None:
            return none
        return is_real(v) and math.isfinite(float(v)) and (float(v) > lo if strict else float(v) >= lo) \
            and float(v) <= hi
    return ok


def empty(v: Any) -> bool:
    return isinstance(v, (list, tuple, np.ndarray)) and len(v) == 0


def real_matrix(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.ndim == 2 and v.size > 0 and v.dtype.kind in "if" \
        and bool(np.isfinite(v).all())


def any_rep(v: Any) -> bool:
    return isinstance(v, er.Representation)


def any_group(v: Any) -> bool:
    return isinstance(v, eg.FiniteGroup) and v.order <= 100


def one_of(*good: Any) -> Callable[[Any], bool]:
    return lambda v: any(v is g for g in good)


def equals(*good: Any) -> Callable[[Any], bool]:
    return lambda v: any(type(v) is type(g) and v == g for g in good)


NEVER = one_of()


# -- the shared bad pool --------------------------------------------------------------------------

@cache
def junk() -> tuple[Any, ...]:
    """Wrong types, shapes, dtypes, NaN/inf, empty, negative, bool-for-int, other groups' objects."""
    V4 = eg.klein4()
    return (
        None, True, False, -1, 0, 2.5, math.nan, math.inf, -math.inf, "3", b"x", object(), [], [[]], {}, 1 + 2j,
        Fraction(1, 3), np.int64(-2), np.float32(1.5), np.zeros(0), np.zeros((0, 0)), np.full((2, 2), np.nan),
        np.eye(3), np.array(["a", "b"]), np.ones((2, 2), dtype=complex), [[1.0], [1.0, 2.0]],
        torch.zeros(2, dtype=torch.float32), torch.ones((2, 2), dtype=torch.int64), torch.zeros(2, dtype=torch.complex64),
        lambda x: x, int, V4, er.trivial(V4), V4.subgroups()[1], eg.so3(), er.defining(eg.so3()),
        ef.ReLUNet([[1.0, 2.0, 3.0]], None, [[1.0]], None), nn.Conv1d(1, 1, 1),
        nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)),
    )


# -- Example A and friends -------------------------------------------------------------------------

@cache
def world() -> dict[str, Any]:
    C2, C3, C4, S3 = eg.cyclic(2), eg.cyclic(3), eg.cyclic(4), eg.symmetric(3)
    neg = er.from_generators(C2, [-np.eye(2)])
    netA = ef.ReLUNet([[1, 0], [0, 1], [-1, -1]], None, [[1, 1, 1]], None)
    rot = er.rotation(C4)
    return dict(
        C2=C2, C3=C3, C4=C4, S3=S3, neg=neg, triv2=er.trivial(C2), netA=netA, torchA=netA.to_torch(),
        rot=rot, triv4=er.trivial(C4), K2=C4.subgroup([2]), reg2=er.regular(C2), rotC2=er.rotation(C2),
        netA_f32=netA.to_torch(torch.float32),
    )


def _same_function(expected: ef.ReLUNet) -> Callable[[Any], None]:
    def check(net: Any) -> None:
        assert isinstance(net, ef.ReLUNet)
        assert ef.equivalent(net, expected).holds
    return check


def expect(x: Any) -> Callable[[Any], None]:
    def check(v: Any) -> None:
        assert v == x, f"expected {x!r}, got {v!r}"
    return check


def expect_shape(shape: tuple[int, ...]) -> Callable[[Any], None]:
    def check(v: Any) -> None:
        assert np.shape(v) == shape, f"expected shape {shape}, got {np.shape(v)}"
    return check


def _order(n: int) -> Callable[[Any], None]:
    def check(G: Any) -> None:
        assert isinstance(G, eg.FiniteGroup) and G.order == n
    return check


def _dim(d: int) -> Callable[[Any], None]:
    def check(rho: Any) -> None:
        assert isinstance(rho, (er.Representation, er.ContinuousRepresentation)) and rho.dim == d
    return check


def _group_entries(w: dict[str, Any]) -> list[Entry]:
    C3 = w["C3"]
    small_group = lambda v: isinstance(v, eg.FiniteGroup) and v.order <= 2000  # noqa: E731
    rot90 = np.array([[0.0, -1.0], [1.0, 0.0]])
    return [
        Entry("groups.cyclic", eg.cyclic, {"n": 4}, (Slot("n", ints(1, 5040), (np.int64(6), 1), (10**7, 10**30)),),
              lambda G: _order(G.order)(G) if G.order in (1, 4, 6) else expect(4)(G.order)),
        Entry("groups.dihedral", eg.dihedral, {"n": 3}, (Slot("n", ints(1, 2520), (np.int64(3),), (10**4,)),),
              _order(6)),
        Entry("groups.symmetric", eg.symmetric, {"n": 3}, (Slot("n", equals(3, np.int64(3)), (np.int64(3),), (9, 12)),),
              _order(6)),
        Entry("groups.alternating", eg.alternating, {"n": 4}, (Slot("n", equals(4), (), (9, 10**3)),), _order(12)),
        Entry("groups.abelian", eg.abelian, {"a": 2, "b": 3},
              (Slot("a", equals(2, np.int64(2)), (np.int64(2),), (10**4,)),
               Slot("b", equals(3, np.int64(3)), (np.int64(3),), (10**4,))), _order(6)),
        Entry("groups.direct_product", eg.direct_product, {"G": w["C2"], "H": C3},
              (Slot("G", small_group, (), (eg.cyclic(3000),)), Slot("H", small_group, (), (eg.cyclic(3000),))),
              _order(6)),
        Entry("groups.from_permutations", eg.from_permutations, {"generators": [(1, 2, 0)], "degree": None,
                                                                 "max_order": 60},
              (Slot("generators", empty, ([np.array([1, 2, 0])],), ([(0, 0, 1)], [(1, 2, 0), (1, 0)], [[1.5, 0, 2]],
                                                                        [(1, 2, 3)])),
               Slot("degree", lambda v: v is None or equals(3)(v), (3,), (2, 4), keyword=True),
               Slot("max_order", ints(3, 5040), (3, np.int64(5040)), (1, 2, 10**9), keyword=True)), _order(3)),
        Entry("groups.from_matrices", eg.from_matrices, {"generators": [rot90], "max_order": 60, "tol": 1e-8},
              (Slot("generators", NEVER, ([rot90.tolist()], [torch.tensor(rot90)]),
                    ([np.zeros((0, 0))], [np.eye(2), np.eye(3)], [np.ones(3)], [np.diag([1.0, 0.0])], [2 * np.eye(2)])),
               Slot("max_order", ints(4, 5040), (np.int64(4),), (1, 2, 10**9), keyword=True),
               Slot("tol", tols(0.0, 1e-2, strict=True), (1e-10,), (0.0, 0.5, 10**30), keyword=True)), _order(4)),
        Entry("groups.from_table", eg.from_table, {"table": C3.table.copy(), "generators": [1]},
              (Slot("table", NEVER, (C3.table.tolist(),), (np.zeros((2, 3), int), np.array([[0, 1], [1, 2]]),
                                                           np.array([[0.0, 1.0], [1.0, 0.0]]))),
               Slot("generators", lambda v: v == [1] or v == (1,) or v == [2] or v == [1, 2], ((2,), [1, 2]),
                    ([5], [1.5], "1", [[1]], [True]))), _order(3)),
    ]


def _rep_entries(w: dict[str, Any]) -> list[Entry]:
    C2, C4, S3, rot, triv4 = w["C2"], w["C4"], w["S3"], w["rot"], w["triv4"]
    rot90 = np.array([[0.0, -1.0], [1.0, 0.0]])
    g4 = lambda *extra: Slot("G", one_of(C4, *extra))  # noqa: E731
    r = lambda name, *ok, bad=(), keyword=False: Slot(name, one_of(*ok), (), bad, keyword)  # noqa: E731
    wrong_dim = er.trivial(C4, 3)
    return [
        Entry("reps.trivial", er.trivial, {"G": C4, "n": 2},
              (Slot("G", lambda v: isinstance(v, (eg.FiniteGroup, eg.ContinuousGroup)), (eg.so2(),)),
               Slot("n", ints(1, 50), (np.int64(2),), (10**6,))), _dim(2)),
        Entry("reps.sign", er.sign, {"G": C4, "K": None},
              (g4(), Slot("K", lambda v: v is None or v is w["K2"], (w["K2"],), (C4.subgroup([]), C4.subgroups()[-1])),),
              _dim(1)),
        Entry("reps.regular", er.regular, {"G": w["C3"]}, (Slot("G", any_group, (), (eg.cyclic(2000),)),),
              _dim(3)),
        Entry("reps.coset", er.coset, {"G": C4, "K": w["K2"]}, (g4(), r("K", w["K2"])), _dim(2)),
        Entry("reps.permutation", er.permutation, {"G": w["C3"], "images": {1: [1, 2, 0]}},
              (Slot("G", one_of(w["C3"])),
               Slot("images", NEVER, ([[0, 1, 2], [1, 2, 0], [2, 0, 1]],),
                    ({1: [0, 0, 1]}, {1: [1, 0, 2]}, {5: [1, 2, 0]}, [[0, 1], [1, 0]], {1: "abc"}))), _dim(3)),
        Entry("reps.rotation", er.rotation, {"G": C4}, (Slot("G", one_of(C4), (), (S3,)),), _dim(2)),
        Entry("reps.standard", er.standard, {"G": S3}, (Slot("G", one_of(S3), (), (C4, eg.dihedral(3))),), _dim(3)),
        Entry("reps.signed_permutation", er.signed_permutation, {"G": C2, "images": {1: [1, 0]}, "signs": {1: [1, 1]}},
              (Slot("G", one_of(C2)), Slot("images", NEVER, (), ({1: [0, 0]}, {2: [1, 0]})),
               Slot("signs", NEVER, ({1: [-1, -1]},), ({1: [2, 1]}, {1: [1]}, {2: [1, 1]}, {1: [math.nan, 1]}))),
              _dim(2)),
        Entry("reps.direct_sum", er.direct_sum, {"r1": rot, "r2": triv4},
              (r("r1", rot, bad=(er.trivial(C2),)), r("r2", triv4)), _dim(3)),
        Entry("reps.tensor", er.tensor, {"r1": rot, "r2": rot},
              (r("r1", rot, bad=(er.regular(eg.cyclic(100)),)), r("r2", rot, bad=(er.regular(eg.cyclic(100)),))),
              _dim(4)),
        Entry("reps.change_basis", er.change_basis, {"rep": rot, "Q": np.diag([2.0, 1.0])},
              (r("rep", rot), Slot("Q", NEVER, ([[2.0, 0.0], [0.0, 1.0]], torch.eye(2, dtype=torch.float32)),
                                   (np.ones((2, 2)), np.eye(3), [[1.0, math.inf], [0.0, 1.0]]))), _dim(2)),
        Entry("reps.from_matrices", er.from_matrices, {"G": C2, "mats": np.stack([np.eye(2), -np.eye(2)])},
              (Slot("G", one_of(C2)), Slot("mats", NEVER, ([np.eye(2), -np.eye(2)], {1: -np.eye(2)}),
                                           ([np.eye(2), np.eye(3)], [np.eye(2), 2 * np.eye(2)], np.zeros((2, 0, 0)),
                                            [np.eye(2), np.eye(2), np.eye(2)]))), _dim(2)),
        Entry("reps.from_generators", er.from_generators, {"G": C4, "gen_mats": [rot90]},
              (g4(), Slot("gen_mats", NEVER, ({1: rot90}, [rot90.tolist()], [torch.tensor(rot90)]),
                          ([np.zeros((0, 0))], [np.eye(2), np.eye(3)], [np.eye(3)[:2]], [np.diag([1.0, 0.0])],
                           [2 * rot90], {7: rot90}, [[["a", "b"], ["c", "d"]]]))), _dim(2)),
        Entry("reps.inner", er.inner, {"chi": rot, "psi": rot},
              (Slot("chi", one_of(rot), (rot.character(),), (wrong_dim.character()[:3], np.array([1.0, math.nan, 0, 0]))),
               Slot("psi", one_of(rot), (rot.character(),))), expect(2.0)),
        Entry("reps.dim_hom", er.dim_hom, {"r1": rot, "r2": rot}, (r("r1", rot), r("r2", rot)),
              expect(2)),
        Entry("reps.dim_fix", er.dim_fix, {"r": triv4, "K": None},
              (Slot("r", any_rep), Slot("K", lambda v: v is None or v is w["K2"], (w["K2"],))),
              expect(1)),
        Entry("reps.intertwiners", er.intertwiners, {"r1": rot, "r2": rot, "tol": 1e-9},
              (r("r1", rot), r("r2", rot), Slot("tol", tols(0.0, 1e-2, strict=True), (1e-6,), (), keyword=True)),
              expect_shape((2, 2, 2))),
        Entry("reps.irreducibles", er.irreducibles, {"G": C4, "seed": 0},
              (Slot("G", any_group, (), (eg.cyclic(3000),)), Slot("seed", ints(0), (np.int64(7),))),
              lambda v: expect([1, 1, 2])(sorted(x.dim for x in v))),
        Entry("reps.decompose", er.decompose, {"rep": rot}, (Slot("rep", any_rep),),
              lambda v: expect([(2, 1)])([(i.dim, m) for i, m in v])),
        Entry("reps.subgroup_from_elements", er.subgroup_from_elements, {"G": C4, "elements": [0, 2]},
              (Slot("G", lambda v: isinstance(v, eg.FiniteGroup) and v.order == 4), Slot("elements", NEVER, ((0, 2), np.array([2, 0])), ([0, 1, 5], [1.5], "02", [0, 1], [[0, 2]]))),
              lambda K: expect(2)(K.order)),
        Entry("reps.fixed_basis", er.fixed_basis, {"r": rot, "K": None, "tol": 1e-9},
              (Slot("r", any_rep), Slot("K", lambda v: v is None or v is w["K2"] or empty(v) or (isinstance(v, (list, tuple)) and all(is_int(x, 0, 3) for x in v)),
                    (), ([7], [1.5])),
               Slot("tol", tols(0.0, 1e-2, strict=True), (1e-6,), keyword=True)),
              expect_shape((2, 0))),
        Entry("reps.defining", er.defining, {"K": eg.so3()}, (Slot("K", lambda v: isinstance(v, eg.ContinuousGroup),
                                                                    (eg.o2(),)),),
              lambda rho: expect(True)(rho.dim in (2, 3))),
        Entry("reps.determinant", er.determinant, {"K": eg.so3()},
              (Slot("K", lambda v: isinstance(v, eg.ContinuousGroup), (eg.o2(),)),), _dim(1)),
    ]


def _net_entries(w: dict[str, Any]) -> list[Entry]:
    A = w["netA"]
    x = np.array([[1.0, -2.0], [0.5, 0.25]])
    fA = A(x)

    def same_as_A(net: Any) -> None:
        assert isinstance(net, ef.ReLUNet) and np.allclose(net(x), fA)

    seq_bad = (nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)), nn.Sequential(nn.Linear(2, 3), nn.ReLU()), nn.ReLU())
    return [
        Entry("ReLUNet", ef.ReLUNet, {"W1": A.W1, "b1": None, "W2": A.W2, "b2": None, "exact": None},
              (Slot("W1", lambda v: real_matrix(v) and v.shape[0] == 3, (A.W1.tolist(), torch.tensor(A.W1, dtype=torch.float32)),
                    ([[1.0, 0.0]], [[1, 0], [0, 1], [Fraction(1, 3), 1 / 3]], [["1", "0"], ["0", "1"], ["1", "1"]],
                     [[True, False], [False, True], [True, True]])),
               Slot("b1", lambda v: v is None, (np.zeros(3), [0, 0, 0]), ([0.0, 0.0], [math.nan, 0.0, 0.0])),
               Slot("W2", lambda v: real_matrix(v) and v.shape[1] == 3, (A.W2.tolist(),), ([[1, 1]], [[1, 1, math.inf]])),
               Slot("b2", lambda v: v is None, (np.zeros(1),), ([0.0, 0.0],)),
               Slot("exact", lambda v: v is None or is_bool(v), (True, False), ("yes", 1), keyword=True)),
              same_as_A),
        Entry("from_torch", ef.from_torch, {"module": w["torchA"]},
              (Slot("module", NEVER, (w["netA_f32"],), seq_bad),), same_as_A),
        Entry("ReLUNet.from_dict", ef.ReLUNet.from_dict, {"data": A.to_dict()},
              (Slot("data", NEVER, (A.to_exact().to_dict(),),
                    ({"W1": [[1.0]]}, {"exact": True, "W1": [["1/0"]], "b1": None, "W2": [["1"]], "b2": None},
                     {"exact": True, "W1": [["x"]], "b1": None, "W2": [["1"]], "b2": None},
                     {"exact": "no", "W1": [[1.0]], "b1": None, "W2": [[1.0]], "b2": None},
                     {"W1": [[1.0]], "b1": None, "W2": [[1.0]], "b2": None, "extra": 1})),), same_as_A),
    ]


def _oracle_entries(w: dict[str, Any]) -> list[Entry]:
    A, neg, triv2, C2 = w["netA"], w["neg"], w["triv2"], w["C2"]
    other = (er.trivial(eg.cyclic(3), 2), er.trivial(C2, 3))
    c2_rep = lambda v: isinstance(v, er.Representation) and v.group.order == 2  # noqa: E731
    net_slot = lambda name: Slot(name, one_of(A), (w["torchA"],),  # noqa: E731
                                 (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)),))
    rin = Slot("rho_in", one_of(neg), (), other)
    rout = Slot("rho_out", one_of(triv2), (), other)
    tol = lambda: Slot("tol", tols(), (np.float32(1e-6), Fraction(1, 10**9)), (-1e-8,), keyword=True)  # noqa: E731
    holds = lambda v: expect(True)(v.holds)  # noqa: E731
    fails = lambda v: expect(False)(v.holds)  # noqa: E731
    return [
        Entry("check_equivariant", ef.check_equivariant,
              {"f": A, "rho_in": neg, "rho_out": triv2, "tol": None, "method": "auto", "n_inputs": 16, "n_words": 4,
               "seed": 0},
              (Slot("f", is_tanh_net, (w["torchA"], A.to_exact()), (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)),)),
               rin, rout, Slot("tol", tols(none=True), (1e-6, 0.0), (-1,), keyword=True),
               Slot("method", equals("auto", "canonical", "exact", "sampled"), ("sampled", "exact", "canonical"),
                    ("Auto", "fast"), keyword=True),
               Slot("n_inputs", ints(1, 10**5), (np.int64(8), 1), (10**12,), keyword=True),
               Slot("n_words", ints(0, 10**4), (0,), (10**12,), keyword=True),
               Slot("seed", ints(0), (np.int64(3),), keyword=True)), holds),
        Entry("check_layerwise", ef.check_layerwise,
              {"net": A, "rho_in": neg, "rho_out": triv2, "up_to_scaling": True, "tol": 1e-8},
              (net_slot("net"), rin, rout, Slot("up_to_scaling", is_bool, (False,), keyword=True), tol()), fails),
        Entry("compensate", ef.compensate, {"net": A, "rho_in": neg, "rho_out": triv2, "merge": True, "tol": 1e-8},
              (net_slot("net"), rin, rout, Slot("merge", is_bool, (False,), keyword=True), tol()), _same_function(A)),
        Entry("symmetrize", ef.symmetrize, {"net": A, "rho_in": neg, "rho_out": triv2},
              (net_slot("net"), rin, rout), _same_function(A)),
        Entry("equivalent", ef.equivalent, {"net1": A, "net2": A, "tol": 1e-8},
              (net_slot("net1"), net_slot("net2"), tol()), holds),
        Entry("realizability", ef.realizability,
              {"f": A, "rho_in": neg, "rho_out": triv2, "width": 6, "tol": 1e-8, "budget": 200},
              (net_slot("f"), rin, rout, Slot("width", ints(0), (np.int64(6), 100), ()), tol(),
               Slot("budget", ints(1), (np.int64(50),), keyword=True)),
              lambda v: expect((True, 6))((v.realizable, v.lower))),
        Entry("len_dimension", ef.len_dimension,
              {"rho_in": neg, "rho_hidden": w["reg2"], "rho_out": triv2, "hidden_bias": True, "output_bias": True,
               "method": "character"},
              (Slot("rho_in", c2_rep, (), other), Slot("rho_hidden", one_of(w["reg2"]), (), (w["rotC2"], er.trivial(eg.cyclic(3)))),
               Slot("rho_out", c2_rep, (), other), Slot("hidden_bias", is_bool, (), keyword=True), Slot("output_bias", is_bool, (), keyword=True),
               Slot("method", equals("character", "nullspace"), ("nullspace",), ("chars",), keyword=True)),
              expect(5)),
        Entry("gn_dimension", ef.gn_dimension, {"d": 2, "width": 3, "p": 1, "hidden_bias": True, "output_bias": True},
              (Slot("d", ints(1), (np.int64(2),)), Slot("width", ints(0), (np.int64(3),)), Slot("p", ints(1)),
               Slot("hidden_bias", is_bool), Slot("output_bias", is_bool)), expect(13)),
        Entry("risk", ef.risk, {"f": A, "target": A, "sampler": gaussian(2), "n": 64, "seed": 0, "batch": 32},
              (Slot("f", is_tanh_net, (w["torchA"],)), Slot("target", is_tanh_net, (w["torchA"],),
                                                      (ef.ReLUNet(np.eye(2), None, np.eye(2), None),)),
               Slot("sampler", NEVER, (), (gaussian(3), lambda rng, n: "x")),
               Slot("n", ints(2, 10**8), (np.int64(64),), (1, 10**12)), Slot("seed", ints(0), (5,), keyword=True),
               Slot("batch", ints(1), (np.int64(7),), keyword=True)),
              lambda v: expect(0.0)(v.value)),
    ]


def _gate_entries(w: dict[str, Any]) -> list[Entry]:
    return [
        Entry("assert_equivariant", ef.assert_equivariant,
              {"fn": w["torchA"], "group": w["C2"], "rho_in": w["neg"], "rho_out": w["triv2"], "profile": "dev",
               "atol": None, "rtol": None, "seed": 0},
              (Slot("fn", NEVER, (w["netA"],)),
               Slot("group", one_of(w["C2"]), (), (eg.cyclic(3),)),
               Slot("rho_in", one_of(w["neg"]), (), (er.trivial(w["C2"], 3),)),
               Slot("rho_out", one_of(w["triv2"]), (), (er.trivial(w["C2"], 2),)),
               Slot("profile", lambda v: v is None or equals("dev", "ci", "nightly", "gpu")(v), ("ci",), ("fast",),
                    keyword=True),
               Slot("atol", tols(none=True), (1e-9,), (), keyword=True),
               Slot("rtol", tols(none=True), (1e-6,), (), keyword=True),
               Slot("seed", ints(0), (np.int64(1),), keyword=True)),
              lambda v: expect(True)(v.holds)),
    ]


def _strategy_entries(w: dict[str, Any]) -> list[Entry]:
    A, neg, triv2, rot, triv4, C4 = w["netA"], w["neg"], w["triv2"], w["rot"], w["triv4"], w["C4"]
    rot_in = Slot("rho_in", one_of(rot), (), (er.trivial(C4, 3), er.trivial(eg.cyclic(3))))
    triv_out = Slot("rho_out", one_of(triv4), (), (er.trivial(eg.cyclic(3)),))
    neg_in = Slot("rho_in", one_of(neg), (), (er.trivial(w["C2"], 3), er.trivial(eg.cyclic(3), 2)))
    triv2_out = Slot("rho_out", one_of(triv2), (), (er.trivial(eg.cyclic(3)), er.trivial(w["C2"], 2)))
    seed = lambda kw=False: Slot("seed", ints(0), (np.int64(3), 2**40), (), keyword=kw)  # noqa: E731
    int_or_strategy = lambda lo: (lambda v: is_int(v, lo, 10**4) or isinstance(v, SearchStrategy))  # noqa: E731
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
        Entry("strategies.groups", efs.groups, {"max_order": 6, "families": None},
              (Slot("max_order", ints(1, 5040), (np.int64(6), 1), (10**9,)),
               Slot("families", lambda v: v is None or (isinstance(v, (list, tuple)) and v and set(v) <= set(efs.FAMILIES)),
                    (["cyclic"],), ("cyclic", ["free"], [1]))),
              lambda G: expect(True)(isinstance(G, eg.FiniteGroup) and G.order <= 6), strategy=True),
        Entry("strategies.subgroups", efs.subgroups, {"G": C4},
              (Slot("G", lambda v: isinstance(v, eg.FiniteGroup), (efs.groups(max_order=4),), (st.integers(),)),),
              lambda K: expect(True)(isinstance(K, eg.Subgroup)), strategy=True),
        Entry("strategies.representations", efs.representations,
              {"G": C4, "kinds": efs.KINDS, "max_dim": 4, "change_of_basis": False},
              (Slot("G", lambda v: isinstance(v, eg.FiniteGroup), (efs.groups(max_order=4),), (st.integers(),)),
               Slot("kinds", lambda v: isinstance(v, (list, tuple)) and bool(v) and set(v) <= set(efs.KINDS),
                    (["trivial"],), ("trivial", ["spin"])),
               Slot("max_dim", ints(1, 4), (np.int64(2), 1), (10**9,)),
               Slot("change_of_basis", is_bool, (True,))),
              lambda r: expect(True)(isinstance(r, er.Representation) and r.dim <= 4), strategy=True),
        Entry("strategies.relu_nets", efs.relu_nets,
              {"d": 2, "p": 1, "width": 3, "hidden_bias": True, "output_bias": False, "integer_weights": True},
              (Slot("d", equals(2, np.int64(2)), (np.int64(2),), (10**9,)), Slot("p", equals(1, np.int64(1))),
               Slot("width", int_or_strategy(1), (st.integers(1, 3), np.int64(2)), (10**9, st.just("x"))),
               Slot("hidden_bias", bool_or_strategy, (st.booleans(),), (st.just(3),)),
               Slot("output_bias", bool_or_strategy), Slot("integer_weights", bool_or_strategy)),
              lambda n: expect((2, 1))((n.d, n.p)), strategy=True),
        Entry("strategies.layerwise_nets", efs.layerwise_nets, {"rho_in": rot, "rho_out": triv4, "max_orbits": 2,
                                                                 "max_width": 8},
              (rot_in, triv_out, Slot("max_orbits", ints(1, 64), (1,), (10**9,), keyword=True),
               Slot("max_width", ints(4, 10**4), (np.int64(5),), (10**9,), keyword=True)), layerwise, strategy=True),
        Entry("strategies.equivariant_nets", efs.equivariant_nets, {"rho_in": neg, "rho_out": triv2,
                                                                     "kinds": ("len", "gen-not-len")},
              (neg_in, triv2_out, Slot("kinds", lambda v: isinstance(v, (list, tuple)) and bool(v)
                                       and set(v) <= set(efs.EQUIVARIANT_KINDS), (["len"],), ("len", ["gn"]))),
              equivariant, strategy=True),
        Entry("strategies.rep_pairs", efs.rep_pairs, {"max_order": 8, "max_in_dim": 4, "max_out_dim": 3},
              (Slot("max_order", ints(1, 8), (np.int64(4),), (10**9,)), Slot("max_in_dim", ints(1, 4), (2,), (10**9,)),
               Slot("max_out_dim", ints(1, 3), (1,), (10**9,))), pair, strategy=True),
        Entry("strategies.mutants", efs.mutants, {"net": A, "rho_in": neg, "rho_out": triv2,
                                                  "kinds": ("drop_neuron", "perturb")},
              (Slot("net", NEVER, (), (nn.Linear(2, 1),)), neg_in, triv2_out,
               Slot("kinds", lambda v: isinstance(v, (list, tuple)) and bool(v) and set(v) <= set(efs.MUTANT_KINDS),
                    (["perturb"],), ("perturb", ["rot"]))),
              lambda m: expect(True)(isinstance(m, efs.Mutant)), strategy=True),
        Entry("strategies.epsilons", efs.epsilons, {"smallest": 1e-3},
              (Slot("smallest", tols(0.0, 0.5, strict=True), (1e-7, np.float64(0.01)), (0.0, 1.5, 1e-300)),),
              lambda e: expect(True)(1e-7 <= e <= 0.5), strategy=True),
        Entry("strategies.inputs", efs.inputs, {"rho_in": rot, "net": None, "max_per_family": 4,
                                                "families": efs.INPUT_FAMILIES},
              (rot_in, Slot("net", lambda v: v is None, (), (A,)),
               Slot("max_per_family", ints(1, 10**4), (1,), (10**9,), keyword=True),
               Slot("families", lambda v: isinstance(v, (list, tuple)) and set(v) <= set(efs.INPUT_FAMILIES),
                    (["tiny"],), ("tiny", ["giant"]), keyword=True)),
              lambda X: expect(2)(np.shape(X)[1]), strategy=True),
        Entry("strategies.build_relu_net", efs.build_relu_net, {"d": 2, "p": 1, "width": 3, "seed": 0},
              (Slot("d", equals(2)), Slot("p", equals(1)), Slot("width", equals(3), (), (10**9,)), seed()),
              lambda n: expect((2, 3, 1))((n.d, n.width, n.p))),
        Entry("strategies.build_layerwise_net", efs.build_layerwise_net,
              {"rho_in": rot, "rho_out": triv4, "stabilizers": [w["K2"]], "seed": 0},
              (rot_in, triv_out, Slot("stabilizers", NEVER, ((w["K2"],),), ([eg.klein4().subgroups()[1]], [2], "K")),
               seed()),
              lambda v: expect(True)(ef.check_layerwise(v[0], rot, triv4).holds)),
        Entry("strategies.build_symmetrized_net", efs.build_symmetrized_net,
              {"rho_in": rot, "rho_out": triv4, "width": 2, "seed": 0},
              (rot_in, triv_out, Slot("width", ints(1, 64), (1,), (10**9,)), seed()),
              lambda n: expect(True)(ef.check_equivariant(n, rot, triv4).holds)),
        Entry("strategies.build_flipped_net", efs.build_flipped_net,
              {"rho_in": neg, "rho_out": triv2, "picks": [0], "seed": 0},
              (neg_in, triv2_out, Slot("picks", lambda v: isinstance(v, (list, tuple)) and all(is_int(x, 0) for x in v),
                                       ((0, 1),), ([1.5], "0", [-1])), seed()), flipped),
        Entry("strategies.reversing_elements", efs.reversing_elements, {"rho_in": neg}, (neg_in,),
              lambda v: expect([1])([s for s, _ in v])),
        Entry("strategies.plant", efs.plant, {"kind": "perturb", "net": A, "rho_in": neg, "rho_out": triv2, "seed": 0,
                                              "epsilon": 1e-3},
              (Slot("kind", equals(*efs.MUTANT_KINDS), ("drop_neuron",), ("perturbed",)),
               Slot("net", NEVER, (), (nn.Linear(2, 1),)), neg_in, triv2_out, seed(),
               Slot("epsilon", tols(0.0, 0.5, strict=True), (0.1,), (0.0, 2.0))), planted),
        Entry("strategies.find_witness", efs.find_witness, {"net": A, "rho_in": neg, "rho_out": triv2, "seed": 0,
                                                            "margin": 100.0},
              (Slot("net", NEVER, (), (nn.Linear(2, 1),)), neg_in, triv2_out, seed(),
               Slot("margin", tols(0.0, strict=True), (10,), (0.0,))), expect(None)),
        Entry("strategies.change_of_basis_matrix", efs.change_of_basis_matrix, {"d": 2, "seed": 0},
              (Slot("d", equals(2, np.int64(2)), (np.int64(2),), (10**9,)), seed()), cob),
        Entry("strategies.build_inputs", efs.build_inputs, {"rho_in": rot, "seed": 0, "counts": {"gaussian": 3}},
              (rot_in, seed(), Slot("counts", NEVER, ({"gaussian": np.int64(3)},),
                                    ({"gaussian": -1}, {"giant": 2}, {"gaussian": 1.5}, {"gaussian": 10**12}))),
              expect_shape((3, 2))),
    ]


@cache
def entries() -> tuple[Entry, ...]:
    w = world()
    return tuple(_group_entries(w) + _rep_entries(w) + _net_entries(w) + _oracle_entries(w) + _gate_entries(w)
                 + _strategy_entries(w))


def bad_values(slot: Slot) -> list[Any]:
    """The distinct bad values of a slot: the shared pool and its extras, less what it accepts."""
    out = []
    for v in (*junk(), *slot.bad):
        try:
            ok = bool(slot.accepts(v))
        except Exception:
            ok = False
        if not ok:
            out.append(v)
    return out
