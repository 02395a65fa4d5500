"""The other views of a run's trace: the GenAI client metrics, code blocks as spans, the OTLP
JSON file of ``autan runs trace --out``, and how ``runs trace`` fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from autan import Agent, SQLiteStore, tool
from autan.cli import main
from autan.sandbox import SandboxLimits
from autan.telemetry import Telemetry
from autan.telemetry._ids import span_id, trace_id
from autan.telemetry._metrics import DURATION_BUCKETS, TOKEN_BUCKETS
from autan.testing import ScriptedModel
from autan.tools.calculator import calculator

SCRIPT = [("calculator", {"expression": "6 * 7"}), "42"]
SRC = Path(__file__).resolve().parent.parent / "src"


def histogram_points(reader: InMemoryMetricReader, name: str) -> list[HistogramDataPoint]:
    data = reader.get_metrics_data()
    assert data is not None
    points = []
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    points += [p for p in metric.data.data_points]  # type: ignore[union-attr]
    return points  # type: ignore[return-value]


def test_token_usage_and_duration_histograms() -> None:
    reader = InMemoryMetricReader()
    telemetry = Telemetry(meter_provider=MeterProvider(metric_readers=[reader]))
    Agent(ScriptedModel(SCRIPT), [calculator], telemetry=telemetry).run("6 * 7?")
    tokens = {
        p.attributes["gen_ai.token.type"]: p
        for p in histogram_points(reader, "gen_ai.client.token.usage")
    }
    assert (tokens["input"].count, tokens["input"].sum) == (2, 20)
    assert (tokens["output"].count, tokens["output"].sum) == (2, 10)
    assert list(tokens["input"].explicit_bounds) == TOKEN_BUCKETS
    assert dict(tokens["input"].attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "scripted",
        "gen_ai.request.model": "scripted",
        "gen_ai.response.model": "scripted",
        "gen_ai.token.type": "input",
    }
    (duration,) = histogram_points(reader, "gen_ai.client.operation.duration")
    assert duration.count == 2
    assert list(duration.explicit_bounds) == DURATION_BUCKETS


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap not installed (CI installs it)",
)
def test_a_code_block_is_a_tool_span_holding_its_calls() -> None:
    exporter = InMemorySpanExporter()
    telemetry = Telemetry(span_processor=SimpleSpanProcessor(exporter))
    turns = ["```python\nprint(add(2, 3))\n```", "```python\nfinal_answer(add(1, 1))\n```"]
    limits = SandboxLimits(timeout=10, cpu_seconds=10, memory_mb=256)
    agent = Agent(
        ScriptedModel(turns), [add], actions="code", sandbox_limits=limits, telemetry=telemetry
    )
    assert agent.run("add").output == "2"
    spans = exporter.get_finished_spans()[:6]
    assert [s.name for s in spans] == [
        "chat scripted",
        "execute_tool add",
        "execute_tool python",
        "chat scripted",
        "execute_tool add",
        "execute_tool python",
    ]
    block = spans[2]
    assert spans[1].parent is not None
    assert spans[1].parent.span_id == block.context.span_id
    assert (block.attributes or {})["gen_ai.tool.name"] == "python"
    assert (spans[5].attributes or {})["autan.code.answered"] is True


@pytest.fixture
def stored_run(tmp_path: Path) -> tuple[Path, str]:
    journal = tmp_path / "j.sqlite3"
    with SQLiteStore(journal) as store:
        result = Agent(ScriptedModel(SCRIPT), [calculator], store=store, telemetry=False).run("6*7")
    assert result.run_id is not None
    return journal, result.run_id


def test_runs_trace_out_writes_otlp_json(
    stored_run: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, run_id = stored_run
    out = tmp_path / "trace.json"
    assert main(["runs", "--store", str(journal), "trace", run_id[:6], "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"4 spans of run {run_id} written to {out}\n"
    (resource,) = json.loads(out.read_text())["resourceSpans"]
    service = {"key": "service.name", "value": {"stringValue": "autan"}}
    assert service in resource["resource"]["attributes"]
    (scope,) = resource["scopeSpans"]
    assert scope["scope"]["name"] == "autan"
    spans = {span["name"]: span for span in scope["spans"]}
    root = spans["invoke_agent autan"]
    assert root["traceId"] == format(trace_id(run_id), "032x")
    assert root["spanId"] == format(span_id(run_id, "run"), "016x")
    assert "parentSpanId" not in root
    assert spans["execute_tool calculator"]["parentSpanId"] == root["spanId"]
    assert spans["chat scripted"]["kind"] == 3  # SPAN_KIND_CLIENT
    assert root["kind"] == 1  # SPAN_KIND_INTERNAL


def test_runs_trace_needs_somewhere_to_send(
    stored_run: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    journal, run_id = stored_run
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert main(["runs", "--store", str(journal), "trace", run_id]) == 2
    assert "nowhere to send the trace" in capsys.readouterr().err


def test_runs_trace_to_a_receiver_that_is_down_fails_in_one_line(
    stored_run: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    journal, run_id = stored_run
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")  # --otel sets it: undone after the test
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    url = "http://127.0.0.1:9"  # the discard port: nothing listens
    assert main(["runs", "--store", str(journal), "trace", run_id, "--otel", url]) == 1
    err = capsys.readouterr().err
    assert f"autan: error: the OTLP receiver at {url} did not take the run's spans" in err
    assert "Traceback" not in err


def python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter, where OpenTelemetry cannot be imported if
    ``AUTAN_TEST_BLOCK_OTEL`` is set (as without the otel extra)."""
    prelude = (
        "import os, sys\n"
        "if os.environ.get('AUTAN_TEST_BLOCK_OTEL'): sys.modules['opentelemetry'] = None\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(SRC), **env}
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        if name not in env:
            environment.pop(name, None)
    command = [sys.executable, "-c", prelude + code]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)


RUN = (
    "from autan import Agent\nfrom autan.testing import ScriptedModel\n"
    "print(Agent(ScriptedModel(['hi'])).run('task').output)\n"
    "print('opentelemetry' in sys.modules and sys.modules['opentelemetry'] is not None)\n"
)


def test_without_an_endpoint_opentelemetry_is_never_imported() -> None:
    done = python(RUN)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["hi", "False"]


def test_an_endpoint_without_the_extra_warns_and_runs_untraced() -> None:
    done = python(RUN, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", AUTAN_TEST_BLOCK_OTEL="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["hi", "False"]
    assert "exporting traces needs the otel extra: pip install 'autan[otel]'" in done.stderr


def test_otel_flag_without_the_extra_is_a_usage_error() -> None:
    code = (
        "from autan.cli import main\nsys.exit(main(['run', 'hi', '--otel', 'http://127.0.0.1:9']))"
    )
    done = python(code, AUTAN_TEST_BLOCK_OTEL="1")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "autan: error: exporting traces needs the otel extra: pip install 'autan[otel]'"
    )


def test_a_journal_from_before_event_times_traces_at_its_creation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "journal_v1.sqlite3"
    shutil.copy(Path(__file__).with_name("fixtures") / "journal_v1.sqlite3", journal)
    with SQLiteStore(journal) as store:
        info = store.runs()[0]
        assert {event.at for event in store.load(info.run_id)} == {0.0}
    out = tmp_path / "old.json"
    assert main(["runs", "--store", str(journal), "trace", info.run_id, "--out", str(out)]) == 0
    (resource,) = json.loads(out.read_text())["resourceSpans"]
    spans = resource["scopeSpans"][0]["spans"]
    assert spans
    created = str(int(info.created * 1e9))
    assert {span["startTimeUnixNano"] for span in spans} == {created}
