"""Which inputs the gate tries, and the targeted search that climbs towards a failure.

The elements tried first are those of :func:`equifuzz.groups.elements.elements_to_try`; with blocks of points
every element also translates by a Gaussian of twice 1 + the points' spread (``translation_scale``).
The search then perturbs the worst (inputs, element) pairs -- inputs by Gaussian steps,
continuous elements by right-multiplying with exp of a random skew matrix, finite elements by one
more generator -- keeping each step that raises the error-to-tolerance ratio and adapting the step
size (grow on success, shrink on failure). With a batcher, each round perturbs all its candidates in
one vectorized draw and evaluates x and g.x of every candidate in one stacked call.

Early exit (:func:`out_of_reach`): after at least ``MIN_ROUNDS`` rounds, the search stops when its best
ratio r (over all climbers), even if it kept growing for every remaining round at its recent rate
(the geometric mean growth per round over the last ``MIN_ROUNDS`` rounds) or at ``GROWTH_FLOOR`` per
round, whichever is larger, and then doubled (``SAFETY``), stays below the failure threshold:

    r * max(GROWTH_FLOOR, (r / r_{-MIN_ROUNDS}) ** (1 / MIN_ROUNDS)) ** remaining * SAFETY < 1.

A best ratio of exactly 0 (every error exactly zero) is out of reach too. The rule keeps a search
going wherever a failure is within a factor 2 x 1.25^remaining of the tolerance or the ratio is still
climbing fast. Before ``MIN_ROUNDS`` rounds (after at least one) it stops only a ratio far below the
tolerance: one that stays below it even growing at ``FAST_GROWTH`` (2) per round, or at the rate
measured so far if faster, for every remaining round, then doubled:
``r * max(FAST_GROWTH, (r / r_0) ** (1 / rounds)) ** remaining * SAFETY < 1`` (with the ``ci`` budget of
12 rounds a ratio under 2.4e-4 stops after one round: a passing float64 module sits at 1e-5 to 1e-3;
exact zeros wait for ``MIN_ROUNDS`` rounds).

A float32/float16 function is searched on its float64 version (:class:`Float64Version`, the module
called with float64 copies of its parameters, ``gate.float64``), measured against the function's own
tolerance (:func:`search_in_float64`); a pair that fails there is measured again through the function
itself and joins its trials. The gate's verdict on such a function is "fails" only when a failure
persists in float64 (else it is rounding and passes), so that is the error the climb follows; the
function's own ratio is round-off plus that, and climbing it chases round-off (6 to 11 rounds of a
passing float32 module before, none of them able to change the verdict).

The first evaluation is staged (:func:`staging`) for a continuous group whose elements relabel no
nodes. Stage one measures, on every input of both sets, the covering subgroup's generators, the first
``STAGE_SAMPLES`` (8) Haar samples and the pure translation: 11 of the 63 elements of O(3), 12 of 64
with points. Every other covering element is a word of at most D generators (D: the diameter of the
covering subgroup's Cayley graph, 6 for the cube group in O(3)), and its error is a sum of generator
errors at moved inputs, f(ab.x) - ab.f(x) = [f(a.(b.x)) - a.f(b.x)] + a.[f(b.x) - b.f(x)], which the
inputs drawn (Gaussian, an O(d)-invariant law, rows rescaled by factors that commute with the group)
sample like the inputs themselves. So a defect shows on some generator whenever it shows on any
covering element (the elements where f is equivariant form a subgroup), at no less than 1/D of its
size there. Stage two (every element, the whole first evaluation as before) runs unless every ratio of
stage one is far below the tolerance, ``r1 * D * SAFETY <= 1``; for a float32/float16 function a stage
one that passes but is not that far below is measured again on the float64 version, which then
decides (a float32 failure there would be rounding). What a pass without stage two gives up is the
number of (input, element) pairs, 12/64 of them, and the other 8 Haar samples (draws of the same law
as the 8 measured): a defect confined to a thin region of inputs that the group moves (not one every
rotation keeps, such as large inputs) is met on fewer moved copies of the inputs. Measured on a defect
inside a cone about a cube axis (benchmarks/README.md): half-angle 0.04 rad, caught in 17 of 30 seeds
in float64 staged against 24 of 30 before (15 against 20 in float32); 0.15 rad and wider, 30 of 30 both.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors.exceptions import ShapeError
from ..groups.continuous import ContinuousGroup
from ..groups.elements import Element, covering
from ..groups.finite import FiniteGroup
from ..oracles.error import Trial
from .actions import Action, apply_many, apply_stacked
from .batch import Batcher
from .check import (
    Probe,
    compare,
    compare_many,
    compare_pairs,
    compare_stacked,
    measure,
    transform_inputs,
    transform_pairs,
)
from .float64 import as_float64

__all__ = ["Trial", "translation_scale", "draw_inputs", "evaluate", "evaluate_many", "search",
           "out_of_reach", "MIN_ROUNDS", "GROWTH_FLOOR", "SAFETY", "FAST_GROWTH", "Staging", "staging",
           "STAGE_SAMPLES", "remeasure", "search_in_float64", "Float64Version"]

#: the early exit (module docstring): rounds after which the measured rate is trusted, assumed growth per
#: round, margin; the growth assumed for a far-below ratio before ``MIN_ROUNDS`` rounds (after at least one)
MIN_ROUNDS = 3
GROWTH_FLOOR = 1.25
SAFETY = 2.0
FAST_GROWTH = 2.0
#: Haar samples measured in the first stage of a staged first evaluation (module docstring)
STAGE_SAMPLES = 8


@dataclass(frozen=True)
class Staging:
    """The staged first evaluation (module docstring): the indices of the elements measured first, and
    ``word_length``, the longest word in the covering subgroup's generators that another element needs."""

    first: tuple[int, ...]
    word_length: int
    n_elements: int
    samples: int
    translation: bool

    def grows(self, ratio: float) -> bool:
        """Whether the rest of the elements must be measured after a first stage with worst ``ratio``
        (NaN: yes)."""
        return not ratio * self.word_length * SAFETY <= 1.0

    def note(self, ratio: float, ratio64: float | None = None) -> str:
        """The verdict's line on the first evaluation (``ratio64``: the first stage's worst ratio measured on
        the float64 version of a float32/float16 function, when it was)."""
        what = f"the covering subgroup's generators, {self.samples} Haar samples" + (
            ", the pure translation" if self.translation else "")
        head = (f"first evaluation staged: {len(self.first)} of {self.n_elements} elements ({what}) on every input, "
                f"worst ratio {ratio:.2g}")
        if ratio64 is not None:
            head += f" ({ratio64:.2g} on the function's float64 version against the same tolerance)"
            ratio = ratio64
        if self.grows(ratio):
            return f"{head} > 1/({SAFETY:g} x {self.word_length}), so all {self.n_elements} were measured"
        return (f"{head} <= 1/({SAFETY:g} x {self.word_length}): far below the tolerance, so the other "
                f"{self.n_elements - len(self.first)} elements (covering elements, words of at most "
                f"{self.word_length} generators, and Haar samples) were not measured")


