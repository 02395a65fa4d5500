"""Tokens counted by autan where a server reports none (llama-cpp-python's server sends no usage
when streaming): estimated from lengths and marked ``Usage.estimated``, so that a token budget
holds whatever the server says. The embedded model counts with its own tokenizer instead."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

from autan.messages import ModelResponse, Usage

BYTES_PER_TOKEN = 4
"""Estimate used when no tokenizer is at hand; typical for English text and JSON."""


def estimate_tokens(text: str) -> int:
    """About how many tokens ``text`` is: its UTF-8 length over ``BYTES_PER_TOKEN``."""
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def estimate_prompt_tokens(body: dict[str, Any]) -> int:
    """Tokens of the rendered messages and tools of a request body."""
    return estimate_tokens(json.dumps(body.get("messages", [])) + json.dumps(body.get("tools", [])))


def with_estimated_usage(response: ModelResponse, body: dict[str, Any]) -> ModelResponse:
    """``response`` with usage estimated from the prompt ``body`` sent and the text, reasoning
    and calls that came back (for a response whose server reported none)."""
    calls = [[call.name, call.arguments] for call in response.tool_calls]
    completion = response.text + response.reasoning + (json.dumps(calls) if calls else "")
    estimated = Usage(estimate_prompt_tokens(body), estimate_tokens(completion), estimated=True)
    return replace(response, usage=estimated)
