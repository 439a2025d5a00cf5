"""Report writers: one folder per failure with report.md, report.json, repro.py, example.py, figure.png.

The folder is named by the claim and a SHA-256 of the case's content (``layerwise-<16 hex>``), so two
different failures never share a folder and writing the same failure again finds the folder already
there and leaves it untouched. A folder is written into a temporary sibling
(``.<name>.<pid>.<random>.tmp``) and renamed into place, so an interrupted write leaves no partial
report; the temporary folder is removed when a writer raises.

Everything written is a function of the case (and of the minimization log and library versions):
no timestamps, so regenerating a report gives the same bytes.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ..nets import DisjointSets
from ..oracles.equivariance import rational_matrix
from ..reps import Representation, decompose
from .case import CLAIM_TEXT, FailureCase, Outcome, evaluate, fraction_array, input_error
from .minimize import Minimized, minimize
from .schema import SCHEMA_VERSION, validate

__all__ = [
    "write_report",
    "write_case_report",
    "atomic_folder",
    "report_folder",
    "dumps",
    "report_folder_name",
    "report_data",
    "render_markdown",
    "render_repro",
    "render_example",
    "write_figure",
    "figure_kind",
    "hyperplane_classes",
    "library_versions",
]

FILES = ("report.md", "report.json", "repro.py", "example.py")


# ---------------------------------------------------------------------------------------------
# entry point


def report_folder_name(case: FailureCase) -> str:
    """``<claim>-<first 16 hex digits of the case digest>`` (of the case as a replay rebuilds it)."""
    return f"{case.claim}-{case.normalized().digest()[:16]}"


def write_report(result: Minimized | FailureCase, out: str | os.PathLike[str] = "reports") -> Path:
    """Write the report folder of a failure (a minimized result or a plain case) under ``out``.

    Returns the folder. If a folder of that name exists it is returned as is (same content hash,
    same failure): nothing is overwritten.
    """
    mini = result if isinstance(result, Minimized) else None
    case = (result.case if mini is not None else result).normalized()  # type: ignore[union-attr]
    digest = case.digest()
    name = f"{case.claim}-{digest[:16]}"
    final = report_folder(out, name)
    if final.exists():
        return final
    with atomic_folder(final) as tmp:
        outcome = evaluate(case)
        kind = figure_kind(case, outcome)
        files = list(FILES) + (["figure.png"] if kind else [])
        data = report_data(case, outcome, mini, digest=digest, folder=name, files=files)
        validate(data)
        _write_text(tmp / "report.md", render_markdown(data, case, outcome))
        _write_text(tmp / "repro.py", render_repro(case, digest))
        _write_text(tmp / "example.py", render_example(case, digest))
        if kind:
            write_figure(case, outcome, tmp / "figure.png")
        _write_text(tmp / "report.json", dumps(data) + "\n")
    return final


def report_folder(out: str | os.PathLike[str], name: str) -> Path:
    """``out/name``, with ``out`` created; the folder itself exists only if a report was written."""
    parent = Path(out)
    parent.mkdir(parents=True, exist_ok=True)
    return parent / name


@contextmanager
def atomic_folder(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``final`` to fill, then rename it into place.

    An exception removes the temporary folder; if ``final`` appeared meanwhile (another process wrote
    the same content-named folder) the temporary one is dropped.
    """
    tmp = final.parent / f".{final.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    os.mkdir(tmp)
    try:
        yield tmp
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def dumps(obj: Any, indent: int = 0) -> str:
    """JSON with two-space indentation, lists of scalars kept on one line."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if not obj:
            return "[]"
        if all(not isinstance(v, (dict, list, tuple)) for v in obj):
            return "[" + ", ".join(json.dumps(v) for v in obj) + "]"
        if all(isinstance(v, (list, tuple)) and all(not isinstance(u, (dict, list, tuple)) for u in v) for v in obj) \
                and sum(len(v) for v in obj) <= 16:
            return "[" + ", ".join(dumps(v) for v in obj) + "]"
        return "[\n" + ",\n".join(inner + dumps(v, indent + 1) for v in obj) + "\n" + pad + "]"
    return json.dumps(obj)


_CLAIM_OF = {"layerwise": "layerwise", "T2": "layerwise", "T3": "layerwise"}


def write_case_report(finding: Any, out: str | os.PathLike[str] = "reports", *, seed: int | None = None,
                      device: str = "cpu", budget: float = 5.0, max_checks: int | None = None) -> Path:
    """Minimize (for at most ``budget`` seconds) and write the report of any object carrying ``net``,
    ``rho_in``, ``rho_out`` and ``claim`` -- a FailureCase, or a campaign finding.

    Claims other than ``"equivariant"`` and ``"layerwise"`` map to the property they are about
    (``T2``, ``T3`` -> layer-wise; anything else -> equivariance). A case that does not fail its claim
    is written as is (its report says that the claim holds). ``max_checks`` bounds the minimizer by
    oracle checks as well (see :func:`minimize`), which makes the report independent of machine speed.
    """
    if isinstance(finding, FailureCase):
        case = finding
    else:
        claim = getattr(finding, "claim", "equivariant")
        kind = getattr(finding, "kind", "")
        summary = getattr(finding, "summary", {}) or {}
        desc = f"{kind} (campaign claim {claim})" + (f": {summary}" if summary else "")
        ours = claim if claim in ("equivariant", "layerwise") else _CLAIM_OF.get(claim, "equivariant")
        case = FailureCase(finding.net, finding.rho_in, finding.rho_out, claim=ours,
                           name=str(getattr(finding, "case", "case")), description=desc.strip(),
                           seed=getattr(finding, "seed", None))
    case = case.replace(seed=case.seed if seed is None else seed, device=device)
    if budget > 0 and case.fails():
        return write_report(minimize(case, budget=budget, max_checks=max_checks), out)
    return write_report(case, out)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


# ---------------------------------------------------------------------------------------------
# formatting helpers


def _q(x: Any) -> str:
    """A number as text: a fraction as ``p/q``, a float with repr (round trip), -0 as 0."""
    if isinstance(x, Fraction):
        return str(x)
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    v = float(x)
    if v == 0:
        return "0"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _short(x: Any) -> str:
    """A number for reading: exact fractions as is, floats with 6 significant digits."""
    if isinstance(x, Fraction) or (isinstance(x, (int, np.integer)) and not isinstance(x, bool)):
        return _q(x)
    v = float(x)
    if abs(v) < 1e-12:
        return "0"
    s = f"{v:.6g}"
    return s


def _vec(xs: Any, short: bool = False) -> list[str]:
    f = _short if short else _q
    return [f(v) for v in np.ravel(np.asarray(xs, dtype=object))]


def _mat(M: Any) -> list[list[str]]:
    """A matrix as strings, exact when its entries are rational."""
    A = np.asarray(M)
    q = rational_matrix(np.asarray(A, dtype=np.float64)) if A.dtype != object else A
    src = q if q is not None else A
    return [[_q(v) for v in row] for row in src]


def _fmt_vec(xs: list[str]) -> str:
    return "(" + ", ".join(xs) + ")"


def _fmt_mat(rows: list[list[str]]) -> str:
    width = max((len(v) for r in rows for v in r), default=1)
    return "\n".join("[" + "  ".join(v.rjust(width) for v in r) + "]" for r in rows)


def _round6(x: float) -> float:
    return float(f"{float(x):.6g}")


def library_versions() -> dict[str, str]:
    out = {}
    for pkg in ("equifuzz", "numpy", "torch", "hypothesis"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    out["python"] = platform.python_version()
    return out


# ---------------------------------------------------------------------------------------------
# hyperplanes and their orbits


def hyperplane_classes(case: FailureCase, tol: float = 1e-7
                       ) -> tuple[Any, np.ndarray, list[tuple[int, str, np.ndarray, float]], dict[int, str]]:
    """Kink hyperplanes of the network (float canonical form) and how the group moves them.

    Returns the canonical form, orbit labels (union-find over g.H = rho_in(g) H for all elements,
    or the generators of groups above 256 elements), the generator images g.H that are not kinks
    as (k, word, n, beta), and for each hyperplane fixed with reversed orientation by some element
    the word of the first such element (T1: only possible when beta = 0).
    """
    net = case.net.to_float()
    form = net.canonical()
    U = np.asarray(form.normals, dtype=np.float64).reshape(-1, net.d)
    beta = np.asarray(form.offsets, dtype=np.float64)
    k = U.shape[0]
    sets = DisjointSets(k)
    G = case.group
    gens = set(G.generators)
    elements = list(G.elements)[1:] if G.order <= 256 else list(G.generators)
    dual = case.rho_in.dual()
    missing: list[tuple[int, str, np.ndarray, float]] = []
    reversed_by: dict[int, str] = {}
    bscale = 1.0 + (float(np.max(np.abs(beta))) if k else 0.0)
    for g in elements:
        V = U @ dual(g).T
        n = np.linalg.norm(V, axis=1)
        for h in range(k):
            u, b = V[h] / n[h], beta[h] / n[h]
            j, sign = None, 1.0
            for s in (1.0, -1.0):
                dist = np.max(np.abs(U - s * u), axis=1) + np.abs(beta - s * b) / bscale
                i = int(np.argmin(dist))
                if dist[i] < tol:
                    j, sign = i, s
                    break
            if j is None:
                if g in gens:
                    missing.append((h, G.word_str(g), u, float(b)))
                continue
            if j == h and sign < 0 and h not in reversed_by:
                reversed_by[h] = G.word_str(g)
            sets.union(h, j)
    roots: dict[int, int] = {}
    labels = np.array([roots.setdefault(sets.find(h), len(roots)) for h in range(k)], dtype=np.int64)
    return form, labels, missing, reversed_by


def figure_kind(case: FailureCase, outcome: Outcome | None = None) -> str | None:
    """``"plane"`` for 2-D inputs, ``"line"`` for 1-D inputs and outputs, ``"sweep"`` for a
    compensation sweep only, None when no picture helps."""
    if case.net.d == 2:
        return "plane"
    if case.net.d == 1 and case.net.p == 1:
        return "line"
    if case.sweep:
        return "sweep"
    return None


# ---------------------------------------------------------------------------------------------
# JSON content


def _counterexample(case: FailureCase, outcome: Outcome) -> tuple[dict[str, Any] | None, Any, int | None]:
    eq = outcome.equivariance
    if eq.holds or eq.element is None:
        return None, None, None
    x = case.input if case.input is not None else eq.input
    if x is None:
        return None, None, None
    g = eq.element
    err, tol, exact = input_error(case, x, g)
    A, B = case.rho_in(g), case.rho_out(g)
    Aq, Bq = rational_matrix(A), rational_matrix(B)
    if exact:
        xq = fraction_array([v if isinstance(v, Fraction) else Fraction(float(v)) for v in np.ravel(x)])
        gx = Aq @ xq  # type: ignore[operator]
        fx, fgx = case.net(xq), case.net(gx)
        bfx = Bq @ fx  # type: ignore[operator]
    else:
        xf = np.asarray([float(v) for v in np.ravel(x)])
        net = case.net.to_float()
        gx = A @ xf
        fx, fgx = net(xf), net(gx)
        bfx = B @ fx
    short = not exact
    data = {"input": _vec(x), "image": _vec(gx, short), "f_input": _vec(fx, short), "f_image": _vec(fgx, short),
            "rho_out_f_input": _vec(bfx, short), "error": _round6(err), "tolerance": float(tol), "exact": exact}
    return data, x, g


def _neuron(case: FailureCase, outcome: Outcome) -> dict[str, Any] | None:
    lw = outcome.layerwise
    if lw is None or lw.holds or lw.neuron is None or lw.element is None:
        return None
    i, g = lw.neuron, lw.element
    net = case.net
    w, b, v = net.W1[i], net.b1[i], net.W2[:, i]
    A = rational_matrix(case.rho_in.dual()(g))
    B = rational_matrix(case.rho_out(g))
    if net.exact and A is not None and B is not None:
        wi, vi = A @ w, B @ v
        short = False
    else:
        wi, vi = case.rho_in.dual()(g) @ np.asarray(w, float), case.rho_out(g) @ np.asarray(v, float)
        short = True
    return {"index": int(i), "triple": {"w": _vec(w), "b": _q(b), "v": _vec(v)},
            "image": {"w": _vec(wi, short), "b": _q(b), "v": _vec(vi, short)}}


def _rep_data(rho: Representation) -> dict[str, Any]:
    G = rho.group
    gens = list(G.generators)
    names = [G.word_str(g) for g in gens]
    chi = rho.character()
    dec = []
    for irr, mult in decompose(rho):
        c = irr.character()
        dec.append({"irrep": irr.name, "dim": irr.dim, "multiplicity": int(mult),
                    "character": {"e": _short(c[0]), **{n: _short(c[g]) for n, g in zip(names, gens, strict=True)}}})
    exact = all(rational_matrix(rho(g)) is not None for g in gens)
    return {"name": rho.name, "dim": rho.dim, "exact": exact, "generators": [_mat(rho(g)) for g in gens],
            "orthogonal": bool(rho.is_orthogonal), "permutation": bool(rho.is_permutation),
            "character": {"e": _short(chi[0]), **{n: _short(chi[g]) for n, g in zip(names, gens, strict=True)}},
            "decomposition": dec}


def report_data(case: FailureCase, outcome: Outcome | None = None, minimized: Minimized | None = None, *,
                digest: str | None = None, folder: str | None = None, files: list[str] | None = None
                ) -> dict[str, Any]:
    """The content of report.json (schema_version 1; see equifuzz.report.schema)."""
    outcome = evaluate(case) if outcome is None else outcome
    digest = case.digest() if digest is None else digest
    G = case.group
    v = outcome.verdict
    eq = outcome.equivariance
    cex, _, _ = _counterexample(case, outcome)
    rz = outcome.realizability
    form, labels, _, reversed_by = hyperplane_classes(case)
    hyper = []
    for k in sorted(range(form.n_hyperplanes), key=lambda k: (int(labels[k]), k)):
        hyper.append({"normal": _vec(form.normals[k], True), "offset": _short(form.offsets[k]),
                      "channel": _vec(form.channels[k], True), "orbit": int(labels[k]),
                      "reversed_by": reversed_by.get(k)})
    gdata = case.core()["group"]
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": digest,
        "folder": folder or f"{case.claim}-{digest[:16]}",
        "name": case.name,
        "description": case.description,
        "claim": case.claim,
        "claim_text": CLAIM_TEXT[case.claim],
        "holds": outcome.holds,
        "kind": outcome.kind,
        "verdict": {"text": str(v), "method": v.method, "element": v.word or None, "reason": v.reason,
                    "tolerance": float(v.tolerance), "neuron": getattr(v, "neuron", None)},
        "function": {"equivariant": bool(eq.holds), "method": eq.method,
                     "max_error": None if eq.holds else _round6(eq.max_error), "tolerance": float(eq.tolerance),
                     "text": (f"equivariant [{eq.method}; within tolerance {eq.tolerance:.1g}; {eq.n_elements} "
                              "generator(s) checked]") if eq.holds else str(eq)},
        "realizability": None if rz is None else {
            "width": int(rz.width), "realizable": rz.realizable, "lower": rz.lower, "upper": rz.upper,
            "naive_upper": rz.naive_upper, "reason": rz.reason},
        "element": None if outcome.element is None else {
            "word": G.word_str(outcome.element), "rho_in": _mat(case.rho_in(outcome.element)),
            "rho_out": _mat(case.rho_out(outcome.element))},
        "neuron": _neuron(case, outcome),
        "counterexample": cex,
        "group": {"name": G.name, "order": G.order, "description": G.describe(), "degree": gdata["degree"],
                  "generator_names": list(G.generator_names), "generators": gdata["generators"]},
        "representations": {"rho_in": _rep_data(case.rho_in), "rho_out": _rep_data(case.rho_out)},
        "network": {"width": case.net.width, "d": case.net.d, "p": case.net.p, "exact": case.net.exact,
                    "hidden_bias": case.net.hidden_bias, "output_bias": case.net.output_bias,
                    "parameters": case.net.to_dict()},
        "hyperplanes": hyper,
        "environment": {"dtype": case.dtype, "device": case.device, "seed": case.seed, "versions": library_versions()},
        "minimization": None if minimized is None else {
            "stages": list(minimized.stages), "budget_seconds": float(minimized.budget),
            "budget_exhausted": minimized.budget_exhausted, "checks": minimized.checks,
            "original": {"name": minimized.original.name, "group": minimized.original.group.name,
                         "order": minimized.original.group.order, "width": minimized.original.net.width,
                         "d": minimized.original.net.d, "p": minimized.original.net.p,
                         "dtype": minimized.original.dtype},
            "steps": [s.to_dict() for s in minimized.steps]},
        "files": files or list(FILES),
        "case": case.to_dict(),
    }
    return data


# ---------------------------------------------------------------------------------------------
# report.md


def _code(text: str, lang: str = "") -> str:
    return f"```{lang}\n{text}\n```"


def render_markdown(data: dict[str, Any], case: FailureCase, outcome: Outcome) -> str:
    L: list[str] = []
    claim_name = {"equivariant": "equivariance", "layerwise": "layer-wise equivariance"}[data["claim"]]
    status = "holds" if data["holds"] else "fails"
    L.append(f"# equifuzz report: {data['name']} -- {claim_name} {status}")
    L.append("")
    if data["description"]:
        L += [data["description"], ""]
    L.append(f"- **Claim**: {data['claim_text']}.")
    L.append(f"- **Outcome**: {data['kind']}.")
    L.append(f"- **Verdict** ({data['verdict']['method']}): {data['verdict']['text'].splitlines()[0]}")
    fn = data["function"]
    if data["claim"] == "layerwise":
        state = "equivariant" if fn["equivariant"] else "NOT equivariant"
        L.append(f"- **Function**: {state} ({fn['method']}"
                 + (f"; error {fn['max_error']:.6g} vs tolerance {fn['tolerance']:.3g})" if not fn["equivariant"]
                    else ")"))
    rz = data["realizability"]
    if rz is not None:
        word = {True: "realizable", False: "NOT realizable", None: "undecided"}[rz["realizable"]]
        L.append(f"- **Layer-wise width {rz['width']}**: {word} (lower bound {rz['lower']}, orbit-refined upper "
                 f"bound {rz['upper']}, naive |G| m = {rz['naive_upper']}).")
    L.append(f"- **Report id**: `{data['id']}`")
    L.append("")

    # what failed
    L.append("## What failed" if not data["holds"] else "## Checked (the claim holds: replay exits 0)")
    L.append("")
    el = data["element"]
    if el is not None:
        what = "Offending element" if not data["holds"] else "Worst element checked"
        L.append(f"{what}: `{el['word']}` (a word in the generators of {data['group']['name']}).")
        L.append("")
        L.append(_code(f"rho_in({el['word']}) =\n{_fmt_mat(el['rho_in'])}\n\nrho_out({el['word']}) =\n"
                       f"{_fmt_mat(el['rho_out'])}"))
        L.append("")
    reason = data["verdict"]["reason"]
    if reason:
        L.append(f"Reason: {reason}")
        L.append("")
    nd = data["neuron"]
    if nd is not None:
        t, im = dict(nd["triple"]), dict(nd["image"])
        if not data["network"]["exact"]:  # float weights: read at 6 significant digits
            for tri in (t, im):
                tri["w"] = [_short(float(v)) for v in tri["w"]]
                tri["v"] = [_short(float(v)) for v in tri["v"]]
                tri["b"] = _short(float(tri["b"]))
        L.append(f"Neuron {nd['index']} and its image under `{el['word'] if el else '?'}`, "
                 "g.(w, b, v) = (rho_in(g)^-T w, b, rho_out(g) v):")
        L.append("")
        L.append(_code(f"neuron: w = {_fmt_vec(t['w'])}, b = {t['b']}, v = {_fmt_vec(t['v'])}\n"
                       f"image:  w = {_fmt_vec(im['w'])}, b = {im['b']}, v = {_fmt_vec(im['v'])}"
                       "   <- no neuron of the network has this triple (up to positive scaling)"))
        L.append("")
    cx = data["counterexample"]
    if cx is not None:
        word = outcome.equivariance.word
        tol_txt = "0 (exact arithmetic)" if cx["exact"] else f"{cx['tolerance']:.3g} (= tol * scale * (1 + |x|))"
        L.append(f"Counterexample input, with g = `{word}`:")
        L.append("")
        L.append(_code(f"x              = {_fmt_vec(cx['input'])}\n"
                       f"g x            = {_fmt_vec(cx['image'])}\n"
                       f"f(g x)         = {_fmt_vec(cx['f_image'])}\n"
                       f"rho_out(g) f(x) = {_fmt_vec(cx['rho_out_f_input'])}\n"
                       f"|f(g x) - rho_out(g) f(x)| = {cx['error']:.6g}   tolerance {tol_txt}"))
        L.append("")
    if not fn["equivariant"] and data["claim"] == "equivariant":
        L.append(f"Largest relative residual of the canonical form: {fn['max_error']:.6g} "
                 f"(tolerance {fn['tolerance']:.3g}, {fn['method']}).")
        L.append("")

    # group
    gr = data["group"]
    L.append("## Group")
    L.append("")
    L.append(f"{gr['description']}")
    L.append("")
    L.append(f"Rebuilt from its generators as permutations of {gr['degree']} points (`report.json`: `group`).")
    L.append("")

    # representations
    L.append("## Representations")
    L.append("")
    for key in ("rho_in", "rho_out"):
        r = data["representations"][key]
        props = ["exact rational" if r["exact"] else "float64", "orthogonal" if r["orthogonal"] else "not orthogonal"]
        if r["permutation"]:
            props.append("permutation")
        L.append(f"### {key}: {r['name']} (dimension {r['dim']}; {', '.join(props)})")
        L.append("")
        parts = [f"{d['multiplicity']} x {d['irrep']}" if d["multiplicity"] > 1 else d["irrep"]
                 for d in r["decomposition"]]
        L.append(f"Decomposition into real irreducibles: {' + '.join(parts) or '0'}.")
        L.append("")
        names = ["e"] + list(data["group"]["generator_names"])
        head = "| | " + " | ".join(f"chi({n})" for n in names) + " |"
        L.append(head)
        L.append("|---" * (len(names) + 1) + "|")
        L.append(f"| {key} | " + " | ".join(r["character"].get(n, "") for n in names) + " |")
        for d in r["decomposition"]:
            L.append(f"| {d['irrep']} (dim {d['dim']}, x{d['multiplicity']}) | "
                     + " | ".join(d["character"].get(n, "") for n in names) + " |")
        L.append("")
        blocks = [f"{key}({n}) =\n{_fmt_mat(M)}" for n, M in zip(data["group"]["generator_names"], r["generators"],
                                                                strict=True)]
        L.append(_code("\n\n".join(blocks) if blocks else "(trivial group: no generators)"))
        L.append("")

    # network
    nw = data["network"]
    L.append("## Network")
    L.append("")
    kind = "exact (Fraction)" if nw["exact"] else "float64"
    L.append(f"f(x) = W2 relu(W1 x + b1) + b2, width {nw['width']}, R^{nw['d']} -> R^{nw['p']}, {kind} weights"
             f"{'' if nw['hidden_bias'] else ', no hidden bias'}{'' if nw['output_bias'] else ', no output bias'}.")
    L.append("")
    net = case.net
    short = not net.exact
    if short:
        L.append("Weights are shown to 6 significant digits; `report.json` and `repro.py` hold them exactly.")
        L.append("")
    rows = []
    for i in range(net.width):
        b = _short(net.b1[i]) if short else _q(net.b1[i])
        w, v = _fmt_vec(_vec(net.W1[i], short)), _fmt_vec(_vec(net.W2[:, i], short))
        rows.append(f"neuron {i}: w = {w}, b = {b}, v = {v}")
    if nw["output_bias"]:
        rows.append(f"b2 = {_fmt_vec(_vec(net.b2, short))}")
    L.append(_code("\n".join(rows) if rows else "(no neurons)"))
    L.append("")
    if data["hyperplanes"]:
        L.append("Kink hyperplanes {x : n.x + beta = 0} (unit normals) with channel vectors c_H, grouped into "
                 "orbits under the group; \"reversed by\" names an element that maps the hyperplane to itself with "
                 "the opposite orientation:")
        L.append("")
        L.append("| orbit | normal n | beta | channel c_H | reversed by |")
        L.append("|---|---|---|---|---|")
        for h in data["hyperplanes"]:
            L.append(f"| {h['orbit']} | {_fmt_vec(h['normal'])} | {h['offset']} | {_fmt_vec(h['channel'])} | "
                     f"{h['reversed_by'] or '-'} |")
        L.append("")
    if "figure.png" in data["files"]:
        L.append("![figure](figure.png)")
        L.append("")

    # reproduce
    L.append("## Reproduce")
    L.append("")
    L.append(_code(f"python repro.py                  # exit 1 while the claim fails, 0 once it holds\n"
                   f"equifuzz replay {data['folder']}   # the same through the command line", "sh"))
    L.append("")
    L.append("`example.py` holds the `@example(...)` line for a Hypothesis test taking `net`, `rho_in`, `rho_out`.")
    L.append("")

    # minimization
    mn = data["minimization"]
    if mn is not None:
        o = mn["original"]
        L.append("## Minimization")
        L.append("")
        L.append(f"Started from {o['name']}: group {o['group']} (order {o['order']}), width {o['width']}, "
                 f"R^{o['d']} -> R^{o['p']}, {o['dtype']} weights. Stages: {', '.join(mn['stages'])}. "
                 f"{mn['checks']} oracle checks"
                 + ("; **the time budget ran out** before the minimizer finished." if mn["budget_exhausted"]
                    else "; finished within the time budget."))
        L.append("")
        kept = [s for s in mn["steps"] if s["kept"]]
        notes = [s for s in mn["steps"] if s["kept"] is None]
        rejected = sum(1 for s in mn["steps"] if s["kept"] is False)
        if kept or notes:
            L.append("| stage | step | result |")
            L.append("|---|---|---|")
            for s in mn["steps"]:
                if s["kept"] is False:
                    continue
                res = "kept" if s["kept"] else "note"
                L.append(f"| {s['stage']} | {s['action']} | {res}{(': ' + s['detail']) if s['detail'] else ''} |")
            L.append("")
        L.append(f"{rejected} other attempt(s) were rejected because the failure disappeared or changed kind "
                 "(the full log is in `report.json`).")
        L.append("")

    # environment
    env = data["environment"]
    L.append("## Environment")
    L.append("")
    L.append(f"- dtype: {env['dtype']}")
    L.append(f"- device: {env['device']}")
    L.append(f"- seed: {env['seed'] if env['seed'] is not None else 'none'}")
    for k, val in env["versions"].items():
        L.append(f"- {k}: {val}")
    L.append("")
    return "\n".join(L)


# ---------------------------------------------------------------------------------------------
# repro.py and example.py


def _lit(s: str) -> str:
    """A Q(...) entry: an int literal, or a "p/q" string."""
    return s if "/" not in s else f'"{s}"'


def _nested(rows: Any, fmt: Any) -> str:
    if isinstance(rows, list):
        return "[" + ", ".join(_nested(r, fmt) for r in rows) + "]"
    return fmt(rows)


def _array_code(a: np.ndarray, exact: bool) -> str:
    shape = tuple(int(s) for s in a.shape)
    if exact:
        rows = np.vectorize(str, otypes=[object])(a).tolist() if a.size else []
        return f"Q({_nested(rows, _lit)}, {shape})"
    rows = np.asarray(a, dtype=np.float64).tolist()
    if not a.size:
        return f"np.zeros({shape})"
    return f"np.array({_nested(rows, repr)})"


def _builder(case: FailureCase) -> list[str]:
    core = case.core()
    gd = core["group"]
    L = ["# the group, from its generators as permutations of the points 0..degree-1"]
    gens = ",\n    ".join(json.dumps(p) for p in gd["generators"])
    L.append("G = groups.from_permutations(")
    L.append(f"    [{gens}]," if gens else "    [],")
    L.append(f"    degree={gd['degree']}, name={gd['name']!r}, generator_names={gd['generator_names']!r},")
    L.append(")")
    L.append("")
    L.append("# the representations, from the matrices of the generators")
    for key in ("rho_in", "rho_out"):
        rd = core[key]
        if rd["exact"]:
            mats = [f"Q({_nested(M, _lit)}, ({rd['dim']}, {rd['dim']}))" for M in rd["generators"]]
        else:
            mats = [f"np.array({_nested(M, repr)})" for M in rd["generators"]]
        if mats:
            L.append(f"{key} = reps.from_generators(G, [{', '.join(mats)}], name={rd['name']!r})")
        else:
            L.append(f"{key} = reps.trivial(G, {rd['dim']})")
            L.append(f"{key}.name = {rd['name']!r}")
    L.append("")
    net = case.net
    ex = net.exact
    p = net.params()
    kind = "exact rational" if ex else "float64"
    L.append(f"# the network f(x) = W2 relu(W1 x + b1) + b2 ({kind} weights)")
    L.append("net = ReLUNet(")
    L.append(f"    {_array_code(net.W1, ex)},")
    L.append(f"    {'None' if p['b1'] is None else _array_code(net.b1, ex)},")
    L.append(f"    {_array_code(net.W2, ex)},")
    L.append(f"    {'None' if p['b2'] is None else _array_code(net.b2, ex)},")
    L.append(f"    exact={ex},")
    L.append(")")
    return L


_Q_HELPER = '''def Q(rows, shape):
    """An exact array (Fractions) from nested lists of integers and "p/q" strings."""
    flat = np.array(rows, dtype=object).ravel()
    out = np.empty(flat.size, dtype=object)
    out[:] = [Fraction(v) for v in flat]
    return out.reshape(shape)
'''


def render_repro(case: FailureCase, digest: str | None = None) -> str:
    """A standalone script (equifuzz + numpy) that rebuilds the case; exit 1 while it fails, else 0."""
    digest = digest or case.digest()
    tol = "" if case.tolerance is None else f", tol={case.tolerance!r}"
    x = None if case.input is None else _array_code(fraction_array(list(case.input)), True)
    L = [
        "#!/usr/bin/env python3",
        f'"""Reproduce equifuzz report {digest[:16]} ({case.name}).',
        "",
        f"Claim: {CLAIM_TEXT[case.claim]}.",
        "Exit status 1 while the claim still fails, 0 once it holds. Needs only equifuzz and numpy.",
        '"""',
        "",
        "import sys",
        "from fractions import Fraction",
        "",
        "import numpy as np",
        "",
        "from equifuzz import ReLUNet, check_equivariant, check_layerwise, groups, reps",
        "",
        f"CLAIM = {case.claim!r}",
        "",
        "",
        _Q_HELPER,
        "",
        *_builder(case),
        "",
        "# a counterexample input (None when the failure is structural)",
        f"INPUT = {x if x is not None else 'None'}",
        "",
        "",
        "def main() -> int:",
        f"    function = check_equivariant(net, rho_in, rho_out{tol})",
        "    if CLAIM == 'layerwise':",
        f"        verdict = check_layerwise(net, rho_in, rho_out{tol})",
        "        print(verdict)",
        "        print('function:', str(function).splitlines()[0])",
        "    else:",
        "        verdict = function",
        "        print(verdict)",
        "    if INPUT is not None and function.element is not None:",
        "        g = function.element",
        "        fx = net.to_float()",
        "        x = INPUT.astype(float)",
        "        err = np.linalg.norm(fx(rho_in(g) @ x) - rho_out(g) @ fx(x))",
        "        shown = [str(v) for v in INPUT]",
        "        print(f'at x = {shown}: |f(g x) - rho_out(g) f(x)| = {err:.6g} for g = {function.word}')",
        "    if verdict.holds:",
        "        print(f'the claim holds ({CLAIM})')",
        "        return 0",
        "    print(f'the claim still FAILS ({CLAIM})')",
        "    return 1",
        "",
        "",
        "if __name__ == '__main__':",
        "    sys.exit(main())",
        "",
    ]
    return "\n".join(L)