class Float64Version:
    """The float64 version of a float32/float16 function (``gate.float64.as_float64``) as a probe measuring
    against the function's own tolerance, built on first use; ``get`` returns None when it cannot be built."""

    def __init__(self, fn: Any, probe: Probe) -> None:
        self.fn, self.of = fn, probe
        self.probe: Probe | None = None
        self.failed = False

    def get(self) -> Probe | None:
        if self.probe is None and not self.failed:
            try:
                p = Probe(as_float64(self.fn), torch.float64, self.of.device, self.of.in_actions, self.of.out_actions,
                          self.of.out_tuple, cast_all=True)
            except Exception:  # no float64 version: the decisions are made on the function itself
                self.failed = True
                return None
            p.eps = self.of.eps  # the default atol keeps the function's own eps
            self.probe = p
        return self.probe

    @property
    def calls(self) -> int:
        return 0 if self.probe is None else self.probe.calls


@functools.lru_cache(maxsize=8)
def _word_length(group: ContinuousGroup) -> int:
    """The diameter of the Cayley graph of the covering subgroup of ``group`` with its generators (right
    multiplication): every element is a word of at most that many generators."""
    cover = covering(group)
    dist = np.full(cover.order, -1)
    dist[0], frontier, d = 0, np.array([0]), 0
    gens = np.asarray(cover.generators, dtype=np.int64)
    while frontier.size:
        d += 1
        nxt = np.unique(cover.table[np.ix_(frontier, gens)])
        nxt = nxt[dist[nxt] < 0]
        dist[nxt] = d
        frontier = nxt
    return int(dist.max())


