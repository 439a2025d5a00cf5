"""Adversarial search: gradient ascent on inputs for the worst scaled equivariance error.

A ReLU network is piecewise linear, so an equivariance defect lives in the cells next to some
boundary hyperplane; random Gaussian inputs may never visit it (a neuron whose kink lies six
standard deviations out is active with probability ~1e-9). The search therefore starts at the
point of each hyperplane nearest the origin, p_i = -b_i w_i / ||w_i||^2, plus small offsets to both
sides and in random directions, and climbs the scaled error (the kernel's formula, float64, torch
autograd) for every start and every element at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..errors.validation import check_counts, check_int, check_positive_reals, check_real
from ..nets.relu_net import ReLUNet
from ..nets.validation import check_net, check_net_and_reps
from ..reps.finite import Representation
from .kernel import DEFAULT_EPS, GAP_FLOOR, default_device, default_elements, element_gaps, no_tf32, paired_errors

__all__ = ["AdversarialResult", "adversarial_search", "kink_starts", "hypothesis_target"]


def kink_starts(net: ReLUNet, *, n_offsets: int = 4, offset: float = 1e-2, n_random: int = 8,
                seed: int = 0) -> np.ndarray:
    """Start points (S, d): for each live neuron p_i +- offset u_i and p_i + random offsets, plus Gaussians.

    Offsets scale with 1 + ||p_i|| so that starts far out are still moved off the kink.
    """
    net = check_net("net", net)
    check_counts(n_offsets=n_offsets, n_random=n_random)
    check_int("seed", seed, min=0)
    check_real("offset", offset, min=0.0)
    rng = np.random.default_rng(seed)
    W1, b1, _, _ = net.float_params()
    norms = np.linalg.norm(W1, axis=1)
    live = norms > 1e-12 * max(float(norms.max(initial=0.0)), 1e-300)
    starts = [rng.standard_normal((n_random, net.d))]
    for w, b, nrm in zip(W1[live], b1[live], norms[live], strict=True):
        u = w / nrm
        p = -b * w / nrm ** 2
        r = offset * (1.0 + float(np.linalg.norm(p)))
        pts = [p + r * u, p - r * u]
        if n_offsets > 2:
            pts += list(p + r * rng.standard_normal((n_offsets - 2, net.d)))
        starts.append(np.stack(pts))
    return np.concatenate(starts, axis=0)


@dataclass(frozen=True)
class AdversarialResult:
    """The worst (element, input) found: scaled error (rel / gap), rel, element word and input.

    ``per_element`` holds the best scaled error per searched element; ``evaluations`` counts network
    evaluations (two per error value).
    """

    error: float
    rel_error: float
    element: int
    word: str
    input: np.ndarray = field(repr=False)
    elements: list[int] = field(repr=False)
    per_element: np.ndarray = field(repr=False)
    n_starts: int
    steps: int
    evaluations: int

    def __str__(self) -> str:
        x = np.array2string(self.input, precision=4, separator=", ")
        return (f"worst scaled error {self.error:.3g} (rel {self.rel_error:.3g}) at g = {self.word} "
                f"(element {self.element}), x = {x}; {self.n_starts} starts x {len(self.elements)} elements, "
                f"{self.steps} steps")

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.error, "rel_error": self.rel_error, "element": self.element, "word": self.word,
                "input": self.input.tolist(), "elements": list(self.elements),
                "per_element": self.per_element.tolist(), "n_starts": self.n_starts, "steps": self.steps,
                "evaluations": self.evaluations}


def adversarial_search(
    net: ReLUNet,
    rho_in: Representation,
    rho_out: Representation,
    *,
    elements: Sequence[int] | None = None,
    max_elements: int = 64,
    starts: Any = None,
    n_offsets: int = 4,
    offset: float = 1e-2,
    n_random: int = 8,
    steps: int = 150,
    lr: float = 0.02,
    eps: float = DEFAULT_EPS,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> AdversarialResult:
    """Maximise the scaled error over inputs for every start and element (Adam, float64).

    Elements: all non-identity ones when there are at most ``max_elements``, else the generators and
    random words. Inputs are parametrised as x = x0 + (1 + ||x0||) z so that the step size is relative.
    The best value seen along each trajectory counts, so a step that overshoots loses nothing.
    """
    net = check_net_and_reps("net", net, rho_in, rho_out)
    check_counts(max_elements=max_elements, n_offsets=n_offsets, n_random=n_random, steps=steps)
    check_int("seed", seed, min=0)
    check_positive_reals(lr=lr, eps=eps)
    check_real("offset", offset, min=0.0)
    G = rho_in.group
    els = (default_elements(rho_in, max_elements, seed) if elements is None
           else [G.check_element(g) for g in elements])
    dev = default_device(device)
    x0 = kink_starts(net, n_offsets=n_offsets, offset=offset, n_random=n_random, seed=seed) if starts is None \
        else np.asarray(starts, dtype=np.float64).reshape(-1, net.d)
    E, S = len(els), x0.shape[0]
    A = rho_in.matrices[els]
    C = rho_out.matrices[els]
    gap = element_gaps(A, C)
    inv_gap_np = np.where(gap > GAP_FLOOR, 1.0 / np.maximum(gap, GAP_FLOOR), 1.0)
    dt = torch.float64
    with no_tf32():
        W1, b1, W2, b2 = (torch.tensor(a, dtype=dt, device=dev) for a in net.float_params())
        At = torch.as_tensor(A, dtype=dt, device=dev)
        Ct = torch.as_tensor(C, dtype=dt, device=dev)
        inv_gap = torch.as_tensor(inv_gap_np, dtype=dt, device=dev)[:, None]
        base = torch.as_tensor(x0, dtype=dt, device=dev).unsqueeze(0).expand(E, S, net.d).clone()
        radius = 1.0 + torch.linalg.vector_norm(base, dim=-1, keepdim=True)
        z = torch.zeros_like(base, requires_grad=True)
        opt = torch.optim.Adam([z], lr=lr)
        floor = eps * net.scale
        best = torch.full((E, S), -1.0, dtype=dt, device=dev)
        best_rel = torch.zeros((E, S), dtype=dt, device=dev)
        best_x = base.clone()
        for _ in range(steps + 1):
            x = base + radius * z
            rel = paired_errors(W1, b1, W2, b2, At, Ct, x, floor)
            scaled = rel * inv_gap
            with torch.no_grad():
                better = scaled > best
                best = torch.where(better, scaled, best)
                best_rel = torch.where(better, rel, best_rel)
                best_x = torch.where(better.unsqueeze(-1), x, best_x)
            opt.zero_grad(set_to_none=True)
            (-scaled.sum()).backward()
            opt.step()
    best_np = best.detach().cpu().numpy()
    e, s = np.unravel_index(int(np.argmax(best_np)), best_np.shape)
    g = els[int(e)]
    return AdversarialResult(
        error=float(best_np[e, s]), rel_error=float(best_rel[e, s]), element=g, word=G.word_str(g),
        input=best_x[e, s].detach().cpu().numpy().copy(), elements=list(els), per_element=best_np.max(axis=1),
        n_starts=S, steps=steps, evaluations=2 * E * S * (steps + 1),
    )


def hypothesis_target(error: float, label: str = "scaled equivariance error") -> float:
    """Call ``hypothesis.target`` with the error (inside a Hypothesis test) and return it as a float.

    NaN and inf are reported as the largest finite float, so targeting climbs towards them.
    """
    from hypothesis import target

    e = float(error)
    if not math.isfinite(e):
        e = float(np.finfo(np.float64).max)
    target(e, label=label)
    return float(error)
