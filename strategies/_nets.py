"""Strategies for 2-layer ReLU networks: unconstrained, layer-wise equivariant, equivariant-not-layer-wise.

Structure (width, biases, orbit types, number of reversed hyperplane orbits, which element reverses
them) is drawn through Hypothesis so that failures shrink towards few neurons, large stabilizers and
small integer weights; the numbers themselves come from a drawn seed fed to the seeded builders of
:mod:`equifuzz.builders` (re-exported here), which the campaign shares.

Every equivariant draw is a :class:`DrawnNet` tagged with what it is:

- ``kind="len"``: layer-wise equivariant, built orbit by orbit from a hidden permutation
  representation sum_j R[G/K_j] (``construction="orbits"``) or as the orbit-merged symmetrization
  of a random network (``construction="symmetrized"``, T5);
- ``kind="gen-not-len"``: equivariant but not layer-wise at its width (``construction="flipped"``):
  Examples A and B generalized. Pick hyperplanes through 0 reversed by some element s
  (rho_in(s)^{-T} u = -u); a layer-wise network needs both orientations relu(u.x), relu(-u.x) of each
  (T4), here each hyperplane of the orbit carries ONE neuron relu(+-u.x) = |u.x|/2 +- u.x/2. The
  channels c_k of the orbits are chosen in the null space of the non-equivariant part of the linear
  remainder (Example A: sum of the u's is 0; Example B: sum a_k u_k = 0), so the function is
  equivariant while its width is half the layer-wise lower bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from equifuzz.builders import networks as _builders
from equifuzz.builders.networks import _projector  # noqa: F401  (used by _mutants and _inputs)
from equifuzz.groups.finite import FiniteGroup, Subgroup
from equifuzz.nets.relu_net import ReLUNet
from equifuzz.reps.finite import PermutationRepresentation, Representation

from ._checks import (
    MAX_COUNT,
    MAX_DIM,
    MAX_WIDTH,
    check_bool,
    check_flags,
    check_int,
    check_int_or_strategy,
    check_names,
    check_rep,
    check_reps,
    check_seed,
    check_subgroups,
)
from ._checks import InvalidStrategyArgument as InvalidArgument
from ._groups import groups, seeds
from ._reps import KINDS, representations

__all__ = [
    "DrawnNet",
    "EQUIVARIANT_KINDS",
    "relu_nets",
    "layerwise_nets",
    "equivariant_nets",
    "build_relu_net",
    "build_layerwise_net",
    "build_symmetrized_net",
    "build_flipped_net",
    "reversing_elements",
    "rep_pairs",
]

#: Kinds drawn by :func:`equivariant_nets`, simplest first.
EQUIVARIANT_KINDS: tuple[str, ...] = ("len", "gen-not-len")

_SEEDS = seeds()
# defaults (module-level singletons: strategies are immutable values)
WIDTHS = st.integers(1, 8)
BOOLEANS = st.booleans()
INTEGER_FIRST = st.sampled_from((True, False))  # integer weights are the simpler draw


@dataclass(frozen=True)
class DrawnNet:
    """A drawn network with the representations it is equivariant for and how it was built.

    ``kind`` is ``"len"``, ``"gen-not-len"`` or ``"gn"`` (no claim); ``construction`` is ``"orbits"``,
    ``"symmetrized"``, ``"flipped"`` or ``"random"``. ``hidden`` is the hidden permutation representation
    of an ``"orbits"`` net (neuron i is point i); ``stabilizers`` are the K_j of its orbits, or for a
    ``"flipped"`` net the stabilizers of its hyperplane orbits; ``lower`` is the T4 lower bound on the
    width of a layer-wise network computing the same function, where the construction knows it.
    """

    net: ReLUNet
    rho_in: Representation
    rho_out: Representation
    kind: str
    construction: str
    seed: int
    hidden: PermutationRepresentation | None = field(default=None, repr=False, compare=False)
    stabilizers: tuple[Subgroup, ...] = field(default=(), repr=False, compare=False)
    lower: int | None = None

    @property
    def group(self) -> FiniteGroup:
        return self.rho_in.group

    @property
    def width(self) -> int:
        return self.net.width

    def __repr__(self) -> str:
        n = self.net
        return (f"DrawnNet(kind={self.kind!r}, construction={self.construction!r}, seed={self.seed}, "
                f"group={self.group.name}, rho_in={self.rho_in.name}, rho_out={self.rho_out.name}, "
                f"width={n.width}, hidden_bias={n.hidden_bias}, output_bias={n.output_bias}, lower={self.lower})")


def _as_strategy(x: Any, name: str) -> SearchStrategy[Any]:
    """A bool argument (True, False or a strategy for them) as a strategy."""
    return x if isinstance(x, SearchStrategy) else st.just(check_bool(name, x))


_check_reps = check_reps


# -- the seeded builders, public here with their arguments checked (they live in equifuzz.builders, below the
# strategies and the campaign, which calls them with arguments it built itself)


def build_relu_net(d: int, p: int, width: int, seed: int, *, hidden_bias: bool = True, output_bias: bool = True,
                   integer_weights: bool = False, bound: int = 2) -> ReLUNet:
    """A width-``width`` network R^d -> R^p with N(0, 1) weights, or integers in [-bound, bound]."""
    d, p = check_int("d", d, min=1, max=MAX_DIM), check_int("p", p, min=1, max=MAX_DIM)
    width, seed = check_int("width", width, min=0, max=MAX_WIDTH), check_seed(seed)
    bound = check_int("bound", bound, min=0, max=2**31)
    check_flags(hidden_bias=hidden_bias, output_bias=output_bias, integer_weights=integer_weights)
    return _builders.build_relu_net(d, p, width, seed, hidden_bias=hidden_bias, output_bias=output_bias,
                                    integer_weights=integer_weights, bound=bound)


def build_layerwise_net(rho_in: Representation, rho_out: Representation, stabilizers: Sequence[Subgroup],
                        seed: int, *, hidden_bias: bool = True, output_bias: bool = True,
                        integer_weights: bool = False) -> tuple[ReLUNet, PermutationRepresentation]:
    """A layer-wise equivariant network with hidden representation sum_j R[G/K_j] (K_j = ``stabilizers``)."""
    _check_reps(rho_in, rho_out)
    stabilizers = check_subgroups("stabilizers", stabilizers, rho_in.group)
    seed = check_seed(seed)
    check_flags(hidden_bias=hidden_bias, output_bias=output_bias, integer_weights=integer_weights)
    if sum(K.index for K in stabilizers) > MAX_WIDTH:
        raise InvalidArgument(f"the stabilizers give {sum(K.index for K in stabilizers)} neurons, more than "
                              f"{MAX_WIDTH}; use fewer or larger subgroups")
    return _builders.build_layerwise_net(rho_in, rho_out, stabilizers, seed, hidden_bias=hidden_bias,
                                         output_bias=output_bias, integer_weights=integer_weights)


def build_symmetrized_net(rho_in: Representation, rho_out: Representation, width: int, seed: int, *,
                          hidden_bias: bool = True, output_bias: bool = True, integer_weights: bool = False,
                          merge: bool = True) -> ReLUNet:
    """The compensation (symmetrization, merged by orbits) of a random width-``width`` network."""
    _check_reps(rho_in, rho_out)
    width, seed = check_int("width", width, min=1, max=MAX_WIDTH), check_seed(seed)
    check_flags(hidden_bias=hidden_bias, output_bias=output_bias, integer_weights=integer_weights, merge=merge)
    if width * rho_in.group.order > MAX_WIDTH * 16:
        raise InvalidArgument(f"the symmetrization would have width {width * rho_in.group.order}: too wide")
    return _builders.build_symmetrized_net(rho_in, rho_out, width, seed, hidden_bias=hidden_bias,
                                           output_bias=output_bias, integer_weights=integer_weights, merge=merge)


def reversing_elements(rho_in: Representation) -> list[tuple[int, np.ndarray]]:
    """(s, P_s) for the elements s != e whose dual rho_in^*(s) has eigenvalue -1, one per distinct P_s."""
    check_rep("rho_in", rho_in)
    return _builders.reversing_elements(rho_in)


def build_flipped_net(rho_in: Representation, rho_out: Representation, picks: Sequence[int], seed: int, *,
                      hidden_bias: bool = False, output_bias: bool = False, integer_weights: bool = True,
                      max_width: int = _builders._MAX_WIDTH, extra_tries: int = 6
                      ) -> tuple[ReLUNet, list[Subgroup]] | None:
    """An equivariant, not layer-wise network with one neuron per reversed hyperplane (None: none found)."""
    _check_reps(rho_in, rho_out)
    if isinstance(picks, (str, bytes, dict)) or not hasattr(picks, "__iter__"):
        raise InvalidArgument(f"picks must be a list of non-negative ints, got {picks!r}")
    picks = [check_int("picks[i]", k, min=0) for k in picks]
    seed = check_seed(seed)
    max_width = check_int("max_width", max_width, min=1, max=MAX_WIDTH)
    extra_tries = check_int("extra_tries", extra_tries, min=0, max=MAX_COUNT)
    check_flags(hidden_bias=hidden_bias, output_bias=output_bias, integer_weights=integer_weights)
    return _builders.build_flipped_net(rho_in, rho_out, picks, seed, hidden_bias=hidden_bias,
                                       output_bias=output_bias, integer_weights=integer_weights,
                                       max_width=max_width, extra_tries=extra_tries)


# ---------------------------------------------------------------------------------------------
# strategies


def relu_nets(d: int, p: int, width: int | SearchStrategy[int] = WIDTHS,
              hidden_bias: bool | SearchStrategy[bool] = BOOLEANS,
              output_bias: bool | SearchStrategy[bool] = BOOLEANS,
              integer_weights: bool | SearchStrategy[bool] = INTEGER_FIRST
              ) -> SearchStrategy[ReLUNet]:
    """Unconstrained networks R^d -> R^p (no equivariance claim).

    Shrinks towards width 1, no biases and integer weights in [-1, 1]; the weights come from a drawn
    seed (N(0, 1), or integers in [-bound, bound] with a drawn bound 1..3).
    """
    d, p = check_int("d", d, min=1, max=MAX_DIM), check_int("p", p, min=1, max=MAX_DIM)
    width = check_int_or_strategy("width", width, 1, MAX_WIDTH)
    widths = width if isinstance(width, SearchStrategy) else st.just(width)
    hb, ob, iw = (_as_strategy(x, n) for x, n in ((hidden_bias, "hidden_bias"), (output_bias, "output_bias"),
                                                   (integer_weights, "integer_weights")))
    return _draw_relu_net(int(d), int(p), widths, hb, ob, iw)


@st.composite
def _draw_relu_net(draw: st.DrawFn, d: int, p: int, widths: SearchStrategy[int], hb: SearchStrategy[bool],
                   ob: SearchStrategy[bool], iw: SearchStrategy[bool]) -> ReLUNet:
    m = draw(widths)
    integer = draw(iw)
    bound = draw(st.integers(1, 3)) if integer else 1
    return build_relu_net(d, p, int(m), draw(_SEEDS), hidden_bias=draw(hb), output_bias=draw(ob),
                          integer_weights=integer, bound=bound)


@st.composite
def _stabilizer_lists(draw: st.DrawFn, subs: Sequence[Subgroup], max_orbits: int, max_width: int) -> list[Subgroup]:
    """Lists of subgroups K_j (orbit types G/K_j) from ``subs`` (sorted by index), total index <= max_width.

    Shrinks towards one orbit with K = G (one neuron).
    """
    n = draw(st.integers(1, max_orbits))
    out: list[Subgroup] = []
    room = max_width
    for _ in range(n):
        fits = [K for K in subs if K.index <= room]
        if not fits:
            break
        K = fits[min(draw(st.integers(0, max(1, len(fits) - 1))), len(fits) - 1)]
        out.append(K)
        room -= K.index
    return out


def _sorted_subgroups(G: FiniteGroup, max_width: int) -> list[Subgroup]:
    return [K for K in sorted(G.subgroups(), key=lambda K: (K.index, K.elements)) if K.index <= max_width]


def layerwise_nets(rho_in: Representation, rho_out: Representation,
                   hidden: SearchStrategy[Sequence[Subgroup]] | Sequence[Subgroup] | None = None, *,
                   max_orbits: int = 3, max_width: int = 12,
                   hidden_bias: bool | SearchStrategy[bool] = BOOLEANS,
                   output_bias: bool | SearchStrategy[bool] = BOOLEANS,
                   integer_weights: bool | SearchStrategy[bool] = INTEGER_FIRST
                   ) -> SearchStrategy[DrawnNet]:
    """Layer-wise equivariant networks (``kind="len"``, ``construction="orbits"``).

    The hidden permutation representation is sum_j R[G/K_j]: ``hidden`` gives the K_j (a list of
    subgroups of G, or a strategy for such lists); by default 1..``max_orbits`` orbits of total size
    <= ``max_width`` are drawn, shrinking towards a single fixed neuron (K = G). See
    :func:`build_layerwise_net` for the weights.
    """
    _check_reps(rho_in, rho_out)
    max_orbits = check_int("max_orbits", max_orbits, min=1, max=64)
    max_width = check_int("max_width", max_width, min=1, max=MAX_WIDTH)
    G = rho_in.group
    if hidden is not None and not isinstance(hidden, SearchStrategy):
        hidden = check_subgroups("hidden", hidden, G)
    if hidden is None:
        hid: SearchStrategy[Sequence[Subgroup]] = st.deferred(
            lambda: _stabilizer_lists(_sorted_subgroups(G, max_width), max_orbits, max_width))
    elif isinstance(hidden, SearchStrategy):
        hid = hidden
    else:
        hid = st.just(list(hidden))
    hb, ob, iw = (_as_strategy(x, n) for x, n in ((hidden_bias, "hidden_bias"), (output_bias, "output_bias"),
                                                   (integer_weights, "integer_weights")))
    return _draw_layerwise(rho_in, rho_out, hid, hb, ob, iw)


@st.composite
def _draw_layerwise(draw: st.DrawFn, rho_in: Representation, rho_out: Representation,
                    hid: SearchStrategy[Sequence[Subgroup]], hb: SearchStrategy[bool], ob: SearchStrategy[bool],
                    iw: SearchStrategy[bool]) -> DrawnNet:
    stabs = list(draw(hid))
    seed = draw(_SEEDS)
    net, rep = build_layerwise_net(rho_in, rho_out, stabs, seed, hidden_bias=draw(hb), output_bias=draw(ob),
                                   integer_weights=draw(iw))
    return DrawnNet(net, rho_in, rho_out, "len", "orbits", seed, hidden=rep, stabilizers=tuple(stabs))


def equivariant_nets(rho_in: Representation, rho_out: Representation,
                     kinds: Sequence[str] = EQUIVARIANT_KINDS, *, max_orbits: int = 3, max_width: int = 12,
                     hidden_bias: bool | SearchStrategy[bool] = BOOLEANS,
                     output_bias: bool | SearchStrategy[bool] = BOOLEANS,
                     integer_weights: bool | SearchStrategy[bool] = INTEGER_FIRST
                     ) -> SearchStrategy[DrawnNet]:
    """Equivariant networks of both kinds (see the module docstring), tagged with their kind.

    ``kinds`` chooses among ``"len"`` (orbit-built or symmetrized layer-wise networks) and
    ``"gen-not-len"`` (one neuron per reversed hyperplane). When ``rho_in`` reverses no hyperplane, or
    the drawn orbits admit no equivariant channels, a ``"gen-not-len"`` draw falls back to ``"len"`` if
    allowed and is rejected otherwise; check ``DrawnNet.kind``. Flipped networks have no hidden bias
    values (their hyperplanes pass through 0; with ``hidden_bias`` the bias vector is zero).
    """
    _check_reps(rho_in, rho_out)
    names = check_names("kinds", kinds, EQUIVARIANT_KINDS)
    max_orbits = check_int("max_orbits", max_orbits, min=1, max=64)
    max_width = check_int("max_width", max_width, min=1, max=MAX_WIDTH)
    names = [k for k in EQUIVARIANT_KINDS if k in names]
    hb, ob, iw = (_as_strategy(x, n) for x, n in ((hidden_bias, "hidden_bias"), (output_bias, "output_bias"),
                                                   (integer_weights, "integer_weights")))
    G = rho_in.group
    layerwise = layerwise_nets(rho_in, rho_out, max_orbits=max_orbits, max_width=max_width, hidden_bias=hb,
                               output_bias=ob, integer_weights=iw)
    sym_width = max(1, min(3, max_width // max(1, G.order)))
    return _draw_equivariant(rho_in, rho_out, tuple(names), layerwise, sym_width, max_orbits,
                             max(max_width, 2 * G.order), hb, ob, iw)


@st.composite
def _draw_equivariant(draw: st.DrawFn, rho_in: Representation, rho_out: Representation, names: tuple[str, ...],
                      layerwise: SearchStrategy[DrawnNet], sym_width: int, max_orbits: int, flip_width: int,
                      hb: SearchStrategy[bool], ob: SearchStrategy[bool], iw: SearchStrategy[bool]) -> DrawnNet:
    kind = names[min(draw(st.integers(0, max(1, len(names) - 1))), len(names) - 1)]
    if kind == "gen-not-len":
        n_orbits = draw(st.integers(1, max_orbits))
        # always max_orbits picks (only n_orbits used): no shorter choice sequence than a "len" draw, so
        # shrinking prefers a single layer-wise neuron to any flipped network
        picks = [draw(st.integers(0, 7)) for _ in range(max_orbits)][:n_orbits]
        seed = draw(_SEEDS)
        hbias, obias, integer = draw(hb), draw(ob), draw(iw)
        built = build_flipped_net(rho_in, rho_out, picks, seed, hidden_bias=hbias, output_bias=obias,
                                  integer_weights=integer, max_width=flip_width)
        if built is not None:
            net, stabs = built
            return DrawnNet(net, rho_in, rho_out, "gen-not-len", "flipped", seed, stabilizers=tuple(stabs),
                            lower=2 * net.width)
        if "len" not in names:
            reject()
    if draw(st.booleans()):
        m = draw(st.integers(1, sym_width))
        merge = not draw(st.booleans())  # orbit-merged (T5b) first, plain width-|G| m symmetrization (T5a)
        seed = draw(_SEEDS)
        net = build_symmetrized_net(rho_in, rho_out, m, seed, hidden_bias=draw(hb), output_bias=draw(ob),
                                    integer_weights=draw(iw), merge=merge)
        return DrawnNet(net, rho_in, rho_out, "len", "symmetrized", seed)
    return draw(layerwise)


def rep_pairs(max_order: int = 8, max_in_dim: int = 4, max_out_dim: int = 3, *,
              change_of_basis: bool | SearchStrategy[bool] = False, families: Sequence[str] | None = None,
              in_kinds: Sequence[str] | None = None, out_kinds: Sequence[str] | None = None
              ) -> SearchStrategy[tuple[Representation, Representation]]:
    """(rho_in, rho_out): two representations of one drawn group, for drawing networks against.

    Built from :func:`groups` and :func:`representations`; shrinks towards C_1 with trivial
    representations. ``change_of_basis`` (a bool or a strategy) conjugates each by a drawn
    well-conditioned matrix, making it non-orthogonal.
    """
    cob = _as_strategy(change_of_basis, "change_of_basis")
    max_in_dim = check_int("max_in_dim", max_in_dim, min=1, max=MAX_DIM)
    max_out_dim = check_int("max_out_dim", max_out_dim, min=1, max=MAX_DIM)
    for name, given in (("in_kinds", in_kinds), ("out_kinds", out_kinds)):
        if given is not None:
            check_names(name, given, KINDS)
    kw_in = {} if in_kinds is None else {"kinds": in_kinds}
    kw_out = {} if out_kinds is None else {"kinds": out_kinds}

    return _draw_pair(groups(max_order, families), cob, kw_in, kw_out, max_in_dim, max_out_dim)


@st.composite
def _draw_pair(draw: st.DrawFn, group_strategy: SearchStrategy[FiniteGroup],
               cob: SearchStrategy[bool], kw_in: dict, kw_out: dict, max_in_dim: int, max_out_dim: int
               ) -> tuple[Representation, Representation]:
    G = draw(group_strategy)
    rho_in = draw(representations(G, max_dim=max_in_dim, change_of_basis=draw(cob), **kw_in))
    rho_out = draw(representations(G, max_dim=max_out_dim, change_of_basis=draw(cob), **kw_out))
    return rho_in, rho_out