def staging(group: FiniteGroup | ContinuousGroup, elements: Sequence[Element]) -> Staging | None:
    """The staged first evaluation of ``elements`` (as ``elements_to_try`` orders them) for a continuous
    group whose elements move no nodes, or None (every element measured at once)."""
    if not isinstance(group, ContinuousGroup) or any(g.perm is not None for g in elements):
        return None
    cover = covering(group)
    if not cover.generators:
        return None
    gens = [np.asarray(cover.labels[h]) for h in cover.generators]  # type: ignore[index]
    first, samples, translation = [], 0, False
    for i, g in enumerate(elements):
        covers = g.label.startswith("covering element") and g.matrix is not None
        if covers and any(np.array_equal(np.asarray(g.matrix), M) for M in gens):
            first.append(i)
        elif g.label.startswith("Haar sample") and samples < STAGE_SAMPLES:
            first.append(i)
            samples += 1
        elif g.label == "pure translation":
            first.append(i)
            translation = True
    if len(first) != len(gens) + samples + bool(translation) or len(first) >= len(elements):
        return None
    return Staging(tuple(first), _word_length(group), len(elements), samples, translation)


def translation_scale(in_actions: Sequence[Action], sample: Sequence[Any]) -> tuple[int, float] | None:
    """(dimension, scale) of the translations for the first block of points (node-wise ones included)."""
    for a, x in zip(in_actions, sample, strict=True):
        if a.translates:
            assert a.dim is not None
            return a.dim, 2.0 * (1.0 + (float(x.std()) if x.numel() > 1 else 0.0))
    return None


def draw_inputs(in_actions: Sequence[Action], inputs: Sequence[Any] | None, n: int, seed: int,
                device: torch.device) -> list[list[Any]]:
    """Two sets of inputs: unit Gaussians and row-wise rescaled ones (or the given inputs and a
    perturbation of them); two per kind of input an action draws (``Action.variants``, e.g. image
    sizes). Transforming blocks are float64 on ``device``; others are passed as given."""
    gen = torch.Generator().manual_seed(seed)
    if inputs is None:
        fixed = [i for i, a in enumerate(in_actions) if not a.transforms]
        if fixed:
            raise ShapeError(f"input block(s) {fixed} do not transform, so the gate cannot draw them: pass "
                             "inputs=(...) with one tensor per input block")
        sets: list[list[Any]] = []
        for v in range(max(getattr(a, "variants", 1) for a in in_actions)):  # e.g. one pair of sets per image size
            base = [a.draw(n, gen, v % getattr(a, "variants", 1)) for a in in_actions]
            row_scale = 10.0 ** (4 * torch.rand(n, 1, generator=gen, dtype=torch.float64) - 2)
            sets += [[x.to(device) for x in base],
                     [(x * row_scale[:len(x)].reshape(len(x), *[1] * (x.ndim - 1))).to(device) for x in base]]
        return sets
    if len(inputs) != len(in_actions):
        raise ShapeError(f"inputs has {len(inputs)} block(s) but rho_in names {len(in_actions)}")
    given: list[Any] = []
    for i, (a, x) in enumerate(zip(in_actions, inputs, strict=True)):
        if a.transforms:
            t = torch.as_tensor(x).detach()
            if not t.is_floating_point():
                raise ShapeError(f"input block {i} ({a.name}) transforms, so it must hold floating-point values, "
                                 f"got {t.dtype}")
            if a.dim is not None and (t.ndim == 0 or t.shape[-1] != a.dim):
                raise ShapeError(f"input block {i} ({a.name}) has shape {tuple(t.shape)}; its representation has "
                                 f"dimension {a.dim}, which must be the size of the last axis")
            given.append(t.to(device=device, dtype=torch.float64))
        else:
            given.append(x)
    return [given, perturb_inputs(given, in_actions, gen, 0.5)]


