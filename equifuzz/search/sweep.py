"""Compensation sweeps: how much width a layer-wise equivariant network (LEN) needs to match f.

(a) :func:`minimal_layerwise_width` walks the widths from the realizability lower bound up and
returns the first one the realizability oracle accepts, with its witness network.

(b) :func:`best_layerwise_risk` fits the best LEN of a given width to f. A LEN's hidden layer is a
permutation representation, a sum of coset representations R[G/K_j]; each orbit has a
representative neuron (w, b, v) with w in Fix_K(rho_in^*) (rho_in^*(g) = rho_in(g)^{-T}), v in
Fix_K(rho_out) and b free, and its neurons are g.(w, b, v) = (rho_in(g)^{-T} w, b, rho_out(g) v) for
coset representatives g of G/K; the output bias lies in Fix_G(rho_out). Every multiset of orbit
types (one per conjugacy class of subgroups) whose sizes sum to at most the width and that has no
room left for another orbit is fitted by minimising the Monte Carlo squared risk
E ||f(x) - g(x)||^2, x ~ N(0, I_d), with Adam then L-BFGS, several restarts batched on the device in
float64, fixed seeds; the risk is then re-estimated on fresh samples and reported with both sample
counts and its standard error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..errors.exceptions import ShapeError
from ..errors.validation import check_bool, check_callable, check_counts, check_int, check_positive_reals
from ..groups.finite import FiniteGroup, Subgroup
from ..nets.relu_net import ReLUNet
from ..nets.validation import check_net_and_reps
from ..oracles import realizability
from ..oracles.risk import gaussian, mean_squared
from ..reps.characters import fixed_basis
from ..reps.finite import Representation, check_reps
from .kernel import default_device, no_tf32

__all__ = [
    "OrbitType",
    "orbit_types",
    "WidthResult",
    "minimal_layerwise_width",
    "SweepRow",
    "SweepResult",
    "best_layerwise_risk",
    "compensation_sweep",
    "mc_risk",
]

Target = ReLUNet | Callable[[np.ndarray], np.ndarray]


# ---------------------------------------------------------------------------------------------
# orbit types


def _subgroup_classes(G: FiniteGroup) -> list[Subgroup]:
    """One representative per conjugacy class of subgroups, by increasing index then elements."""
    reps: list[Subgroup] = []
    seen: set[tuple[int, ...]] = set()
    inv = G.inverses
    for K in sorted(G.subgroups(), key=lambda K: (-K.order, K.elements)):
        if K.elements in seen:
            continue
        reps.append(K)
        ks = np.array(K.elements)
        for g in G.elements:
            seen.add(tuple(sorted(int(x) for x in G.table[G.table[g, ks], inv[g]])))
    return reps


@dataclass(frozen=True)
class OrbitType:
    """A hidden orbit G/K: coset representatives g_r, bases of Fix_K(rho_in^*) and Fix_K(rho_out).

    ``w_maps[r] = rho_in^*(g_r) @ w_basis`` and ``v_maps[r] = rho_out(g_r) @ v_basis`` turn the
    representative's coefficients into the r-th neuron's input and output weights.
    """

    subgroup: Subgroup = field(repr=False)
    size: int
    coset_reps: tuple[int, ...]
    w_basis: np.ndarray = field(repr=False)
    v_basis: np.ndarray = field(repr=False)
    w_maps: np.ndarray = field(repr=False)
    v_maps: np.ndarray = field(repr=False)
    label: str

    @property
    def dim_w(self) -> int:
        return int(self.w_basis.shape[1])

    @property
    def dim_v(self) -> int:
        return int(self.v_basis.shape[1])

    @property
    def n_params(self) -> int:
        """dim Fix_K(rho_in^*) + 1 + dim Fix_K(rho_out) (THEORY T6, per orbit)."""
        return self.dim_w + 1 + self.dim_v


def orbit_types(rho_in: Representation, rho_out: Representation) -> list[OrbitType]:
    """Orbit types G/K, one per conjugacy class of subgroups K, by increasing orbit size."""
    check_reps(rho_in, rho_out)
    G = rho_in.group
    dual_rep = rho_in.dual()
    dual = dual_rep.matrices
    out = []
    for K in _subgroup_classes(G):
        gens = [g for g in K.generators if g != 0]
        Bw = fixed_basis(dual_rep, K)
        Bv = fixed_basis(rho_out, K)
        c = G.cosets(K)
        reps = tuple(int(np.flatnonzero(c == j)[0]) for j in range(K.index))
        w_maps = np.stack([dual[g] @ Bw for g in reps])
        v_maps = np.stack([rho_out.matrices[g] @ Bv for g in reps])
        gens_s = ", ".join(G.word_str(g) for g in gens) or "e"
        out.append(OrbitType(K, K.index, reps, Bw, Bv, w_maps, v_maps, f"G/<{gens_s}>"))
    out.sort(key=lambda t: t.size)
    return out


def _maximal_multisets(sizes: Sequence[int], width: int, limit: int) -> list[tuple[int, ...]]:
    """Multisets (non-decreasing index tuples) of types with total size <= width and no room for more."""
    smallest = min(sizes) if sizes else width + 1
    found: list[tuple[int, ...]] = []

    def rec(start: int, left: int, acc: tuple[int, ...]) -> None:
        if len(found) >= limit:
            return
        if left < smallest:
            found.append(acc)
            return
        for t in range(start, len(sizes)):
            if sizes[t] <= left:
                rec(t, left - sizes[t], acc + (t,))
        # no type at index >= start fits but an earlier one would: acc is not maximal, skip it

    rec(0, width, ())
    return found


# ---------------------------------------------------------------------------------------------
# (a) smallest layer-wise width through the realizability oracle


@dataclass(frozen=True)
class WidthResult:
    """Smallest width at which f is a LEN (None if not found), its witness and the oracle verdicts."""

    width: int | None
    witness: ReLUNet | None
    lower: int | None
    upper: int | None
    verdicts: dict[int, Any] = field(repr=False)
    unknown: tuple[int, ...] = ()

    def __str__(self) -> str:
        unk = f"; undecided at widths {list(self.unknown)}" if self.unknown else ""
        return f"smallest layer-wise width {self.width} (bounds {self.lower}..{self.upper}){unk}"

    @property
    def decided(self) -> bool:
        """Whether ``width`` is the minimal compensating width (no width below it was left undecided)."""
        return self.width is not None and not any(u < self.width for u in self.unknown)

    def summary(self) -> dict[str, Any]:
        """The minimal compensating width for a campaign summary (JSON values)."""
        return {"minimal": self.width, "minimal_decided": self.decided, "minimal_undecided": list(self.unknown)}


def minimal_layerwise_width(f: ReLUNet, rho_in: Representation, rho_out: Representation, *,
                            max_width: int | None = None, known: dict[int, Any] | None = None) -> WidthResult:
    """Ask ``realizability`` at increasing widths from its lower bound; return the first realizable one.

    Widths where the oracle answers None (budget exhausted) are listed in ``unknown`` and skipped.
    ``known`` holds verdicts of ``realizability(f, rho_in, rho_out, width=m)`` already computed (by width m):
    they are used instead of asking again (the oracle is deterministic).
    """
    f = check_net_and_reps("f", f, rho_in, rho_out)
    if max_width is not None:
        max_width = check_int("max_width", max_width, min=0)
    cap = max_width if max_width is not None else rho_in.group.order * max(f.width, 1)
    verdicts = dict(known or {})
    w0 = max(f.width, 1)
    first = verdicts[w0] if w0 in verdicts else realizability(f, rho_in, rho_out, width=w0)
    lower = getattr(first, "lower", None)
    upper = getattr(first, "upper", None)
    verdicts[w0] = first
    unknown: list[int] = []
    start = lower if lower is not None else 0
    stop = min(cap, upper) if upper is not None else cap
    for m in range(start, stop + 1):
        v = verdicts[m] if m in verdicts else realizability(f, rho_in, rho_out, width=m)
        verdicts[m] = v
        if v.realizable is True:
            return WidthResult(m, v.witness, lower, upper, verdicts, tuple(unknown))
        if v.realizable is None:
            unknown.append(m)
    return WidthResult(None, None, lower, upper, verdicts, tuple(unknown))


# ---------------------------------------------------------------------------------------------
# (b) best layer-wise approximation at a given width


def _target_values(f: Target, X: np.ndarray) -> np.ndarray:
    Y = np.asarray(f(X), dtype=np.float64)
    return Y.reshape(X.shape[0], -1)


def _gaussian(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d))


def mc_risk(f: Target, g: Target, d: int, n: int, seed: int, chunk: int = 65536) -> tuple[float, float]:
    """Monte Carlo E ||f(x) - g(x)||^2 over x ~ N(0, I_d) with n samples: (estimate, standard error)."""
    return mean_squared(lambda X: _target_values(f, X) - _target_values(g, X), gaussian(d), n, seed, chunk)


@dataclass(frozen=True)
class SweepRow:
    """Best LEN found at one width: Monte Carlo risk (n_eval fresh samples) and how it was obtained."""

    width: int
    risk: float
    stderr: float
    train_risk: float
    n_train: int
    n_eval: int
    hidden: str
    method: str
    network: ReLUNet | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return (f"LEN_{self.width}: risk {self.risk:.4g} +- {self.stderr:.2g} "
                f"(n_eval={self.n_eval}, n_train={self.n_train}; hidden {self.hidden}; {self.method})")

    def to_dict(self) -> dict[str, Any]:
        return {"width": self.width, "risk": self.risk, "stderr": self.stderr, "train_risk": self.train_risk,
                "n_train": self.n_train, "n_eval": self.n_eval, "hidden": self.hidden, "method": self.method,
                "network": None if self.network is None else self.network.to_dict()}


@dataclass(frozen=True)
class SweepResult:
    """Rows per width, and the smallest exact width (from the oracle) when it was asked."""

    rows: list[SweepRow]
    minimal: WidthResult | None = None

    def risks(self) -> dict[int, float]:
        return {r.width: r.risk for r in self.rows}

    def __str__(self) -> str:
        head = [str(self.minimal)] if self.minimal is not None else []
        return "\n".join(head + [str(r) for r in self.rows])


def _build(types: Sequence[OrbitType], combo: Sequence[int], params: dict[str, list[torch.Tensor]],
           out_basis: torch.Tensor, maps: list[tuple[torch.Tensor, torch.Tensor]]
           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Stacked LEN parameters (R, m, d), (R, m), (R, p, m), (R, p) from orbit coefficients."""
    W1s, b1s, W2s = [], [], []
    for j, t in enumerate(combo):
        Mw, Mv = maps[j]
        W1s.append(torch.einsum("rdk,Rk->Rrd", Mw, params["alpha"][j]))
        b1s.append(params["beta"][j].expand(-1, types[t].size))
        W2s.append(torch.einsum("rpk,Rk->Rpr", Mv, params["gamma"][j]))
    c = params["c"][0]
    R = c.shape[0]
    dev, dt = c.device, c.dtype
    d, p = types[0].w_maps.shape[1] if types else 0, out_basis.shape[0]
    W1 = torch.cat(W1s, 1) if W1s else torch.zeros((R, 0, d), dtype=dt, device=dev)
    b1 = torch.cat(b1s, 1) if b1s else torch.zeros((R, 0), dtype=dt, device=dev)
    W2 = torch.cat(W2s, 2) if W2s else torch.zeros((R, p, 0), dtype=dt, device=dev)
    b2 = c @ out_basis.T
    return W1, b1, W2, b2


