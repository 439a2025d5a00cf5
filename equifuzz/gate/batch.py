"""Batched evaluation: many (element, input) pairs in few calls of a module that maps batch entries
independently.

With ``batch_dim=b`` the caller claims f(x)[i] depends on x[i] alone along axis b of every input and
output block. The gate then stacks the input sets it wants evaluated (x and g.x for every element g)
along that axis, calls f on chunks of the stack, and splits the outputs back: :meth:`Batcher.many` takes a
list of input sets, :meth:`Batcher.stacked` the sets already stacked on a new leading axis (and returns
the outputs stacked the same way). A chunk holds at most ``rows_per_call`` entries, sized from the bytes
one entry takes in and out (times ``ACTIVATION_FACTOR`` for the activations in between) against a memory
budget (``CPU_BUDGET_BYTES``, or a quarter of the free memory of a CUDA device); a chunk that runs out of
memory is halved and retried.

The claim is checked (:meth:`Batcher.check_independence`): f on one input set alone must agree, within
the gate's tolerance, with the same entries evaluated inside the stack. A module whose batch entries
interact (BatchNorm in training mode, dropout, a mean over the batch) fails with
:class:`BatchIndependenceError` instead of yielding a verdict computed on a false premise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..errors.exceptions import EquifuzzError, ShapeError
from .check import Measure, Probe, difference

__all__ = ["Batcher", "BatchIndependenceError", "CPU_BUDGET_BYTES", "ACTIVATION_FACTOR"]

#: Memory budget of one call on the CPU (inputs and outputs times ACTIVATION_FACTOR).
CPU_BUDGET_BYTES = 256 * 2 ** 20
#: Assumed ratio of a call's peak memory to the bytes of its inputs and outputs.
ACTIVATION_FACTOR = 64


class BatchIndependenceError(EquifuzzError, AssertionError):
    """``batch_dim`` was declared, but the module's batch entries interact."""

    def __init__(self, message: str, measure: Measure | None = None) -> None:
        super().__init__(message)
        self.measure = measure


def _oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


