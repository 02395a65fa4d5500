"""Context windows: know them, and refuse a request that cannot fit instead of letting a server
truncate it silently (Ollama's default window is small and it truncates without an error)."""

from __future__ import annotations

from typing import Any

from autan.errors import ConfigurationError, ContextLengthExceeded
from autan.messages import ModelRequest
from autan.models.usage_estimate import estimate_prompt_tokens

CONTEXT_WINDOWS: dict[str, int] = {
    "deepseek:deepseek-chat": 65_536,
    "deepseek:deepseek-reasoner": 65_536,
    "mistral:mistral-small-latest": 32_768,
    "mistral:mistral-large-latest": 131_072,
}
"""Known windows by model spec, for servers that do not say. Overridable per model."""

DEFAULT_CONTEXT = 4096
"""The embedded model's context (prompt and reply) when none is asked for: ``--context``,
``context`` in autan.toml, ``load_model(spec, context=…)`` or ``LlamaModel(n_ctx=…)`` choose
another."""
MIN_CONTEXT = 512


def check_context(n_ctx: object) -> int:
    """``n_ctx`` if it can be an embedded model's context size, else ``ConfigurationError``."""
    if isinstance(n_ctx, bool) or not isinstance(n_ctx, int) or n_ctx < MIN_CONTEXT:
        raise ConfigurationError(
            f"the context must be a whole number of tokens, at least {MIN_CONTEXT}; got {n_ctx!r}"
        )
    return n_ctx


def window_from_models_listing(listing: Any, model: str) -> int | None:
    """A context window from a ``GET /models`` answer: vLLM's ``max_model_len``, or the
    ``context_length`` / ``context_window`` that other servers add, for the entry ``model``."""
    entries = listing.get("data", []) if isinstance(listing, dict) else []
    for entry in entries:
        if isinstance(entry, dict) and entry.get("id") == model:
            for key in ("max_model_len", "context_length", "context_window"):
                if isinstance(entry.get(key), int) and entry[key] > 0:
                    return int(entry[key])
    return None


def check_fits(request: ModelRequest, body: dict[str, Any], window: int | None, name: str) -> None:
    if window is None:
        return
    prompt = estimate_prompt_tokens(body)
    if prompt + request.max_tokens > window:
        raise ContextLengthExceeded(
            f"{name}: about {prompt} prompt tokens + {request.max_tokens} to generate do not fit "
            f"its {window}-token context window"
        )