def render_example(case: FailureCase, digest: str | None = None) -> str:
    """A module with the case and the ``@example(...)`` line for a Hypothesis test."""
    digest = digest or case.digest()
    L = [
        f'"""Hypothesis @example for equifuzz report {digest[:16]} ({case.name}, claim: {case.claim}).',
        "",
        "The decorator expects a test whose arguments are",
        "    net:     equifuzz.ReLUNet",
        "    rho_in:  equifuzz.reps.Representation (the action on inputs)",
        "    rho_out: equifuzz.reps.Representation (the action on outputs, same group)",
        "Copy this file's builder (or import equifuzz_case from it) and put the line",
        "",
        "    @example(**equifuzz_case())",
        "",
        "between @given(...) and the test function so that every run checks this case first.",
        '"""',
        "",
        "from fractions import Fraction",
        "",
        "import numpy as np",
        "from hypothesis import example",
        "",
        "from equifuzz import ReLUNet, groups, reps",
        "",
        "",
        _Q_HELPER,
        "",
        "def equifuzz_case() -> dict:",
        f'    """The keyword arguments net, rho_in, rho_out of report {digest[:16]}."""',
        *["    " + line if line else "" for line in _builder(case)],
        "    return {'net': net, 'rho_in': rho_in, 'rho_out': rho_out}",
        "",
        "",
        "# @example(**equifuzz_case())",
        "EXAMPLE = example(**equifuzz_case())",
        "",
    ]
    return "\n".join(L)


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
