"""Text UTF-8 cannot hold (a lone surrogate, as JSON's ``"\\ud800"`` decodes) from a model, a tool,
a sandbox or the task never crashes a run: it is made encodable where it enters, so the journal,
``--json`` and the terminal can write every event."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from autan import Agent, SQLiteStore, tool
from autan.errors import ModelError
from autan.events import (
    MAX_NESTING,
    TOO_DEEP,
    CodeFinished,
    Event,
    FinalAnswer,
    ModelResponded,
    RunFailed,
    ToolCalled,
    ToolResulted,
    encodable,
)
from autan.messages import ModelRequest, ModelResponse, ToolCall
from autan.models.base import Model
from autan.sandbox import SandboxLimits
from autan.testing import ScriptedModel

LONE = "\ud800"
REPLACED = "\ufffd"


def written(events: tuple[Event, ...] | list[Event]) -> None:
    """What ``autan run --json`` does with each event, then what a terminal does."""
    for event in events:
        json.dumps(event.to_dict(), ensure_ascii=False).encode()


def test_a_model_reply_with_a_lone_surrogate_is_answered_journaled_and_printable(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    result = Agent(ScriptedModel([f"caf{LONE} ok"]), store=store).run("say it")
    assert result.output == f"caf{REPLACED} ok"
    assert result.run_id is not None
    loaded = store.load(result.run_id)
    assert loaded == list(result.events)
    assert isinstance(loaded[-1], FinalAnswer)
    assert loaded[-1].output == f"caf{REPLACED} ok"
    written(loaded)


def test_streamed_pieces_with_a_lone_surrogate_are_printable(tmp_path: Path) -> None:
    agent = Agent(ScriptedModel([f"a {LONE} b"]), store=SQLiteStore(tmp_path / "j.sqlite3"))
    events = list(agent.stream("say it"))
    assert isinstance(events[-1], FinalAnswer)
    written(events)


@tool
def shout(word: str) -> str:
    """Return a word with a byte no UTF-8 can hold, as a file name decoded with surrogateescape."""
    return f"{word}\udcff"


def test_a_tool_output_with_a_lone_surrogate_is_journaled_and_what_the_model_reads(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    model = ScriptedModel([("shout", {"word": f"hi{LONE}"}), "done"])
    result = Agent(model, [shout], store=store).run("shout")
    assert result.output == "done"
    resulted = [e for e in result.events if isinstance(e, ToolResulted)]
    assert [e.output for e in resulted] == [f"hi{REPLACED}{REPLACED}"]
    called = [e for e in result.events if isinstance(e, ToolCalled)]
    assert called[0].call.arguments == {"word": f"hi{REPLACED}"}
    assert model.requests[1].messages[-1].content == f"hi{REPLACED}{REPLACED}"
    assert result.run_id is not None
    written(store.load(result.run_id))


class FailingModel(Model):
    name = "failing"

    def complete(self, request: ModelRequest) -> ModelResponse:
        raise ModelError(f"server said {LONE}")


def test_an_error_message_and_a_task_with_a_lone_surrogate_are_journaled(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    with pytest.raises(ModelError):
        Agent(FailingModel(), store=store).run(f"task {LONE}")
    run_id = store.runs()[0].run_id
    assert store.info(run_id).config["task"] == f"task {REPLACED}"
    loaded = store.load(run_id)
    assert isinstance(loaded[-1], RunFailed)
    assert loaded[-1].message == f"server said {REPLACED}"
    written(loaded)


def test_the_model_reply_journaled_is_the_cleaned_one(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    result = Agent(ScriptedModel([f"x{LONE}"]), store=store).run("go")
    responded = [e for e in result.events if isinstance(e, ModelResponded)]
    assert responded[0].text == f"x{REPLACED}"


needs_sandbox = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap not installed (CI installs it)",
)


@needs_sandbox
def test_a_sandbox_final_answer_with_a_lone_surrogate_is_the_cleaned_answer(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    reply = '```python\nfinal_answer({"k\\udcff": ["\\ud800"]})\n```'
    limits = SandboxLimits(timeout=5, cpu_seconds=5, memory_mb=256)
    agent = Agent(ScriptedModel([reply]), actions="code", sandbox_limits=limits, store=store)
    result = agent.run("answer")
    finished = [e for e in result.events if isinstance(e, CodeFinished)]
    assert finished[0].answer == {f"k{REPLACED}": [REPLACED]}
    assert result.output == json.dumps({f"k{REPLACED}": [REPLACED]}, ensure_ascii=False)
    assert result.run_id is not None
    written(store.load(result.run_id))


def test_encodable_joins_a_split_pair_and_replaces_each_lone_surrogate() -> None:
    assert encodable("\ud83d\ude00") == "\U0001f600"
    assert encodable(f"a{LONE}b\udfff") == f"a{REPLACED}b{REPLACED}"


def test_encodable_returns_clean_values_as_they_are() -> None:
    value = {"a": ["b", ("c", 1)], "d": None}
    assert encodable(value) is value
    call = ToolCall("1", "f", {"x": "y"})
    assert encodable(call) is call


def test_encodable_cleans_keys_and_records() -> None:
    cleaned = encodable({LONE: [LONE], "call": ToolCall("1", "f", {"x": LONE})})
    assert cleaned == {REPLACED: [REPLACED], "call": ToolCall("1", "f", {"x": REPLACED})}


def test_nesting_deeper_than_an_event_holds_is_left_out_without_recursion() -> None:
    deep: list[object] = [LONE]
    for _ in range(100_000):
        deep = [deep]
    cleaned = encodable({"deep": deep, "shallow": [[LONE]]})
    assert cleaned["shallow"] == [[REPLACED]]
    inner = cleaned["deep"]
    for _ in range(MAX_NESTING - 2):  # the dict is level 1
        inner = inner[0]
    assert inner == [TOO_DEEP]
    event = CodeFinished(1, "", "", None, True, deep, 0.0)
    written([event])
    assert repr(event)


def test_a_tool_call_nested_hundreds_deep_is_journaled_exported_and_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from autan.cli import main

    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    deep = json.loads("[" * 600 + "]" * 600)  # json parses it; asdict and repr recurse deeper
    store = SQLiteStore()
    result = Agent(ScriptedModel([("shout", {"word": deep}), "done"]), [shout], store=store).run(
        "go"
    )
    store.close()
    assert result.output == "done"
    assert main(["runs", "export", str(result.run_id)]) == 0
    assert TOO_DEEP in capsys.readouterr().out
    assert main(["runs", "show", str(result.run_id)]) == 0


@pytest.mark.parametrize("output", [["--json"], []])
def test_autan_run_prints_a_server_reply_with_a_lone_surrogate(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    output: list[str],
) -> None:
    from autan.cli import main
    from fake_chat_server import FakeChatServer, Reply, completion

    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    # the body is JSON text "caf\ud800": decoded, a lone surrogate
    with FakeChatServer([Reply(body=completion(f"caf{LONE}"))]) as server:
        spec = f"openai:m@{server.url}"
        argv = ["run", "hi", "--model", spec, "--tool-protocol", "native", *output]
        assert main(argv) == 0
    out = capsys.readouterr().out  # capsys writes UTF-8, strictly: as a terminal would
    if output:
        answers = [r for r in map(json.loads, out.splitlines()) if r.get("type") == "final_answer"]
        assert answers[0]["output"] == f"caf{REPLACED}"
    else:
        assert out == f"caf{REPLACED}\n"


def test_list_dir_of_a_file_name_that_is_not_utf8_is_journaled(tmp_path: Path) -> None:
    from autan.tools.builtin import builtin_tools

    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / os.fsdecode(b"caf\xe9.txt")).write_text("latin-1 name")
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    model = ScriptedModel([("list_dir", {"path": "."}), "listed"])
    result = Agent(model, builtin_tools(workspace), store=store).run("list")
    assert result.output == "listed"
    assert result.run_id is not None
    loaded = store.load(result.run_id)
    outputs = [e.output for e in loaded if isinstance(e, ToolResulted)]
    assert len(outputs) == 1
    assert "caf" in outputs[0]
    written(loaded)
