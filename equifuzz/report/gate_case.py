"""Gate reports: one folder per failure, replayable without the representations that found it.

``case.pt`` stores the minimal inputs and, for every block, the matrix (and translation) the failing
element acts by, so a replay needs only the function: ``module.pt`` (the module or callable itself,
when it can be pickled, by value for code that is not installed: see ``persist``) or one the caller
passes. The folder (``gate-<16 hex>``) is named by a SHA-256 of everything that determines the failure:
the function's fingerprint (class, parameters, buffers and attributes of a module; code and closure of
a callable), the claim (the group and the name of every block's representation), the inputs, the
element's matrices and translation, the dtype and the tolerances. An
existing folder is reused only when it holds this very failure (same digest, same errors); otherwise
the name is extended. It holds ``report.md``, ``report.json``, ``case.pt``, ``repro.py``,
``figure.png`` and, when it pickles, ``module.pt``. A block whose action is not a matrix on the last
axis (an image's ``Grid``, a user-written ``Action``) is recorded by the action's own description, and
the actions and the failing element are pickled in ``actions.pt``: the replay applies that element
through the very same ``apply``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..groups.elements import Element
from ..oracles.error import ATOL_EPS, RTOL_POWER, Measure, Trial
from ..oracles.verdict import jsonable
from ..search.probe import Action, Probe, measure, node_permutation, permute_axis, relabel_indices
from .fingerprint import fingerprint
from .persist import save_function
from .replay import ReportError
from .unpickle import load
from .writers import atomic_folder, report_folder

__all__ = ["write_gate_report", "replay", "is_gate_report", "CASE_FORMAT"]

CASE_FORMAT = "equifuzz-gate-case/1"


@dataclass(eq=False)
class _Recorded(Action):
    """A block acted on by a recorded matrix (and translation) and node permutation, whatever the element."""

    M: np.ndarray | None
    t: np.ndarray | None
    name: str = "recorded"
    node_action: dict[str, Any] | None = None
    perm: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.translates = self.t is not None
        self.transforms = self.M is not None
        self.dim = None if self.M is None else int(self.M.shape[0])
        self.permutes = self.node_action is not None and self.perm is not None

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.M is not None:
            y = x @ torch.as_tensor(self.M, dtype=x.dtype, device=x.device).T
            y = y if self.t is None else y + torch.as_tensor(self.t, dtype=x.dtype, device=x.device)
        if self.permutes:
            how = self.node_action
            p = node_permutation(Element("recorded", perm=self.perm), y.device)
            assert how is not None and p is not None
            if how["kind"] == "node-wise":
                y = permute_axis(y, p, how["axis"], self.name)
            elif how["kind"] == "edge index":
                y = relabel_indices(y, p, self.name)
            else:
                for ax in how["axes"]:
                    y = permute_axis(y, p, ax, self.name)
        return y


def _recorded(actions: Sequence[Action], g: Element) -> list[dict[str, Any]]:
    return [a.record(g) for a in actions]


@dataclass(eq=False)
class _Replayed(Action):
    """A block acted on by the pickled action itself at the recorded element, whatever the element passed."""

    action: Action
    g: Element

    def __post_init__(self) -> None:
        a = self.action
        self.name, self.dim, self.transforms, self.permutes = a.name, a.dim, a.transforms, a.permutes

    def apply(self, g: Element, x: torch.Tensor) -> torch.Tensor:
        return self.action.apply(self.g, x)


def _by_action(case: dict[str, Any]) -> bool:
    """Whether some block is replayed by its pickled action (not by a recorded last-axis matrix)."""
    return any(b.get("replay") == "action" for side in ("in_blocks", "out_blocks") for b in case[side])


def _save_actions(probe: Probe, g: Element, path: Path) -> str | None:
    """The actions and the element, pickled by value where their code is not installed (see ``persist``)."""
    acts = [*probe.in_actions, *probe.out_actions]
    inner = [getattr(a, n) for a in acts for n in ("inner", "action") if isinstance(getattr(a, n, None), Action)]
    return save_function([{"in": probe.in_actions, "out": probe.out_actions, "element": g}, *acts, *inner], path)


def _digest(case: dict[str, Any], fn_print: str) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([case["function"], fn_print, case["element"], case["dtype"], case["rtol"], case["atol"],
                         case["out_tuple"], case.get("perm"), case["group"],  # the claim: group and representations
                         [[b["name"] for b in case[side]] for side in ("in_blocks", "out_blocks")]]).encode())
    for side in ("in_blocks", "out_blocks"):
        for b in case[side]:
            for key in ("matrix", "translation"):
                if b[key] is not None:
                    h.update(np.ascontiguousarray(b[key], dtype=np.float64).tobytes())
    if _by_action(case):  # what the actions do, in their own words
        h.update(json.dumps([b.get("action") for side in ("in_blocks", "out_blocks") for b in case[side]]).encode())
    h.update(fingerprint(case["inputs"]).encode())
    return h.hexdigest()


def _same_failure(folder: Path, digest: str, m: Measure) -> bool:
    """Whether an existing report folder holds this failure (its digest and its measured errors)."""
    try:
        data = json.loads((folder / "report.json").read_text())
    except (OSError, ValueError):
        return False
    errors = [o.get("error") for o in data.get("outputs", [])]
    return data.get("digest") == digest and errors == [float(e) for e in m.errors]


def _folder(out: str | Path, digest: str, m: Measure) -> tuple[Path, bool]:
    """The folder for this failure and whether it already holds it; a folder holding anything else is
    never reused (the name takes more digits of the digest, then a counter)."""
    names = [f"gate-{digest[:n]}" for n in (16, 32, 64)] + [f"gate-{digest}-{i}" for i in range(1, 1000)]
    for name in names:
        final = report_folder(out, name)
        if not final.exists():
            return final, False
        if _same_failure(final, digest, m):
            return final, True
    raise FileExistsError(f"no free report folder name for gate-{digest[:16]} under {out}")


def _fmt(a: Any) -> str:
    return np.array2string(np.asarray(a, dtype=np.float64), precision=6, separator=", ", max_line_width=100)


def write_gate_report(fn: Callable[..., Any], probe: Probe, trial: Trial, *, group: Any, out: str | Path,
                      seed: int, profile: str, log: Sequence[str], atol_given: float | None,
                      tried: Sequence[Trial] = (), notes: Sequence[str] = (), found: Trial | None = None,
                      rows: Sequence[int] | None = None, diagnosis: dict[str, Any] | None = None,
                      diagnosis_table: Sequence[str] = (), what: str = "") -> Path:
    """Write the report of a failing trial under ``out``; return its folder (the existing one when it
    holds this very failure).

    ``tried``: every (inputs, element) pair the gate measured, drawn in ``figure.png``; ``notes``:
    remarks added to ``report.md`` and ``report.json``; ``found``: the failure as found before
    minimization (``rows``: which of its input rows the minimized case keeps); ``diagnosis`` and
    ``diagnosis_table``: the experiments on it (``gate.diagnosis``), as data and as Markdown lines;
    ``what``: the failing element's parts in words."""
    m = trial.m
    case = {
        "format": CASE_FORMAT,
        "function": function_name(fn),
        "group": str(getattr(group, "name", group)),
        "element": trial.g.label,
        "dtype": str(probe.dtype).replace("torch.", ""),
        "rtol": m.rtol,
        "atol": atol_given,
        "out_tuple": probe.out_tuple,
        "in_blocks": _recorded(probe.in_actions, trial.g),
        "out_blocks": _recorded(probe.out_actions, trial.g),
        "perm": None if trial.g.perm is None else [int(i) for i in trial.g.perm],
        "inputs": [x.detach().cpu() if isinstance(x, torch.Tensor) else x for x in trial.xs],
    }
    digest = _digest(case, fingerprint(fn))
    final, exists = _folder(out, digest, m)
    if exists:
        return final
    with atomic_folder(final) as tmp:
        torch.save(case, tmp / "case.pt")
        why_not = save_function(fn, tmp / "module.pt")
        pickled = why_not is None
        actions_not_pickled = _save_actions(probe, trial.g, tmp / "actions.pt") if _by_action(case) else None
        data: dict[str, Any] = {
            "format": CASE_FORMAT, "digest": digest, "function": case["function"], "group": case["group"],
            "element": trial.g.label, "element_matrix": trial.g.matrix, "element_index": trial.g.index,
            "node_permutation": case["perm"],
            "translation": trial.g.translation, "dtype": case["dtype"], "device": str(probe.device),
            "seed": seed, "profile": profile,
            "tolerance_rule": _rule(m, atol_given, probe.eps),
            "outputs": [{"block": k, "name": a.name, "error": e, "tolerance": t, "ratio": r, "scale": s}
                        for k, (a, e, t, r, s) in enumerate(zip(probe.out_actions, m.errors, m.tolerances,
                                                                m.ratios, m.scales, strict=True))],
            "inputs": [{"block": j, "name": a.name, "shape": list(x.shape) if isinstance(x, torch.Tensor) else None}
                       for j, (a, x) in enumerate(zip(probe.in_actions, trial.xs, strict=True))],
            "what_fails": what, "found": _as_found(found, probe, rows), "diagnosis": diagnosis,
            "minimization": list(log), "notes": list(notes), "module_pickled": pickled,
            "module_not_pickled_because": why_not, "actions_not_pickled_because": actions_not_pickled,
            "actions": {side: [b.get("action") for b in case[f"{side}_blocks"]]  # type: ignore[attr-defined]
                        for side in ("in", "out")}
            if _by_action(case) else None,
            "files": ["report.md", "report.json", "case.pt", "repro.py"] + (["module.pt"] if pickled else [])
            + (["actions.pt"] if (tmp / "actions.pt").exists() else []),
        }
        if tried:
            write_gate_figure(tried, trial, tmp / "figure.png", title=f"{data['function']} under {data['group']}")
            data["files"].append("figure.png")
        (tmp / "report.json").write_text(json.dumps(jsonable(data), indent=2) + "\n")
        (tmp / "report.md").write_text(_markdown(data, trial, probe, final.name, diagnosis_table))
        (tmp / "repro.py").write_text(_REPRO.format(name=final.name))
    return final


