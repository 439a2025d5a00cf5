"""The Markdown summary of a campaign (summary.md), written from the data of its summary.json."""

from __future__ import annotations

from typing import Any

__all__ = ["summary_markdown", "minimal_width_str"]


def summary_markdown(summary: dict[str, Any], seconds: float, devices: list[str], workers: int, engine: str = "local",
              retried: dict[str, int] | None = None) -> str:
    """The campaign's summary.md from its summary.json data."""
    lines = [f"# equifuzz campaign (profile `{summary['profile']}`, seed {summary['seed']})", ""]
    run = f"{summary['cases_run']} of {summary['cases_planned']} cases"
    if not summary["complete"]:
        run += " (the time budget ran out; rerun without --budget for the full, reproducible campaign)"
    lines += [f"{run} on {', '.join(devices)} in {workers} shard(s) (engine {engine}), {seconds:.1f} s.", ""]
    if retried:
        lines += ["Shards retried after their worker died (the results are those of the retry): "
                  + ", ".join(f"`{c}` ({n} retr{'y' if n == 1 else 'ies'})" for c, n in retried.items()) + ".", ""]
    lines += ["## Claims", "", "| claim | status | checks | failures | statement |", "|---|---|---|---|---|"]
    for cid, c in summary["claims"].items():
        lines.append(f"| {cid} | {c['status']} | {c['checks']} | {c['failures']} | {c['statement']} |")
    lines += ["", "## Worked examples", "", "| example | width | equivariant | layer-wise | lower | minimal "
              "layer-wise | upper | naive |", "|---|---|---|---|---|---|---|---|"]
    for name, e in summary["examples"].items():
        lines.append(f"| {name} | {e['width']} | {e['equivariant']} | {e['layerwise']} | {e['lower']} | "
                     f"{minimal_width_str(e)} | {e['upper']} | {e['naive_upper']} |")
    if summary["compensation_sweep"]:
        lines += ["", "## Compensation sweep (Example A, best layer-wise risk under N(0, I))", "",
                  "| width | risk | stderr |", "|---|---|---|"]
        for r in summary["compensation_sweep"]:
            lines.append(f"| {r['width']} | {r['risk']:.4g} | {r['stderr']:.1g} |")
        lines += ["", "![compensation](compensation.png)"]
    lines += ["", f"## Counterexamples ({len(summary['counterexamples'])})", ""]
    for c in summary["counterexamples"][:50]:
        mw = f"; minimal compensating width {minimal_width_str(c)} (width {c['width']})" if "minimal" in c else ""
        lines.append(f"- `{c['case']}`: {c['kind']} (claim {c['claim']}){mw}")
    if summary.get("reports"):
        lines += ["", "Reports: " + ", ".join(f"[{r}]({r}/report.md)" for r in summary["reports"][:50])]
    for cid, c in summary["claims"].items():
        if c["failed_cases"]:
            lines += ["", f"### {cid} failures", ""] + [f"- {x}" for x in c["failed_cases"]]
    return "\n".join(lines) + "\n"


def minimal_width_str(e: dict[str, Any]) -> str:
    """The minimal compensating width, or what is known of it when a width below was undecided."""
    if e.get("minimal") is None:
        return f"undecided (widths {e.get('minimal_undecided')})"
    if e.get("minimal_decided"):
        return str(e["minimal"])
    return f"<= {e['minimal']} (undecided at {e['minimal_undecided']})"
