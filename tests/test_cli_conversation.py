"""``autan run -c`` follows up on the journal's last answer; ``autan runs show`` lists the
turns of a conversation."""

from __future__ import annotations

from pathlib import Path

from fake_chat_server import FakeChatServer, Reply, completion
from test_cli import autan


def test_run_c_continues_the_last_conversation_and_show_lists_its_turns(tmp_path: Path) -> None:
    store = str(tmp_path / "journal.sqlite3")
    replies = [Reply(body=completion("Paris.")), Reply(body=completion("About 2.1 million."))]
    with FakeChatServer(replies) as server:
        model = ["--model", f"openai:m@{server.url}", "--tool-protocol", "native"]
        first = autan("run", "Capital of France?", *model, "--store", store, cwd=tmp_path)
        second = autan("run", "-c", "Its population?", "--store", store, cwd=tmp_path)
        sent = [r.body["messages"] for r in server.requests]
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "About 2.1 million."
    assert [(m["role"], m["content"]) for m in sent[1][1:]] == [
        ("user", "Capital of France?"),
        ("assistant", "Paris."),
        ("user", "Its population?"),
    ]
    second_id = second.stderr.split("run ", 1)[1].split()[0]
    shown = autan("runs", "--store", store, "show", second_id, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "conversation: turn 2 of its conversation" in lines
    assert any("turn 1" in line and "Capital of France? → Paris." in line for line in lines)
    assert any(
        "turn 2" in line and "Its population? → About 2.1 million." in line for line in lines
    )


def test_run_c_with_nothing_to_continue_is_one_line_and_exit_2(tmp_path: Path) -> None:
    empty = autan("run", "-c", "more?", "--store", str(tmp_path / "j.sqlite3"), cwd=tmp_path)
    assert empty.returncode == 2
    assert "no answered run in the journal to continue" in empty.stderr
    unstored = autan("run", "-c", "more?", "--no-store", cwd=tmp_path)
    assert unstored.returncode == 2
    assert "drop --no-store" in unstored.stderr
