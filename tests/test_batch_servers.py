"""Many runs against one model server: bounded requests in flight, and the CLI's bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autan import Agent, Store, batch
from autan.cli import main
from autan.models import load_model
from fake_chat_server import FakeChatServer, Reply, completion

RUNS = 24


class ServerAgent:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, store: Store) -> Agent:
        return Agent(load_model(f"openai:m@{self.url}", tool_protocol="native"), store=store)


def slow_answers(count: int) -> list[Reply]:
    return [Reply(body=completion(f"answer {n}"), delay=0.05) for n in range(count)]


def test_runs_in_threads_never_exceed_the_servers_in_flight_limit(tmp_path: Path) -> None:
    with FakeChatServer(slow_answers(RUNS)) as server:
        tasks = [f"question {n}" for n in range(RUNS)]
        summary = batch(
            tasks, tmp_path / "out", agent=ServerAgent(server.url), threads=RUNS, max_in_flight=3
        )
    assert summary.completed == RUNS
    assert 1 < server.most_in_flight <= 3


def test_without_the_limit_the_same_runs_crowd_the_server(tmp_path: Path) -> None:
    with FakeChatServer(slow_answers(RUNS)) as server:
        tasks = [f"question {n}" for n in range(RUNS)]
        summary = batch(
            tasks, tmp_path / "out", agent=ServerAgent(server.url), threads=RUNS, max_in_flight=RUNS
        )
    assert summary.completed == RUNS
    assert server.most_in_flight > 3


def test_cli_reports_a_bad_line_by_number_and_runs_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('first\n{"task": \n{"task": "third", "id": "a"}\n{"task": "4th", "id": "a"}\n')
    with FakeChatServer([Reply(body=completion("one")), Reply(body=completion("two"))]) as server:
        code = main(
            [
                "batch",
                str(tasks),
                "--out",
                str(tmp_path / "out"),
                "--model",
                f"openai:m@{server.url}",
                "--tool-protocol",
                "native",
            ]
        )
    err = capsys.readouterr().err
    assert code == 1
    assert f"{tasks}: line 2: not valid JSON" in err
    assert f"{tasks}: line 4: duplicate task id 'a' (first on line 3)" in err
    assert "Traceback" not in err
    lines = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert sorted((x["id"], x["status"]) for x in lines) == [
        ("a", "completed"),
        ("line-1", "completed"),
    ]


def test_cli_an_unreachable_ray_address_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("ray")
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("a task\n")
    code = main(["batch", str(tasks), "--out", str(tmp_path / "out"), "--ray", "127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("autan: error: cannot reach the Ray cluster at 127.0.0.1:9")
    assert len(err.strip().splitlines()) == 1


def test_cli_a_missing_tasks_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["batch", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "cannot read the tasks file" in capsys.readouterr().err


def test_cli_a_bad_model_spec_is_exit_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("a task\n")
    code = main(["batch", str(tasks), "--out", str(tmp_path / "out"), "--model", "nonsense:x"])
    assert code == 2
    assert capsys.readouterr().err.startswith("autan: error: ")
    assert not (tmp_path / "out" / "results.jsonl").exists()
