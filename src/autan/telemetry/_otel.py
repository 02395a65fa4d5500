"""``SpanRecord``s as OpenTelemetry SDK spans (``ReadableSpan``), with the journal's times and
the ids of ``_ids``. Only this module and the exporters import the SDK."""

from __future__ import annotations

import os
from collections.abc import Iterable

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from autan._version import __version__
from autan.telemetry._ids import span_id, trace_id
from autan.telemetry._secrets import scrub, scrub_attributes
from autan.telemetry._spans import SpanRecord

SCOPE = InstrumentationScope("autan", __version__)
_KINDS = {"internal": SpanKind.INTERNAL, "client": SpanKind.CLIENT, "server": SpanKind.SERVER}


def default_resource() -> Resource:
    """``service.name`` is ``$OTEL_SERVICE_NAME``, else ``autan``; ``OTEL_RESOURCE_ATTRIBUTES``
    adds to it."""
    return Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME") or "autan"})


def readable_spans(
    run_id: str, spans: Iterable[SpanRecord], resource: Resource, secrets: tuple[str, ...]
) -> list[ReadableSpan]:
    return [readable(run_id, span, resource, secrets) for span in spans]


def readable(
    run_id: str, span: SpanRecord, resource: Resource, secrets: tuple[str, ...]
) -> ReadableSpan:
    trace = trace_id(run_id)
    parent = None
    if span.parent is not None:
        parent = _context(trace, span_id(run_id, span.parent))
    status = Status(StatusCode.UNSET)
    if span.error is not None:
        status = Status(StatusCode.ERROR, scrub(span.message, secrets) or None)
    return ReadableSpan(
        name=scrub(span.name, secrets),
        context=_context(trace, span_id(run_id, span.key)),
        parent=parent,
        resource=resource,
        attributes=scrub_attributes(span.attributes, secrets),
        events=[
            Event(e.name, scrub_attributes(e.attributes, secrets), _nanoseconds(e.at))
            for e in span.events
        ],
        kind=_KINDS[span.kind],
        status=status,
        start_time=_nanoseconds(span.start),
        end_time=_nanoseconds(span.end if span.end is not None else span.start),
        instrumentation_scope=SCOPE,
    )


def _context(trace: int, span: int) -> SpanContext:
    return SpanContext(trace, span, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))


def _nanoseconds(at: float) -> int:
    return int(at * 1e9)
