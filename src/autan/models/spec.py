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
    context: int | None = None,
    decode: str | None = None,
) -> Model:
    """The backend a spec names. Files are checked and keys looked up now; models load on use.

    ``prices`` override the default price table; ``reasoning`` overrides the provider's policy
    for sending earlier reasoning back (see ``autan.models.reasoning``). ``context``: the
    embedded model's context size in tokens (default 4096); a server has its own window.
    ``decode`` names the embedded backend's decoding strategies (``autan.models.decoding``;
    servers take none)."""
    from autan.protocols import check_name

    protocol = check_name(tool_protocol)
    text = spec.strip()
    if text == "local" or text.startswith("gguf:"):
        return _embedded(text, spec, protocol or "constrained", context, decode)
    provider, _, rest = text.partition(":")
    if provider in ("openai", "ollama", "mistral", "deepseek") and rest:
        _no_decoding(decode, spec)
        return _remote(provider, rest, spec, protocol, prices, reasoning)
    raise ModelSpecError(f"unknown model spec {spec!r}; accepted forms: {ACCEPTED_FORMS}")


def _no_decoding(decode: str | None, spec: str) -> None:
    from autan.models.decoding import names_strategies, parse_decode

    if names_strategies(decode) and parse_decode(decode):
        raise ConfigurationError(
            f"decoding strategies need the embedded model; {spec!r} decodes on its server "
            "(use --decode greedy)"
        )


def _embedded(
    text: str, spec: str, protocol: str, context: int | None, decode: str | None
) -> Model:
    from autan.models.context import DEFAULT_CONTEXT
    from autan.models.embedded import check_gguf, default_gguf_path
    from autan.models.llama import LlamaModel

    n_ctx = DEFAULT_CONTEXT if context is None else context
    if text == "local":
        return LlamaModel(
            default_gguf_path(), "local", n_ctx, tool_protocol=protocol, decode=decode
        )
    if text[5:]:
        path = check_gguf(text[5:])
        return LlamaModel(path, text, n_ctx, tool_protocol=protocol, decode=decode)
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
    model, base_url = _model_and_base_url(provider_name, rest, spec)
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


def _model_and_base_url(provider_name: str, rest: str, spec: str) -> tuple[str, str]:
    from autan.models.providers import PROVIDERS

    provider = PROVIDERS[provider_name]
    model, _, base_url = rest.partition("@")
    if provider_name == "ollama":
        base_url = base_url or os.environ.get("OLLAMA_BASE_URL", "") or provider.base_url
    base_url = base_url or provider.base_url
    if not model or not base_url.startswith(("http://", "https://")):
        raise ModelSpecError(f"unknown model spec {spec!r}; accepted forms: {ACCEPTED_FORMS}")
    return model, base_url


def key_destination(spec: str) -> tuple[str, str, bool] | None:
    """Where the model of ``spec`` would send an API key of this environment: the variable it
    comes from, the server's origin (``scheme://host:port``), and whether that is the
    provider's own server (``mistral:`` to api.mistral.ai, say). None when it sends no key."""
    from urllib.parse import urlsplit

    from autan.models.providers import PROVIDERS, key_variable

    provider_name, _, rest = spec.strip().partition(":")
    if provider_name not in PROVIDERS or not rest:
        return None
    provider = PROVIDERS[provider_name]
    variable = key_variable(provider)
    if variable is None:
        return None
    _, base_url = _model_and_base_url(provider_name, rest, spec)

    def origin(url: str) -> str:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"

    own = bool(provider.base_url) and origin(base_url) == origin(provider.base_url)
    return variable, origin(base_url), own
