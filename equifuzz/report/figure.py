"""The report's figure.png: kink lines coloured by hyperplane orbit with the counterexample input and
its image (input dimension 1 or 2), or the measured error against width for a sweep."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .case import FailureCase, Outcome
from .data import (
    _counterexample,
    _fmt_vec,
    _neuron,
    figure_kind,
    hyperplane_classes,
)

__all__ = ["write_figure"]


# ---------------------------------------------------------------------------------------------
# figure.png


def write_figure(case: FailureCase, outcome: Outcome, path: str | os.PathLike[str]) -> None:
    """Draw the failure (Agg backend, no global pyplot state) and save a PNG without metadata."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    kind = figure_kind(case, outcome)
    panels = (1 if kind in ("plane", "line") else 0) + (1 if case.sweep else 0)
    if panels == 0:
        raise ValueError(f"no figure for {case.name}: inputs of dimension {case.net.d}, no sweep")
    fig = Figure(figsize=(6.4 * panels, 6.0), dpi=100)
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, panels, i + 1) for i in range(panels)]
    i = 0
    if kind == "plane":
        _plane(case, outcome, axes[0])
        i = 1
    elif kind == "line":
        _line(case, outcome, axes[0])
        i = 1
    if case.sweep:
        _sweep(case, axes[i])
    fig.tight_layout()
    fig.savefig(os.fspath(path), format="png", metadata={"Software": None})


def _title(case: FailureCase, outcome: Outcome) -> str:
    claim = {"equivariant": "equivariance", "layerwise": "layer-wise equivariance"}[case.claim]
    word = outcome.word or "-"
    return f"{case.name}: {claim} fails under {word}\n{case.group.name} (order {case.group.order})"


def _plane(case: FailureCase, outcome: Outcome, ax: Any) -> None:
    form, labels, missing, reversed_by = hyperplane_classes(case)
    U = np.asarray(form.normals, float).reshape(-1, 2)
    beta = np.asarray(form.offsets, float)
    feet = [-beta[k] * U[k] for k in range(U.shape[0])]
    pts: list[np.ndarray] = list(feet)
    cex, x, g = _counterexample(case, outcome)
    xf = gx = None
    if cex is not None and g is not None:
        xf = np.array([float(v) for v in np.ravel(x)])
        gx = case.rho_in(g) @ xf
        pts += [xf, gx]
    nd = _neuron(case, outcome)
    el = outcome.element
    R = max([1.5] + [1.3 * float(np.linalg.norm(p)) for p in pts])
    colors = [f"C{i % 10}" for i in range(10)]

    def draw_line(n: np.ndarray, b: float, **kw: Any) -> None:
        n = n / np.linalg.norm(n)
        p0 = -b * n
        t = np.array([-n[1], n[0]])
        seg = np.stack([p0 - 4 * R * t, p0 + 4 * R * t])
        ax.plot(seg[:, 0], seg[:, 1], **kw)

    sizes = np.bincount(labels) if labels.size else np.zeros(0, int)
    shown: set[int] = set()
    for k in range(U.shape[0]):
        o = int(labels[k])
        lab = None
        if o not in shown:
            shown.add(o)
            rev = f", reversed by {reversed_by[k]}" if k in reversed_by else ""
            lab = f"kink orbit {o} ({sizes[o]} line{'s' if sizes[o] > 1 else ''}{rev})"
        draw_line(U[k], beta[k], color=colors[o % 10], lw=2.2, label=lab)
    for j, (_k, word, n, b) in enumerate(missing):
        draw_line(n, b, color="0.45", lw=1.4, ls="--",
                  label=f"{word}.H is not a kink" if j == 0 else None)
    if nd is not None and el is not None:
        i = nd["index"]
        w = np.asarray(case.net.W1[i], float)
        b = float(case.net.b1[i])
        A = case.rho_in(el)
        wi = case.rho_in.dual()(el) @ w
        nrm = float(np.linalg.norm(w))
        if nrm > 0:
            # a point on the neuron's kink line, away from the origin, and its image under rho_in(g)
            t = np.array([-w[1], w[0]]) / nrm
            base = -b * w / nrm ** 2 + 0.45 * R * t
            for vec, at, style, color, label in (
                    (w, base, "-", "k", f"neuron {i}: normal w on its kink"),
                    (wi, A @ base, "--", "C3", f"{outcome.word}.(neuron {i}): no such neuron")):
                d = vec / np.linalg.norm(vec) * 0.3 * R
                ax.annotate("", xy=at + d, xytext=at,
                            arrowprops=dict(arrowstyle="-|>", color=color, lw=2, ls=style))
                ax.plot(*at, "o", color=color, ms=4)
                ax.plot([], [], color=color, ls=style, lw=2, label=label)
    if xf is not None and gx is not None:
        ax.plot(*xf, "o", color="k", ms=8, label=f"x = {_fmt_vec(cex['input'])}")  # type: ignore[index]
        ax.plot(*gx, "s", color="C3", ms=8, mfc="none", mew=2,
                label=f"{outcome.equivariance.word} x; error {cex['error']:.3g}")  # type: ignore[index]
        ax.annotate("", xy=gx, xytext=xf, arrowprops=dict(arrowstyle="->", color="0.3", lw=1, ls=":"))
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.axvline(0, color="0.85", lw=0.8, zorder=0)
    ax.set_xlim(-R, R)
    ax.set_ylim(-R, R)
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(_title(case, outcome), fontsize=10)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)


def _line(case: FailureCase, outcome: Outcome, ax: Any) -> None:
    net = case.net.to_float()
    form, labels, _, _ = hyperplane_classes(case)
    kinks = [-float(form.offsets[k]) / float(np.asarray(form.normals[k], float)[0]) for k in range(form.n_hyperplanes)]
    cex, x, g = _counterexample(case, outcome)
    pts = [abs(k) for k in kinks]
    if cex is not None:
        xf = float(np.ravel(np.asarray(x, dtype=object))[0])
        pts.append(abs(xf))
    R = max([1.5] + [1.3 * p for p in pts])
    X = np.linspace(-R, R, 401)[:, None]
    ax.plot(X[:, 0], net(X)[:, 0], color="k", lw=2, label="f(x)")
    h = outcome.element
    if h is not None:
        A, B = case.rho_in(h), case.rho_out(h)
        Binv = np.linalg.inv(B)
        ax.plot(X[:, 0], (net(X @ A.T) @ Binv.T)[:, 0], color="C3", lw=2, ls="--",
                label=f"rho_out({outcome.word})^-1 f(rho_in({outcome.word}) x)")
    for j, k in enumerate(kinks):
        ax.axvline(k, color=f"C{int(labels[j]) % 10}", lw=1, ls=":", label=f"kink, orbit {int(labels[j])}")
    if cex is not None:
        ax.plot([xf], net(np.array([[xf]]))[:, 0], "o", color="k", ms=8, label=f"x = {cex['input'][0]}")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel("x")
    ax.set_ylabel("output")
    ax.set_title(_title(case, outcome), fontsize=10)
    ax.legend(loc="best", fontsize=8)


def _sweep(case: FailureCase, ax: Any) -> None:
    w = [int(a) for a, _ in case.sweep]
    e = [max(float(b), 1e-17) for _, b in case.sweep]
    ax.semilogy(w, e, "o-", color="C0")
    ax.set_xlabel("width")
    ax.set_ylabel("error")
    ax.set_title(f"{case.name}: error against width", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