class Batcher:
    """Evaluates f on many input sets at once by stacking them along ``batch_dim`` (module docstring)."""

    def __init__(self, probe: Probe, batch_dim: int, rows_per_call: int | None = None, *,
                 declared: bool = True) -> None:
        self.probe, self.dim = probe, int(batch_dim)
        self.rows_per_call = rows_per_call
        self.declared = declared  # batch_dim given by the caller (else the gate's own trial, gate/batching.py)
        self.calls = 0

    def _lost_axis(self, k: int, y: torch.Tensor, total: int) -> str:
        if not self.declared:
            return (f"output {k} has shape {tuple(y.shape)} for {total} entries stacked along axis {self.dim}: it "
                    f"does not keep one entry per input entry along axis {self.dim}")
        return (f"batch_dim={self.dim}: output {k} has shape {tuple(y.shape)} for {total} stacked batch entries; it "
                f"must keep the batch axis {self.dim} (one entry per input entry), else leave batch_dim unset")

    def _rows(self, xs: Sequence[Any]) -> int:
        sizes = set()
        for j, x in enumerate(xs):
            if not isinstance(x, torch.Tensor):
                raise ShapeError(f"batch_dim={self.dim}: input block {j} is a {type(x).__name__}, not a tensor, so it "
                                 "cannot be stacked; pass it as a tensor with the batch axis or leave batch_dim unset")
            if x.ndim < 2 or not -x.ndim <= self.dim < x.ndim:
                raise ShapeError(f"batch_dim={self.dim}: input block {j} has shape {tuple(x.shape)}; it needs a batch "
                                 f"axis {self.dim} besides the feature axis (at least 2 axes)")
            sizes.add(x.shape[self.dim])
        if len(sizes) != 1:
            raise ShapeError(f"batch_dim={self.dim}: the input blocks have different sizes {sorted(sizes)} along "
                             "the batch axis; every block needs one entry per batch entry")
        return sizes.pop()

    def _budget_rows(self, sets: Sequence[Sequence[Any]], rows: int) -> int:
        if self.rows_per_call is not None:
            return max(rows, self.rows_per_call)
        per_row = sum(x.element_size() * x.numel() for x in sets[0]) / max(rows, 1)
        per_row *= 2 * ACTIVATION_FACTOR  # outputs are rarely larger than the inputs; activations are
        budget = float(CPU_BUDGET_BYTES)
        if self.probe.device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(self.probe.device)
            budget = free / 4
        self.rows_per_call = max(rows, int(budget // max(per_row, 1.0)))
        return self.rows_per_call

    def _call(self, chunk: Sequence[Sequence[Any]]) -> list[list[torch.Tensor]]:
        n_blocks = len(chunk[0])
        stacked = [torch.cat([xs[j] for xs in chunk], dim=self.dim) for j in range(n_blocks)]
        sizes = [xs[0].shape[self.dim] for xs in chunk]
        self.calls += 1
        ys = self.probe(stacked)
        total = sum(sizes)
        out: list[list[torch.Tensor]] = [[] for _ in chunk]
        for k, y in enumerate(ys):
            if y.ndim < 1 or not -y.ndim <= self.dim < y.ndim or y.shape[self.dim] != total:
                raise ShapeError(self._lost_axis(k, y, total))
            for i, part in enumerate(y.split(sizes, dim=self.dim)):
                out[i].append(part)
        return out

    def many(self, sets: Sequence[Sequence[Any]]) -> list[list[torch.Tensor]]:
        """f on every input set (each a list of blocks), in as few calls as the memory budget allows; sets
        of different shapes (images of several sizes) are stacked with the sets of their own shape."""
        groups: dict[tuple[tuple[int, ...], ...], list[int]] = {}
        for i, xs in enumerate(sets):
            self._rows(xs)
            groups.setdefault(tuple(tuple(x.shape) for x in xs), []).append(i)
        if len(groups) <= 1:
            return self._many(sets)
        out: list[list[torch.Tensor]] = [[] for _ in sets]
        for idx in groups.values():
            for i, ys in zip(idx, self._many([sets[i] for i in idx]), strict=True):
                out[i] = ys
        return out

    def _many(self, sets: Sequence[Sequence[Any]]) -> list[list[torch.Tensor]]:
        if not sets:
            return []
        rows = self._rows(sets[0])
        for xs in sets[1:]:
            if self._rows(xs) != rows:
                raise ShapeError(f"batch_dim={self.dim}: input sets of different batch sizes cannot be stacked")
        out: list[list[torch.Tensor]] = []
        i = 0
        while i < len(sets):
            per = max(1, self._budget_rows(sets, rows) // max(rows, 1))
            chunk = sets[i:i + per]
            try:
                out += self._call(chunk)
            except Exception as exc:
                if not _oom(exc) or len(chunk) == 1:
                    raise
                self.rows_per_call = max(rows, (len(chunk) // 2) * rows)
                if self.probe.device.type == "cuda":
                    torch.cuda.empty_cache()
                continue
            i += len(chunk)
        return out

    def stacked(self, blocks: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """f on S input sets given stacked: ``blocks[j]`` holds block j of every set on a new leading axis
        (S, ...). Returns every output block stacked the same way (S, ...), in as few calls as the memory
        budget allows: the same numbers as :meth:`many` on the S sets, without splitting and joining
        them one set at a time."""
        n_sets = int(blocks[0].shape[0]) if blocks and isinstance(blocks[0], torch.Tensor) else 0
        if n_sets == 0:
            raise ShapeError("batched evaluation needs at least one stacked input set")
        first = [X[0] for X in blocks]
        rows = self._rows(first)
        for j, X in enumerate(blocks):
            if X.shape[0] != n_sets:
                raise ShapeError(f"batch_dim={self.dim}: stacked input block {j} holds {X.shape[0]} sets, not {n_sets}")
        parts: list[list[torch.Tensor]] = []
        i = 0
        while i < n_sets:
            per = max(1, self._budget_rows([first], rows) // max(rows, 1))
            chunk = [X[i:i + per] for X in blocks]
            try:
                parts.append(self._call_stacked(chunk, rows))
            except Exception as exc:
                if not _oom(exc) or chunk[0].shape[0] == 1:
                    raise
                self.rows_per_call = max(rows, (chunk[0].shape[0] // 2) * rows)
                if self.probe.device.type == "cuda":
                    torch.cuda.empty_cache()
                continue
            i += chunk[0].shape[0]
        return parts[0] if len(parts) == 1 else [torch.cat(ys, dim=0) for ys in zip(*parts, strict=True)]

    def _call_stacked(self, chunk: Sequence[torch.Tensor], rows: int) -> list[torch.Tensor]:
        n_sets = int(chunk[0].shape[0])
        joined = []
        for X in chunk:  # the sets one after the other along the batch axis (as torch.cat of the sets)
            b = self.dim % (X.ndim - 1)
            joined.append(X.movedim(0, b).reshape(*X.shape[1:b + 1], n_sets * X.shape[b + 1], *X.shape[b + 2:]))
        self.calls += 1
        ys = self.probe(joined)
        total = n_sets * rows
        out = []
        for k, y in enumerate(ys):
            if y.ndim < 1 or not -y.ndim <= self.dim < y.ndim or y.shape[self.dim] != total:
                raise ShapeError(self._lost_axis(k, y, total))
            b = self.dim % y.ndim
            out.append(y.unflatten(b, (n_sets, rows)).movedim(b, 0))
        return out

    def check_independence(self, xs: Sequence[Any], alone: Sequence[torch.Tensor],
                           stacked: Sequence[torch.Tensor], *, rtol: float, atol: float | None) -> Measure:
        """Raise :class:`BatchIndependenceError` unless f(xs) evaluated alone (``alone``) agrees with the same
        entries evaluated inside a stack (``stacked``); return the measure of their difference."""
        m = difference(self.probe, alone, stacked, rtol=rtol, atol=atol)
        if m.ratio > 1.0:
            k = m.block
            raise BatchIndependenceError(
                f"batch_dim={self.dim} claims that batch entries are mapped independently, but output {k} of the same "
                f"inputs changes when other entries share the batch: max difference {m.errors[k]:.3e} > tolerance "
                f"{m.tolerances[k]:.3e} (output scale {m.scales[k]:.3g}). The module's batch entries interact "
                "(BatchNorm in training mode, dropout, a statistic over the batch): call module.eval(), or leave "
                "batch_dim unset so that every input set is evaluated on its own", m)
        return m
