"""Networks whose truth is known by construction, built without the library's own constructions.

Shared by ``adversarial_table.py`` and ``mutant_table.py``. Nothing here calls ``compensate``,
``symmetrize`` or a builder of ``equifuzz.strategies``: a layer-wise equivariant network is made either
as a union of neuron orbits g.(w, b, v) = (rho_in(g)^-T w, b, rho_out(g) v) (THEORY.md section 1) or by
group averaging (1/|G|) sum_h rho_out(h)^-1 f(rho_in(h) x) written out neuron by neuron (T5a), and the
ground truths (characters, group averages, scaled evaluation) are computed here from the matrices.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

import equifuzz as ef
from equifuzz.reps import Representation


def orbit_net(rho_in: Representation, rho_out: Representation, W: np.ndarray, b: np.ndarray | None,
              V: np.ndarray, b2: np.ndarray | None = None) -> ef.ReLUNet:
    """The union of the G-orbits of the neurons (W[i], b[i], V[:, i]); a layer-wise equivariant network
    whose hidden representation is one regular orbit per neuron (neuron i*|G| + h is h.(w_i, b_i, v_i)).
    ``b2`` is projected onto Fix(rho_out) by averaging."""
    G = rho_in.group
    W, V = np.atleast_2d(np.asarray(W, float)), np.asarray(V, float).reshape(rho_out.dim, -1)
    m = W.shape[0]
    bb = np.zeros(m) if b is None else np.asarray(b, float)
    rows, bias, cols = [], [], []
    for i in range(m):
        for h in range(G.order):
            rows.append(rho_in(G.inverses[h]).T @ W[i])  # rho_in(h)^-T w = rho_in(h^-1)^T w: exact for integers
            bias.append(bb[i])
            cols.append(rho_out(h) @ V[:, i])
    out_b = None
    if b2 is not None:
        out_b = sum(rho_out(h) @ np.asarray(b2, float) for h in range(G.order)) / G.order
    return ef.ReLUNet(np.array(rows), None if b is None else np.array(bias), np.array(cols).T, out_b)


def averaged_net(rho_in: Representation, rho_out: Representation, W: np.ndarray, b: np.ndarray | None,
                 V: np.ndarray, b2: np.ndarray | None = None) -> ef.ReLUNet:
    """The group average (1/|G|) sum_h rho_out(h)^-1 f(rho_in(h) x) of f = (W, b, V, b2), neuron by neuron:
    neuron (h, i) is (rho_in(h)^T w_i, b_i, rho_out(h)^-1 v_i / |G|)."""
    G = rho_in.group
    W, V = np.atleast_2d(np.asarray(W, float)), np.asarray(V, float).reshape(rho_out.dim, -1)
    m = W.shape[0]
    bb = np.zeros(m) if b is None else np.asarray(b, float)
    rows, bias, cols = [], [], []
    for h in range(G.order):
        Bi = rho_out(G.inverses[h])
        for i in range(m):
            rows.append(rho_in(h).T @ W[i])
            bias.append(bb[i])
            cols.append(Bi @ V[:, i] / G.order)
    out_b = None
    if b2 is not None:
        out_b = sum(rho_out(G.inverses[h]) @ np.asarray(b2, float) for h in range(G.order)) / G.order
    return ef.ReLUNet(np.array(rows), None if b is None else np.array(bias), np.array(cols).T, out_b)


def stack(*nets: ef.ReLUNet) -> ef.ReLUNet:
    """The sum of networks (hidden layers side by side, output biases added)."""
    exact = any(n.exact for n in nets)
    conv = (lambda a: np.asarray(a, dtype=object)) if exact else (lambda a: np.asarray(a, float))
    W1 = np.concatenate([conv(n.W1) for n in nets])
    b1 = np.concatenate([conv(n.b1) for n in nets])
    W2 = np.concatenate([conv(n.W2) for n in nets], axis=1)
    b2 = sum((conv(n.b2) for n in nets[1:]), conv(nets[0].b2))
    hb = any(n.hidden_bias for n in nets)
    ob = any(n.output_bias for n in nets)
    return ef.ReLUNet(W1, b1 if hb else None, W2, b2 if ob else None, exact=exact)


def rescale_neurons(net: ef.ReLUNet, s: np.ndarray) -> ef.ReLUNet:
    """(w_i, b_i, v_i) -> (s_i w_i, s_i b_i, v_i / s_i), s_i > 0: the same function."""
    s = np.asarray(s, float)
    return ef.ReLUNet(net.W1 * s[:, None], net.b1 * s if net.hidden_bias else None, net.W2 / s[None, :],
                      net.b2 if net.output_bias else None)


def character_dimension(rho_in: Representation, rho_h: Representation, rho_out: Representation) -> int:
    """T6 by characters, from the traces: <chi_in, chi_h> + <1, chi_h> + <chi_h, chi_out> + <1, chi_out>
    (both biases on; every representation here is real, so <chi, psi> = mean chi(g) psi(g))."""
    G = rho_in.group
    tr = [np.array([np.trace(r(g)) for g in range(G.order)]) for r in (rho_in, rho_h, rho_out)]
    ci, ch, co = tr
    total = (ci @ ch + ch.sum() + ch @ co + co.sum()) / G.order
    k = int(round(total))
    assert abs(total - k) < 1e-6, total
    return k


def _exponent(x: float) -> int:
    return int(np.frexp(x)[1]) if x > 0 and np.isfinite(x) else 0


def scaled_eval(net: ef.ReLUNet, X: np.ndarray, k: int) -> np.ndarray:
    """2^-k f(X), evaluated without overflow or underflow for weights of any float64 size."""
    W1, b1, W2, b2 = net.to_float().float_params()
    H = np.maximum(X @ W1.T + b1, 0.0)
    kh = _exponent(float(np.abs(H).max(initial=0.0)))
    kv = k - kh
    return np.ldexp(W2, -kv) @ np.ldexp(H, -kh).T + np.ldexp(b2, -k)[:, None]


def output_exponent(net: ef.ReLUNet, X: np.ndarray) -> int:
    """A binary exponent of the size of f's output terms on X (hidden times output weights, output bias)."""
    W1, b1, W2, b2 = net.to_float().float_params()
    H = np.maximum(X @ W1.T + b1, 0.0)
    hmax = float(np.abs(H).max(initial=0.0))
    vmax = float(np.abs(W2).max(initial=0.0))
    k = _exponent(hmax) + _exponent(vmax) if hmax and vmax else -1074
    return max(k, _exponent(float(np.abs(b2).max(initial=0.0))) if np.any(b2) else k)


