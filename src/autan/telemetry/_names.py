"""What the GenAI semantic conventions call autan's parts: the provider and model of a model
name, the agent's name, the attribute keys autan adds."""

from __future__ import annotations

AGENT_NAME = "autan"
"""``gen_ai.agent.name`` of every run (an ``Agent`` has no name of its own)."""

CODE_TOOL = "python"
"""``gen_ai.tool.name`` of a code block in code mode."""

_PROVIDERS = {
    "openai": "openai",
    "mistral": "mistral_ai",
    "deepseek": "deepseek",
    "ollama": "ollama",
    "local": "llama_cpp",
    "gguf": "llama_cpp",
}
"""autan's model-spec prefixes as ``gen_ai.provider.name`` values (the well-known ones where
the conventions list one)."""


def provider_and_model(model_name: str) -> tuple[str, str]:
    """``("openai", "gpt-4o")`` for ``openai:gpt-4o``; ``("llama_cpp", "model.gguf")`` for a
    GGUF path; a name without a prefix (``scripted``) is both."""
    prefix, colon, rest = model_name.partition(":")
    if not colon:
        return _PROVIDERS.get(prefix, prefix), prefix
    if prefix == "gguf":
        rest = rest.rsplit("/", 1)[-1]
    return _PROVIDERS.get(prefix, prefix), rest or prefix
