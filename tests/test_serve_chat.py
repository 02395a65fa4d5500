"""The OpenAI-compatible facade, driven by the ``openai`` client and by plain httpx: the
"model" names an agent; each request is a journaled run."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from autan import SQLiteStore
from autan.tools.calculator import calculator
from serve_support import (
    AUTH,
    TOKEN,
    ScriptedAgents,
    approval_tool,
    run_view,
    served,
    start,
    wait_for,
)

CALCULATE = [("calculator", {"expression": "37 * 91"}), "3367"]


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "journal.sqlite3")


def test_openai_client_gets_the_agents_answer(store: SQLiteStore) -> None:
    openai = pytest.importorskip("openai")  # a dev dependency (tests only), not an autan one
    agents = ScriptedAgents(CALCULATE, [calculator])
    with served(store, agents) as base:
        client = openai.OpenAI(base_url=f"{base}/v1", api_key=TOKEN, max_retries=0)
        listed = [m.id for m in client.models.list()]
        completion = client.chat.completions.create(
            model="autan",
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "I have 37 boxes."},
                {"role": "assistant", "content": "Noted."},
                {"role": "user", "content": "Each holds 91. How many things?"},
            ],
            temperature=0.2,
        )
    assert listed == ["autan"]
    assert completion.choices[0].message.content == "3367"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (20, 10)
    (info,) = store.runs()
    assert completion.id == f"chatcmpl-{info.run_id}"
    assert info.config["task"] == (
        "Earlier in this conversation:\nsystem: Be brief.\nuser: I have 37 boxes.\n"
        "assistant: Noted.\n\nNow: Each holds 91. How many things?"
    )
    assert store.load(info.run_id)[-1].kind == "final_answer"


def test_openai_client_streams(store: SQLiteStore) -> None:
    openai = pytest.importorskip("openai")
    with served(store, ScriptedAgents(CALCULATE, [calculator])) as base:
        client = openai.OpenAI(base_url=f"{base}/v1", api_key=TOKEN, max_retries=0)
        chunks = list(
            client.chat.completions.create(
                model="autan",
                messages=[{"role": "user", "content": "What is 37 * 91?"}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "3367"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 30
    assert store.runs()[0].config["task"] == "What is 37 * 91?"


def test_a_paused_run_says_how_to_continue(store: SQLiteStore) -> None:
    agents = ScriptedAgents([("delete", {"path": "/tmp/x"}), "done"], [approval_tool([])])
    with served(store, agents) as base:
        answer = httpx.post(
            f"{base}/v1/chat/completions",
            json={"model": "autan", "messages": [{"role": "user", "content": "clean"}]},
            headers=AUTH,
        )
    assert answer.status_code == 200
    run_id = answer.headers["x-autan-run"]
    assert (
        "waits for approval of a delete call" in answer.json()["choices"][0]["message"]["content"]
    )
    assert store.info(run_id).status == "awaiting_approval"


def test_a_failed_run_is_an_openai_error(store: SQLiteStore) -> None:
    agents = ScriptedAgents([])  # the model has no turn: the run fails
    with served(store, agents) as base:
        plain = httpx.post(
            f"{base}/v1/chat/completions",
            json={"model": "autan", "messages": [{"role": "user", "content": "hi"}]},
            headers=AUTH,
        )
        streamed = httpx.post(
            f"{base}/v1/chat/completions",
            json={
                "model": "autan",
                "messages": [{"role": "user", "content": "hi"}],
                "stream": True,
            },
            headers=AUTH,
        )
    assert plain.status_code == 502
    assert plain.json()["error"]["code"] == "ModelError"
    assert "ScriptedModel has no turn 1" in plain.json()["error"]["message"]
    data = [line[6:] for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert json.loads(data[-2])["error"]["type"] == "run_failed"
    assert data[-1] == "[DONE]"


def test_bad_chat_requests(store: SQLiteStore) -> None:
    with served(store, ScriptedAgents(["hi"])) as base:
        url = f"{base}/v1/chat/completions"
        no_user = httpx.post(
            url,
            json={"model": "autan", "messages": [{"role": "system", "content": "x"}]},
            headers=AUTH,
        )
        no_token = httpx.post(url, json={"model": "autan", "messages": []})
        empty = httpx.post(url, json={"model": "autan", "messages": []}, headers=AUTH)
    assert no_user.status_code == 422
    assert no_user.json()["detail"] == "the messages have no user message with text"
    assert no_token.status_code == 401
    assert empty.status_code == 422
    assert store.runs() == []


def test_a_follow_up_continues_the_runs_conversation(store: SQLiteStore) -> None:
    openai = pytest.importorskip("openai")
    agents = ScriptedAgents(["Hello Ada."])
    first = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "I am Ada."}]
    with served(store, agents) as base:
        client = openai.OpenAI(base_url=f"{base}/v1", api_key=TOKEN, max_retries=0)
        hello = client.chat.completions.create(model="autan", messages=first)
        said = hello.choices[0].message.content
        second = [*first, {"role": "assistant", "content": said}]
        second.append({"role": "user", "content": "Who am I?"})
        client.chat.completions.create(model="autan", messages=second)
        third = [*second, {"role": "assistant", "content": "Hello Ada."}]
        third.append({"role": "user", "content": "Thanks."})
        client.chat.completions.create(model="autan", messages=third)
    newest, middle, oldest = store.runs()
    assert middle.config["after"] == oldest.run_id  # the conversation's turns, as runs
    assert newest.config["after"] == middle.run_id
    assert (middle.config["task"], newest.config["task"]) == ("Who am I?", "Thanks.")
    read = agents.models[1].requests[0].messages  # the second turn's model read the first's
    assert [(m.role, m.content) for m in read[1:]] == [
        ("user", "Earlier in this conversation:\nsystem: Be brief.\n\nNow: I am Ada."),
        ("assistant", "Hello Ada."),
        ("user", "Who am I?"),
    ]


def test_an_edited_answer_starts_afresh_with_the_messages_as_context(store: SQLiteStore) -> None:
    agents = ScriptedAgents(["Hello Ada."])
    first = [{"role": "user", "content": "I am Ada."}]
    edited = [*first, {"role": "assistant", "content": "Hi Bob."}]
    edited.append({"role": "user", "content": "Who am I?"})
    with served(store, agents) as base:
        for messages in (first, edited):
            answer = httpx.post(
                f"{base}/v1/chat/completions",
                json={"model": "autan", "messages": messages},
                headers=AUTH,
            )
            assert answer.status_code == 200, answer.text
    newest, _ = store.runs()
    assert "after" not in newest.config
    assert newest.config["task"].startswith("Earlier in this conversation:\nuser: I am Ada.")


def test_a_run_of_the_api_follows_up_on_another(store: SQLiteStore) -> None:
    agents = ScriptedAgents(["Noted."])
    with served(store, agents) as base:
        first = start(base, "I am Ada.")
        wait_for(lambda: run_view(base, first)["status"] == "completed", "the first answer")
        second = start(base, "Who am I?", after=first)
        wait_for(lambda: run_view(base, second)["status"] == "completed", "the follow-up")
        unknown = httpx.post(f"{base}/v1/runs", json={"task": "x", "after": "f" * 16}, headers=AUTH)
        unanswered_id = "0123456789abcdef"
        store.create_run(unanswered_id, {"task": "never answered"})
        unanswered = httpx.post(
            f"{base}/v1/runs", json={"task": "x", "after": unanswered_id}, headers=AUTH
        )
    assert store.info(second).config["after"] == first
    read = [(m.role, m.content) for m in agents.models[1].requests[0].messages[1:]]
    assert read == [("user", "I am Ada."), ("assistant", "Noted."), ("user", "Who am I?")]
    assert unknown.status_code == 404
    assert unanswered.status_code == 409, unanswered.text
    assert unanswered.json()["detail"] == f"run {unanswered_id} has no answer to follow up on"