def _angle(g: Element) -> float | None:
    """Rotation angle of a continuous element's proper part (det-sign removed), in degrees."""
    if g.matrix is None:
        return None
    R = np.asarray(g.matrix) * np.sign(np.linalg.det(g.matrix))
    c = (np.trace(R) - 1.0) / 2.0 if R.shape[0] == 3 else R[0, 0]
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def write_gate_figure(tried: Sequence[Trial], worst: Trial, path: Path, title: str) -> None:
    """Error / tolerance of every (inputs, element) pair tried, against the element's rotation angle
    (continuous groups, reflections marked) or the element itself (finite groups); the
    tolerance line and the minimal case are marked. Agg backend, no metadata."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    floor = 1e-6
    angles = [_angle(t.g) for t in tried]
    continuous = all(a is not None for a in angles)
    xs = [float(a) if continuous and a is not None else float(t.g.index or 0) for t, a in zip(tried, angles,
                                                                                          strict=True)]
    ys = [max(t.ratio, floor) for t in tried]
    refl = [t.g.matrix is not None and np.linalg.det(t.g.matrix) < 0 for t in tried]
    for flag, colour, label in ((False, "tab:blue", "rotations" if continuous else "elements"),
                                (True, "tab:orange", "with a reflection")):
        sel = [i for i, r in enumerate(refl) if r == flag]
        if sel:
            ax.scatter([xs[i] for i in sel], [ys[i] for i in sel], s=12, c=colour, alpha=0.7, label=label)
    ax.axhline(1.0, color="tab:red", lw=1.2, ls="--", label="tolerance")
    wa = _angle(worst.g)
    ax.scatter([wa if continuous and wa is not None else float(worst.g.index or 0)], [max(worst.ratio, floor)], s=120,
               facecolors="none", edgecolors="black", lw=1.5, label="minimal case")
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter, NullFormatter  # plain labels: mathtext costs most of the time

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    if not continuous:
        names = {int(t.g.index or 0): t.g.label.removeprefix("g = ").removesuffix(" (searched)") for t in tried}
        if len(names) <= 24:
            ax.set_xticks(sorted(names), [names[k] for k in sorted(names)], rotation=60, fontsize=7)
    ax.set_xlabel("rotation angle of the element (degrees)" if continuous else "group element (word in the generators)")
    ax.set_ylabel("max |f(g.x) - g.f(x)| / tolerance")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="best")
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.2 if not continuous else 0.12, top=0.92)
    fig.savefig(str(path), format="png", metadata={"Software": None})


def function_name(fn: Any) -> str:
    return type(fn).__name__ if isinstance(fn, torch.nn.Module) else getattr(fn, "__qualname__", repr(fn))


def _rule(m: Measure, atol_given: float | None, eps: float) -> str:
    a = f"atol {m.atol:.3g}" + ("" if atol_given is not None else f" (= {ATOL_EPS:g} eps x largest output entry)")
    return f"error <= {a} + rtol {m.rtol:.3g} x output scale (default rtol = eps^{RTOL_POWER:.3g}, eps = {eps:.3g})"


def _as_found(found: Trial | None, probe: Probe, rows: Sequence[int] | None) -> dict[str, Any] | None:
    """The failure as found (before minimization), as data."""
    if found is None:
        return None
    m = found.m
    return {"element": found.g.label, "element_matrix": found.g.matrix, "element_index": found.g.index,
            "translation": found.g.translation,
            "node_permutation": None if found.g.perm is None else [int(i) for i in found.g.perm],
            "outputs": [{"block": k, "error": e, "tolerance": t, "ratio": r, "scale": s}
                        for k, (e, t, r, s) in enumerate(zip(m.errors, m.tolerances, m.ratios, m.scales, strict=True))],
            "inputs": [x.detach().cpu().double().tolist() if isinstance(x, torch.Tensor) and x.is_floating_point()
                       and x.numel() <= 4096 else None for x in found.xs],
            "rows_kept": None if rows is None else [int(i) for i in rows]}


def _markdown(data: dict[str, Any], trial: Trial, probe: Probe, name: str, table: Sequence[str] = ()) -> str:
    what = f" at {data['what_fails']}" if data.get("what_fails") else ""
    lines = [f"# equifuzz gate: {data['function']} is not equivariant under {data['group']}{what}", "",
             f"- group: {data['group']}",
             f"- element: {trial.g.describe()}",
             f"- dtype: {data['dtype']} on {data['device']}; seed {data['seed']}, profile {data['profile']}",
             f"- tolerance: {data['tolerance_rule']}", "",
             "| output block | representation | max abs f(g.x) - g.f(x) | tolerance | ratio | output scale |",
             "|---|---|---|---|---|---|"]
    for o in data["outputs"]:
        flag = " **FAILS**" if o["ratio"] > 1 else ""
        lines.append(f"| {o['block']} | {o['name']} | {o['error']:.3e} | {o['tolerance']:.3e} | "
                     f"{o['ratio']:.3g}{flag} | {o['scale']:.3e} |")
    lines += ["", "## Inputs", ""]
    for j, (a, x) in enumerate(zip(probe.in_actions, trial.xs, strict=True)):
        if isinstance(x, torch.Tensor):
            body = _fmt(x.detach().cpu().double().numpy()) if x.numel() <= 48 else f"tensor of shape {tuple(x.shape)}"
        else:
            body = repr(x)[:200]
        lines += [f"- block {j} ({a.name}):", "", "```", body, "```", ""]
    if data.get("actions"):  # blocks acted on by their own actions: what the element does to each
        lines += ["## How the element acts", ""] + [f"- {side} block {j}: {d}" for side in ("in", "out")
                                                   for j, d in enumerate(data["actions"][side]) if d] + [""]
    found = data.get("found")
    if found is not None:
        lines += ["## As found (before minimization)", "", f"- element: {found['element']}"
                  + (f", t = {_fmt(found['translation'])}" if found["translation"] is not None else "")
                  + (", with a node permutation" if found["node_permutation"] is not None else "")]
        lines += [f"- output block {o['block']}: error {o['error']:.3e}, tolerance {o['tolerance']:.3e}, ratio "
                  f"{o['ratio']:.3g}, output scale {o['scale']:.3e}" for o in found["outputs"]]
        if found["rows_kept"] is not None:
            lines.append(f"- the minimized input keeps rows {found['rows_kept']} of the input as found")
        lines.append("")
    if table:
        lines += ["## Diagnosis (experiments on the failure as found)", "", *table, ""]
    if data["notes"]:
        lines += ["## Notes", ""] + [f"- {n}" for n in data["notes"]] + [""]
    lines += ["## Minimization", ""] + [f"- {s}" for s in data["minimization"]] + [""]
    how = "`python repro.py` (loads `module.pt`)" if data["module_pickled"] else \
        f"`python repro.py package.module:factory` (the function could not be pickled: " \
        f"{data['module_not_pickled_because']}; pass a factory that builds it)"
    lines += ["## Replay", "", f"{how}, or in Python `equifuzz.gate.replay('{name}', module)`; exit status 1 "
              "while the failure persists, 0 once fixed.", ""]
    return "\n".join(lines)


def is_gate_report(folder: str | Path) -> bool:
    """Whether ``folder`` holds a gate report (its ``case.pt``), rather than a campaign's case report."""
    return (Path(folder) / "case.pt").is_file()


