"""The JSON Schema of ``report.json`` (schema_version 1) and a small validator for the subset it uses.

The validator understands ``type`` (one name or a list), ``properties``, ``required``,
``additionalProperties`` (bool or schema), ``items``, ``enum``, ``const``, ``minimum``,
``minItems``, ``pattern`` and ``$ref`` to ``#/$defs/...`` -- the keywords of :data:`REPORT_SCHEMA`.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SCHEMA_VERSION", "REPORT_SCHEMA", "validate", "SchemaError"]

SCHEMA_VERSION = 1

_STR = {"type": "string"}
_INT = {"type": "integer"}
_NUM = {"type": "number"}
_BOOL = {"type": "boolean"}
_STRS = {"type": "array", "items": _STR}
_MATRIX = {"type": "array", "items": _STRS}
_NUMBERISH = {"type": ["string", "number"]}


def _obj(props: dict[str, Any], required: list[str] | None = None, extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props) if required is None else required,
            "additionalProperties": extra}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [{"type": "null"}, schema]}


_REP = _obj({
    "name": _STR, "dim": _INT, "exact": _BOOL, "generators": {"type": "array", "items": _MATRIX},
    "orthogonal": _BOOL, "permutation": _BOOL,
    "character": {"type": "object", "additionalProperties": _NUMBERISH},
    "decomposition": {"type": "array", "items": _obj({
        "irrep": _STR, "dim": _INT, "multiplicity": _INT,
        "character": {"type": "object", "additionalProperties": _NUMBERISH}})},
})

_TRIPLE = _obj({"w": _STRS, "b": _STR, "v": _STRS})

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://equifuzz.invalid/schemas/report-1.json",
    "title": "equifuzz failure report",
    "type": "object",
    "required": ["schema_version", "id", "folder", "name", "claim", "claim_text", "holds", "kind", "verdict",
                 "function", "realizability", "element", "neuron", "counterexample", "group", "representations",
                 "network", "hyperplanes", "environment", "minimization", "files", "case"],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "id": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "folder": _STR,
        "name": _STR,
        "description": _STR,
        "claim": {"enum": ["equivariant", "layerwise"]},
        "claim_text": _STR,
        "holds": _BOOL,
        "kind": _STR,
        "verdict": _obj({"text": _STR, "method": _STR, "element": _nullable(_STR), "reason": _STR,
                         "tolerance": _NUM, "neuron": _nullable(_INT)}),
        "function": _obj({"equivariant": _BOOL, "method": _STR, "max_error": _nullable(_NUM), "tolerance": _NUM,
                          "text": _STR}),
        "realizability": _nullable(_obj({"width": _INT, "realizable": {"type": ["boolean", "null"]},
                                         "lower": {"type": ["integer", "null"]}, "upper": {"type": ["integer", "null"]},
                                         "naive_upper": {"type": ["integer", "null"]}, "reason": _STR})),
        "element": _nullable(_obj({"word": _STR, "rho_in": _MATRIX, "rho_out": _MATRIX})),
        "neuron": _nullable(_obj({"index": _INT, "triple": _TRIPLE, "image": _TRIPLE})),
        "counterexample": _nullable(_obj({
            "input": _STRS, "image": _STRS, "f_input": _STRS, "f_image": _STRS, "rho_out_f_input": _STRS,
            "error": _NUM, "tolerance": _NUM, "exact": _BOOL})),
        "group": _obj({"name": _STR, "order": {"type": "integer", "minimum": 1}, "description": _STR,
                       "degree": _INT, "generator_names": _STRS,
                       "generators": {"type": "array", "items": {"type": "array", "items": _INT}}}),
        "representations": _obj({"rho_in": {"$ref": "#/$defs/representation"},
                                 "rho_out": {"$ref": "#/$defs/representation"}}),
        "network": _obj({"width": _INT, "d": _INT, "p": _INT, "exact": _BOOL, "hidden_bias": _BOOL,
                         "output_bias": _BOOL, "parameters": {"type": "object"}}),
        "hyperplanes": {"type": "array", "items": _obj({"normal": _STRS, "offset": _STR, "channel": _STRS,
                                                        "orbit": _INT, "reversed_by": _nullable(_STR)})},
        "environment": _obj({
            "dtype": {"enum": ["fraction", "float64"]}, "device": _STR, "seed": {"type": ["integer", "null"]},
            "versions": _obj({"equifuzz": _STR, "numpy": _STR, "torch": _STR, "hypothesis": _STR, "python": _STR})}),
        "minimization": _nullable(_obj({
            "stages": _STRS, "budget_seconds": _NUM, "budget_exhausted": _BOOL, "checks": _INT,
            "original": _obj({"name": _STR, "group": _STR, "order": _INT, "width": _INT, "d": _INT, "p": _INT,
                              "dtype": _STR}),
            "steps": {"type": "array", "items": _obj({"stage": _STR, "action": _STR,
                                                      "kept": {"type": ["boolean", "null"]}, "detail": _STR})}})),
        "files": {"type": "array", "items": _STR, "minItems": 4},
        "case": {"type": "object", "required": ["claim", "group", "rho_in", "rho_out", "net", "tolerance", "input"]},
    },
    "$defs": {"representation": _REP},
}


class SchemaError(ValueError):
    """A document does not match the schema; the message gives the JSON path."""


_TYPES: dict[str, Any] = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
}


def _is_type(x: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(x, int) and not isinstance(x, bool)
    if name == "number":
        return isinstance(x, (int, float)) and not isinstance(x, bool)
    return isinstance(x, _TYPES[name])


def _errors(x: Any, schema: dict[str, Any], root: dict[str, Any], path: str) -> list[str]:
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            return [f"{path}: unsupported $ref {ref}"]
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        return _errors(x, target, root, path)
    if "anyOf" in schema:
        results = [_errors(x, s, root, path) for s in schema["anyOf"]]
        if all(results):
            return [f"{path}: matches none of the alternatives ({'; '.join(r[0] for r in results)})"]
        return []
    out: list[str] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(x, n) for n in names):
            return [f"{path}: expected {' or '.join(names)}, got {type(x).__name__}"]
    if "const" in schema and x != schema["const"]:
        out.append(f"{path}: expected {schema['const']!r}, got {x!r}")
    if "enum" in schema and x not in schema["enum"]:
        out.append(f"{path}: {x!r} is not one of {schema['enum']}")
    if "minimum" in schema and _is_type(x, "number") and x < schema["minimum"]:
        out.append(f"{path}: {x} < minimum {schema['minimum']}")
    if "pattern" in schema and isinstance(x, str) and not re.search(schema["pattern"], x):
        out.append(f"{path}: {x!r} does not match {schema['pattern']}")
    if isinstance(x, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in x:
                out.append(f"{path}: missing required key {key!r}")
        extra = schema.get("additionalProperties", True)
        for key, val in x.items():
            if key in props:
                out.extend(_errors(val, props[key], root, f"{path}.{key}"))
            elif extra is False:
                out.append(f"{path}: unexpected key {key!r}")
            elif isinstance(extra, dict):
                out.extend(_errors(val, extra, root, f"{path}.{key}"))
    if isinstance(x, list):
        if "minItems" in schema and len(x) < schema["minItems"]:
            out.append(f"{path}: {len(x)} items, fewer than {schema['minItems']}")
        if "items" in schema:
            for i, val in enumerate(x):
                out.extend(_errors(val, schema["items"], root, f"{path}[{i}]"))
    return out


def validate(document: Any, schema: dict[str, Any] | None = None) -> None:
    """Raise SchemaError listing every mismatch between ``document`` and ``schema`` (default: the report)."""
    schema = REPORT_SCHEMA if schema is None else schema
    errs = _errors(document, schema, schema, "$")
    if errs:
        raise SchemaError(f"{len(errs)} schema error(s):\n  " + "\n  ".join(errs[:20]))
