"""``Telemetry``: where a run's spans and metrics go, and the watcher that sends them live."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autan.events import Event
from autan.telemetry._fold import TraceFold
from autan.telemetry._secrets import secrets_of
from autan.telemetry._spans import SpanRecord
from autan.telemetry._stored import run_spans
from autan.telemetry._switches import capture_content_from_environment

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
    from opentelemetry.sdk.trace.export import SpanExporter


class Telemetry:
    """Sends runs as OpenTelemetry GenAI spans (and, with a ``meter_provider``, the GenAI
    client metrics). Give an ``Agent`` one with ``Agent(..., telemetry=Telemetry(...))``;
    without, an agent uses ``environment_telemetry()`` (only when
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set).

    ``span_exporter`` is wrapped in a ``BatchSpanProcessor``; pass ``span_processor`` to choose
    the processor yourself. ``capture_content`` (default: the standard switch
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``) puts the task, replies, tool
    arguments and results in attributes. Needs the ``otel`` extra (``autan[otel]``).
    """

    def __init__(
        self,
        span_exporter: SpanExporter | None = None,
        *,
        span_processor: SpanProcessor | None = None,
        meter_provider: MeterProvider | None = None,
        capture_content: bool | None = None,
        resource: Resource | None = None,
    ) -> None:
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        from autan.telemetry._metrics import ClientMetrics
        from autan.telemetry._otel import default_resource

        if span_processor is None and span_exporter is not None:
            span_processor = BatchSpanProcessor(span_exporter)
        self.span_processor = span_processor
        self.secrets = secrets_of()
        self.metrics = ClientMetrics(meter_provider, self.secrets) if meter_provider else None
        self.capture_content = (
            capture_content_from_environment() if capture_content is None else capture_content
        )
        self.resource = resource or default_resource()

    def watch(self, run_id: str) -> LiveTrace:
        """A watcher for the driver: sends each span as the journal ends it."""
        return LiveTrace(self, run_id)

    def spans(self, run_id: str, records: Sequence[SpanRecord]) -> list[ReadableSpan]:
        from autan.telemetry._otel import readable_spans

        return readable_spans(run_id, records, self.resource, self.secrets)

    def send(self, run_id: str, records: Sequence[SpanRecord]) -> None:
        if self.span_processor is not None:
            for span in self.spans(run_id, records):
                self.span_processor.on_end(span)
        if self.metrics is not None:
            self.metrics.record(records)

    def export_run(self, run_id: str, events: Sequence[Event], created: float = 0.0) -> None:
        """Send a stored run's spans (no metrics: they were counted when it ran), then flush."""
        if self.span_processor is not None:
            records = run_spans(run_id, events, self.capture_content, created)
            for span in self.spans(run_id, records):
                self.span_processor.on_end(span)
        self.flush()

    def flush(self) -> None:
        if self.span_processor is not None:
            self.span_processor.force_flush()


class LiveTrace:
    """Folds a run's events as the driver journals them; sends the spans each event ends,
    except those a resumed run replays (they were sent when they happened)."""

    def __init__(self, telemetry: Telemetry, run_id: str) -> None:
        self.telemetry = telemetry
        self.run_id = run_id
        self.fold = TraceFold(run_id, telemetry.capture_content)
        self.broken = False

    def __call__(self, event: Event, replayed: bool) -> None:
        if self.broken:
            return
        try:
            ended = self.fold.add(event)
            if ended and not replayed:
                self.telemetry.send(self.run_id, ended)
        except Exception:  # a trace must never end a run: this one stops being traced
            self.broken = True
            logging.getLogger("autan.telemetry").warning(
                "run %s: tracing failed and is off for this run", self.run_id, exc_info=True
            )
