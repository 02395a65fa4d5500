"""A trace backend nobody here wrote: Arize Phoenix, started on loopback, receives a live run's
spans over OTLP/HTTP and a stored run's spans from ``autan runs trace``; the spans are read back
from Phoenix's REST API with their names, parents, times and token counts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="no otel extra")

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

from autan import Agent, SQLiteStore
from autan.events import ModelRequested
from autan.telemetry import Telemetry
from autan.telemetry._ids import trace_id
from autan.testing import ScriptedModel
from autan.tools.calculator import calculator
from phoenix_server import PhoenixServer, phoenix_executable

EXECUTABLE = phoenix_executable()
pytestmark = pytest.mark.skipif(
    EXECUTABLE is None and not os.environ.get("CI"),
    reason="Arize Phoenix not installed (.ci/run installs it in .venv-phoenix)",
)
SCRIPT = [[("calculator", {"expression": "6 * 7"}), ("calculator", {"expression": "1 +"})], "42"]
NAMES = ["chat scripted", "execute_tool calculator", "execute_tool calculator", "chat scripted"]


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoenixServer]:
    assert EXECUTABLE is not None, "CI must install Arize Phoenix"
    with PhoenixServer(EXECUTABLE, tmp_path_factory.mktemp("phoenix")) as server:
        yield server


def scripted_agent(**options: object) -> Agent:
    return Agent(ScriptedModel(SCRIPT), [calculator], **options)  # type: ignore[arg-type]


def by_name(spans: list[dict[str, object]]) -> list[str]:
    return sorted(str(span["name"]) for span in spans)


def test_a_live_run_is_read_back_from_phoenix(phoenix: PhoenixServer) -> None:
    exporter = OTLPSpanExporter(endpoint=f"{phoenix.url}/v1/traces")
    telemetry = Telemetry(exporter)
    result = scripted_agent(telemetry=telemetry).run("What is 6 * 7?")
    telemetry.flush()
    assert result.run_id is not None
    spans = phoenix.spans(format(trace_id(result.run_id), "032x"), 5)
    assert by_name(spans) == sorted([*NAMES, "invoke_agent autan"])
    root = next(s for s in spans if s["name"] == "invoke_agent autan")
    assert root["parent_id"] is None
    assert root["span_kind"] == "AGENT"
    root_id = root["context"]["span_id"]  # type: ignore[index]
    assert all(s["parent_id"] == root_id for s in spans if s is not root)
    chats = [s for s in spans if s["name"] == "chat scripted"]
    for chat in chats:
        assert chat["span_kind"] == "LLM"
        assert chat["attributes"]["gen_ai.usage.input_tokens"] == 10  # type: ignore[index]
        assert chat["attributes"]["llm.token_count.prompt"] == 10  # type: ignore[index]
        assert chat["attributes"]["llm.token_count.completion"] == 5  # type: ignore[index]
    assert root["attributes"]["llm.token_count.total"] == 30  # type: ignore[index]
    errors = [s["status_code"] for s in spans if s["name"] == "execute_tool calculator"]
    assert sorted(errors) == ["ERROR", "UNSET"]


def test_a_stored_run_is_sent_afterwards_with_its_times(
    phoenix: PhoenixServer, tmp_path: Path
) -> None:
    journal = tmp_path / "j.sqlite3"
    with SQLiteStore(journal) as store:
        result = scripted_agent(store=store, telemetry=False).run("What is 6 * 7?")
        assert result.run_id is not None
        events = store.load(result.run_id)
    trace = ["runs", "--store", str(journal), "trace", result.run_id, "--otel", phoenix.url]
    done = subprocess.run(
        [sys.executable, "-m", "autan", *trace],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": ""},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"5 spans of run {result.run_id} sent to {phoenix.url}"
    spans = phoenix.spans(format(trace_id(result.run_id), "032x"), 5)
    assert by_name(spans) == sorted([*NAMES, "invoke_agent autan"])
    first_chat = min(
        (s for s in spans if s["name"] == "chat scripted"), key=lambda s: str(s["start_time"])
    )
    requested = next(e for e in events if isinstance(e, ModelRequested))
    started = datetime.fromisoformat(str(first_chat["start_time"])).timestamp()
    assert abs(started - requested.at) < 1e-3  # the journal's time, not the time of sending
