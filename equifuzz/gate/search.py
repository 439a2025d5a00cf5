"""Which inputs the gate tries, and the targeted search that climbs towards a failure.

The elements tried first are those of :func:`equifuzz.elements.elements_to_try`; with blocks of points
every element also translates by a Gaussian of twice 1 + the points' spread (``translation_scale``).
The search then perturbs the worst (inputs, element) pairs -- inputs by Gaussian steps,
continuous elements by right-multiplying with exp of a random skew matrix, finite elements by one
more generator -- keeping each step that raises the error-to-tolerance ratio and adapting the step
size (grow on success, shrink on failure).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..elements import Element
from ..errors import ShapeError
from ..groups import ContinuousGroup, FiniteGroup
from ..oracles.error import Trial
from .actions import Action, apply_many
from .batch import Batcher
from .check import Probe, compare_many, compare_pairs, measure, transform_pairs

__all__ = ["Trial", "translation_scale", "draw_inputs", "evaluate", "evaluate_many", "search"]


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
    perturbation of them). Transforming blocks are float64 on ``device``; others are passed as given."""
    gen = torch.Generator().manual_seed(seed)
    if inputs is None:
        fixed = [i for i, a in enumerate(in_actions) if not a.transforms]
        if fixed:
            raise ShapeError(f"input block(s) {fixed} do not transform, so the gate cannot draw them: pass "
                             "inputs=(...) with one tensor per input block")
        base = [torch.randn(n, a.dim, generator=gen, dtype=torch.float64) for a in in_actions]  # type: ignore[arg-type]
        row_scale = 10.0 ** (4 * torch.rand(n, 1, generator=gen, dtype=torch.float64) - 2)
        return [[x.to(device) for x in base], [(x * row_scale).to(device) for x in base]]
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


def _expm_skew(dim: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    if dim == 2:
        th = sigma * rng.standard_normal()
        return np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    w = sigma * rng.standard_normal(3)
    th = float(np.linalg.norm(w))
    K = np.array([[0, -w[2], w[1]], [w[2], 0, -w[0]], [-w[1], w[0], 0]])
    if th < 1e-12:
        return np.eye(3) + K
    return np.eye(3) + np.sin(th) / th * K + (1 - np.cos(th)) / th ** 2 * K @ K


def perturb_element(g: Element, group: FiniteGroup | ContinuousGroup, rng: np.random.Generator,
                    sigma: float) -> Element:
    t = None if g.translation is None else g.translation + sigma * rng.standard_normal(g.translation.shape) \
        * (1.0 + float(np.abs(g.translation).max()))
    if g.perm is not None and rng.random() < 0.5:  # one more transposition of two nodes
        perm = np.array(g.perm)
        i, j = rng.choice(len(perm), size=2, replace=False) if len(perm) > 1 else (0, 0)
        perm[[i, j]] = perm[[j, i]]
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


def evaluate(probe: Probe, xs: list[Any], elements: Sequence[Element], *, rtol: float,
             atol: float | None, ys: list[torch.Tensor] | None = None) -> list[Trial]:
    """Measure every element on one set of inputs."""
    ys = probe(xs) if ys is None else ys
    return [Trial(xs, ys, g, measure(probe, xs, ys, g, rtol=rtol, atol=atol)) for g in elements]


def evaluate_many(probe: Probe, batcher: Batcher, sets: Sequence[list[Any]], elements: Sequence[Element], *,
                  rtol: float, atol: float | None) -> tuple[list[Trial], list[list[torch.Tensor]]]:
    """Measure every element on every set of inputs, stacking x and all g.x into few calls; also
    returns f(x) of every set."""
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
        measures = compare_many(probe, ys, outs[s * step + 1:(s + 1) * step], elements, rtol=rtol, atol=atol)
        trials += [Trial(list(xs), ys, g, m) for g, m in zip(elements, measures, strict=True)]
    return trials, [outs[s * step] for s in range(len(sets))]


def search(probe: Probe, group: FiniteGroup | ContinuousGroup, start: Sequence[Trial], rounds: int, *,
           rtol: float, atol: float | None, seed: int, stop_above: float = 1.0,
           batcher: Batcher | None = None) -> list[Trial]:
    """Hill-climb from each starting trial for ``rounds`` steps; stop as soon as a ratio exceeds
    ``stop_above``. Returns the improved trials (best first). With a ``batcher`` every round evaluates
    the candidates of all starting trials in one stacked call."""
    rng = np.random.default_rng([seed, 1])
    gen = torch.Generator().manual_seed(seed + 1)
    best = list(start)
    sig_x = [0.3] * len(best)
    sig_g = [0.3] * len(best)
    for _ in range(rounds):
        cands = []
        for i, t in enumerate(best):
            cands.append((perturb_inputs(t.xs, probe.in_actions, gen, sig_x[i]), perturb_element(t.g, group, rng,
                                                                                                    sig_g[i])))
        if batcher is not None:
            gs = [g for _, g in cands]
            moved = transform_pairs(probe, [xs for xs, _ in cands], gs)
            outs = batcher.many([z for (xs, _), gx in zip(cands, moved, strict=True) for z in (xs, gx)])
            measures = compare_pairs(probe, outs[0::2], outs[1::2], gs, rtol=rtol, atol=atol)
            trials = [Trial(xs, outs[2 * i], g, m) for i, ((xs, g), m) in enumerate(zip(cands, measures, strict=True))]
        else:
            trials = []
            for xs, g in cands:
                ys = probe(xs)
                trials.append(Trial(xs, ys, g, measure(probe, xs, ys, g, rtol=rtol, atol=atol)))
        for i, cand in enumerate(trials):
            if cand.ratio > best[i].ratio:
                best[i] = cand
                sig_x[i], sig_g[i] = min(2.0, sig_x[i] * 1.5), min(2.0, sig_g[i] * 1.5)
            else:
                sig_x[i], sig_g[i] = max(1e-3, sig_x[i] * 0.7), max(1e-3, sig_g[i] * 0.7)
        if max(t.ratio for t in best) > stop_above:
            break
    return sorted(best, key=lambda t: -t.ratio)