def perturb_inputs(xs: Sequence[Any], in_actions: Sequence[Action], gen: torch.Generator,
                   sigma: float) -> list[Any]:
    out = []
    for a, x in zip(in_actions, xs, strict=True):
        if a.transforms and x.numel():
            step = sigma * (float(x.std()) if x.numel() > 1 else 1.0 + float(x.abs().max()))
            noise = torch.randn(x.shape, generator=gen, dtype=torch.float64).to(x.device)
            out.append(x + step * noise)
        else:
            out.append(x)
    return out


def _stackable(xss: Sequence[Sequence[Any]]) -> bool:
    """Whether block j of every input set is a tensor of one shape, for every j (so sets can be stacked)."""
    first = xss[0]
    return all(isinstance(x, torch.Tensor) for x in first) and all(
        isinstance(x, torch.Tensor) and x.shape == first[j].shape for xs in xss[1:] for j, x in enumerate(xs))


def perturb_stacked(X: Sequence[torch.Tensor], in_actions: Sequence[Action], rng: np.random.Generator,
                    sigmas: np.ndarray) -> list[torch.Tensor]:
    """``perturb_inputs`` of W input sets at once: block j of set i is ``X[j][i]``, and set i moves by
    Gaussian steps of ``sigmas[i]`` times its own spread (std of the block, or 1 + max |entry| for one
    entry), one draw per block for all sets."""
    out = []
    for a, B in zip(in_actions, X, strict=True):
        if not a.transforms or B[0].numel() == 0:
            out.append(B)
            continue
        flat = B.reshape(B.shape[0], -1)
        spread = flat.std(dim=1) if flat.shape[1] > 1 else 1.0 + flat.abs().amax(dim=1)
        noise = rng.standard_normal(tuple(B.shape)) * sigmas.reshape(-1, *[1] * (B.ndim - 1))
        out.append(torch.addcmul(B, spread.reshape(-1, *[1] * (B.ndim - 1)), torch.from_numpy(noise).to(B.device)))
    return out


