"""The campaign's compensation figure: Example A's risk by width, and for each worked example and each
equivariant-but-not-layer-wise network found, its width against the bounds and the minimal
compensating width (the smallest width of a layer-wise equivariant network computing it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["plot_compensation"]


def plot_compensation(rows: list[dict[str, Any]], examples: dict[str, Any], path: Path,
                      reference: dict[int, float], networks: list[dict[str, Any]] | None = None,
                      max_networks: int = 8) -> None:
    """Write the two-panel PNG. ``rows``: the sweep of Example A (width, risk, stderr); ``examples`` and
    ``networks``: dicts with width, lower, upper (and naive_upper, minimal, minimal_decided when known)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    ax = axes[0]
    if rows:
        ws = [r["width"] for r in rows]
        ax.errorbar(ws, [max(r["risk"], 1e-7) for r in rows], yerr=[r["stderr"] for r in rows], marker="o",
                    label="best layer-wise risk (measured)")
        ax.plot(list(reference), [max(v, 1e-7) for v in reference.values()], "x", color="k",
                label="reference (theory)")
        ax.set_yscale("log")
        for r in rows:
            if r["risk"] == 0:
                ax.annotate("exact (risk 0, drawn at 1e-7)", (r["width"], 1e-7), textcoords="offset points",
                            xytext=(-150, 8), fontsize=7)
        ax.axvline(3, color="grey", ls=":", label="GEN width 3 (exact)")
        ax.axvline(6, color="green", ls="--", label="lower = upper bound 6 = minimal width")
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "sweep not run", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("layer-wise width")
    ax.set_ylabel("squared risk")
    ax.set_title("Example A: compensation by width")
    ax = axes[1]
    items = list(examples.items()) + [(n["case"], n) for n in (networks or [])[:max_networks]]
    seen: set[str] = set()
    for i, (_, e) in enumerate(items):
        def once(label: str) -> str | None:
            if label in seen:
                return None
            seen.add(label)
            return label
        if e.get("naive_upper") is not None:
            ax.barh(i, e["naive_upper"], color="lightgrey", label=once("naive |G| m"))
        if e.get("upper") is not None:
            ax.barh(i, e["upper"], color="tab:green", label=once("orbit-refined upper (T5b)"))
        if e.get("lower") is not None:
            ax.plot([e["lower"]], [i], "k|", ms=20, label=once("lower bound (T4)"))
        ax.plot([e["width"]], [i], "ro", label=once("equivariant width"))
        if e.get("minimal") is not None:
            decided = e.get("minimal_decided", True)
            ax.plot([e["minimal"]], [i], "D", color="tab:blue" if decided else "none", mec="tab:blue",
                    label=once("minimal compensating width" if decided else "minimal width (upper estimate)"))
    ax.set_yticks(range(len(items)), [n if len(n) <= 28 else "..." + n[-25:] for n, _ in items], fontsize=7)
    ax.set_xlabel("width")
    ax.set_title("Widths: equivariant, minimal layer-wise, bounds")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
