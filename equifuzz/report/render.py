"""The report's text files: report.md (:func:`render_markdown`), the standalone reproducer repro.py
(:func:`render_repro`) and the Hypothesis ``@example`` file example.py (:func:`render_example`)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .case import CLAIM_TEXT, FailureCase, Outcome, fraction_array
from .data import (
    _fmt_mat,
    _fmt_vec,
    _q,
    _short,
    _vec,
)

__all__ = ["render_markdown", "render_repro", "render_example"]


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
