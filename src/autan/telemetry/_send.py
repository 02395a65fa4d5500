"""A stored run's spans, sent on request to an OTLP receiver or written as OTLP JSON."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autan.errors import ConfigurationError, TelemetryError
from autan.events import Event
from autan.telemetry._stored import run_spans
from autan.telemetry._switches import (
    capture_content_from_environment,
    otlp_endpoint,
    require_otel,
)


def export_stored(
    run_id: str, events: Sequence[Event], created: float = 0.0, out: str | Path | None = None
) -> int:
    """Send run ``run_id``'s spans where ``OTEL_EXPORTER_OTLP_ENDPOINT`` says, or write them to
    ``out`` as OTLP JSON; returns how many. Raises ``TelemetryError`` when the receiver does
    not take them, ``ConfigurationError`` with nowhere to send them or without the extra."""
    require_otel()
    from autan.telemetry._telemetry import Telemetry

    telemetry = Telemetry()
    records = run_spans(run_id, events, capture_content_from_environment(), created)
    spans = telemetry.spans(run_id, records)
    if out is not None:
        from autan.telemetry._otlp_json import write_otlp_json

        write_otlp_json(out, spans)
        return len(spans)
    endpoint = otlp_endpoint()
    if endpoint is None:
        raise ConfigurationError(
            "nowhere to send the trace: give --otel URL, --out FILE or OTEL_EXPORTER_OTLP_ENDPOINT"
        )
    _send(spans, endpoint)
    return len(spans)


def _send(spans: Sequence[object], endpoint: str) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    exporter = OTLPSpanExporter()  # endpoint, headers and timeout from the OTEL_* variables
    try:
        result = exporter.export(spans)  # type: ignore[arg-type]
    finally:
        exporter.shutdown()  # type: ignore[no-untyped-call]
    if result is not SpanExportResult.SUCCESS:
        raise TelemetryError(f"the OTLP receiver at {endpoint} did not take the run's spans")
