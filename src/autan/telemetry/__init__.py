"""OpenTelemetry traces and metrics as a view of the journal (the GenAI semantic conventions).

A run's events fold into spans (``_fold.py``): ``invoke_agent autan``, ``chat {model}`` per
model call, ``execute_tool {tool}`` per tool call and per code block, with their times from
the journal and ids from the run id (``_ids.py``). A live run sends each span as the driver
journals the event that ends it (``Telemetry.watch``); a stored run is sent afterwards
(``Telemetry.export_run``, ``autan runs trace``) or written as OTLP JSON
(``write_otlp_json``). Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set or a ``Telemetry`` is
given; the SDK (the ``otel`` extra) is imported only then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autan.telemetry._switches import CAPTURE_CONTENT, require_otel, tracing_requested

if TYPE_CHECKING:
    from autan.telemetry._environment import environment_telemetry
    from autan.telemetry._otlp_json import write_otlp_json
    from autan.telemetry._send import export_stored
    from autan.telemetry._stored import run_spans
    from autan.telemetry._telemetry import LiveTrace, Telemetry

__all__ = [
    "CAPTURE_CONTENT",
    "LiveTrace",
    "Telemetry",
    "environment_telemetry",
    "export_stored",
    "require_otel",
    "run_spans",
    "tracing_requested",
    "write_otlp_json",
]

_LAZY = {
    "LiveTrace": "autan.telemetry._telemetry",
    "Telemetry": "autan.telemetry._telemetry",
    "run_spans": "autan.telemetry._stored",
    "export_stored": "autan.telemetry._send",
    "environment_telemetry": "autan.telemetry._environment",
    "write_otlp_json": "autan.telemetry._otlp_json",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autan.telemetry' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
