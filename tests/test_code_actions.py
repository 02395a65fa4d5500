"""Code-action mode: the model writes Python, its tool calls cross the sandbox's JSON channel
and take the path of any tool call (validation, limits, journal)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from autan import Agent, LimitExceeded, Limits, SQLiteStore, tool
from autan.errors import ConfigurationError, ToolRetriesExhausted
from autan.events import CodeFinished, CodeStarted, FinalAnswer, ToolResulted
from autan.loop.effects import CodeEnded
from autan.protocols import CODE
from autan.protocols.code import extract_code, system_prompt
from autan.protocols.code import observation as observe
from autan.sandbox import SandboxLimits, SandboxUnavailable
from autan.testing import ScriptedModel
from autan.tools.calculator import calculator
from sandbox_kinds import no_sandbox

needs_sandbox = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap not installed (CI installs it)",
)
LIMITS = SandboxLimits(timeout=5, cpu_seconds=5, memory_mb=256)

calls_made: list[int] = []


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    calls_made.append(a + b)
    return a + b


def block(code: str) -> str:
    return f"Let me compute.\n```python\n{code}\n```"


def code_agent(turns: list[str], **options: object) -> tuple[Agent, ScriptedModel]:
    model = ScriptedModel(turns)
    agent = Agent(model, [add, calculator], actions="code", sandbox_limits=LIMITS, **options)  # type: ignore[arg-type]
    return agent, model


@needs_sandbox
def test_tools_are_functions_in_the_code_and_final_answer_ends_the_run() -> None:
    agent, model = code_agent(
        [block("x = add(2, b=3)\ny = calculator('3 + 4')\nfinal_answer(x * y)")]
    )
    result = agent.run("compute")
    assert result.output == "35"
    results = [e for e in result.events if isinstance(e, ToolResulted)]
    assert [(e.name, e.output, e.is_error) for e in results] == [
        ("add", "5", False),
        ("calculator", "7", False),
    ]
    assert isinstance(result.events[-1], FinalAnswer)
    assert len(model.requests) == 1
    request = model.requests[0]  # a code request: the code protocol shows the tools as Python
    assert request.code_block
    assert [spec.name for spec in request.tools] == ["add", "calculator"]
    system = CODE.render_messages(request.messages, request.tools)[0]["content"]
    assert "def add(a: int, b: int)  # Add two integers." in system


@needs_sandbox
def test_invalid_arguments_come_back_into_the_code_as_an_exception() -> None:
    code = (
        "try:\n    add('not a number', 1)\nexcept ToolError as error:\n    print('refused:', error)"
    )
    agent, model = code_agent([block(code), "done"])
    calls_made.clear()
    result = agent.run("compute")
    assert calls_made == []  # validation happened on the host, before the tool
    (refused,) = [e for e in result.events if isinstance(e, ToolResulted)]
    assert refused.is_error
    assert "invalid arguments" in refused.output
    seen = model.requests[1].messages[-1].content
    assert seen.startswith("Output:\nrefused: invalid arguments: a:")


@needs_sandbox
def test_calls_from_code_count_against_max_tool_calls() -> None:
    agent, _ = code_agent(
        [block("for i in range(5):\n    add(i, 1)\nfinal_answer('never')")],
        limits=Limits(max_tool_calls=2),
    )
    calls_made.clear()
    with pytest.raises(LimitExceeded) as raised:
        agent.run("compute")
    assert raised.value.limit == "max_tool_calls"
    assert calls_made == [1, 2]
    assert raised.value.result is not None
    assert raised.value.result.output is None


@needs_sandbox
def test_a_failing_block_is_shown_to_the_model_which_tries_again() -> None:
    agent, model = code_agent([block("print('half')\n{}['missing']"), block("final_answer(4)")])
    result = agent.run("compute")
    assert result.output == "4"
    seen = model.requests[1].messages[-1].content
    assert "Output:\nhalf" in seen
    assert "KeyError: 'missing'" in seen
    assert 'File "<snippet>", line 2' in seen
    finished = [e for e in result.events if isinstance(e, CodeFinished)]
    assert finished[0].error == "exit status 1"
    assert not finished[0].answered


@needs_sandbox
def test_failing_blocks_in_a_row_stop_the_run() -> None:
    agent, _ = code_agent([block("1/0")] * 3, limits=Limits(tool_retries=1))
    with pytest.raises(ToolRetriesExhausted):
        agent.run("compute")


@needs_sandbox
def test_a_reply_without_code_is_the_final_answer() -> None:
    agent, _ = code_agent(["The answer is 42."])
    result = agent.run("compute")
    assert result.output == "The answer is 42."
    assert not [e for e in result.events if isinstance(e, CodeStarted)]


@needs_sandbox
def test_the_sandbox_clock_stops_while_the_host_runs_a_tool() -> None:
    @tool
    def slow() -> str:
        """Take a while."""
        time.sleep(1.2)
        return "slept"

    model = ScriptedModel([block("final_answer(slow())")])
    limits = SandboxLimits(timeout=1, cpu_seconds=2, memory_mb=256)
    agent = Agent(model, [slow], actions="code", sandbox_limits=limits)
    assert agent.run("wait").output == "slept"


@needs_sandbox
def test_a_block_that_runs_too_long_is_killed_and_reported() -> None:
    model = ScriptedModel([block("while True:\n    pass"), "gave up"])
    limits = SandboxLimits(timeout=0.5, cpu_seconds=2, memory_mb=256)
    agent = Agent(model, [], actions="code", sandbox_limits=limits)
    result = agent.run("loop")
    assert result.output == "gave up"
    assert "Error (timeout)" in model.requests[1].messages[-1].content


@needs_sandbox
def test_a_forged_request_for_a_function_not_offered_ends_the_block() -> None:
    forge = (
        "import json, os, sys\n"
        "fd = json.loads(sys.argv[1])['result_fd']\n"
        "os.write(fd, json.dumps({'call': 'rm_rf', 'arguments': {}}).encode() + b'\\n')\n"
        "import time; time.sleep(5)"
    )
    agent, _model = code_agent([block(forge), "stopped"])
    result = agent.run("escape")
    (finished,) = [e for e in result.events if isinstance(e, CodeFinished)]
    assert finished.error == "the sandbox sent a malformed tool request"
    assert not [e for e in result.events if isinstance(e, ToolResulted)]


@needs_sandbox
def test_async_runs_take_the_same_path() -> None:
    agent, _ = code_agent([block("final_answer(add(40, 2))")])
    assert asyncio.run(agent.arun("compute")).output == "42"


@needs_sandbox
def test_a_journaled_code_run_replays_and_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from autan.cli import main

    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    turns = [block("print(add(1, 2))"), block("final_answer(add(3, 4))")]
    with SQLiteStore() as store:
        agent, _ = code_agent(turns, store=store)
        result = agent.run("compute")
        assert result.run_id is not None
        recorded = store.load(result.run_id)
        assert recorded == list(result.events)
        calls_made.clear()
        replayer, model = code_agent([], store=store)
        report = replayer.replay(result.run_id)
        assert (report.same, report.difference) == (True, "")
        assert calls_made == []
        assert model.requests == []
    assert main(["runs", "show", result.run_id]) == 0
    shown = capsys.readouterr().out
    assert "    | print(add(1, 2))\n    add(a=1, b=2)\n      → 3" in shown
    assert "→ ran" in shown
    assert ": 3" in shown
    assert "→ final_answer" in shown
    assert "answer: 7" in shown


def test_no_sandbox_fails_when_the_agent_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    no_sandbox(monkeypatch)
    with pytest.raises(SandboxUnavailable):
        Agent(ScriptedModel([]), [add], actions="code")


def test_an_unknown_action_mode_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="actions"):
        Agent(ScriptedModel([]), actions="json")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("```python\nprint(1)\n```", "print(1)"),
        ("Sure:\n```py\nx = 1\n```\nthen\n```\nprint(x)\n```", "x = 1\nprint(x)"),
        ("```python\nfinal_answer(2)", "final_answer(2)"),  # cut off before the fence closed
        ("x = add(1, 2)\nfinal_answer(x)", "x = add(1, 2)\nfinal_answer(x)"),
        ("The answer is 42.", None),
        ("42", None),
        ("-3.5", None),
        ("", None),
    ],
)
def test_code_is_found_in_fences_or_the_raw_text(text: str, code: str | None) -> None:
    assert extract_code(text) == code


def test_the_prompt_shows_tools_as_python_signatures() -> None:
    prompt = system_prompt("Be brief.", [add.spec, calculator.spec])
    assert "def add(a: int, b: int)  # Add two integers." in prompt
    assert "def calculator(expression: str)" in prompt
    assert "final_answer(value)" in prompt


def observation(ended: CodeEnded) -> str:
    return observe(ended.stdout, ended.stderr, ended.error)


def test_the_observation_truncates_output_and_keeps_the_error() -> None:
    ended = CodeEnded("x" * 5000, "Traceback\nValueError: bad", "exit status 1", False, None, 0.1)
    seen = observation(ended)
    assert len(seen) < 2200
    assert "more characters]" in seen
    assert seen.endswith("ValueError: bad")
    assert "print()" in observation(CodeEnded("", "", None, False, None, 0.1))


class CrashingModel(ScriptedModel):
    """Plays its turns, then stops the process's run the way Ctrl-C would."""

    def complete(self, request):  # type: ignore[no-untyped-def]
        if len(self.requests) == len(self.turns):
            raise KeyboardInterrupt
        return super().complete(request)


