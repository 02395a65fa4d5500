"""The GenAI client metrics, recorded from the chat spans a run ends:
``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration`` (histograms with the
bucket boundaries the conventions advise)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from autan._version import __version__
from autan.telemetry._secrets import scrub_attributes
from autan.telemetry._spans import SpanRecord

if TYPE_CHECKING:
    from opentelemetry.metrics import Histogram, MeterProvider

TOKEN_BUCKETS = [4.0**n for n in range(14)]
"""1, 4, 16, … 67108864: the conventions' advice for ``gen_ai.client.token.usage``."""
DURATION_BUCKETS = [0.01 * 2**n for n in range(14)]
"""0.01, 0.02, … 81.92 s: the conventions' advice for ``gen_ai.client.operation.duration``."""
_SHARED = (
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "error.type",
)


class ClientMetrics:
    """Every attribute value is scrubbed of ``secrets`` (see ``_secrets``)."""

    def __init__(self, provider: MeterProvider, secrets: tuple[str, ...] = ()) -> None:
        self.secrets = secrets
        meter = provider.get_meter("autan", __version__)
        self.tokens: Histogram = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        self.duration: Histogram = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )

    def record(self, spans: Iterable[SpanRecord]) -> None:
        for span in spans:
            if span.key.startswith("chat:") and span.end is not None:
                self._chat(span)

    def _chat(self, span: SpanRecord) -> None:
        attributes = scrub_attributes(span.attributes, self.secrets)
        shared = {k: attributes[k] for k in _SHARED if k in attributes}
        self.duration.record(max(span.end or span.start, span.start) - span.start, shared)
        for kind in ("input", "output"):
            count = attributes.get(f"gen_ai.usage.{kind}_tokens")
            if isinstance(count, int):
                self.tokens.record(count, {**shared, "gen_ai.token.type": kind})