def replay(folder: str | Path, fn: Callable[..., Any] | None = None) -> Measure:
    """Re-run a report's case (with ``fn``, else the pickled ``module.pt``); ``.ratio > 1`` still fails.
    A folder that holds no readable gate case raises ``ReportError``."""
    folder = Path(folder)
    try:
        case = load(folder / "case.pt")
    except Exception as exc:
        raise ReportError(f"{folder / 'case.pt'} cannot be read: {type(exc).__name__}: {exc}") from None
    if not isinstance(case, dict) or case.get("format") != CASE_FORMAT:
        raise ReportError(f"{folder / 'case.pt'} is not an equifuzz gate case "
                          f"({case.get('format') if isinstance(case, dict) else type(case).__name__!r})")
    if fn is None:
        path = folder / "module.pt"
        if not path.exists():
            raise ReportError(f"{path} does not exist (the module did not pickle): pass the function to replay")
        fn = load(path)
    dtype = getattr(torch, case["dtype"])
    device = torch.device("cpu")
    if isinstance(fn, torch.nn.Module):
        for t in [*fn.parameters(), *fn.buffers()]:
            device = t.device
            break
    perm = None if case.get("perm") is None else np.asarray(case["perm"])
    ins: list[Action] = [_Recorded(b["matrix"], b["translation"], b["name"], b.get("nodes"), perm)
                         for b in case["in_blocks"]]
    outs: list[Action] = [_Recorded(b["matrix"], b["translation"], b["name"], b.get("nodes"), perm)
                          for b in case["out_blocks"]]
    if _by_action(case):  # blocks acted on by their own actions (images, user-written ones): the pickled ones
        try:
            saved = load(folder / "actions.pt")[0]
        except Exception as exc:
            raise ReportError(f"{folder / 'actions.pt'} cannot be read ({type(exc).__name__}: {exc}): this report's "
                              "actions did not pickle, so it cannot be replayed") from None
        ins = [_Replayed(a, saved["element"]) for a in saved["in"]]
        outs = [_Replayed(a, saved["element"]) for a in saved["out"]]
    probe = Probe(fn, dtype, device, ins, outs, case["out_tuple"])
    xs = [x.to(device=device, dtype=torch.float64) if a.transforms else x
          for a, x in zip(ins, case["inputs"], strict=True)]
    ys = probe(xs)
    return measure(probe, xs, ys, Element(case["element"]), rtol=case["rtol"], atol=case["atol"])


_REPRO = '''"""Replay of the equifuzz gate failure {name}: exit 1 while it persists, 0 once fixed, 2 if it cannot run.

    python repro.py                         # the module pickled beside this file (module.pt)
    python repro.py package.module:factory  # a module built by calling factory()
"""

import importlib
import sys
from pathlib import Path

from equifuzz.gate import replay

try:
    fn = None
    if len(sys.argv) > 1:
        mod, _, attr = sys.argv[1].partition(":")
        fn = getattr(importlib.import_module(mod), attr)()
    m = replay(Path(__file__).resolve().parent, fn)
except Exception as exc:  # cannot replay at all: neither pass (0) nor fail (1)
    print(f"cannot replay: {{type(exc).__name__}}: {{exc}}", file=sys.stderr)
    sys.exit(2)
for k, (e, t) in enumerate(zip(m.errors, m.tolerances)):
    print(f"output {{k}}: error {{e:.3e}} vs tolerance {{t:.3e}}")
print("still fails" if m.ratio > 1 else "passes")
sys.exit(1 if m.ratio > 1 else 0)
'''