def _expm_skew(dim: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return _expm_skew_many(dim, np.array([sigma], dtype=np.float64), rng)[0]


def _expm_skew_many(dim: int, sigmas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """exp of a random skew matrix of scale ``sigmas[i]`` for every i, (W, dim, dim): a rotation by a
    Gaussian angle in the plane, or Rodrigues' formula for a Gaussian axis-angle vector in space."""
    W = len(sigmas)
    if dim == 2:
        th = sigmas * rng.standard_normal(W)
        c, s = np.cos(th), np.sin(th)
        out = np.empty((W, 2, 2))
        out[:, 0, 0], out[:, 0, 1], out[:, 1, 0], out[:, 1, 1] = c, -s, s, c
        return out
    w = sigmas[:, None] * rng.standard_normal((W, 3))
    th = np.sqrt((w * w).sum(axis=1))
    K = np.zeros((W, 3, 3))
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -w[:, 2], w[:, 1], -w[:, 0]
    K[:, 1, 0], K[:, 2, 0], K[:, 2, 1] = w[:, 2], -w[:, 1], w[:, 0]
    small = th < 1e-12
    safe = np.where(small, 1.0, th)
    a = np.where(small, 1.0, np.sin(safe) / safe)[:, None, None]
    b = np.where(small, 0.0, (1 - np.cos(safe)) / safe ** 2)[:, None, None]
    out = a * K + b * (K @ K)
    out[:, [0, 1, 2], [0, 1, 2]] += 1.0
    return out


def _perturb_perm(perm: np.ndarray | None, rng: np.random.Generator) -> np.ndarray | None:
    if perm is None or rng.random() >= 0.5:
        return perm
    perm = np.array(perm)  # one more transposition of two nodes
    i, j = rng.choice(len(perm), size=2, replace=False) if len(perm) > 1 else (0, 0)
    perm[[i, j]] = perm[[j, i]]
    return perm


def _perturb_translation(t: np.ndarray | None, sigma: float, rng: np.random.Generator) -> np.ndarray | None:
    return None if t is None else t + sigma * rng.standard_normal(t.shape) * (1.0 + float(np.abs(t).max()))


def perturb_element(g: Element, group: FiniteGroup | ContinuousGroup, rng: np.random.Generator,
                    sigma: float) -> Element:
    t = _perturb_translation(g.translation, sigma, rng)
    perm = _perturb_perm(g.perm, rng)
    if perm is not g.perm:
        g = g.replace(perm=perm)
    if isinstance(group, FiniteGroup):
        if not group.generators or rng.random() < 0.5:
            return g.replace(translation=t)
        assert g.index is not None
        h = int(group.mul(g.index, group.generators[int(rng.integers(len(group.generators)))]))
        if h == 0 and t is None and g.perm is None:
            return g
        return Element(f"g = {group.word_str(h)} (searched)", index=h, translation=t, perm=g.perm)
    assert g.matrix is not None
    M = g.matrix @ _expm_skew(group.dim, sigma, rng)
    return Element("searched element", matrix=M, translation=t, perm=g.perm)


def perturb_elements(gs: Sequence[Element], group: FiniteGroup | ContinuousGroup, rng: np.random.Generator,
                     sigmas: np.ndarray) -> list[Element]:
    """``perturb_element`` of every element, the continuous ones in one vectorized draw: g_i right-multiplied
    by exp of a random skew matrix of scale ``sigmas[i]``, translations and node permutations moved as
    ``perturb_element`` moves them."""
    if isinstance(group, FiniteGroup) or any(g.matrix is None for g in gs):
        return [perturb_element(g, group, rng, float(s)) for g, s in zip(gs, sigmas, strict=True)]
    Ms = np.stack([np.asarray(g.matrix) for g in gs]) @ _expm_skew_many(group.dim, np.asarray(sigmas, np.float64), rng)
    return [Element("searched element", matrix=M, translation=_perturb_translation(g.translation, float(s), rng),
                    perm=_perturb_perm(g.perm, rng)) for g, s, M in zip(gs, sigmas, Ms, strict=True)]


def evaluate(probe: Probe, xs: list[Any], elements: Sequence[Element], *, rtol: float,
             atol: float | None, ys: list[torch.Tensor] | None = None) -> list[Trial]:
    """Measure every element on one set of inputs."""
    ys = probe(xs) if ys is None else ys
    return [Trial(xs, ys, g, measure(probe, xs, ys, g, rtol=rtol, atol=atol)) for g in elements]


def evaluate_many(probe: Probe, batcher: Batcher, sets: Sequence[list[Any]], elements: Sequence[Element], *,
                  rtol: float, atol: float | None) -> tuple[list[Trial], list[list[torch.Tensor]]]:
    """Measure every element on every set of inputs, stacking x and all g.x into few calls; also
    returns f(x) of every set."""
    if not _stackable(sets):
        return _evaluate_many_sets(probe, batcher, sets, elements, rtol=rtol, atol=atol)
    E = len(elements)
    S = len(sets)
    blocks = []
    for j, a in enumerate(probe.in_actions):
        per_set = []
        for xs in sets:
            x = xs[j]
            moved = apply_many(a, elements, x) if a.transforms or a.permutes else x.expand(E, *x.shape)
            per_set += [x.unsqueeze(0), moved]
        blocks.append(torch.cat(per_set))
    outs = [O.unflatten(0, (S, 1 + E)) for O in batcher.stacked(blocks)]
    ys_sets = [[O[s, 0] for O in outs] for s in range(S)]
    found = compare_stacked(probe, [O[:, 0] for O in outs], [O[:, 1:] for O in outs], elements, rtol=rtol, atol=atol)
    trials = [Trial(list(xs), ys_sets[s], g, found[s * E + e]) for s, xs in enumerate(sets)
              for e, g in enumerate(elements)]
    return trials, ys_sets


def _evaluate_many_sets(probe: Probe, batcher: Batcher, sets: Sequence[list[Any]], elements: Sequence[Element], *,
                        rtol: float, atol: float | None) -> tuple[list[Trial], list[list[torch.Tensor]]]:
    """``evaluate_many`` for input sets that cannot be stacked (blocks of several shapes or not tensors)."""
    stack: list[list[Any]] = []
    for xs in sets:
        stack.append(list(xs))
        moved = [apply_many(a, elements, x) if a.transforms or a.permutes else None
                 for a, x in zip(probe.in_actions, xs, strict=True)]
        stack += [[x if m is None else m[e] for x, m in zip(xs, moved, strict=True)] for e in range(len(elements))]
    outs = batcher.many(stack)
    step = 1 + len(elements)
    trials: list[Trial] = []
    for s, xs in enumerate(sets):
        ys = outs[s * step]
        found = compare_many(probe, ys, outs[s * step + 1:(s + 1) * step], elements, rtol=rtol, atol=atol)
        trials += [Trial(list(xs), ys, g, m) for g, m in zip(elements, found, strict=True)]
    return trials, [outs[s * step] for s in range(len(sets))]


def _round_stacked(probe: Probe, batcher: Batcher, best: Sequence[Trial], group: FiniteGroup | ContinuousGroup,
                   rng: np.random.Generator, sig_x: np.ndarray, sig_g: np.ndarray, *,
                   rtol: float, atol: float | None) -> list[Trial]:
    """One search round with every candidate in one stacked call: x_i and g_i.x_i of all W candidates."""
    W = len(best)
    X = perturb_stacked([torch.stack([t.xs[j] for t in best]) for j in range(len(probe.in_actions))],
                        probe.in_actions, rng, sig_x)
    gs = perturb_elements([t.g for t in best], group, rng, sig_g)
    GX = [apply_stacked(a, gs, B) if a.transforms or a.permutes else B for a, B in zip(probe.in_actions, X,
                                                                                      strict=True)]
    outs = batcher.stacked([torch.cat([B, GB]) for B, GB in zip(X, GX, strict=True)])
    Y, YG = [O[:W] for O in outs], [O[W:] for O in outs]
    found = compare_stacked(probe, Y, YG, gs, rtol=rtol, atol=atol)
    return [Trial([B[i] for B in X], [O[i] for O in Y], g, m) for i, (g, m) in enumerate(zip(gs, found,
                                                                                             strict=True))]


def remeasure(probe: Probe, trials: Sequence[Trial], *, rtol: float, atol: float | None,
              batcher: Batcher | None = None) -> list[Trial]:
    """The (inputs, element) pairs of ``trials`` measured again through ``probe`` (the function in another
    dtype): x and g.x of every pair in one stacked call with a ``batcher``, else two calls per pair."""
    if not trials:
        return []
    moved = [transform_inputs(probe, t.xs, t.g) for t in trials]
    if batcher is not None:
        outs = batcher.many([z for t, gx in zip(trials, moved, strict=True) for z in (t.xs, gx)])
        ys, ygs = outs[0::2], outs[1::2]
    else:
        ys, ygs = [probe(t.xs) for t in trials], [probe(gx) for gx in moved]
    return [Trial(list(t.xs), y, t.g, compare(probe, y, yg, t.g, rtol=rtol, atol=atol))
            for t, y, yg in zip(trials, ys, ygs, strict=True)]


def search_in_float64(probe: Probe, probe64: Probe, group: FiniteGroup | ContinuousGroup, start: Sequence[Trial],
                      rounds: int, *, rtol: float, atol: float | None, seed: int, batch_dim: int | None,
                      rows_per_call: int | None = None, stats: dict[str, int] | None = None) -> list[Trial]:
    """The search of a float32/float16 function (module docstring), climbed on ``probe64`` (its float64
    version, measured against the function's own tolerance): the starting pairs measured in float64, the
    climb, and every climbed pair that fails there measured again in the function's dtype (``probe``);
    returns those (the function's own measures). A climb that passes the tolerance in float64 goes on
    until twice the tolerance (``SAFETY``) or the end of its rounds: a pair just over it in float64 may
    sit just under it in float32, where round-off adds to the error with either sign."""
    batcher = None if batch_dim is None else Batcher(probe64, batch_dim, rows_per_call, declared=False)
    climbed = search(probe64, group, remeasure(probe64, start, rtol=rtol, atol=atol, batcher=batcher), rounds,
                     rtol=rtol, atol=atol, seed=seed, stop_above=SAFETY, batcher=batcher, stats=stats)
    return remeasure(probe, [t for t in climbed if t.ratio > 1.0], rtol=rtol, atol=atol)


def out_of_reach(history: Sequence[float], remaining: int, stop_above: float = 1.0) -> bool:
    """The early exit of the search (module docstring): ``history`` holds the best ratio before the first
    round and after every round so far, ``remaining`` the rounds left."""
    done = len(history) - 1
    if remaining <= 0:
        return True
    if done < 1:
        return False
    r = history[-1]
    if done < MIN_ROUNDS:  # far below only: the rate measured so far, at least FAST_GROWTH a round
        before = history[0]
        if not (r > 0.0 and before > 0.0):
            return False
        growth = max(FAST_GROWTH, (r / before) ** (1.0 / done))
        return r * growth ** remaining * SAFETY < stop_above
    before = history[-1 - MIN_ROUNDS]
    if r == 0.0:
        return True
    if not before > 0.0:
        return False
    growth = max(GROWTH_FLOOR, (r / before) ** (1.0 / MIN_ROUNDS))
    return r * growth ** remaining * SAFETY < stop_above


def search(probe: Probe, group: FiniteGroup | ContinuousGroup, start: Sequence[Trial], rounds: int, *,
           rtol: float, atol: float | None, seed: int, stop_above: float = 1.0,
           batcher: Batcher | None = None, stats: dict[str, int] | None = None) -> list[Trial]:
    """Hill-climb from each starting trial for up to ``rounds`` steps; stop as soon as a ratio exceeds
    ``stop_above``, or when a failure (a ratio above 1) is out of reach (:func:`out_of_reach`). Returns the
    improved trials (best first). With a ``batcher`` every round evaluates the candidates of all starting trials in one
    stacked call. ``stats`` (if given) receives ``rounds`` and ``tried`` (candidates evaluated)."""
    rng = np.random.default_rng([seed, 1])
    gen = torch.Generator().manual_seed(seed + 1)
    best = list(start)
    sig_x = np.full(len(best), 0.3)
    sig_g = np.full(len(best), 0.3)
    stacked = batcher is not None and len(best) > 0 and _stackable([t.xs for t in best])
    history = [max((t.ratio for t in best), default=0.0)]
    done = 0
    while best and done < rounds:
        if stacked:
            assert batcher is not None
            trials = _round_stacked(probe, batcher, best, group, rng, sig_x, sig_g, rtol=rtol, atol=atol)
        else:
            cands = [(perturb_inputs(t.xs, probe.in_actions, gen, float(sig_x[i])),
                      perturb_element(t.g, group, rng, float(sig_g[i]))) for i, t in enumerate(best)]
            if batcher is not None:
                gs = [g for _, g in cands]
                moved = transform_pairs(probe, [xs for xs, _ in cands], gs)
                outs = batcher.many([z for (xs, _), gx in zip(cands, moved, strict=True) for z in (xs, gx)])
                measures = compare_pairs(probe, outs[0::2], outs[1::2], gs, rtol=rtol, atol=atol)
                trials = [Trial(xs, outs[2 * i], g, m) for i, ((xs, g), m) in enumerate(zip(cands, measures,
                                                                                           strict=True))]
            else:
                trials = []
                for xs, g in cands:
                    ys = probe(xs)
                    trials.append(Trial(xs, ys, g, measure(probe, xs, ys, g, rtol=rtol, atol=atol)))
        done += 1
        for i, cand in enumerate(trials):
            if cand.ratio > best[i].ratio:
                best[i] = cand
                sig_x[i], sig_g[i] = min(2.0, sig_x[i] * 1.5), min(2.0, sig_g[i] * 1.5)
            else:
                sig_x[i], sig_g[i] = max(1e-3, sig_x[i] * 0.7), max(1e-3, sig_g[i] * 0.7)
        history.append(max(t.ratio for t in best))
        if history[-1] > stop_above or out_of_reach(history, rounds - done, min(stop_above, 1.0)):
            break
    if stats is not None:
        stats["rounds"], stats["tried"] = done, done * len(best)
    return sorted(best, key=lambda t: -t.ratio)
