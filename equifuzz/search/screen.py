"""Screen many networks in float32, re-check the candidates in float64, confirm with the exact oracle.

:func:`screen_then_confirm` runs the batched kernel (:mod:`equifuzz.search.kernel`) over every
(network, element) pair in float32; networks whose scaled error exceeds ``screen_tol`` are re-evaluated
in float64 on the same inputs, and those above ``confirm_tol`` go to
:func:`equifuzz.oracles.check_equivariant`. Only a network the oracle calls non-equivariant is a
counterexample; one it calls equivariant is reported as rejected (a tolerance or oracle issue).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..errors.validation import check_bool, check_int, check_positive_reals, check_tolerance
from ..nets.relu_net import ReLUNet
from ..oracles import check_equivariant
from ..reps.finite import Representation, check_reps
from .kernel import (
    CONFIRM_TOL,
    DEFAULT_EPS,
    DEFAULT_MAX_BYTES,
    SCREEN_TOL,
    KernelResult,
    NetBatch,
    _as_batch,
    default_elements,
    equivariance_errors,
)

__all__ = ["Counterexample", "ScreenReport", "screen_then_confirm"]


@dataclass(frozen=True)
class Counterexample:
    """A network that fails equivariance: worst element (index and word) and input, three opinions.

    ``error32`` and ``error64`` are the scaled errors (rel / gap) of the float32 screen and the float64
    re-evaluation at their own worst inputs; ``verdict`` is the exact oracle's verdict (None when the
    screen ran with ``use_oracle=False``, in which case the object is only a candidate).
    """

    network: int
    element: int
    word: str
    input: np.ndarray = field(repr=False)
    error32: float
    error64: float
    verdict: Any = field(default=None, repr=False)

    @property
    def confirmed(self) -> bool | None:
        """True when the oracle says 'not equivariant', False when it says it is, None without oracle."""
        if self.verdict is None:
            return None
        return not bool(self.verdict.holds)

    def __str__(self) -> str:
        x = np.array2string(np.asarray(self.input), precision=4, separator=", ")
        ok = {True: "confirmed by the oracle", False: "REJECTED by the oracle", None: "no oracle"}[self.confirmed]
        return (f"network {self.network}: g = {self.word} (element {self.element}), x = {x}, "
                f"scaled error float32 {self.error32:.3g}, float64 {self.error64:.3g} ({ok})")

    def to_dict(self) -> dict[str, Any]:
        v = self.verdict
        return {"network": self.network, "element": self.element, "word": self.word,
                "input": np.asarray(self.input, dtype=np.float64).tolist(), "error32": self.error32,
                "error64": self.error64, "confirmed": self.confirmed,
                "verdict": v.to_dict() if v is not None and hasattr(v, "to_dict") else (None if v is None else str(v))}


@dataclass(frozen=True)
class ScreenReport:
    """Outcome of :func:`screen_then_confirm`.

    ``counterexamples``: the oracle agrees the network is not equivariant. ``rejected``: float64 saw an
    error above ``confirm_tol`` but the oracle says equivariant (report these: a tolerance or oracle
    issue). ``unconfirmed``: float64 candidates when ``use_oracle=False``.
    """

    counterexamples: list[Counterexample]
    rejected: list[Counterexample]
    unconfirmed: list[Counterexample]
    screen: KernelResult
    recheck: KernelResult | None
    elements: list[int]
    n_screened: int
    n_candidates: int
    screen_tol: float
    confirm_tol: float

    def __str__(self) -> str:
        lines = [f"screened {self.n_screened} networks x {len(self.elements)} elements x {self.screen.n_inputs} "
                 f"inputs ({self.screen.dtype}, {self.screen.device}, {self.screen.seconds:.3f} s): "
                 f"{self.n_candidates} float32 candidates above {self.screen_tol:g}, "
                 f"{len(self.counterexamples)} counterexamples"]
        lines += [f"  {c}" for c in self.counterexamples + self.rejected + self.unconfirmed]
        return "\n".join(lines)


def screen_then_confirm(
    nets: NetBatch | Sequence[ReLUNet] | ReLUNet,
    rho_in: Representation,
    rho_out: Representation,
    *,
    inputs: Any = None,
    n_inputs: int = 1024,
    elements: Sequence[int] | None = None,
    seed: int = 0,
    screen_tol: float = SCREEN_TOL,
    confirm_tol: float = CONFIRM_TOL,
    eps: float = DEFAULT_EPS,
    device: str | torch.device | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    use_oracle: bool = True,
) -> ScreenReport:
    """Screen all (network, element) pairs in float32, re-check candidates in float64, confirm exactly.

    Inputs default to ``n_inputs`` draws of N(0, I_d) from ``seed``. A pair is a float32 candidate when
    its scaled error exceeds ``screen_tol``; candidate networks are re-evaluated in float64 on the same
    inputs and those above ``confirm_tol`` go to ``equifuzz.oracles.check_equivariant``. Only a network
    the oracle calls non-equivariant becomes a counterexample.
    """
    check_reps(rho_in, rho_out)
    check_int("seed", seed, min=0)
    check_int("n_inputs", n_inputs, min=1, max=10**7)
    check_int("max_bytes", max_bytes, min=1)
    screen_tol, confirm_tol = check_tolerance("screen_tol", screen_tol), check_tolerance("confirm_tol", confirm_tol)
    check_positive_reals(eps=eps)
    use_oracle = check_bool("use_oracle", use_oracle)
    batch = _as_batch(nets)
    G = rho_in.group
    els = default_elements(rho_in) if elements is None else [G.check_element(g) for g in elements]
    if inputs is None:
        gen = torch.Generator().manual_seed(seed)
        inputs = torch.randn(n_inputs, batch.d, generator=gen, dtype=torch.float64).numpy()
    X = np.asarray(inputs, dtype=np.float64)
    A, C = rho_in.matrices[els], rho_out.matrices[els]
    kw: dict[str, Any] = dict(eps=eps, device=device, max_bytes=max_bytes)
    screen = equivariance_errors(batch, A, C, X, dtype=torch.float32, **kw)
    cand = screen.max_scaled > screen_tol
    cand_nets = np.flatnonzero(cand.any(axis=1))
    recheck = None
    out: dict[str, list[Counterexample]] = {"c": [], "r": [], "u": []}
    if cand_nets.size:
        Xs = X[cand_nets] if X.ndim == 3 else X
        recheck = equivariance_errors(batch.subset(cand_nets), A, C, Xs, dtype=torch.float64, **kw)
        check = check_equivariant if use_oracle else None
        for i, b in enumerate(cand_nets):
            e = int(np.argmax(recheck.max_scaled[i]))
            err64 = float(recheck.max_scaled[i, e])
            if err64 <= confirm_tol:
                continue
            verdict = check(batch.net(int(b)), rho_in, rho_out) if check is not None else None
            cx = Counterexample(network=int(b), element=els[e], word=G.word_str(els[e]),
                                input=recheck.inputs[i, e].copy(), error32=float(screen.max_scaled[b, e]),
                                error64=err64, verdict=verdict)
            out["u" if verdict is None else ("c" if cx.confirmed else "r")].append(cx)
    return ScreenReport(out["c"], out["r"], out["u"], screen, recheck, els, batch.size, int(cand_nets.size),
                        screen_tol, confirm_tol)
