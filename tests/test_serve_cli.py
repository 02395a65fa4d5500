"""``autan serve`` on the command line: the real command in a process, agents built by the
``autan run`` recipe against a chat server on loopback; the bearer token; refusals."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from autan import ConfigurationError, SQLiteStore
from autan.cli import main
from autan.serve._auth import token_from_file
from fake_chat_server import FakeChatServer, Reply, completion, function_call
from serve_support import sse_messages, wait_for

SRC = Path(__file__).resolve().parent.parent / "src"


def _serve(
    tmp_path: Path, *flags: str, protocol: str = "native"
) -> tuple[subprocess.Popen[str], str, str]:
    """``autan serve`` in a process; its URL and what it said on stderr before listening."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "AUTAN_TOOL_PROTOCOL": protocol}
    if not protocol:
        del env["AUTAN_TOOL_PROTOCOL"]
    command = [sys.executable, "-m", "autan", "serve", "--port", "0", *flags]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    assert server.stderr is not None
    said = ""
    while "serving on" not in said:
        line = server.stderr.readline()
        assert line, f"autan serve exited: {said}"
        said += line
    url = re.search(r"serving on (http://[^\s:]+:[0-9]+)", said)
    assert url is not None
    return server, url.group(1), said


def test_serve_runs_agents_by_the_run_recipe(tmp_path: Path) -> None:
    call = function_call("c1", "calculator", {"expression": "37 * 91"})
    replies = [Reply(body=completion(tool_calls=[call])), Reply(body=completion("3367"))]
    journal, token_file = tmp_path / "journal.sqlite3", tmp_path / "token"
    with FakeChatServer(replies) as chat:
        flags = ("--store", str(journal), "--token-file", str(token_file))
        server, url, said = _serve(tmp_path, *flags, "--model", f"openai:m@{chat.url}")
        try:
            token = token_file.read_text().strip()
            assert f"made a bearer token, kept in {token_file} (mode 0600)" in said
            assert f"open {url}/#token={token} (API docs: {url}/docs)" in said  # shown once
            auth = {"Authorization": f"Bearer {token}"}
            made = httpx.post(f"{url}/v1/runs", json={"task": "What is 37 * 91?"}, headers=auth)
            run_id = made.json()["id"]
            wait_for(
                lambda: (
                    httpx.get(f"{url}/v1/runs/{run_id}", headers=auth).json()["status"]
                    == "completed"
                ),
                "the answer",
            )
            view = httpx.get(f"{url}/v1/runs/{run_id}", headers=auth).json()
        finally:
            server.send_signal(signal.SIGINT)
            assert server.wait(30) == 130  # Ctrl-C, as for every command
            assert server.stderr is not None
            assert server.stderr.read().strip() == "autan: interrupted"
    assert view["answer"] == "3367"
    assert view["tool_calls"] == 1
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    with SQLiteStore(journal) as store:
        config = store.info(run_id).config
    assert config["cli"]["model"] == f"openai:m@{chat.url}"
    assert config["served"] is True
    assert main(["runs", "--store", str(journal), "show", run_id]) == 0  # autan runs knows it


def test_a_second_start_keeps_the_token_and_does_not_print_it(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token, made = token_from_file(token_file)
    assert made
    assert token_from_file(token_file) == (token, False)
    server, _, said = _serve(
        tmp_path, "--store", str(tmp_path / "j"), "--token-file", str(token_file)
    )
    server.send_signal(signal.SIGINT)
    server.wait(30)
    assert token not in said
    assert "#token=… (API docs: " in said
    assert f"the token is in {token_file}" in said


def test_a_token_file_open_to_others_is_refused(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_from_file(token_file)
    token_file.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        token_from_file(token_file)


def test_no_token_beyond_loopback_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--no-token", "--host", "0.0.0.0"]) == 2
    message = capsys.readouterr().err
    assert message.startswith("autan: error: --no-token binds 0.0.0.0, beyond loopback")
    assert message.count("\n") == 1


def test_a_taken_port_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    port = str(taken.getsockname()[1])
    try:
        code = main(["serve", "--no-token", "--port", port, "--store", str(tmp_path / "j")])
    finally:
        taken.close()
    assert code == 2
    message = capsys.readouterr().err
    assert message.startswith(f"autan: error: cannot listen on 127.0.0.1:{port}")
    assert message.count("\n") == 1


@pytest.mark.e2e
def test_serve_on_the_embedded_model(tmp_path: Path) -> None:
    """A fresh install's path: ``autan serve``, a run from the API, its events, then the same
    agent through the OpenAI-compatible facade; one model process."""
    journal = tmp_path / "journal.sqlite3"
    server, url, _ = _serve(tmp_path, "--no-token", "--store", str(journal), protocol="")
    try:
        made = httpx.post(f"{url}/v1/runs", json={"task": "What is 37 * 91?"})
        run_id = made.json()["id"]
        with httpx.stream("GET", f"{url}/v1/runs/{run_id}/events", timeout=120) as stream:
            kinds = [m.event for m in sse_messages(stream)]
        view = httpx.get(f"{url}/v1/runs/{run_id}").json()
        asked = [{"role": "user", "content": "What is 12 * 12?"}]
        chat = httpx.post(
            f"{url}/v1/chat/completions", json={"model": "autan", "messages": asked}, timeout=120
        )
        said = chat.json()["choices"][0]["message"]["content"]
        asked += [
            {"role": "assistant", "content": said},
            {"role": "user", "content": "And what is 12 * 13?"},
        ]
        follow_up = httpx.post(
            f"{url}/v1/chat/completions", json={"model": "autan", "messages": asked}, timeout=120
        )
        tools = httpx.get(f"{url}/v1/tools").json()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
    assert kinds[0] == "run_started"
    assert kinds[-1] == "final_answer"
    assert "tool_call" in kinds
    assert view["answer"] == "3367"
    assert view["usage"]["cached_tokens"] > 0  # the second step reused the first one's prefix
    assert chat.status_code == 200, chat.text
    # the default's chat answer may be a sentence ("12 * 12 equals 144."); it holds the result
    assert re.search(r"(?<![\d.])144(?![\d]|[.,]\d)", said), said
    # "And 12 * 13?" made the 135M model call list_dir("12.12.13") three times (a 502, every
    # time, not a flake); asked as a question it answers. The turn and its answer are tested.
    assert follow_up.status_code == 200, follow_up.text
    assert follow_up.json()["choices"][0]["message"]["content"] == "156"
    with SQLiteStore(journal) as store:
        second, first = (store.info(r.headers["x-autan-run"]) for r in (follow_up, chat))
    assert second.config["after"] == first.run_id  # the second turn continued the first
    assert second.config["task"] == "And what is 12 * 13?"
    assert "calculator" in tools["tools"]
