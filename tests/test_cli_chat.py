"""``autan chat`` in a real terminal (pexpect drives a pty): a question, the streamed answer, a
follow-up that needs it, Ctrl-C in the middle of an answer, ``/reset``, ``/tools``, Ctrl-D."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from fake_chat_server import FakeChatServer, Reply

pexpect = pytest.importorskip("pexpect")

SRC = Path(__file__).resolve().parent.parent / "src"


def _chunks(*pieces: str) -> list[str]:
    deltas = [{"choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces]
    done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    return [json.dumps(d) for d in [*deltas, done]] + ["[DONE]"]


def _chat(tmp_path: Path, *flags: str) -> pexpect.spawn:
    env = {**os.environ, "PYTHONPATH": str(SRC), "AUTAN_HOME": str(tmp_path), "TERM": "dumb"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "autan", "chat", *flags],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    child.expect("/help for commands")
    return child


def test_a_conversation_in_the_terminal(tmp_path: Path) -> None:
    endless = _chunks("more ")[:1]
    replies = [
        Reply(sse=_chunks("The capital ", "is Paris.")),
        Reply(sse=_chunks("About 2.1 ", "million.")),
        Reply(sse=endless, sse_forever=True, trickle=0.002),
        Reply(sse=_chunks("Hello again.")),
    ]
    with FakeChatServer(replies) as server:
        child = _chat(tmp_path, "--model", f"openai:m@{server.url}", "--tool-protocol", "native")
        child.sendline("What is the capital of France?")
        child.expect("The capital is Paris.")
        child.sendline("And its population?")
        child.expect("About 2.1 million.")
        child.sendline("Tell me everything.")
        child.expect("more more more")
        child.sendintr()
        child.expect("stopped: the conversation goes on from the last answer")
        child.sendline("/tools")
        child.expect("calculator: ")
        child.sendline("/reset")
        child.expect("a new conversation")
        child.sendline("Hello?")
        child.expect("Hello again.")
        child.expect(PROMPT_AGAIN)  # readline reads the terminal again: Ctrl-D is an end
        child.sendeof()
        child.expect(pexpect.EOF)
        child.close()
        sent = [r.body["messages"] for r in server.requests]
    assert child.exitstatus == 0
    follow_up = [(m["role"], m["content"]) for m in sent[1]]
    assert follow_up[1:] == [
        ("user", "What is the capital of France?"),
        ("assistant", "The capital is Paris."),
        ("user", "And its population?"),
    ]
    stopped_turn = [m["content"] for m in sent[2]]
    assert stopped_turn[-2:] == ["About 2.1 million.", "Tell me everything."]
    assert [m["role"] for m in sent[3]] == ["system", "user"]
    assert (tmp_path / "chat_history").read_text().count("capital of France") == 1


def test_save_writes_the_conversation(tmp_path: Path) -> None:
    with FakeChatServer([Reply(sse=_chunks("Four."))]) as server:
        child = _chat(tmp_path, "--model", f"openai:m@{server.url}", "--tool-protocol", "native")
        child.sendline("2+2?")
        child.expect("Four.")
        child.sendline("/save talk.json")
        child.expect("saved 2 messages")
        child.expect(PROMPT_AGAIN)
        child.sendeof()
        child.expect(pexpect.EOF)
    saved = json.loads((tmp_path / "talk.json").read_text())
    assert saved["messages"] == [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "Four."},
    ]


@pytest.mark.e2e
def test_a_conversation_with_the_embedded_model(tmp_path: Path) -> None:
    """Two turns on the real model: the second follows the first in the journal, and its
    first step found every token of the first turn in llama.cpp's KV cache."""
    from autan import SQLiteStore
    from autan.events import ModelResponded

    child = _chat(tmp_path)
    child.timeout = 600
    child.expect(PROMPT_AGAIN)  # the first prompt, after the banner: the next one ends turn 1
    child.sendline("My name is Ada. Say hello to me.")
    child.expect(PROMPT_AGAIN)
    child.sendline("What is my name?")
    child.expect(PROMPT_AGAIN)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    second, first = store.runs(limit=2)
    assert second.config["after"] == first.run_id
    usage = [
        [e.usage for e in store.load(run.run_id) if isinstance(e, ModelResponded)]
        for run in (first, second)
    ]
    assert usage[1][0].cached_tokens >= usage[0][-1].prompt_tokens


PROMPT_AGAIN = r"\n> "
