"""What the standard ``OTEL_*`` variables ask for. Nothing is exported unless an OTLP endpoint
is set; the SDK is imported only then."""

from __future__ import annotations

import atexit
import os
import warnings
from typing import TYPE_CHECKING

from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from autan.telemetry._telemetry import Telemetry

CAPTURE_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_MADE: dict[tuple[str | None, ...], Telemetry | None] = {}
NOT_INSTALLED = "exporting traces needs the otel extra: pip install 'autan[otel]'"


def capture_content_from_environment() -> bool:
    return os.environ.get(CAPTURE_CONTENT, "").strip().lower() in ("true", "1")


def otlp_endpoint() -> str | None:
    """The traces endpoint the environment names, if any."""
    return next((os.environ[name] for name in _ENDPOINTS if os.environ.get(name)), None)


def tracing_requested() -> bool:
    """An OTLP endpoint is set (and ``OTEL_SDK_DISABLED`` is not ``true``): cheap, imports
    nothing, asked at the start of every run."""
    if otlp_endpoint() is None:
        return False
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() != "true"


def environment_telemetry() -> Telemetry | None:
    """``None`` too when the otel extra is not installed: the variables may be meant for other
    programs, so that is a warning (once), not a failed run. ``--otel`` insists instead."""
    if not tracing_requested():
        return None
    names = (*_ENDPOINTS, "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_TRACES_EXPORTER",
             "OTEL_METRICS_EXPORTER", CAPTURE_CONTENT, "OTEL_SERVICE_NAME")  # fmt: skip
    key = tuple(os.environ.get(name) for name in names)
    if key not in _MADE:
        if not otel_installed():
            warnings.warn(f"{NOT_INSTALLED}; runs are not traced", stacklevel=4)
            _MADE[key] = None
        else:
            _MADE[key] = _made()
    return _MADE[key]


def require_otel() -> None:
    """Raises ``ConfigurationError`` unless the otel extra is installed."""
    if not otel_installed():
        raise ConfigurationError(NOT_INSTALLED)


def otel_installed() -> bool:
    import importlib.util

    names = ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http")
    try:
        return all(importlib.util.find_spec(name) is not None for name in names)
    except ModuleNotFoundError:  # a parent package is missing
        return False


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

    from autan.telemetry._telemetry import Telemetry

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