@needs_sandbox
def test_a_run_stopped_between_blocks_resumes_without_repeating_them(tmp_path: Path) -> None:
    first = [block("print(add(1, 2))")]
    calls_made.clear()
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        crashing = Agent(
            CrashingModel(first), [add], actions="code", sandbox_limits=LIMITS, store=store
        )
        with pytest.raises(KeyboardInterrupt):
            crashing.run("compute", run_id="r1")
        assert calls_made == [3]
        model = ScriptedModel([*first, block("final_answer(add(3, 4))")], by_step=True)
        agent = Agent(model, [add], actions="code", sandbox_limits=LIMITS, store=store)
        result = agent.resume("r1")
    assert result.output == "7"
    assert calls_made == [3, 7]  # the first block was replayed from the journal, not re-run
    assert len(model.requests) == 1


@needs_sandbox
def test_a_run_stopped_inside_a_block_does_not_resume(tmp_path: Path) -> None:
    stops: list[str] = []

    @tool(idempotent=True)
    def stop() -> str:
        """Stop the process, the first time."""
        stops.append("called")
        if len(stops) == 1:
            raise KeyboardInterrupt
        return "ok"

    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        turns = [block("stop()\nfinal_answer(1)")]
        agent = Agent(ScriptedModel(turns), [stop], actions="code", store=store)
        with pytest.raises(KeyboardInterrupt):
            agent.run("compute", run_id="r2")
        again = Agent(ScriptedModel(turns, by_step=True), [stop], actions="code", store=store)
        with pytest.raises(ConfigurationError, match="inside a code block"):
            again.resume("r2")


