"""The switches of the standard ``OTEL_*`` variables, and whether the otel extra is there:
cheap questions that import nothing (asked at the start of every run)."""

from __future__ import annotations

import os

from autan.errors import ConfigurationError

CAPTURE_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
NOT_INSTALLED = "exporting traces needs the otel extra: pip install 'autan[otel]'"


def capture_content_from_environment() -> bool:
    return os.environ.get(CAPTURE_CONTENT, "").strip().lower() in ("true", "1")


def otlp_endpoint() -> str | None:
    """The traces endpoint the environment names, if any."""
    return next((os.environ[name] for name in ENDPOINTS if os.environ.get(name)), None)


def tracing_requested() -> bool:
    """An OTLP endpoint is set (and ``OTEL_SDK_DISABLED`` is not ``true``): cheap, imports
    nothing, asked at the start of every run."""
    if otlp_endpoint() is None:
        return False
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() != "true"


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
