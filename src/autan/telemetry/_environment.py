"""The one ``Telemetry`` per process and configuration that the ``OTEL_*`` variables describe
(OTLP over HTTP). Nothing is exported unless an OTLP endpoint is set; the SDK is imported only
then."""

from __future__ import annotations

import atexit
import os
import warnings

from autan.errors import ConfigurationError
from autan.telemetry._switches import (
    CAPTURE_CONTENT,
    ENDPOINTS,
    NOT_INSTALLED,
    otel_installed,
    tracing_requested,
)
from autan.telemetry._telemetry import Telemetry

_MADE: dict[tuple[str | None, ...], Telemetry | None] = {}


def environment_telemetry() -> Telemetry | None:
    """``None`` too when the otel extra is not installed: the variables may be meant for other
    programs, so that is a warning (once), not a failed run. ``--otel`` insists instead."""
    if not tracing_requested():
        return None
    names = (*ENDPOINTS, "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_TRACES_EXPORTER",
             "OTEL_METRICS_EXPORTER", CAPTURE_CONTENT, "OTEL_SERVICE_NAME")  # fmt: skip
    key = tuple(os.environ.get(name) for name in names)
    if key not in _MADE:
        if not otel_installed():
            warnings.warn(f"{NOT_INSTALLED}; runs are not traced", stacklevel=4)
            _MADE[key] = None
        else:
            _MADE[key] = _made()
    return _MADE[key]


def _made() -> Telemetry:
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    if protocol != "http/protobuf":
        raise ConfigurationError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol}: autan exports OTLP over http/protobuf only"
        )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    meters = None
    if os.environ.get("OTEL_METRICS_EXPORTER", "otlp") != "none":
        meters = MeterProvider([PeriodicExportingMetricReader(OTLPMetricExporter())])
    exporter = None
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp") != "none":
        exporter = OTLPSpanExporter()
    telemetry = Telemetry(exporter, meter_provider=meters)
    atexit.register(_shut, telemetry, meters)
    return telemetry


def _shut(telemetry: Telemetry, meters: object) -> None:
    """At exit, send what is still queued (a CLI run ends right after its last span)."""
    if telemetry.span_processor is not None:
        telemetry.span_processor.shutdown()
    shutdown = getattr(meters, "shutdown", None)
    if shutdown is not None:
        shutdown()
