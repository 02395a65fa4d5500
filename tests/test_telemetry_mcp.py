"""What a call's MCP server asked, as spans (the SDK's in-memory exporter): a sampling request
is a ``sampling/createMessage`` server span with its ``chat`` inference under it, under the
call's span; a refused one is an error span; a question for a person is an
``elicitation/create`` span from the question to the answer, across the pause."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from autan import Agent, AwaitingAnswer, LimitExceeded, Limits, SQLiteStore, mcp_tools
from autan.messages import Usage
from autan.store import answer
from autan.telemetry import run_spans
from autan.testing import ScriptedModel
from mcp_helpers import server_command
from test_telemetry import holds, in_memory, names


def by_name(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def sampled_run(tmp_path: Path, limits: Limits | None = None) -> list[ReadableSpan]:
    telemetry, exporter = in_memory(capture_content=True)
    sampler = ScriptedModel(["forty-two", "forty-three"], Usage(7, 3))
    model = ScriptedModel([("ask_model_twice", {"question": "the answer?"}), "done"])
    with (
        SQLiteStore(tmp_path / "j.sqlite3") as store,
        mcp_tools(server_command(), sampling_model=sampler) as tools,
        Agent(model, tools, store=store, telemetry=telemetry, limits=limits) as agent,
    ):
        try:
            agent.run("ask", run_id="s1")
        except LimitExceeded:
            assert limits is not None
        stored = run_spans("s1", store.load("s1"), capture_content=True)
    spans = list(exporter.get_finished_spans())
    assert [s.name for s in stored] == names(spans)  # the journal folds to what was sent
    return spans


def inferences(spans: list[ReadableSpan], requests: list[ReadableSpan]) -> list[ReadableSpan]:
    under = {request.context.span_id for request in requests}
    return [s for s in spans if s.parent is not None and s.parent.span_id in under]


def test_each_sample_is_a_server_span_with_its_inference_under_the_call(tmp_path: Path) -> None:
    spans = sampled_run(tmp_path)
    (tool,) = by_name(spans, "execute_tool ask_model_twice")
    requests = by_name(spans, "sampling/createMessage")
    assert len(requests) == 2
    for request in requests:
        assert request.kind == SpanKind.SERVER
        assert request.parent is not None
        assert request.parent.span_id == tool.context.span_id
        holds(
            request,
            {"mcp.method.name": "sampling/createMessage", "autan.mcp.server": "mcp_test_server"},
        )
    chats = [
        s
        for s in by_name(spans, "chat scripted")
        if s.parent and s.parent.span_id in {r.context.span_id for r in requests}
    ]
    assert len(chats) == 2
    holds(
        chats[0],
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.usage.input_tokens": 7,
            "gen_ai.usage.output_tokens": 3,
            "gen_ai.input.messages": '[{"role": "user", "parts": '
            '[{"type": "text", "content": "the answer?"}]}]',
        },
    )
    assert "forty-two" in str((chats[0].attributes or {})["gen_ai.output.messages"])
    assert chats[0].kind == SpanKind.CLIENT
    first, second = sorted(requests, key=lambda s: s.start_time or 0)
    assert (tool.start_time or 0) <= (first.start_time or 0) <= (first.end_time or 0)
    assert (first.end_time or 0) <= (second.start_time or 0) <= (tool.end_time or 0)
    (root,) = by_name(spans, "invoke_agent autan")
    holds(root, {"gen_ai.usage.input_tokens": 2 * 10 + 2 * 7})  # two steps and two samples


def test_a_refused_sample_is_an_error_span_without_an_inference(tmp_path: Path) -> None:
    """``max_steps=2``: step 1 and the first sample; the second is refused (limit reached)."""
    spans = sampled_run(tmp_path, Limits(max_steps=2))
    first, second = sorted(
        by_name(spans, "sampling/createMessage"), key=lambda s: s.start_time or 0
    )
    assert first.status.status_code == StatusCode.UNSET
    assert second.status.status_code == StatusCode.ERROR
    assert second.status.description == "limit max_steps reached"
    holds(second, {"error.type": "limit_reached"})
    assert inferences(spans, [first, second]) == inferences(spans, [first])
    assert len(inferences(spans, [first])) == 1


def test_a_question_is_an_elicitation_span_from_the_pause_to_the_answer(tmp_path: Path) -> None:
    model = ScriptedModel([("ask_person", {}), "done"], by_step=True)
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        first, before = in_memory(capture_content=True)
        with (
            mcp_tools(server_command()) as tools,
            Agent(model, tools, store=store, telemetry=first) as agent,
            pytest.raises(AwaitingAnswer),
        ):
            agent.run("ask me", run_id="e1")
        assert by_name(list(before.get_finished_spans()), "elicitation/create") == []
        answer(store, "e1", "accept", {"name": "Ada"})
        second, after = in_memory(capture_content=True)
        with (
            mcp_tools(server_command()) as tools,
            Agent(model, tools, store=store, telemetry=second) as agent,
        ):
            agent.resume("e1")
    spans = list(after.get_finished_spans())
    (asked,) = by_name(spans, "elicitation/create")
    (tool,) = by_name(spans, "execute_tool ask_person")
    assert asked.kind == SpanKind.SERVER
    assert asked.parent is not None
    assert asked.parent.span_id == tool.context.span_id
    holds(
        asked,
        {
            "mcp.method.name": "elicitation/create",
            "autan.elicitation.action": "accept",
            "autan.elicitation.message": "What is your name?",
        },
    )
    assert asked.status.status_code == StatusCode.UNSET
