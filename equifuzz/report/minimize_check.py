"""Cheap answers for the report minimizer: which candidates it has already judged (:func:`content_key`), and
the rejection of a candidate whose function is not equivariant when the failure being kept needs f equivariant
(:func:`not_equivariant`), decided by the equivariance oracle's canonical comparison without building the
witness that certifies "fails" (the candidate is dropped, so no verdict of it is reported)."""

from __future__ import annotations

from typing import Any

from ..oracles.equivariance import canonical_verdict
from ..oracles.layerwise import check_layerwise
from .case import FailureCase

__all__ = ["content_key", "not_equivariant", "NOT_EVEN_EQUIVARIANT"]

NOT_EVEN_EQUIVARIANT = "the network is not layer-wise equivariant and its function is not even equivariant"


def not_equivariant(cand: FailureCase) -> str | None:
    """What the minimizer's ``_changed`` says of ``cand``'s outcome when its function is not equivariant (decided by the
    equivariance oracle's canonical comparison, without its witness search), else None. The layer-wise claim
    is the only one whose failure keeps f equivariant; its verdict is still asked for (it may hold)."""
    if cand.claim != "layerwise":
        return None
    kw: dict[str, Any] = {} if cand.tolerance is None else {"tol": cand.tolerance}
    if canonical_verdict(cand.net, cand.rho_in, cand.rho_out, cand.tolerance, early=True) is not None:
        return None  # the full verdict is computed (and kept for the evaluation that follows)
    if check_layerwise(cand.net, cand.rho_in, cand.rho_out, **kw).holds:
        return "the claim holds"
    return "the failure changes kind: " + NOT_EVEN_EQUIVARIANT


def content_key(case: FailureCase) -> tuple[Any, ...]:
    """What the oracles' answer for a candidate depends on, besides its representation objects."""
    net = case.net
    vals = tuple(a.tobytes() if a.dtype != object else tuple(a.ravel().tolist())
                 for a in (net.W1, net.b1, net.W2, net.b2))
    return (case.claim, case.tolerance, id(case.rho_in), id(case.rho_out), net.exact, net.hidden_bias,
            net.output_bias, net.W1.shape, net.W2.shape, vals)
