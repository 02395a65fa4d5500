"""While the model evaluates a prompt, ``autan run`` on a terminal says so with the seconds so
far (a real pseudo-terminal), and the line is gone when the model answers; on a pipe, nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from fake_chat_server import FakeChatServer, Reply, completion

SRC = Path(__file__).resolve().parent.parent / "src"


def argv(url: str) -> list[str]:
    spec = f"openai:m@{url}"
    return ["-m", "autan", "run", "What is 37 * 91?", "--model", spec, "--tool-protocol", "native"]


def env(home: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC), "AUTAN_HOME": str(home)}


def test_a_slow_prompt_shows_a_counting_line_on_a_terminal(tmp_path: Path) -> None:
    with FakeChatServer([Reply(body=completion("3367"), delay=5.0)]) as server:
        child = pexpect.spawn(
            sys.executable, argv(server.url), env=env(tmp_path), encoding="utf-8", timeout=60
        )
        child.expect(r"\[1\] evaluating the prompt \S ([1-9]) s")
        first = int(child.match.group(1))
        child.expect(rf"\[1\] evaluating the prompt \S [{first + 1}-9] s")  # it counts
        child.expect("\r\x1b\\[K")  # erased before the answer is shown
        child.expect("3367")
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus == 0


def test_nothing_of_it_on_a_pipe(tmp_path: Path) -> None:
    with FakeChatServer([Reply(body=completion("3367"), delay=1.5)]) as server:
        done = subprocess.run(
            [sys.executable, *argv(server.url)],
            env=env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    assert done.returncode == 0
    assert done.stdout.strip() == "3367"
    assert "evaluating" not in done.stderr
    assert "\r" not in done.stderr


@pytest.mark.e2e
def test_the_embedded_model_evaluating_a_long_task_shows_the_line(tmp_path: Path) -> None:
    task = tmp_path / "task.txt"
    task.write_text("How many words are below?\n" + "a quiet brown fox sleeps today. " * 180)
    command = ["-m", "autan", "run", "--task-file", str(task), "--no-store", "--max-steps", "1"]
    child = pexpect.spawn(sys.executable, command, env=env(tmp_path), encoding="utf-8", timeout=600)
    child.expect(r"\[1\] evaluating the prompt \S [1-9]\d* s")
    child.sendintr()  # the line is what this test is about, not the answer
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