@pytest.mark.e2e
@needs_sandbox
def test_the_embedded_model_writes_a_block_that_runs_in_the_sandbox(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from autan.cli import main

    status = main(["run", "--no-store", "--json", "--actions", "code", "--max-steps", "2",
                   "What is 37 * 91?"])  # fmt: skip
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (lines[0]["type"], lines[-1]["type"]) == ("run", "summary")
    events = lines[1:-1]
    kinds = [event["type"] for event in events]
    assert status in (0, 1)
    assert kinds[0] == "run_started"
    assert "code_started" in kinds  # the grammar makes every reply a block
    finished = [event for event in events if event["type"] == "code_finished"]
    assert finished
    assert all(event["seconds"] > 0 for event in finished)
    assert kinds[-1] in ("final_answer", "error")


@needs_sandbox
def test_cli_replay_of_a_code_mode_run_reports_the_same_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from autan.cli import main
    from fake_chat_server import FakeChatServer, Reply, completion

    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    replies = [Reply(body=completion(block("final_answer(calculator('37 * 91'))")))]
    with FakeChatServer(replies) as server:
        argv = ["run", "37 * 91?", "--model", f"openai:m@{server.url}", "--actions", "code"]
        assert main([*argv, "--tool-protocol", "native", "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == "3367"
    with SQLiteStore() as store:
        (info,) = store.runs()
    assert main(["runs", "replay", info.run_id]) == 0  # the server is gone: no model call
    assert capsys.readouterr().out.startswith("same: the loop reproduced all")


def test_code_mode_runs_under_landlock_when_bubblewrap_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from autan.sandbox import _bwrap
    from sandbox_kinds import use_sandbox

    use_sandbox("landlock", monkeypatch)  # skips where Landlock cannot run
    monkeypatch.delenv("AUTAN_SANDBOX")
    monkeypatch.setattr(_bwrap.shutil, "which", lambda name: None)
    agent, _ = code_agent([block("final_answer(add(40, 2))")])
    result = agent.run("compute")
    assert result.output == "42"
    (finished,) = [e for e in result.events if isinstance(e, CodeFinished)]
    assert finished.error is None
