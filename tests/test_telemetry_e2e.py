"""End to end: ``autan run --otel URL`` on the real embedded model sends its trace over OTLP/HTTP;
the receiver's protobuf is decoded and holds the run's spans with the model's token counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.proto", reason="the otel extra is not installed")

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otlp_receiver import OTLPReceiver

pytestmark = pytest.mark.e2e
SRC = Path(__file__).resolve().parent.parent / "src"


def test_cli_run_on_the_embedded_model_sends_its_trace(tmp_path: Path) -> None:
    with OTLPReceiver() as receiver:
        done = subprocess.run(
            [sys.executable, "-m", "autan", "run", "What is 37 * 91?", "--otel", receiver.url],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(SRC), "OTEL_METRICS_EXPORTER": "none"},
        )
    assert done.returncode == 0, done.stderr
    spans = []
    for body in receiver.sent_to("/v1/traces"):
        request = ExportTraceServiceRequest.FromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                spans += list(scope.spans)
    by_name = {span.name: span for span in spans}
    assert "invoke_agent autan" in by_name
    chats = [span for span in spans if span.name == "chat local"]
    assert chats
    for chat in chats:
        attributes = {a.key: a.value for a in chat.attributes}
        assert attributes["gen_ai.provider.name"].string_value == "llama_cpp"
        assert attributes["gen_ai.usage.input_tokens"].int_value > 0
        assert attributes["gen_ai.usage.output_tokens"].int_value > 0
    root = by_name["invoke_agent autan"]
    assert {span.trace_id for span in spans} == {root.trace_id}
    assert not receiver.sent_to("/v1/metrics")  # OTEL_METRICS_EXPORTER=none is heeded
