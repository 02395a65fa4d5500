"""Per-provider differences of OpenAI-compatible chat-completions servers, kept as data."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from autan.errors import ConfigurationError

ResponseFormatStyle = Literal["json_schema", "json_object_schema"]


@dataclass(frozen=True, slots=True)
class Provider:
    """What differs between servers that all speak chat completions."""

    name: str
    base_url: str
    key_variables: tuple[str, ...] = ()
    key_required: bool = False
    response_format: ResponseFormatStyle = "json_schema"
    send_tool_name: bool = False
    """Whether tool-result messages carry the tool's ``name`` (Mistral expects it)."""
    answer_tool: bool = False
    """Whether a typed answer is a call to a final tool rather than ``response_format``'s JSON
    schema, which the server lacks (DeepSeek's JSON output is ``json_object`` only)."""


PROVIDERS: dict[str, Provider] = {
    "openai": Provider("openai", "", ("AUTAN_API_KEY", "OPENAI_API_KEY")),
    "ollama": Provider("ollama", "http://127.0.0.1:11434/v1", ("AUTAN_API_KEY",)),
    "mistral": Provider(
        "mistral", "https://api.mistral.ai/v1", ("MISTRAL_API_KEY",), True, send_tool_name=True
    ),
    "deepseek": Provider(
        "deepseek", "https://api.deepseek.com/v1", ("DEEPSEEK_API_KEY",), True, answer_tool=True
    ),
}


def key_variable(provider: Provider) -> str | None:
    """The environment variable ``api_key`` takes the key from, or None when none is set."""
    return next((name for name in provider.key_variables if os.environ.get(name)), None)


def api_key(provider: Provider) -> str | None:
    """The first key found in the provider's environment variables (keys never come from files)."""
    for variable in provider.key_variables:
        value = os.environ.get(variable)
        if value:
            return value
    if provider.key_required:
        names = " or ".join(provider.key_variables)
        raise ConfigurationError(f"{provider.name} needs an API key: set {names}")
    return None
