"""``autan runs show --prompts ID`` / ``Agent.prompts``: each step's prompt, rebuilt exactly by
replaying the journal (which keeps message counts only) and rendered by the run's own model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autan import Agent, ConfigurationError, SQLiteStore, load_model
from autan.cli import main
from autan.messages import ModelRequest
from autan.models.llama import LlamaModel
from autan.protocols import ToolProtocol
from autan.testing import ScriptedModel
from autan.tools.calculator import calculator
from fake_chat_server import FakeChatServer, Reply, completion, function_call

CALC = function_call("c1", "calculator", {"expression": "37 * 91"})
PROMPT = re.compile(
    r"^\[(\d+)\] prompt \(\d+ characters\):\n(.*?)\n\[\1\] end of prompt$", re.M | re.S
)


def test_runs_show_prompts_gives_the_request_bodies_the_server_received(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    replies = [Reply(body=completion(tool_calls=[CALC])), Reply(body=completion("3367"))]
    with FakeChatServer(replies) as server:
        spec = f"openai:m@{server.url}"
        argv = ["run", "What is 37 * 91?", "--model", spec, "--tool-protocol", "native"]
        assert main([*argv, "--quiet", "--workspace", str(tmp_path)]) == 0
        sent = [request.body for request in server.requests]
    with SQLiteStore(tmp_path / "journal.sqlite3") as store:
        (info,) = store.runs()
    capsys.readouterr()
    assert main(["runs", "show", "--prompts", info.run_id]) == 0
    out = capsys.readouterr().out
    shown = {int(step): json.loads(text) for step, text in PROMPT.findall(out)}
    for body in sent:
        body.pop("stream", None)
        body.pop("stream_options", None)
    assert shown == {1: sent[0], 2: sent[1]}
    assert out.index("[1] end of prompt") < out.index("[1] model:")


def test_prompts_need_the_runs_own_agent(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        model = ScriptedModel([("calculator", {"expression": "2+2"}), "4"])
        run = Agent(model, [calculator], store=store).run("What is 2+2?")
        assert run.run_id is not None
        prompts = Agent(ScriptedModel([]), [calculator], store=store).prompts(run.run_id)
        assert [step for step, _ in prompts] == [1, 2]
        assert "What is 2+2?" in prompts[0][1]
        assert '"content": "4"' in prompts[1][1]  # the tool's result, read at step 2
        with pytest.raises(ConfigurationError, match="cannot rebuild the prompts"):
            Agent(ScriptedModel([]), store=store).prompts(run.run_id)  # no calculator


def test_prompts_and_follow_do_not_go_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    with SQLiteStore(tmp_path / "journal.sqlite3") as store:
        Agent(ScriptedModel(["hi"]), store=store).run("say hi", run_id="p1")
    assert main(["runs", "show", "--prompts", "--follow", "p1"]) == 2
    assert "without --follow" in capsys.readouterr().err


class SeenPrompts(LlamaModel):
    """The embedded model, noting each prompt text it tokenizes during the run."""

    seen: list[str]

    def _prompt(self, request: ModelRequest, protocol: ToolProtocol) -> str:
        text = super()._prompt(request, protocol)
        self.seen.append(text)
        return text


@pytest.mark.e2e
def test_the_embedded_models_prompts_are_rebuilt_exactly(tmp_path: Path) -> None:
    local = load_model("local")
    assert isinstance(local, LlamaModel)
    model = SeenPrompts(local.path, "local")
    model.seen = []
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        run = Agent(model, [calculator], store=store).run("What is 37 * 91?")
        assert run.run_id is not None
        live = list(model.seen)
        rebuilt = Agent(load_model("local"), [calculator], store=store).prompts(run.run_id)
    assert [text for _, text in rebuilt] == live
    assert rebuilt[0][1].startswith("<|im_start|>system\n")
    assert "What is 37 * 91?" in rebuilt[0][1]
