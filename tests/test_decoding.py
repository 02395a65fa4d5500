"""The decision logic of the decoding strategies (``autan.models.decoding``), against a scripted
log-probability source: no model."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from autan.errors import ConfigurationError
from autan.models.decoding import (
    ARRAY_BOUND,
    DEFAULT_DECODE,
    STRATEGIES,
    STRING_BOUND,
    another_call,
    bounded,
    call_log_odds,
    parse_decode,
    rank_tools,
    should_call,
)
from autan.protocols.constrained import CALL_FORMAT


class ScriptedScores:
    """log P of each text as scripted; any other text is nearly impossible."""

    def __init__(self, logprobs: dict[str, float], end: float = -50.0) -> None:
        self.logprobs = logprobs
        self.end = end
        self.asked: list[str] = []

    def score(self, texts: Sequence[str]) -> list[float]:
        self.asked.extend(texts)
        return [self.logprobs.get(text, -50.0) for text in texts]

    def end_logprob(self, text: str) -> float:
        return self.end


def test_a_likely_call_opening_means_a_call() -> None:
    scores = ScriptedScores({"{": math.log(0.5), '{"': math.log(0.3)})
    assert should_call(scores, CALL_FORMAT, margin=0.0)
    assert call_log_odds(scores, CALL_FORMAT) == pytest.approx(math.log(0.8 / 0.2))


def test_an_answer_wins_when_the_call_tokens_have_little_mass() -> None:
    # greedy decoding would take "{" (the single most likely token at 0.3), but the other
    # tokens together hold 0.7: the reply is an answer
    scores = ScriptedScores({"{": math.log(0.3)})
    assert not should_call(scores, CALL_FORMAT, margin=0.0)


def test_the_margin_moves_the_decision() -> None:
    scores = ScriptedScores({"{": math.log(0.2)})  # log-odds log(0.25) = -1.39
    assert not should_call(scores, CALL_FORMAT, margin=1.0)
    assert should_call(scores, CALL_FORMAT, margin=1.5)


def test_tools_are_ranked_by_the_likelihood_of_their_opening() -> None:
    scores = ScriptedScores(
        {CALL_FORMAT.opening("read_file"): -1.0, CALL_FORMAT.opening("list_dir"): -3.0}
    )
    ranked = rank_tools(scores, CALL_FORMAT, ["list_dir", "calculator", "read_file"])
    assert ranked == ["read_file", "list_dir", "calculator"]
    assert scores.asked == [CALL_FORMAT.opening(n) for n in ("list_dir", "calculator", "read_file")]


def test_another_call_against_the_end_of_the_reply() -> None:
    more = {CALL_FORMAT.separator + start: -1.0 for start in CALL_FORMAT.starts}
    assert another_call(ScriptedScores(more, end=-2.0), CALL_FORMAT)
    assert not another_call(ScriptedScores(more, end=-0.1), CALL_FORMAT)
    assert not another_call(ScriptedScores(more, end=-2.0), CALL_FORMAT, margin=2.0)


def test_bounded_bounds_free_strings_and_arrays_only() -> None:
    schema = {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "short": {"type": "string", "maxLength": 5},
            "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "unit": {"type": "string", "enum": ["c", "f"]},
            "items": {"type": "array", "items": {"type": "string"}},
        },
    }
    out = bounded(schema)["properties"]
    assert out["text"]["maxLength"] == STRING_BOUND
    assert out["short"]["maxLength"] == 5
    assert "maxLength" not in out["code"]
    assert "maxLength" not in out["unit"]
    assert out["items"]["maxItems"] == ARRAY_BOUND
    assert out["items"]["items"]["maxLength"] == STRING_BOUND
    assert "maxLength" not in schema["properties"]["text"]  # the tool's schema is untouched


def test_decode_options() -> None:
    # the rest are opt-in (issue 18)
    assert DEFAULT_DECODE == ("another-call", "relevance", "grounded", "chat-answer", "refit")
    assert parse_decode(None) == DEFAULT_DECODE
    assert parse_decode("default") == DEFAULT_DECODE
    assert parse_decode("greedy") == ()
    assert parse_decode("all") == STRATEGIES
    assert parse_decode("bounded") == ("bounded",)
    assert parse_decode("text-answer") == ("text-answer",)
    # the strategies that decode a step part by part around a text answer bring it with them
    assert parse_decode("bounded, likelihood") == ("text-answer", "likelihood", "bounded")
    assert parse_decode("function-first") == ("text-answer", "function-first")
    assert parse_decode("another-call") == ("another-call",)  # works with the JSON answer
    with pytest.raises(ConfigurationError, match="unknown decoding strategy 'fast'"):
        parse_decode("likelihood,fast")
