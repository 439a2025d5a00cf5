"""equifuzz fuzzes its own API: every bad argument is a typed error, every valid call a correct answer.

The catalogue (``api_fuzz_cases``) lists every public function of ``equifuzz.__all__`` (with the
``groups`` and ``reps`` modules), of ``equifuzz.strategies`` and the gate, a known-good call, and
for each argument what it accepts. Three checks:

- every distinct bad value of every argument, alone, raises an ``EquifuzzError`` subclass (never a
  raw exception, never an answer);
- the good call and its valid variants (a torch module where a ReLUNet is wanted, a numpy integer
  where an int is, a float32 tensor where an array is) give the answer known by construction;
- Hypothesis mixes valid variants over all arguments with at most one bad value: a call with a bad
  value raises a typed error, a call without one answers correctly.

``python tests/test_api_fuzz.py`` prints the table of tests/README.md.
"""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from api_fuzz_cases import Entry, bad_values, entries  # noqa: E402

from equifuzz import EquifuzzError  # noqa: E402
from equifuzz.errors.validation import describe  # noqa: E402

ENTRY_NAMES = [e.name for e in entries()]


def _entry(name: str) -> Entry:
    return next(e for e in entries() if e.name == name)


def outcome(entry: Entry, values: dict[str, Any]) -> tuple[str, Any]:
    """("typed", error), ("raw", error) or ("answer", result) of one call."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "answer", entry.call(values)
        except EquifuzzError as exc:
            return "typed", exc
        except Exception as exc:  # the property under test: this must never happen
            return "raw", exc


def bad_calls(entry: Entry) -> list[tuple[str, Any, str, Any]]:
    """(argument, bad value, outcome kind, detail) for every distinct bad value of every argument."""
    out = []
    for slot in entry.slots:
        for v in bad_values(slot):
            kind, detail = outcome(entry, {**entry.good, slot.name: v})
            out.append((slot.name, v, kind, detail))
    return out


def valid_calls(entry: Entry) -> list[tuple[str, Any, str, Any]]:
    """(argument, value, "correct" / "wrong" / "typed" / "raw", detail) for the good call and each variant."""
    calls = [("(good call)", None, dict(entry.good))]
    calls += [(s.name, v, {**entry.good, s.name: v}) for s in entry.slots for v in s.variants]
    out = []
    for name, v, values in calls:
        kind, detail = outcome(entry, values)
        if kind == "answer":
            try:
                entry.check(detail)
                kind = "correct"
            except AssertionError as exc:
                kind, detail = "wrong", exc
        out.append((name, v, kind, detail))
    return out


@pytest.mark.parametrize("name", ENTRY_NAMES)
def test_every_bad_argument_is_a_typed_error(name):
    entry = _entry(name)
    failures = [f"{entry.name}({arg}={describe(v)}): " + (f"raw {type(d).__name__}: {d}" if kind == "raw"
                                                          else f"answered {describe(d)}")
                for arg, v, kind, d in bad_calls(entry) if kind != "typed"]
    assert not failures, f"{len(failures)} bad inputs not refused with a typed error:\n" + "\n".join(failures)


@pytest.mark.parametrize("name", ENTRY_NAMES)
def test_valid_calls_answer_correctly(name):
    entry = _entry(name)
    failures = [f"{entry.name}({arg}={describe(v)}): {kind}: {d}" for arg, v, kind, d in valid_calls(entry)
                if kind != "correct"]
    assert not failures, "\n".join(failures)


def _mixed(entry: Entry) -> st.SearchStrategy[tuple[dict[str, Any], list[str]]]:
    """Values for every argument, the good one or a valid variant, with at most one argument bad.

    Two bad values can make a consistent call (two representations of the same other group), so one
    argument at a time is bad; the others vary over their valid forms.
    """
    valid = [st.sampled_from([entry.good[s.name], *s.variants]) for s in entry.slots]
    bad_slot = st.sampled_from([None, *(i for i, s in enumerate(entry.slots) if bad_values(s))])

    @st.composite
    def draw(data: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
        values = {s.name: data(v) for s, v in zip(entry.slots, valid, strict=True)}
        k = data(bad_slot)
        if k is None:
            return values, []
        s = entry.slots[k]
        values[s.name] = data(st.sampled_from(bad_values(s)))
        return values, [s.name]

    return draw()


@pytest.mark.parametrize("name", ENTRY_NAMES)
# every public function is called, some of them slow by nature (realizability, the gate) and some of them
# strategies drawn inside the test: the speed and nesting health checks do not describe this test's inputs
@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.nested_given])
@given(data=st.data())
def test_mixed_arguments(name, data):
    entry = _entry(name)
    values, bad = data.draw(_mixed(entry), label="arguments")
    kind, detail = outcome(entry, values)
    if bad:
        assert kind == "typed", f"{entry.name} with bad {bad}: {kind} {describe(detail)}: {detail}"
    else:
        assert kind == "answer", f"{entry.name} refused valid arguments: {detail}"
        entry.check(detail)


def table() -> str:
    """The Markdown table of tests/README.md: distinct bad inputs per entry point and what they gave."""
    rows = ["| entry point | distinct bad inputs | typed errors | raw exceptions | silent answers | valid calls "
            "| correct answers |", "|---|---:|---:|---:|---:|---:|---:|"]
    tot: Counter[str] = Counter()
    for e in entries():
        b = Counter(kind for *_, kind, _ in bad_calls(e))
        v = Counter(kind for *_, kind, _ in valid_calls(e))
        n_bad, n_valid = sum(b.values()), sum(v.values())
        tot.update({"bad": n_bad, "typed": b["typed"], "raw": b["raw"], "silent": b["answer"], "valid": n_valid,
                    "correct": v["correct"]})
        rows.append(f"| `{e.name}` | {n_bad} | {b['typed']} | {b['raw']} | {b['answer']} | {n_valid} "
                    f"| {v['correct']} |")
    rows.append(f"| **all {len(entries())}** | {tot['bad']} | {tot['typed']} | {tot['raw']} | {tot['silent']} "
                f"| {tot['valid']} | {tot['correct']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
