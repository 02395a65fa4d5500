"""``--otel URL``: where a command sends OpenTelemetry traces. It sets the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` for this process, which ``autan.telemetry`` reads; without the
flag or the variable nothing is exported."""

from __future__ import annotations

import argparse
import os


def add_otel_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--otel",
        metavar="URL",
        default=None,
        help="send the run as OpenTelemetry GenAI traces to this OTLP/HTTP receiver, e.g. "
        "http://127.0.0.1:4318 (default: $OTEL_EXPORTER_OTLP_ENDPOINT; unset: none; needs "
        "autan[otel])",
    )


def apply_otel(args: argparse.Namespace) -> None:
    """Raises ``ConfigurationError`` when ``--otel`` is given without the otel extra."""
    url = getattr(args, "otel", None)
    if url:
        from autan.telemetry import require_otel

        require_otel()
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = url
