"""The content of a report: report.json's data (:func:`report_data`), the kink hyperplanes and their orbits,
and the number formatting shared by the report's files.

Numbers are written exactly where they are rational (``p/q``) and with repr otherwise, so that the
files round-trip; everything is a function of the case, the minimization log and the library versions.
"""

from __future__ import annotations

import platform
from fractions import Fraction
from importlib import metadata
from typing import Any

import numpy as np

from ..nets.relu_net import DisjointSets
from ..oracles.equivariance import rational_matrix
from ..reps.characters import decompose
from ..reps.finite import Representation
from .case import CLAIM_TEXT, FailureCase, Outcome, evaluate, fraction_array, input_error
from .minimize import Minimized
from .schema import SCHEMA_VERSION

__all__ = ["FILES", "report_data", "hyperplane_classes", "figure_kind", "library_versions"]

#: the files of every report folder (figure.png is added where the case has a figure)
FILES = ("report.md", "report.json", "repro.py", "example.py")


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
