"""``autan serve``'s API over real HTTP: uvicorn on loopback, ScriptedModel agents."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from autan import SQLiteStore
from autan.events import FinalAnswer, RunFailed
from autan.serve import RunSpec, ServeOptions
from autan.tools.calculator import calculator
from serve_support import (
    AUTH,
    TOKEN,
    Gate,
    ScriptedAgents,
    approval_tool,
    run_view,
    served,
    sse_messages,
    start,
    wait_for,
)

CALCULATE = [("calculator", {"expression": "2+2"}), "4"]


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "journal.sqlite3")


def test_create_stream_answer(store: SQLiteStore) -> None:
    with served(store, ScriptedAgents(CALCULATE, [calculator])) as base:
        run_id = start(base, "What is 2+2?")
        with httpx.stream("GET", f"{base}/v1/runs/{run_id}/events", headers=AUTH) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            messages = list(sse_messages(stream))
        view = run_view(base, run_id)
    kinds = [m.event for m in messages]
    assert kinds[0] == "run_started"
    assert kinds[-1] == "final_answer"
    assert "tool_result" in kinds
    assert [m.id for m in messages] == [str(n) for n in range(len(messages))]
    assert [m.data for m in messages] == [e.to_dict() for e in _as_json(store.load(run_id))]
    assert view["status"] == "completed"
    assert view["answer"] == "4"
    assert (view["steps"], view["tool_calls"]) == (2, 1)
    assert view["usage"]["prompt_tokens"] == 20
    assert view["task"] == "What is 2+2?"


def _as_json(events: list[object]) -> list[object]:
    import json

    class Round:
        def __init__(self, event: object) -> None:
            self.event = event

        def to_dict(self) -> object:
            return json.loads(json.dumps(self.event.to_dict()))  # type: ignore[attr-defined]

    return [Round(e) for e in events]


def test_sse_resumes_after_last_event_id_with_every_event_once(store: SQLiteStore) -> None:
    gate = Gate()
    script = [("wait_here", {"label": "a"}), ("wait_here", {"label": "b"}), "done"]
    with served(store, ScriptedAgents(script, [gate.tool()])) as base:
        run_id = start(base)
        seen = []
        with httpx.stream("GET", f"{base}/v1/runs/{run_id}/events", headers=AUTH) as stream:
            for message in sse_messages(stream):
                seen.append(message)
                if message.event == "tool_started":
                    break  # the client drops while the run is live
        last = seen[-1].id
        gate.opened.set()
        headers = {**AUTH, "Last-Event-ID": str(last)}
        with httpx.stream("GET", f"{base}/v1/runs/{run_id}/events", headers=headers) as stream:
            seen += list(sse_messages(stream))
    journal = store.load(run_id)
    assert [m.id for m in seen] == [str(n) for n in range(len(journal))]
    assert [m.event for m in seen] == [e.kind for e in journal]
    assert isinstance(journal[-1], FinalAnswer)


def test_approve_from_a_second_client(store: SQLiteStore) -> None:
    calls: list[str] = []
    agents = ScriptedAgents([("delete", {"path": "/tmp/x"}), "done"], [approval_tool(calls)])
    with served(store, agents) as base:
        run_id = start(base)
        wait_for(lambda: run_view(base, run_id)["status"] == "awaiting_approval", "the pause")
        view = run_view(base, run_id)
        assert view["awaiting"] == {
            "call_id": "call_1_0",
            "name": "delete",
            "arguments": {"path": "/tmp/x"},
            "reason": "",  # the tool's own needs_approval, not the trust policy
            "copied": [],
            "question": None,
            "answer_schema": None,
        }
        assert calls == []
        with httpx.stream("GET", f"{base}/v1/runs/{run_id}/events", headers=AUTH) as watcher:
            lines = sse_messages(watcher)
            assert [next(lines).event for _ in range(len(store.load(run_id)))][-1] == (
                "approval_requested"
            )
            other = httpx.Client(headers=AUTH)  # a second client decides
            answer = other.post(f"{base}/v1/runs/{run_id}/approve", json={"reason": "fine"})
            assert answer.status_code == 202, answer.text
            rest = [m.event for m in lines]
    assert rest == [
        "approval_decided",
        "tool_started",
        "tool_result",
        "model_request",
        "model_response",
        "final_answer",
    ]
    assert calls == ["/tmp/x"]


def test_deny_lets_the_model_read_the_denial(store: SQLiteStore) -> None:
    calls: list[str] = []
    agents = ScriptedAgents([("delete", {"path": "/tmp/x"}), "kept it"], [approval_tool(calls)])
    with served(store, agents) as base:
        run_id = start(base)
        wait_for(lambda: run_view(base, run_id)["status"] == "awaiting_approval", "the pause")
        assert httpx.post(f"{base}/v1/runs/{run_id}/deny", headers=AUTH).status_code == 202
        wait_for(lambda: run_view(base, run_id)["status"] == "completed", "the answer")
    assert calls == []


def test_cancel_stops_before_the_next_effect_and_journals_why(store: SQLiteStore) -> None:
    gate = Gate()
    agents = ScriptedAgents([("wait_here", {"label": "a"}), "never"], [gate.tool()])
    with served(store, agents) as base:
        run_id = start(base)
        assert gate.entered.wait(20)
        assert run_view(base, run_id)["status"] == "running"
        answer = httpx.post(
            f"{base}/v1/runs/{run_id}/cancel", json={"reason": "wrong task"}, headers=AUTH
        )
        assert answer.status_code == 202, answer.text
        gate.opened.set()
        wait_for(lambda: run_view(base, run_id)["status"] == "cancelled", "the cancellation")
        view = run_view(base, run_id)
    last = store.load(run_id)[-1]
    assert last == RunFailed("RunCancelled", "wrong task")
    assert view["error"] == {"type": "RunCancelled", "message": "wrong task"}
    assert len(agents.models[0].requests) == 1  # the second model call never happened
    assert gate.calls == 1


def test_cancel_a_paused_run(store: SQLiteStore) -> None:
    agents = ScriptedAgents([("delete", {"path": "/tmp/x"}), "done"], [approval_tool([])])
    with served(store, agents) as base:
        run_id = start(base)
        wait_for(lambda: run_view(base, run_id)["status"] == "awaiting_approval", "the pause")
        assert httpx.post(f"{base}/v1/runs/{run_id}/cancel", headers=AUTH).status_code == 202
        assert run_view(base, run_id)["status"] == "cancelled"
        again = httpx.post(f"{base}/v1/runs/{run_id}/cancel", headers=AUTH)
    assert again.status_code == 409
    assert "already ended" in again.json()["detail"]


def test_list_filters_by_status_and_pages(store: SQLiteStore) -> None:
    agents = ScriptedAgents(["hello"])
    with served(store, agents) as base:
        ids = [start(base, f"task {n}") for n in range(5)]
        wait_for(
            lambda: all(run_view(base, i)["status"] == "completed" for i in ids), "the answers"
        )
        first = httpx.get(f"{base}/v1/runs", params={"limit": 2}, headers=AUTH).json()
        second = httpx.get(
            f"{base}/v1/runs", params={"limit": 2, "offset": first["next_offset"]}, headers=AUTH
        ).json()
        failed = httpx.get(f"{base}/v1/runs", params={"status": "failed"}, headers=AUTH).json()
        done = httpx.get(f"{base}/v1/runs", params={"status": "completed"}, headers=AUTH).json()
    listed = [r["id"] for r in first["runs"] + second["runs"]]
    assert len(set(listed)) == 4
    assert set(listed) <= set(ids)
    assert first["next_offset"] == 2
    assert failed == {"runs": [], "next_offset": None}
    assert {r["id"] for r in done["runs"]} == set(ids)
    assert done["runs"][0]["tool_calls"] == 0


def test_bad_input_is_a_json_4xx(store: SQLiteStore) -> None:
    with served(store, ScriptedAgents(["hello"])) as base:
        run_id = start(base)
        wait_for(lambda: run_view(base, run_id)["status"] == "completed", "the answer")
        client = httpx.Client(base_url=base, headers=AUTH)
        answers = {
            "unknown": client.get("/v1/runs/nosuchrun"),
            "unknown events": client.get("/v1/runs/nosuchrun/events"),
            "malformed": client.post("/v1/runs", json={"task": 3, "limits": {"max_steps": 0}}),
            "no token": httpx.get(f"{base}/v1/runs"),
            "wrong token": httpx.get(f"{base}/v1/runs", headers={"Authorization": "Bearer no"}),
            "huge": client.post("/v1/runs", json={"task": "x" * 10_000_000}),
            "not paused": client.post(f"/v1/runs/{run_id}/approve"),
            "resume completed": client.post(f"/v1/runs/{run_id}/resume"),
            "bad status": client.get("/v1/runs", params={"status": "sleeping"}),
            "blank task": client.post("/v1/runs", json={"task": "   "}),
        }
    codes = {name: answer.status_code for name, answer in answers.items()}
    assert codes == {
        "unknown": 404,
        "unknown events": 404,
        "malformed": 422,
        "no token": 401,
        "wrong token": 401,
        "huge": 413,
        "not paused": 409,
        "resume completed": 409,
        "bad status": 422,
        "blank task": 422,
    }
    for answer in answers.values():
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["detail"]
    fields = {tuple(e["loc"]) for e in answers["malformed"].json()["detail"]}
    assert fields == {("body", "task"), ("body", "limits", "max_steps")}
    assert "not waiting for an approval" in answers["not paused"].json()["detail"]


def test_a_chunked_body_over_the_bound_is_refused(store: SQLiteStore) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 100_000

    with served(store, ScriptedAgents(["hello"])) as base:
        answer = httpx.post(
            f"{base}/v1/runs",
            content=chunks(),
            headers={**AUTH, "content-type": "application/json"},
        )
    assert answer.status_code == 413
    assert store.runs() == []


def test_openapi_document_and_docs_page(store: SQLiteStore) -> None:
    with served(store, ScriptedAgents(["hello"])) as base:
        document = httpx.get(f"{base}/openapi.json").json()
        docs = httpx.get(f"{base}/docs")
        swagger = httpx.get(f"{base}/static/docs/swagger-ui-bundle.js")
        init = httpx.get(f"{base}/static/docs.js")
    assert set(document["paths"]) >= {
        "/v1/runs",
        "/v1/runs/{run_id}",
        "/v1/runs/{run_id}/events",
        "/v1/runs/{run_id}/approve",
        "/v1/runs/{run_id}/deny",
        "/v1/runs/{run_id}/cancel",
        "/v1/runs/{run_id}/resume",
    }
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    assert docs.status_code == 200
    assert "script-src 'self'" in docs.headers["content-security-policy"]
    assert "<script>" not in docs.text  # no inline script, nothing from a CDN
    assert "http" not in docs.text
    assert swagger.status_code == 200
    assert "SwaggerUIBundle" in swagger.text
    assert "/openapi.json" in init.text


def test_the_page_runs_only_its_own_script_and_no_cors(store: SQLiteStore) -> None:
    with served(store, ScriptedAgents(["hello"])) as base:
        page = httpx.get(f"{base}/")
        script = httpx.get(f"{base}/static/app.js")
        preflight = httpx.options(
            f"{base}/v1/runs",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        )
        listed = httpx.get(f"{base}/v1/runs", headers={**AUTH, "Origin": "http://evil.example"})
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/static/app.js"' in page.text
    assert "EventSource" in script.text
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in listed.headers


def test_the_pool_is_bounded(store: SQLiteStore) -> None:
    gate = Gate()
    agents = ScriptedAgents([("wait_here", {"label": "a"}), "done"], [gate.tool()])
    options = ServeOptions(token=TOKEN, workers=1, max_queued=1)
    with served(store, agents, options) as base:
        first = start(base)
        assert gate.entered.wait(20)
        second = start(base)
        refused = httpx.post(f"{base}/v1/runs", json={"task": "third"}, headers=AUTH)
        statuses = run_view(base, first)["status"], run_view(base, second)["status"]
        gate.opened.set()
        wait_for(lambda: run_view(base, second)["status"] == "completed", "the queued run")
    assert statuses == ("running", "queued")
    assert refused.status_code == 429
    assert refused.json() == {"detail": "too many runs are waiting; try again later"}
    assert len(store.runs()) == 2  # the refused run was never journaled


def _abandoned(store: SQLiteStore, agents: ScriptedAgents, until: str) -> str:
    """A run of another process that stopped just after its first ``until`` event."""
    agent = agents.new(RunSpec("go"), store)
    events = agent.stream("go")
    for event in events:
        if event.kind == until:
            break
    events.close()
    (info,) = store.runs()
    return info.run_id


def test_resume_continues_a_run_another_process_left(store: SQLiteStore) -> None:
    agents = ScriptedAgents(CALCULATE, [calculator])
    run_id = _abandoned(store, agents, "model_response")
    with served(store, agents) as base:
        assert run_view(base, run_id)["status"] == "interrupted"  # not the server's: left alone
        answer = httpx.post(f"{base}/v1/runs/{run_id}/resume", headers=AUTH)
        assert answer.status_code == 202, answer.text
        wait_for(lambda: run_view(base, run_id)["status"] == "completed", "the answer")
        assert run_view(base, run_id)["answer"] == "4"
    assert len(agents.models[-1].requests) == 1  # step 1 was replayed, only step 2 asked


def test_a_resume_that_needs_a_person_says_why(store: SQLiteStore) -> None:
    gate = Gate()  # not idempotent: a started call without a result may not run again
    agents = ScriptedAgents([("wait_here", {"label": "a"}), "done"], [gate.tool()])
    run_id = _abandoned(store, agents, "tool_started")
    with served(store, agents) as base:
        assert httpx.post(f"{base}/v1/runs/{run_id}/resume", headers=AUTH).status_code == 202
        wait_for(lambda: run_view(base, run_id)["problem"] is not None, "the problem")
        view = run_view(base, run_id)
    assert view["status"] == "interrupted"
    assert view["problem"].startswith("ResumeNeedsDecision: ")
    assert gate.calls == 0
