"""``autan run --output-schema FILE``: the answer is held to the schema and printed as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fake_chat_server import FakeChatServer, Reply, completion
from test_cli import autan

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
}


def _schema(tmp_path: Path, schema: object = PERSON) -> str:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema))
    return str(path)


def test_the_answer_is_validated_and_printed_as_json(tmp_path: Path) -> None:
    replies = [
        Reply(body=completion('{"name": "Ann", "age": -3}')),
        Reply(body=completion('{"name":"Ann","age":41}')),
    ]
    with FakeChatServer(replies) as server:
        done = autan(
            "run",
            "Who is it?",
            "--model",
            f"openai:m@{server.url}",
            "--tool-protocol",
            "native",
            "--output-schema",
            _schema(tmp_path),
            "--no-store",
            cwd=tmp_path,
        )
        sent = [r.body for r in server.requests]
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"name": "Ann", "age": 41}
    assert sent[0]["response_format"]["json_schema"]["schema"] == PERSON
    assert (
        "Invalid answer: age: -3 is less than the minimum of 0"
        in (sent[1]["messages"][-1]["content"])
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "cannot read JSON"), ('{"type": "nonsense"}', "is not a valid JSON Schema")],
)
def test_a_bad_schema_file_is_one_line_and_exit_2(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "schema.json"
    path.write_text(content)
    done = autan("run", "x", "--output-schema", str(path), "--no-store", cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.e2e
def test_the_embedded_model_answers_in_the_schema(tmp_path: Path) -> None:
    done = autan(
        "run",
        "Ann is 41 years old. Give her name and age.",
        "--output-schema",
        _schema(tmp_path),
        "--no-store",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert isinstance(answer["name"], str)
    assert isinstance(answer["age"], int)


def test_runs_resume_of_a_typed_run_prints_its_json(tmp_path: Path) -> None:
    store = str(tmp_path / "journal.sqlite3")
    with FakeChatServer([Reply(body=completion('{"name": "Bo", "age": 7}'))]) as server:
        model = ["--model", f"openai:m@{server.url}", "--tool-protocol", "native"]
        done = autan(
            "run",
            "Who?",
            *model,
            "--output-schema",
            _schema(tmp_path),
            "--store",
            store,
            cwd=tmp_path,
        )
    run_id = done.stderr.split("run ", 1)[1].split()[0]
    resumed = autan("runs", "--store", store, "resume", run_id, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) == {"name": "Bo", "age": 7}
