"""``refit``: a call cut at the step's token limit is generated again, once, under bounds that
make its longest value fit the tokens it had (issue 18: BFCL's invalid calls were all cuts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autan import load_model
from autan.bench import load_entries, run_entry
from autan.messages import ToolSpec
from autan.models._llama_decode import Budget, StepDecoder
from autan.models._llama_grammar import LLAMA_NUMBER_RULE, SHORT_NUMBER_RULE, grammar_source
from autan.protocols import CONSTRAINED, JsonOutput
from autan.protocols.answer_bounds import PLAIN_CHARS, SHORT_NUMBERS, fitted_value, longest

pytest.importorskip("llama_cpp")

WRITE = ToolSpec(
    "write_file",
    "Write text to a file.",
    {
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "content": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["path", "content"],
    },
)
OPEN = ToolSpec("anything", "Takes any object.", {"type": "object"})


def _step(*tools: ToolSpec) -> JsonOutput:
    allowed = CONSTRAINED.constraint(tools, "auto")
    assert isinstance(allowed, JsonOutput)
    return allowed


@pytest.mark.parametrize("budget", [256, 1000])
def test_the_fitted_call_schema_has_a_longest_value_within_the_budget(budget: int) -> None:
    schema = _step(WRITE).line
    assert schema is not None
    assert longest(schema) is None  # free strings: no bound
    fitted = fitted_value(schema, budget)
    most = longest(fitted)
    assert most is not None
    assert most <= budget
    assert fitted[PLAIN_CHARS] is True
    assert "maxLength" not in WRITE.parameters["properties"]["content"]  # the tool's own schema


def test_a_value_of_any_type_is_fitted_as_a_string() -> None:
    anything = ToolSpec("invoke", "Java.", {"type": "object", "properties": {"handler": {}}})
    schema = _step(anything).line
    assert schema is not None
    fitted = fitted_value(schema, 256)
    handler = fitted["anyOf"][0]["properties"]["arguments"]["properties"]["handler"]
    assert handler["type"] == "string"
    assert handler["maxLength"] > 12
    assert schema["anyOf"][0]["properties"]["arguments"]["properties"]["handler"] == {}


FORCE = ToolSpec(
    "electromagnetic_force",
    "Force between two charges.",
    {
        "type": "object",
        "properties": {n: {"type": "number"} for n in ("charge1", "charge2", "distance", "k")},
        "required": ["charge1", "charge2", "distance"],
    },
)


def test_numbers_are_held_short_so_four_of_them_fit() -> None:
    """Four numbers of 53 characters each (llama.cpp's JSON grammar) leave no call within 256;
    the refit grammar's numbers take at most 25 (6 decimals, no exponent)."""
    schema = _step(FORCE).line
    assert schema is not None
    fitted = fitted_value(schema, 256)
    assert fitted is not schema
    assert fitted[SHORT_NUMBERS] is True
    source = grammar_source(JsonOutput(fitted)) or ""
    assert LLAMA_NUMBER_RULE not in source
    assert SHORT_NUMBER_RULE in source
    plain = grammar_source(JsonOutput(schema)) or ""
    assert LLAMA_NUMBER_RULE in plain  # what the substitution replaces is what llama.cpp writes


def test_an_open_object_or_a_budget_below_the_fixed_parts_cannot_be_fitted() -> None:
    schema, calls = _step(OPEN).line, _step(WRITE).line
    assert schema is not None
    assert calls is not None
    assert fitted_value(schema, 256) is schema
    assert fitted_value(calls, 16) is calls


class _Tokens:
    """What the decoder asks of llama.cpp outside ``generate``: tokenizing."""

    def tokenize(self, text: bytes, add_bos: bool = False, special: bool = False) -> list[int]:
        return list(text)


CUT = '{"tool": "write_file", "arguments": {"path": "a.txt", "content": "aaaaaaaaaaaaaaaaaaaa'
WHOLE = '{"tool": "write_file", "arguments": {"path": "a.txt", "content": "aaaa"}}'


def _decode(strategies: tuple[str, ...], tools: tuple[ToolSpec, ...] = (WRITE,)) -> Any:
    budget = Budget(256)
    grammars: list[Any] = []
    replies = iter([(CUT, "length"), (WHOLE, "stop")])

    def generate(tokens: list[int], part_grammar: Any) -> tuple[str, str]:
        grammars.append(part_grammar)
        text, finish = next(replies)
        budget.spent.append(256 if finish == "length" else 20)
        return text, finish

    decoder = StepDecoder(_Tokens(), _step(*tools), tools, strategies, generate, budget)
    return decoder.decode([1, 2, 3]), grammars, budget


def test_a_cut_call_is_generated_again_under_a_fitted_grammar_in_its_place() -> None:
    (text, finish), grammars, budget = _decode(("refit",))
    assert (text, finish) == (WHOLE, "stop")
    assert len(grammars) == 2
    assert grammars[0] is not grammars[1]
    assert budget.spent == [20]  # the cut part's tokens were given back, the refit has them all
    assert budget.given_back == 256  # and still counted: they were generated


def test_without_refit_the_cut_stands() -> None:
    (text, finish), grammars, _ = _decode(())
    assert (text, finish) == (CUT, "length")
    assert len(grammars) == 1


def test_a_schema_no_bound_fits_keeps_its_cut() -> None:
    (text, finish), grammars, _ = _decode(("refit",), (OPEN,))
    assert (text, finish) == (CUT, "length")
    assert len(grammars) == 1


BFCL = Path(__file__).resolve().parents[2] / "shared" / "bench" / "bfcl"


@pytest.mark.e2e
@pytest.mark.skipif(not BFCL.is_dir(), reason="../shared/bench/bfcl is not here")
def test_the_embedded_model_s_cut_call_becomes_a_valid_one() -> None:
    """``irrelevance_66``: under the default without ``refit`` SmolLM2-135M's call runs to the
    256-token cap (an invalid call); with it, the call is generated again and closes."""
    (entry,) = [e for e in load_entries(BFCL, ["irrelevance"]) if e.id == "irrelevance_66"]
    without = load_model("local", decode="another-call,relevance,grounded,chat-answer")
    cut, _ = run_entry(without, entry)
    assert not cut["valid"]
    assert cut["calls"][0]["name"] == "__invalid_call__"
    record, error = run_entry(load_model("local"), entry)
    assert error is None
    assert record["valid"]
    assert record["calls"]
    assert record["calls"][0]["name"] != "__invalid_call__"
    assert record["completion_tokens"] > 256  # the cut part was generated, then given back
