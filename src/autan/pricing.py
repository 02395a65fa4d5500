"""What a model call costs: USD per million input, cached-input and output tokens.

The defaults are the providers' published list prices as found in stored copies of their pricing
pages (DeepSeek: api-docs.deepseek.com "Models & Pricing"; Mistral: La Plateforme pricing as
quoted by third parties). Prices change: override them in ``autan.toml`` under ``[prices]``.
Local models cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from autan.messages import Usage


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens."""

    input: float
    cached_input: float
    output: float

    def cost(self, usage: Usage) -> float:
        fresh = max(usage.prompt_tokens - usage.cached_tokens, 0)
        total = (
            fresh * self.input
            + usage.cached_tokens * self.cached_input
            + usage.completion_tokens * self.output
        )
        return total / 1_000_000


DEFAULT_PRICES: dict[str, Price] = {
    "deepseek:deepseek-chat": Price(0.27, 0.07, 1.10),
    "deepseek:deepseek-reasoner": Price(0.55, 0.14, 2.19),
    "mistral:mistral-small-latest": Price(0.10, 0.10, 0.30),
    "mistral:mistral-large-latest": Price(0.50, 0.50, 1.50),
}


def price_for(model: str, overrides: dict[str, Price] | None = None) -> Price | None:
    """The price of a model spec (``provider:model``), or None when unknown or local."""
    table = {**DEFAULT_PRICES, **(overrides or {})}
    return table.get(model)
