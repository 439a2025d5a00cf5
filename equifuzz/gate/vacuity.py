"""Whether a passing gate tested anything: every output block must respond to the inputs it is checked on.

An output block that is identically zero, or constant, passes every equivariance check (any linear
action leaves zero alone, and an invariant constant is invariant), so a pass on it says nothing. The
gate therefore measures how each block responds to its inputs before it returns a pass: f at the
input sets it drew (or was given, and their perturbation) and at one more set with every transforming
block moved by Gaussian steps of half its spread (``SIGMA``). The *spread* of block k is the largest
change of any entry between these evaluations; the block is vacuous when the spread is within the
gate's own tolerance for that block (``atol + rtol x scale``, ``equifuzz.oracles.error``), i.e. the
gate could not have seen any error on it. (The extra evaluation is made only when a block did not
change between the input sets already evaluated: a passing gate usually pays nothing.) When a block
stays constant while only the transforming
inputs moved, but the model also takes node-indexed floating blocks that the gate does not move
(node features: they permute but do not transform), those are moved too in one more evaluation, so an
output that depends on them alone (a sum of node features) is not called vacuous.

An invariant output (``None``) legitimately does not change under the group, but it must still change
with its inputs; a block that is deliberately constant or zero (a placeholder, a zero-initialised
head) is declared with ``allow_constant=`` (``True``, or the indices of those output blocks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from ..oracles.error import max_abs, measure_blocks
from ..search.probe import Action, Probe

__all__ = ["Response", "responses", "vacuous_message", "allowed_constant", "SIGMA"]

#: the step of the extra evaluation, in units of each block's spread (std of its entries)
SIGMA = 0.5


@dataclass(frozen=True)
class Response:
    """How output block ``block`` responded over ``n_sets`` evaluations at different inputs."""

    block: int
    name: str
    spread: float
    tolerance: float
    largest: float
    n_sets: int
    moved_fixed: bool = False

    @property
    def vacuous(self) -> bool:
        return not self.spread > self.tolerance

    @property
    def zero(self) -> bool:
        return self.largest == 0.0


def _moved(xs: Sequence[Any], actions: Sequence[Action], gen: torch.Generator, fixed_too: bool) -> list[Any]:
    out = []
    for a, x in zip(actions, xs, strict=True):
        moves = a.transforms or (fixed_too and a.permutes)
        if moves and isinstance(x, torch.Tensor) and x.is_floating_point() and x.numel():
            step = SIGMA * (float(x.double().std()) if x.numel() > 1 else 1.0 + float(x.abs().max()))
            step = step if step > 0 else SIGMA
            noise = torch.randn(x.shape, generator=gen, dtype=torch.float64).to(device=x.device, dtype=x.dtype)
            out.append(x + step * noise)
        else:
            out.append(x)
    return out


def _spread(ys: Sequence[Sequence[torch.Tensor]], k: int) -> float:
    first = ys[0][k]
    worst = 0.0
    for y in ys[1:]:
        if y[k].shape != first.shape:
            return float("inf")  # the block's shape follows the inputs: it responds
        worst = max(worst, max_abs(y[k] - first))
    return worst


def responses(probe: Probe, sets: Sequence[Sequence[Any]], ys_sets: Sequence[Sequence[torch.Tensor]], *,
              rtol: float, atol: float | None, seed: int) -> list[Response]:
    """The response of every output block: f at ``sets`` (outputs ``ys_sets``, already computed) and at
    one more set moved from the first (module docstring); blocks that stay constant are measured once
    more with the node-wise floating blocks moved too, when the model takes such blocks."""
    gen = torch.Generator().manual_seed(seed + 7)
    ys = [list(y) for y in ys_sets]
    found = _measure(probe, ys, rtol=rtol, atol=atol) if len(ys) > 1 else []
    if found and not any(r.vacuous for r in found):  # every block already changed between the input sets
        return found
    ys.append(probe(_moved(sets[0], probe.in_actions, gen, fixed_too=False)))
    found = _measure(probe, ys, rtol=rtol, atol=atol)
    extra = any(a.permutes and not a.transforms and isinstance(x, torch.Tensor) and x.is_floating_point()
                for a, x in zip(probe.in_actions, sets[0], strict=True))
    if extra and any(r.vacuous for r in found):
        try:
            ys.append(probe(_moved(sets[0], probe.in_actions, gen, fixed_too=True)))
        except Exception:  # a model that cannot take moved node features: the blocks stay as measured
            return found
        found = [replace(r, moved_fixed=True) for r in _measure(probe, ys, rtol=rtol, atol=atol)]
    return found


def _measure(probe: Probe, ys: Sequence[Sequence[torch.Tensor]], *, rtol: float, atol: float | None) -> list[Response]:
    K = len(probe.out_actions)
    spreads = [_spread(ys, k) for k in range(K)]
    largest = [max(max_abs(y[k]) for y in ys) for k in range(K)]
    m = measure_blocks(spreads, largest, probe.eps, rtol=rtol, atol=atol)
    return [Response(k, a.name, spreads[k], m.tolerances[k], largest[k], len(ys))
            for k, a in enumerate(probe.out_actions)]


def allowed_constant(allow: bool | Sequence[int], n_outputs: int) -> set[int]:
    """The output blocks declared constant on purpose (``allow_constant=``)."""
    if allow is True:
        return set(range(n_outputs))
    if allow is False or allow is None:
        return set()
    return {int(k) for k in allow}  # type: ignore[union-attr]


def vacuous_message(name: str, group: str, found: Sequence[Response], in_actions: Sequence[Action],
                    n_outputs: int) -> str:
    """The message of ``VacuousCheckError`` for the vacuous blocks in ``found``."""
    moving = ", ".join(f"{j} ({a.name})" for j, a in enumerate(in_actions) if a.transforms) or "none"
    still = [j for j, a in enumerate(in_actions) if not a.transforms]
    lines = [f"{name} passes the check under {group} only vacuously: the check could not have failed on "
             f"{'these output blocks' if len(found) > 1 else 'this output block'}:"]
    for r in found:
        if r.zero:
            what = f"is identically zero at all {r.n_sets} input sets tried, and zero is left alone by every element"
        else:
            what = (f"does not change with its inputs: over {r.n_sets} input sets its entries change by at most "
                    f"{r.spread:.3g} (largest entry {r.largest:.3g}), within the gate's tolerance {r.tolerance:.3g}")
            if still:
                what += (f"; it ignores the input blocks that carry the action ({moving})"
                         + (" and the node features" if r.moved_fixed else "")
                         + f", or depends only on the blocks that do not transform ({', '.join(map(str, still))})")
        lines.append(f"  output block {r.block} of {n_outputs} ({r.name}) {what}")
    ks = tuple(r.block for r in found)
    lines.append("  An invariant output (rho_out None) is fine as long as it changes with its inputs. If the block is "
                 f"constant on purpose (a placeholder, a zero-initialised head), declare it: allow_constant={ks!r} "
                 "(or allow_constant=True); else make the model compute it (e.g. switch off a zero initialisation "
                 "of the output layer, such as equiformer-pytorch's init_out_zero=True).")
    return "\n".join(lines)
