"""One BFCL entry as one model step: the entry's functions offered as tools, the calls captured.

No tool exists to run: the request carries only ToolSpecs, and the calls in the response are
recorded, checked against the schemas (``valid``) and scored (``passed``).
"""

from __future__ import annotations

import time
from typing import Any

from autan.agent import DEFAULT_INSTRUCTIONS as INSTRUCTIONS
from autan.bench._data import Entry
from autan.bench._schema import tool_specs
from autan.bench._score import Call, score
from autan.bench._validate import call_is_valid
from autan.errors import AutanError
from autan.messages import Message, ModelRequest, ModelResponse, ToolSpec
from autan.models.base import Model

MAX_TOKENS = 256
"""Per step, as an `Agent` step (`LoopConfig.max_tokens_per_step`)."""
RESULT_KEYS = (
    "id",
    "category",
    "calls",
    "passed",
    "valid",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "model_calls",
    "seconds",
    "error",
)


def run_entry(model: Model, entry: Entry) -> tuple[dict[str, Any], str | None]:
    """The result record of one entry, and the model's error if it failed."""
    specs, names = tool_specs(entry.functions)
    started = time.perf_counter()
    try:
        response = model.complete(request_for(entry, specs))
    except AutanError as error:
        seconds = time.perf_counter() - started
        return _record(entry, [], True, ModelResponse(), seconds, str(error)), str(error)
    calls = [
        {"name": names.get(c.name, c.name), "arguments": c.arguments} for c in response.tool_calls
    ]
    valid = all(call_is_valid(c.name, c.arguments, specs) for c in response.tool_calls)
    return _record(entry, calls, valid, response, time.perf_counter() - started), None


def request_for(entry: Entry, specs: tuple[ToolSpec, ...]) -> ModelRequest:
    messages = [Message("system", INSTRUCTIONS)]
    for turn in entry.messages:
        role = turn.get("role", "user")
        if role == "system":
            messages[0] = Message("system", f"{INSTRUCTIONS}\n{turn.get('content', '')}")
        elif role == "assistant":
            messages.append(Message("assistant", turn["content"]))
        else:
            messages.append(Message("user", turn["content"]))
    return ModelRequest(tuple(messages), specs, tool_choice="auto", max_tokens=MAX_TOKENS)


def _record(
    entry: Entry,
    calls: list[Call],
    valid: bool,
    response: ModelResponse,
    seconds: float,
    error: str | None = None,
) -> dict[str, Any]:
    """``error``: the model call failed, so the entry fails (no call is no answer, even where
    ``irrelevance`` would score an empty reply correct); ``valid`` stays true (no call was
    invalid)."""
    usage = response.usage
    return {
        "id": entry.id,
        "category": entry.category,
        "calls": calls,
        "passed": error is None and score(entry, calls).passed,
        "valid": valid,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "cached_tokens": usage.cached_tokens,
        "model_calls": 1,
        "seconds": round(seconds, 4),
        "error": error,
    }
