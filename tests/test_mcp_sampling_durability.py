"""SIGKILL after a server's sampling request was answered, before the call's result: the
answer is journaled as it is given, so a resumed run answers the same request again from the
journal (the model is not asked twice, the answer is not a new one, the run's limits count it
once); a call whose tool is not idempotent is not made again without a person's decision."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autan import Agent, ModelResponded, SQLiteStore, ToolResulted, ToolStarted, mcp_tools
from autan.events import ServerSampled
from autan.mcp import MCPServer
from autan.messages import ModelRequest, ModelResponse, Usage
from autan.models.base import Model
from autan.store import open_store
from autan.testing import ScriptedModel
from mcp_helpers import server_command

WORKER = Path(__file__).with_name("mcp_sampling_worker.py")
SERVER = textwrap.dedent(
    """
    import asyncio, os
    from pathlib import Path
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.types import SamplingMessage, TextContent, ToolAnnotations

    folder = Path(os.environ["DIR"])
    server = MCPServer("asker")
    hints = ToolAnnotations(idempotentHint=os.environ["IDEMPOTENT"] == "1")

    @server.tool(annotations=hints)
    async def sample_then_wait(ctx: Context) -> str:
        \"\"\"Ask the client's model, then wait for the gate file.\"\"\"
        question = SamplingMessage(role="user", content=TextContent(type="text", text="secret?"))
        result = await ctx.session.create_message(messages=[question], max_tokens=20)
        with (folder / "heard.txt").open("a") as heard:
            heard.write(result.content.text + "\\n")
        while not (folder / "gate").exists():
            await asyncio.sleep(0.05)
        return f"the model said: {result.content.text}"

    server.run("stdio")
    """
)


def start(journal: Path, folder: Path, idempotent: bool) -> subprocess.Popen[str]:
    flag = "1" if idempotent else "0"
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(journal), str(folder), "ask once", flag],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready", worker.stderr and worker.stderr.read()
    return worker


def kill_once_heard(worker: subprocess.Popen[str], folder: Path) -> None:
    """SIGKILL the worker once the server has the model's answer (its call still waits)."""
    deadline = time.monotonic() + 60
    while not (folder / "heard.txt").exists():
        assert worker.poll() is None, worker.stderr and worker.stderr.read()
        assert time.monotonic() < deadline, "the server never heard the model's answer"
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    assert worker.wait() == -signal.SIGKILL


def finish(journal: Path, folder: Path, idempotent: bool) -> str:
    (folder / "gate").touch()
    worker = start(journal, folder, idempotent)
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    return out.strip()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "server.py").write_text(SERVER)
    return tmp_path


def test_a_sample_answered_before_a_kill_is_answered_again_from_the_journal(
    folder: Path,
) -> None:
    journal = folder / "journal.sqlite3"
    kill_once_heard(start(journal, folder, idempotent=True), folder)
    with open_store(journal) as store:
        (run,) = store.runs()
        killed = store.load(run.run_id)
    # journaled as it was answered: the journal ends in the sample, the call has no result
    assert [type(e) for e in killed[-2:]] == [ToolStarted, ServerSampled]
    assert isinstance(killed[-1], ServerSampled)
    assert killed[-1].reply == "answer 1"

    said = finish(journal, folder, idempotent=True)
    assert said == f"done {run.run_id} finished"
    assert (folder / "asked.txt").read_text() == "secret?\n"  # the model was asked once
    assert (folder / "heard.txt").read_text() == "answer 1\nanswer 1\n"
    with open_store(journal) as store:
        events = store.load(run.run_id)
    sampled = [e for e in events if isinstance(e, ServerSampled)]
    assert [(s.reply, s.usage.total_tokens) for s in sampled] == [("answer 1", 10)]
    (result,) = [e for e in events if isinstance(e, ToolResulted)]
    assert result.output == '{"result":"the model said: answer 1"}'
    assert [e.step for e in events if isinstance(e, ModelResponded)] == [1, 2]


def test_a_call_that_is_not_idempotent_waits_for_a_decision_and_keeps_its_sample(
    folder: Path,
) -> None:
    journal = folder / "journal.sqlite3"
    kill_once_heard(start(journal, folder, idempotent=False), folder)
    assert finish(journal, folder, idempotent=False) == "needs decision"
    assert (folder / "heard.txt").read_text() == "answer 1\n"  # not called again
    assert (folder / "asked.txt").read_text() == "secret?\n"
    with open_store(journal) as store:
        (run,) = store.runs()
        events = store.load(run.run_id)
    assert isinstance(events[-1], ServerSampled)
    assert not any(isinstance(e, ToolResulted) for e in events)


class EchoModel(Model):
    """Replies ``re: QUESTION``; slow for ``A?``, so the other server's samples finish first."""

    name = "echo"

    def complete(self, request: ModelRequest) -> ModelResponse:
        question = request.messages[-1].content
        if question == "A?":
            time.sleep(0.5)
        return ModelResponse(text=f"re: {question}", usage=Usage(7, 3), model=self.name)


def test_a_batch_s_samples_journaled_out_of_call_order_replay_and_end_the_run(
    tmp_path: Path,
) -> None:
    """Two servers sample concurrently in one step: their samples reach the journal in the
    order they were answered (B's before A's), the loop yields them in call order (A's first);
    the journal matches each to the one written, and the run replays event for event."""
    servers = [MCPServer(name, command=tuple(server_command().split())) for name in "ab"]
    step = [("a_ask_model_twice", {"question": "A?"}), ("b_ask_model_twice", {"question": "B?"})]
    with (
        SQLiteStore(tmp_path / "j.sqlite3") as store,
        mcp_tools(*servers, sampling_model=EchoModel()) as tools,
        Agent(ScriptedModel([step, "done"]), tools, store=store) as agent,
    ):
        result = agent.run("ask both", run_id="b1")
        journaled = store.load("b1")
        assert agent.replay("b1").same
    on_disk = [e.server for e in journaled if isinstance(e, ServerSampled)]
    yielded = [e.server for e in result.events if isinstance(e, ServerSampled)]
    assert (on_disk, yielded) == (["b", "b", "a", "a"], ["a", "a", "b", "b"])
    assert len(journaled) == len(result.events)
    assert [e.output for e in journaled if isinstance(e, ToolResulted)] == [
        '{"result":"the model said: re: A?, re: A?"}',
        '{"result":"the model said: re: B?, re: B?"}',
    ]
    assert result.usage.total_tokens == 2 * 15 + 4 * 10
