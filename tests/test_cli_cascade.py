"""``autan run --cascade``: the task goes to the next model only when a tier fails, each tier is
shown and journaled, and bad tiers are one line with exit 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fake_chat_server import FakeChatServer, Reply, completion, function_call
from test_cli import SRC, autan

LOOPS = Reply(body=completion(tool_calls=[function_call("c1", "calculator", {"expression": "1"})]))


def test_a_tier_that_hits_a_limit_hands_the_task_to_the_next(tmp_path: Path) -> None:
    store = str(tmp_path / "journal.sqlite3")
    with FakeChatServer([LOOPS]) as small, FakeChatServer([Reply(body=completion("42"))]) as big:
        tiers = f"openai:small@{small.url},openai:big@{big.url}"
        done = autan(
            "run", "What is 6 * 7?", "--cascade", tiers, "--tool-protocol", "native",
            "--max-steps", "1", "--store", store, cwd=tmp_path,
        )  # fmt: skip
        asked = (len(small.requests), len(big.requests))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"
    assert asked == (1, 1)
    lines = done.stderr.splitlines()
    cascade_id = lines[0].removeprefix("cascade ")
    assert f"tier 1: openai:small (run {cascade_id}-1)" in lines
    assert any(line.startswith("tier 1 escalated: limit: limit max_steps=1") for line in lines)
    assert any(line.startswith("tier 2 answered · model calls 1") for line in lines)
    assert "answered by tier 2 (openai:big) · escalations 1" in lines[-1]
    shown = autan("runs", "--store", store, "show", cascade_id, cwd=tmp_path).stdout.splitlines()
    assert f"tier 2: openai:big (run {cascade_id}-2)" in shown
    assert any(line.startswith("tier 1 escalated: limit") for line in shown)
    assert "answer: 42" in shown
    listed = autan("runs", "--store", store, "list", cwd=tmp_path)
    assert cascade_id in listed.stdout
    assert f"{cascade_id}-2" not in listed.stdout  # a tier is part of its cascade's run
    listed = autan("runs", "--store", store, "list", "--all", cwd=tmp_path)
    assert f"{cascade_id}-2" in listed.stdout


def test_json_lines_carry_every_tier_and_a_summary_of_them(tmp_path: Path) -> None:
    with FakeChatServer([LOOPS]) as small, FakeChatServer([Reply(body=completion("42"))]) as big:
        tiers = f"openai:small@{small.url},openai:big@{big.url}"
        done = autan(
            "run", "What is 6 * 7?", "--cascade", tiers, "--tool-protocol", "native",
            "--max-steps", "1", "--no-store", "--json", cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    kinds = [r["type"] for r in records]
    assert kinds[0] == "run"
    assert records[0]["journaled"] is False
    assert kinds.count("tier_started") == 2
    assert kinds.count("tier_ended") == 2
    summary = records[-1]
    assert (summary["type"], summary["status"], summary["answered_by"]) == (
        "summary",
        "completed",
        2,
    )
    assert [t["reason"] for t in summary["tiers"]] == ["limit", None]
    assert summary["model_calls"] == 2


def test_every_tier_failing_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    with FakeChatServer([LOOPS]) as small, FakeChatServer([LOOPS]) as big:
        tiers = f"openai:small@{small.url},openai:big@{big.url}"
        done = autan(
            "run", "What is 6 * 7?", "--cascade", tiers, "--tool-protocol", "native",
            "--max-steps", "1", "--no-store", cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("autan: error:")]
    assert len(errors) == 1
    assert "no tier gave an accepted answer: tier 1 (openai:small): limit" in errors[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cascade"], "--cascade runs the embedded model first, then a server"),
        (["--cascade", "local"], "name two or more model specs"),
        (["--cascade", "local,gpt-9"], "accepted forms"),
        (["--cascade", "-c"], "--cascade starts a new task: drop -c"),
    ],
)
def test_bad_tiers_are_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = autan("run", "x", *args, "--no-store", cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_runs_resume_continues_a_killed_cascade_at_its_second_tier(tmp_path: Path) -> None:
    store = str(tmp_path / "journal.sqlite3")
    slow = Reply(body=completion("late"), delay=30)
    with (
        FakeChatServer([LOOPS]) as small,
        FakeChatServer([slow, Reply(body=completion("42"))]) as big,
    ):
        tiers = f"openai:small@{small.url},openai:big@{big.url}"
        command = [
            sys.executable, "-m", "autan", "run", "What is 6 * 7?", "--cascade", tiers,
            "--tool-protocol", "native", "--max-steps", "1", "--store", store,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        running = subprocess.Popen(
            command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while not big.requests:
            assert running.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.05)
        running.send_signal(signal.SIGKILL)
        _, stderr = running.communicate()
        cascade_id = stderr.splitlines()[0].removeprefix("cascade ")
        resumed = autan("runs", "--store", store, "resume", cascade_id, cwd=tmp_path)
        asked = (len(small.requests), len(big.requests))
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == "42"
    assert asked == (1, 2)  # tier 1 not asked again
    assert f"cascade {cascade_id} · answered by tier 2 (openai:big)" in resumed.stderr


def test_an_answer_failing_the_output_schema_moves_up_and_prints_as_json(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}}))
    wrong = [Reply(body=completion('{"n": "many"}')) for _ in range(5)]
    with (
        FakeChatServer(wrong) as small,
        FakeChatServer([Reply(body=completion('{"n": 42}'))]) as big,
    ):
        tiers = f"openai:small@{small.url},openai:big@{big.url}"
        done = autan(
            "run", "How many?", "--cascade", tiers, "--tool-protocol", "native",
            "--output-schema", str(schema), "--no-store", cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"n": 42}
    assert any(
        line.startswith("tier 1 escalated: invalid_answer") for line in done.stderr.splitlines()
    )
