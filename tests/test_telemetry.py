"""OpenTelemetry GenAI spans as a view of the journal, checked with the SDK's in-memory exporter:
the span tree, names, attributes and times of a scripted run with two tool calls (one failing)
and an approval, across a pause and a resume."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from autan import Agent, AwaitingApproval, SQLiteStore, Tool, tool
from autan.errors import ModelError
from autan.events import Event, ModelRequested, ModelResponded, RunStarted, ToolCalled
from autan.messages import ToolCall
from autan.telemetry import Telemetry, run_spans
from autan.testing import ScriptedModel
from autan.tools.calculator import calculator

SCRIPT = [
    [("calculator", {"expression": "2 + 2"}), ("weather", {"city": "Oslo"})],
    ("delete", {"path": "/tmp/x"}),
    "done",
]


@tool
def weather(city: str) -> str:
    """The weather in a city."""
    raise RuntimeError(f"no weather service for {city}")


def deleter(calls: list[str]) -> Tool:
    @tool(needs_approval=True)
    def delete(path: str) -> str:
        """Delete a file."""
        calls.append(path)
        return f"deleted {path}"

    return delete


def in_memory(capture_content: bool = False) -> tuple[Telemetry, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    telemetry = Telemetry(
        span_processor=SimpleSpanProcessor(exporter), capture_content=capture_content
    )
    return telemetry, exporter


def agent(store: SQLiteStore, telemetry: Telemetry, calls: list[str]) -> Agent:
    model = ScriptedModel(SCRIPT, by_step=True)
    return Agent(model, [calculator, weather, deleter(calls)], store=store, telemetry=telemetry)


def paused_then_resumed(
    tmp_path: Path, capture_content: bool = False
) -> tuple[list[ReadableSpan], list[ReadableSpan], list[Event], str]:
    """The spans sent before the pause, the spans sent by the resume, the journal, the run id."""
    calls: list[str] = []
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        first, before = in_memory(capture_content)
        with pytest.raises(AwaitingApproval) as paused:
            agent(store, first, calls).run("check and clean up")
        run_id = paused.value.result.run_id
        assert run_id is not None
        second, after = in_memory(capture_content)
        resumed = agent(store, second, calls)  # as a new process would build it
        resumed.approve(run_id, "fine")
        assert resumed.resume(run_id).output == "done"
        events = store.load(run_id)
    assert calls == ["/tmp/x"]
    return list(before.get_finished_spans()), list(after.get_finished_spans()), events, run_id


def holds(span: ReadableSpan, expected: dict[str, object]) -> None:
    actual = dict(span.attributes or {})
    assert {name: actual.get(name) for name in expected} == expected


def names(spans: Sequence[ReadableSpan]) -> list[str]:
    return [span.name for span in spans]


def test_spans_follow_the_run_across_its_pause_and_resume(tmp_path: Path) -> None:
    before, after, _, run_id = paused_then_resumed(tmp_path)
    assert names(before) == [
        "chat scripted",
        "execute_tool calculator",
        "execute_tool weather",
        "chat scripted",
    ]  # the paused call and the run are still open: not sent
    assert names(after) == ["execute_tool delete", "chat scripted", "invoke_agent autan"]
    root = after[-1]
    assert root.parent is None
    spans = before + after
    assert {span.context.trace_id for span in spans} == {root.context.trace_id}
    assert all(span.parent is not None for span in spans[:-1])
    assert {span.parent.span_id for span in spans[:-1] if span.parent} == {root.context.span_id}
    assert len({span.context.span_id for span in spans}) == len(spans)
    assert root.attributes is not None
    assert root.attributes["gen_ai.conversation.id"] == run_id


def test_attributes_follow_the_genai_conventions(tmp_path: Path) -> None:
    before, after, _, _ = paused_then_resumed(tmp_path)
    chat, calculator_span, weather_span = before[0], before[1], before[2]
    assert chat.kind.name == "CLIENT"
    holds(
        chat,
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "scripted",
            "gen_ai.request.model": "scripted",
            "gen_ai.response.model": "scripted",
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.usage.output_tokens": 5,
            "gen_ai.usage.cache_read.input_tokens": 0,
            "gen_ai.usage.reasoning.output_tokens": 0,
            "gen_ai.response.finish_reasons": ["stop"],
            "autan.cost_usd": 0.0,
        },
    )
    holds(
        calculator_span,
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "calculator",
            "gen_ai.tool.call.id": "call_1_0",
            "gen_ai.tool.type": "function",
        },
    )
    assert calculator_span.status.status_code == StatusCode.UNSET
    assert weather_span.status.status_code == StatusCode.ERROR
    assert (weather_span.attributes or {})["error.type"] == "tool_error"
    root = after[-1]
    holds(
        root,
        {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "autan",
            "gen_ai.usage.input_tokens": 30,
            "gen_ai.usage.output_tokens": 15,
            "autan.steps": 3,
            "autan.run.status": "completed",
        },
    )


def test_an_approval_is_told_by_the_tool_span(tmp_path: Path) -> None:
    _, after, _, _ = paused_then_resumed(tmp_path)
    delete = after[0]
    assert [event.name for event in delete.events] == [
        "autan.approval.requested",
        "autan.approval.decided",
        "autan.tool.started",
    ]
    assert (delete.attributes or {})["autan.approval.approved"] is True
    assert (delete.attributes or {})["autan.tool.ran"] is True
    assert "autan.approval.reason" not in (delete.events[1].attributes or {})  # content


def test_times_are_the_journals(tmp_path: Path) -> None:
    before, after, events, _ = paused_then_resumed(tmp_path)
    requested = [e for e in events if isinstance(e, ModelRequested)]
    responded = [e for e in events if isinstance(e, ModelResponded)]
    chats = [span for span in before + after if span.name.startswith("chat")]
    assert [span.start_time for span in chats] == [int(e.at * 1e9) for e in requested]
    assert [span.end_time for span in chats] == [int(e.at * 1e9) for e in responded]
    root = after[-1]
    assert root.start_time == int(events[0].at * 1e9)
    assert root.end_time == int(events[-1].at * 1e9)
    assert isinstance(events[0], RunStarted)


def test_a_stored_run_folds_to_the_spans_it_sent_live(tmp_path: Path) -> None:
    before, after, events, run_id = paused_then_resumed(tmp_path)
    telemetry, _ = in_memory()
    stored = telemetry.spans(run_id, run_spans(run_id, events))
    key = lambda s: (s.name, s.context.span_id, s.parent, s.start_time, s.end_time)  # noqa: E731
    assert sorted(map(key, stored)) == sorted(map(key, before + after))
    assert [dict(s.attributes or {}) for s in stored] == [
        dict(s.attributes or {}) for s in before + after
    ]


def test_content_only_when_captured(tmp_path: Path) -> None:
    before, after, _, _ = paused_then_resumed(tmp_path)
    plain = [dict(s.attributes or {}) for s in before + after]
    assert not any(k.startswith(("gen_ai.input", "gen_ai.output")) for a in plain for k in a)
    assert not any("gen_ai.tool.call.arguments" in a for a in plain)
    before, after, _, _ = paused_then_resumed(tmp_path / "captured", capture_content=True)
    calculator_span, weather_span, root = before[1], before[2], after[-1]
    assert (calculator_span.attributes or {})["gen_ai.tool.call.arguments"] == (
        '{"expression": "2 + 2"}'
    )
    assert (calculator_span.attributes or {})["gen_ai.tool.call.result"] == "4"
    assert "no weather service for Oslo" in (weather_span.status.description or "")
    assert "check and clean up" in str((root.attributes or {})["gen_ai.input.messages"])
    assert '"done"' in str((root.attributes or {})["gen_ai.output.messages"])
    assert after[0].events[1].attributes == {
        "autan.approval.approved": True,
        "autan.approval.reason": "fine",
    }


def test_a_failed_model_call_is_an_error_span() -> None:
    telemetry, exporter = in_memory()
    model = ScriptedModel([("calculator", {"expression": "1 + 1"})])  # no second turn
    with pytest.raises(ModelError):
        Agent(model, [calculator], telemetry=telemetry).run("add")
    spans = exporter.get_finished_spans()
    assert names(spans) == [
        "chat scripted",
        "execute_tool calculator",
        "chat scripted",
        "invoke_agent autan",
    ]
    failed_chat, root = spans[2], spans[3]
    for span in (failed_chat, root):
        assert span.status.status_code == StatusCode.ERROR
        assert (span.attributes or {})["error.type"] == "ModelError"
    assert "ScriptedModel has no turn 2" in (root.status.description or "")
    assert (root.attributes or {})["autan.run.status"] == "failed"


def test_a_paused_run_exported_afterwards_ends_at_its_last_event(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        telemetry, _ = in_memory()
        with pytest.raises(AwaitingApproval) as paused:
            agent(store, telemetry, []).run("check and clean up")
        run_id = paused.value.result.run_id or ""
        events = store.load(run_id)
    spans = run_spans(run_id, events)
    assert [s.name for s in spans][-2:] == ["execute_tool delete", "invoke_agent autan"]
    assert spans[-1].attributes["autan.run.status"] == "awaiting_approval"
    assert spans[-1].end == events[-1].at


def test_journals_without_times_fold_at_the_runs_creation() -> None:
    call = ToolCalled(1, ToolCall("c", "calculator", {}), at=0.0)
    events = [RunStarted("t", "openai:gpt-4o", ("calculator",), at=0.0), call]
    spans = run_spans("r", events, created=1_700_000_000.0)
    assert {s.start for s in spans} == {1_700_000_000.0}
    assert spans[-1].attributes["gen_ai.provider.name"] == "openai"
    assert spans[-1].attributes["gen_ai.request.model"] == "gpt-4o"


def test_no_telemetry_no_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    agent = Agent(ScriptedModel(["hi"]))
    assert agent._start("task", None, None).watcher is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")  # nothing sent to port 9 at exit
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    assert Agent(ScriptedModel(["hi"]), telemetry=False)._start("task", None, None).watcher is None
    assert agent._start("task", None, None).watcher is not None


class BrokenProcessor(SimpleSpanProcessor):
    def on_end(self, span: ReadableSpan) -> None:
        raise RuntimeError("a broken span processor")


def test_a_failing_trace_never_ends_the_run(caplog: pytest.LogCaptureFixture) -> None:
    telemetry = Telemetry(span_processor=BrokenProcessor(InMemorySpanExporter()))
    model = ScriptedModel([("calculator", {"expression": "1 + 1"}), "2"])
    assert Agent(model, [calculator], telemetry=telemetry).run("add").output == "2"
    (record,) = [r for r in caplog.records if r.name == "autan.telemetry"]
    assert "tracing failed and is off for this run" in record.getMessage()
