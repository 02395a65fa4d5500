"""BFCL's AST checker on structured calls: is a list of calls right for an entry?

Rules (from BFCL's eval_checker, reimplemented): irrelevance passes with no call;
``parallel`` categories need as many calls as the ground truth, each ground-truth call matched
by a distinct call (order-free, first match); others need exactly the ground truth's calls.
One call matches when its name is the function's, every required and every non-optional
ground-truth parameter is present, no parameter is unknown, and every value is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autan.bench._data import Entry
from autan.bench._schema import tool_name
from autan.bench._values import matches

Call = dict[str, Any]
"""``{"name": str, "arguments": dict}``."""


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    reason: str = ""


def score(entry: Entry, calls: list[Call]) -> Verdict:
    """Whether ``calls`` (the model's, in order) pass ``entry``."""
    if "irrelevance" in entry.category:
        return Verdict(not calls, "a call was made" if calls else "")
    if "relevance" in entry.category:
        return Verdict(bool(calls), "" if calls else "no call was made")
    if len(calls) != len(entry.ground_truth):
        return Verdict(False, f"{len(calls)} calls, {len(entry.ground_truth)} expected")
    if "parallel" in entry.category:
        return _score_unordered(entry, calls)
    for call, expected in zip(calls, entry.ground_truth, strict=True):
        problem = check_call(call, expected, entry.functions)
        if problem:
            return Verdict(False, problem)
    return Verdict(True)


def check_call(
    call: Call, expected: dict[str, dict[str, list[Any]]], functions: tuple[dict[str, Any], ...]
) -> str | None:
    """None if ``call`` matches the ground-truth call ``{name: {param: allowed}}``, else why."""
    ((name, allowed),) = expected.items()
    if call.get("name") not in (name, tool_name(name)):
        return f"called {call.get('name')!r}, expected {name!r}"
    parameters = _parameters(name, functions)
    properties: dict[str, Any] = parameters.get("properties", {})
    arguments: dict[str, Any] = call.get("arguments") or {}
    missing = [p for p in parameters.get("required", []) if p not in arguments]
    missing += [p for p, values in allowed.items() if p not in arguments and "" not in values]
    if missing:
        return f"missing parameters {sorted(set(missing))}"
    for parameter, value in arguments.items():
        if parameter not in properties or parameter not in allowed:
            return f"unexpected parameter {parameter!r}"
        problem = matches(value, properties[parameter], allowed[parameter])
        if problem:
            return f"{parameter}: {problem}"
    return None


def _score_unordered(entry: Entry, calls: list[Call]) -> Verdict:
    unused = list(range(len(calls)))
    for expected in entry.ground_truth:
        match = next(
            (i for i in unused if check_call(calls[i], expected, entry.functions) is None), None
        )
        if match is None:
            return Verdict(False, f"no call matches {next(iter(expected))!r}")
        unused.remove(match)
    return Verdict(True)


def _parameters(name: str, functions: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    for function in functions:
        if function.get("name") == name:
            parameters = function.get("parameters") or {}
            return parameters if isinstance(parameters, dict) else {}
    return {}