def _risk_per_restart(W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor, X: torch.Tensor,
                      Y: torch.Tensor) -> torch.Tensor:
    H = torch.relu(torch.matmul(X, W1.transpose(1, 2)) + b1[:, None, :])
    out = torch.matmul(H, W2.transpose(1, 2)) + b2[:, None, :]
    return ((out - Y) ** 2).sum(-1).mean(-1)


def _lbfgs(types: Sequence[OrbitType], combo: Sequence[int], single: dict[str, list[torch.Tensor]],
           out_basis: torch.Tensor, maps: list[tuple[torch.Tensor, torch.Tensor]], X: torch.Tensor, Y: torch.Tensor,
           steps: int) -> float:
    """L-BFGS (strong Wolfe) on one restart's parameters in place; returns the final training risk."""
    def one() -> torch.Tensor:
        return _risk_per_restart(*_build(types, combo, single, out_basis, maps), X, Y)[0]

    if steps:
        lb = torch.optim.LBFGS([q for v in single.values() for q in v], lr=1.0, max_iter=steps, history_size=50,
                               line_search_fn="strong_wolfe", tolerance_grad=1e-15, tolerance_change=1e-18)

        def closure() -> torch.Tensor:
            lb.zero_grad(set_to_none=True)
            loss = one()
            loss.backward()
            return loss

        lb.step(closure)
    with torch.no_grad():
        return float(one())


