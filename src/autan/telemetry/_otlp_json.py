"""Spans as an OTLP/JSON file: one ``ExportTraceServiceRequest`` in the JSON encoding OTLP
specifies (ids as hex, enums as integers), as a collector's file exporter writes it and
``curl -H 'Content-Type: application/json' --data @FILE .../v1/traces`` sends it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

_IDS = ("traceId", "spanId", "parentSpanId")


def otlp_json(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    import base64

    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    request: dict[str, Any] = MessageToDict(encode_spans(spans), use_integers_for_enums=True)
    for resource in request.get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                for name in _IDS:
                    if span.get(name):
                        span[name] = base64.b64decode(span[name]).hex()
    return request


def write_otlp_json(path: str | Path, spans: Sequence[ReadableSpan]) -> None:
    text = json.dumps(otlp_json(spans), ensure_ascii=False)
    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(f"cannot write {path}: {error.strerror or error}") from None
