"""One string selects a backend.

``local`` (the embedded model), ``gguf:/path/model.gguf``, ``openai:MODEL@BASE_URL``,
``ollama:MODEL[@BASE_URL]``, ``mistral:MODEL``, ``deepseek:MODEL``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from autan.errors import ConfigurationError, ModelSpecError
from autan.models.base import Model
from autan.models.reasoning import ReasoningPolicy
from autan.pricing import Price, price_for

if TYPE_CHECKING:
    from autan.protocols import ToolProtocolName

ACCEPTED_FORMS = (
    "local, gguf:/path/to/model.gguf, openai:MODEL@http://host:port/v1, ollama:MODEL, "
    "mistral:MODEL, deepseek:MODEL"
)


def load_model(
    spec: str,
    tool_protocol: str | None = None,
    prices: dict[str, Price] | None = None,
    reasoning: ReasoningPolicy | None = None,
    decode: str | None = None,
) -> Model:
    """The backend a spec names. Files are checked and keys looked up now; models load on use.

    ``prices`` override the default price table; ``reasoning`` overrides the provider's policy
    for sending earlier reasoning back (see ``autan.models.reasoning``); ``decode`` names the
    embedded backend's decoding strategies (``autan.models.decoding``; servers take none)."""
    from autan.protocols import check_name

    protocol = check_name(tool_protocol)
    text = spec.strip()
    if text == "local" or text.startswith("gguf:"):
        return _embedded(text, spec, protocol or "constrained", decode)
    provider, _, rest = text.partition(":")
    if provider in ("openai", "ollama", "mistral", "deepseek") and rest:
        _no_decoding(decode, spec)
        return _remote(provider, rest, spec, protocol, prices, reasoning)
    raise ModelSpecError(f"unknown model spec {spec!r}; accepted forms: {ACCEPTED_FORMS}")


def _no_decoding(decode: str | None, spec: str) -> None:
    from autan.models.decoding import parse_decode

    if decode is not None and parse_decode(decode):
        raise ConfigurationError(
            f"decoding strategies need the embedded model; {spec!r} decodes on its server "
            "(use --decode greedy)"
        )


def _embedded(text: str, spec: str, protocol: str, decode: str | None) -> Model:
    from autan.models.embedded import check_gguf, default_gguf_path
    from autan.models.llama import LlamaModel

    if text == "local":
        return LlamaModel(default_gguf_path(), "local", tool_protocol=protocol, decode=decode)
    if text[5:]:
        return LlamaModel(check_gguf(text[5:]), text, tool_protocol=protocol, decode=decode)
    raise ModelSpecError(f"unknown model spec {spec!r}; accepted forms: {ACCEPTED_FORMS}")


def _remote(
    provider_name: str,
    rest: str,
    spec: str,
    protocol: ToolProtocolName | None,
    prices: dict[str, Price] | None,
    reasoning: ReasoningPolicy | None,
) -> Model:
    from autan.models.openai import OpenAIChatModel
    from autan.models.providers import PROVIDERS, api_key

    provider = PROVIDERS[provider_name]
    model, _, base_url = rest.partition("@")
    if provider_name == "ollama":
        base_url = base_url or os.environ.get("OLLAMA_BASE_URL", "") or provider.base_url
    base_url = base_url or provider.base_url
    if not model or not base_url.startswith(("http://", "https://")):
        raise ModelSpecError(f"unknown model spec {spec!r}; accepted forms: {ACCEPTED_FORMS}")
    # Hosted APIs are known to do native tool calls; local servers vary, so they are probed.
    default: ToolProtocolName | Literal["auto"] = "native" if provider.key_required else "auto"
    return OpenAIChatModel(
        provider,
        model,
        base_url,
        api_key(provider),
        protocol or default,
        reasoning=reasoning,
        price=price_for(f"{provider_name}:{model}", prices),
    )