def _fit_combo(types: Sequence[OrbitType], combo: Sequence[int], out_basis_np: np.ndarray, X: torch.Tensor,
               Y: torch.Tensor, *, restarts: int, adam_steps: int, lbfgs_steps: int, lr: float, seed: int, polish: int,
               f_neurons: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> tuple[float, ReLUNet]:
    dev, dt = X.device, X.dtype
    rng = np.random.default_rng(seed)
    R = restarts
    y_std = float(Y.std()) if Y.numel() > 1 else 1.0
    maps = [(torch.as_tensor(types[t].w_maps, dtype=dt, device=dev), torch.as_tensor(types[t].v_maps, dtype=dt,
                                                                                     device=dev)) for t in combo]
    m = sum(types[t].size for t in combo)
    params: dict[str, list[torch.Tensor]] = {"alpha": [], "beta": [], "gamma": [], "c": []}
    # half of the restarts start from the target's own neurons (a random permutation of them dealt out
    # to the orbits, so a restart covers distinct neurons), projected to Fix_K, with the output weight
    # shared out over the orbit's neurons as in the symmetrization T5(a)
    informed = np.arange(R) >= R // 2 if f_neurons is not None and f_neurons[0].shape[0] else np.zeros(R, bool)
    if informed.any():
        n_f = f_neurons[0].shape[0]  # type: ignore[index]
        deal = np.stack([rng.permutation(max(n_f, len(combo)))[:len(combo)] % n_f for _ in range(R)])
    for j, t in enumerate(combo):
        T = types[t]
        alpha = rng.standard_normal((R, T.dim_w)) / math.sqrt(max(T.dim_w, 1))
        beta = rng.standard_normal((R, 1)) * 0.5
        gamma = rng.standard_normal((R, T.dim_v)) * y_std / math.sqrt(max(m, 1))
        if informed.any():
            W1f, b1f, W2f = f_neurons  # type: ignore[misc]
            pick = deal[:, j]
            alpha[informed] = (W1f[pick] @ T.w_basis)[informed]
            beta[informed, 0] = b1f[pick][informed]
            gamma[informed] = (W2f[:, pick].T @ T.v_basis)[informed] / T.size
        params["alpha"].append(torch.tensor(alpha, dtype=dt, device=dev, requires_grad=True))
        params["beta"].append(torch.tensor(beta, dtype=dt, device=dev, requires_grad=True))
        params["gamma"].append(torch.tensor(gamma, dtype=dt, device=dev, requires_grad=True))
    out_basis = torch.as_tensor(out_basis_np, dtype=dt, device=dev)
    params["c"].append(torch.zeros((R, out_basis_np.shape[1]), dtype=dt, device=dev))
    with torch.no_grad():  # start the output bias at the least-squares value for the initial neurons
        W1, b1, W2, _ = _build(types, combo, params, out_basis, maps)
        H = torch.relu(torch.matmul(X, W1.transpose(1, 2)) + b1[:, None, :])
        resid = (Y - torch.matmul(H, W2.transpose(1, 2))).mean(1)  # (R, p)
        params["c"][0] = (resid @ out_basis).requires_grad_(True)
    flat = [q for v in params.values() for q in v]

    def losses() -> torch.Tensor:
        return _risk_per_restart(*_build(types, combo, params, out_basis, maps), X, Y)

    # Adam on all restarts at once; every restart keeps the best parameters it has visited
    with torch.no_grad():
        best_loss = losses()
        best_loss = torch.where(torch.isfinite(best_loss), best_loss, torch.full_like(best_loss, float("inf")))
        kept = {k: [q.detach().clone() for q in v] for k, v in params.items()}
    if adam_steps and combo:
        opt = torch.optim.Adam(flat, lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, adam_steps)
        for _ in range(adam_steps):
            opt.zero_grad(set_to_none=True)
            cur = losses()
            cur.sum().backward()
            with torch.no_grad():
                better = torch.isfinite(cur) & (cur < best_loss)
                if bool(better.any()):
                    best_loss = torch.where(better, cur.detach(), best_loss)
                    for k, v in params.items():
                        for i, q in enumerate(v):
                            kept[k][i] = torch.where(better[:, None], q.detach(), kept[k][i])
            opt.step()
            sched.step()
    after = best_loss
    # polish the best few restarts one at a time: a joint L-BFGS would let the worst restarts set the
    # line search and the tolerances of the best one
    results = []
    for r in torch.argsort(after)[:max(1, polish)].tolist():
        single = {k: [q[r:r + 1].clone().requires_grad_(True) for q in v] for k, v in kept.items()}
        loss = _lbfgs(types, combo, single, out_basis, maps, X, Y, lbfgs_steps)
        if not math.isfinite(loss) or loss > float(after[r]):
            loss = float(after[r])
            single = {k: [q[r:r + 1] for q in v] for k, v in kept.items()}
        with torch.no_grad():
            w1, c1, w2, c2 = (a[0].cpu().numpy() for a in _build(types, combo, single, out_basis, maps))
        results.append((loss, ReLUNet(w1, c1, w2, c2)))
    return min(results, key=lambda t: t[0])


class _LayerwiseFitter:
    """Training sample, orbit types and a cache of fitted orbit multisets for one target f."""

    def __init__(self, f: Target, rho_in: Representation, rho_out: Representation, *, n_train: int,
                 restarts: int, adam_steps: int, lbfgs_steps: int, lr: float, polish: int, seed: int,
                 max_combinations: int, device: str | torch.device | None) -> None:
        self.f, self.d, self.p = f, rho_in.dim, rho_out.dim
        self.types = [t for t in orbit_types(rho_in, rho_out) if t.dim_w > 0]
        self.out_basis = fixed_basis(rho_out)
        self.opts: dict[str, Any] = dict(restarts=restarts, adam_steps=adam_steps, lbfgs_steps=lbfgs_steps, lr=lr,
                                         polish=polish)
        self.seed, self.n_train, self.max_combinations = seed, n_train, max_combinations
        self.dev = default_device(device)
        X_np = _gaussian(n_train, self.d, seed)
        Y_np = _target_values(f, X_np)
        if Y_np.shape[1] != self.p:
            raise ShapeError(f"f returns {Y_np.shape[1]} outputs but rho_out has dimension {self.p}")
        self.X = torch.as_tensor(X_np, dtype=torch.float64, device=self.dev)
        self.Y = torch.as_tensor(Y_np, dtype=torch.float64, device=self.dev)
        self.f_neurons = None
        if isinstance(f, ReLUNet):
            W1f, b1f, W2f, _ = f.float_params()
            self.f_neurons = (W1f, b1f, W2f)
        self.cache: dict[tuple[int, ...], tuple[float, ReLUNet]] = {}

    def fit(self, combo: tuple[int, ...]) -> tuple[float, ReLUNet]:
        if combo not in self.cache:
            # the seed depends on the multiset only, so a fit does not depend on the widths asked before
            key = sum((t + 1) * 7919 ** k for k, t in enumerate(combo)) % 2**31
            with no_tf32():
                self.cache[combo] = _fit_combo(self.types, combo, self.out_basis, self.X, self.Y,
                                               seed=self.seed + key, f_neurons=self.f_neurons, **self.opts)
        return self.cache[combo]

    def best(self, width: int, n_eval: int) -> SweepRow:
        combos = _maximal_multisets([t.size for t in self.types], width, self.max_combinations)
        train, net, combo = min(((*self.fit(c), c) for c in combos), key=lambda t: t[0])
        risk, se = mc_risk(self.f, net, self.d, n_eval, self.seed + 1)
        hidden = " + ".join(self.types[t].label for t in combo) or "none (output bias only)"
        return SweepRow(width, risk, se, train, self.n_train, n_eval, hidden,
                        f"fit ({len(combos)} orbit multisets)", net)


def best_layerwise_risk(
    f: Target,
    rho_in: Representation,
    rho_out: Representation,
    width: int,
    *,
    n_train: int = 16384,
    n_eval: int = 200_000,
    restarts: int = 16,
    adam_steps: int = 400,
    lbfgs_steps: int = 300,
    lr: float = 0.03,
    polish: int = 3,
    seed: int = 0,
    max_combinations: int = 64,
    device: str | torch.device | None = None,
) -> SweepRow:
    """The best LEN of width <= ``width`` fitted to f; risk re-estimated on ``n_eval`` fresh samples.

    Training uses ``n_train`` draws of N(0, I_d) (seed ``seed``); evaluation ``n_eval`` fresh draws
    (seed ``seed + 1``). ``restarts`` random and neuron-informed starts run batched through Adam, the
    best ``polish`` of them are refined by L-BFGS one by one. Orbit types with Fix_K(rho_in^*) = 0
    (constant neurons) are left out: their sum lies in Fix_G(rho_out), which the output bias covers.
    """
    check_reps(rho_in, rho_out)
    check_callable("f", f)
    check_counts(width=width, n_train=n_train, n_eval=n_eval, restarts=restarts, adam_steps=adam_steps,
                 lbfgs_steps=lbfgs_steps, polish=polish, max_combinations=max_combinations)
    check_int("seed", seed, min=0)
    check_positive_reals(lr=lr)
    fitter = _LayerwiseFitter(f, rho_in, rho_out, n_train=n_train, restarts=restarts, adam_steps=adam_steps,
                              lbfgs_steps=lbfgs_steps, lr=lr, polish=polish, seed=seed,
                              max_combinations=max_combinations, device=device)
    return fitter.best(width, n_eval)


def compensation_sweep(
    f: Target,
    rho_in: Representation,
    rho_out: Representation,
    widths: Sequence[int] | None = None,
    *,
    use_oracle: bool = True,
    seed: int = 0,
    n_eval: int = 200_000,
    **fit: Any,
) -> SweepResult:
    """Best LEN risk per width; from the oracle's smallest exact width on, its witness (risk ~ 0).

    Widths default to 1..(smallest exact width) when ``use_oracle`` (and the oracle decides one), else 1..|G| m.
    """
    check_reps(rho_in, rho_out)
    check_callable("f", f)
    if widths is not None:
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
            raise ShapeError(f"widths must be a list of non-negative ints or None, got {widths!r}")
        widths = [check_int("widths[i]", w, min=0) for w in widths]
    use_oracle = check_bool("use_oracle", use_oracle)
    check_counts(n_eval=n_eval)
    check_int("seed", seed, min=0)
    minimal = None
    if use_oracle and isinstance(f, ReLUNet):
        minimal = minimal_layerwise_width(f, rho_in, rho_out)
    if widths is None:
        if minimal is not None and minimal.width is not None:
            widths = range(1, minimal.width + 1)
        elif isinstance(f, ReLUNet):
            widths = range(1, rho_in.group.order * max(f.width, 1) + 1)
        else:
            raise ShapeError("compensation_sweep needs widths when f is not a ReLUNet")
    rows = []
    fitter: _LayerwiseFitter | None = None
    for w in widths:
        if minimal is not None and minimal.width is not None and minimal.witness is not None and w >= minimal.width:
            risk, se = mc_risk(f, minimal.witness, rho_in.dim, n_eval, seed + 1)
            rows.append(SweepRow(w, risk, se, 0.0, 0, n_eval, f"witness of width {minimal.witness.width}",
                                 "realizability witness", minimal.witness))
        else:
            if fitter is None:
                opts = dict(n_train=16384, restarts=16, adam_steps=400, lbfgs_steps=300, lr=0.03, polish=3,
                            max_combinations=64, device=None)
                unknown = set(fit) - set(opts)
                if unknown:
                    raise TypeError(f"compensation_sweep got unknown fit options {sorted(unknown)}")
                opts.update(fit)
                fitter = _LayerwiseFitter(f, rho_in, rho_out, seed=seed, **opts)  # type: ignore[arg-type]
            rows.append(fitter.best(w, n_eval))
    return SweepResult(rows, minimal)