def group_average_matches(c: ef.ReLUNet, f: ef.ReLUNet, rho_in: Representation, rho_out: Representation,
                          rtol: float = 1e-6, n: int = 24, seed: int = 0) -> bool:
    """c(x) = (1/|G|) sum_h rho_out(h)^-1 f(rho_in(h) x) on random points (numerically, scale-free)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, rho_in.dim))
    G = rho_in.group
    k = max(output_exponent(f, X @ rho_in(h).T) for h in range(G.order))
    k = 0 if k == -1074 else k
    avg = np.zeros((rho_out.dim, n))
    mag = np.zeros((rho_out.dim, n))
    for h in range(G.order):
        Y = rho_out(G.inverses[h]) @ scaled_eval(f, X @ rho_in(h).T, k)
        avg += Y / G.order
        mag += np.abs(Y) / G.order
    got = scaled_eval(c, X, k)
    return bool(np.all(np.isfinite(got)) and np.all(np.abs(got - avg) <= rtol * mag.max() + 1e-290))


def fraction_net(W1, b1, W2, b2=None) -> ef.ReLUNet:  # type: ignore[no-untyped-def]
    """A ReLUNet over fractions.Fraction (entries given as ints, strings or Fractions)."""
    def fr(a):  # type: ignore[no-untyped-def]
        return None if a is None else np.vectorize(Fraction, otypes=[object])(np.asarray(a, dtype=object))
    return ef.ReLUNet(fr(W1), fr(b1), fr(W2), fr(b2), exact=True)
