"""What the ``autan serve`` tests share: a real uvicorn server on an ephemeral loopback port, an
agent source of ``ScriptedModel`` agents, tools the tests control, and an SSE reader."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from autan import Agent, Limits, Tool, tool
from autan.messages import ModelRequest, ModelResponse
from autan.serve import Offered, RunSpec, ServeOptions, create_app
from autan.store import Store
from autan.testing import ScriptedModel, Turn

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class ScriptedAgents:
    """Every run gets a fresh ``ScriptedModel`` on ``script`` (turns by step, so a resumed run
    gets the turns still to come) and ``tools``."""

    def __init__(self, script: Sequence[Turn], tools: Sequence[Tool] = ()) -> None:
        self.script = list(script)
        self.tools = list(tools)
        self.models: list[ScriptedModel] = []

    def offered(self) -> Offered:
        return Offered(tuple(t.name for t in self.tools))

    def new(self, spec: RunSpec, store: Store) -> Agent:
        model = ScriptedModel(self.script, by_step=True)
        self.models.append(model)
        limits = Limits(max_steps=spec.max_steps or len(self.script) + 1)
        return Agent(model, self.tools, limits=limits, store=store)

    def existing(self, run_id: str, config: Mapping[str, Any], store: Store) -> Agent:
        steps = config["limits"]["max_steps"]
        return self.new(RunSpec("", max_steps=steps), store)


@contextmanager
def served(
    store: Store, agents: ScriptedAgents, options: ServeOptions | None = None
) -> Iterator[str]:
    """The app on 127.0.0.1 and a free port, in a thread; yields its base URL."""
    app = create_app(store, agents, options or ServeOptions(token=TOKEN))
    listening = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, "the server to start")
    try:
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_for(condition: Callable[[], object], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@dataclass(frozen=True)
class Message:
    id: str | None
    event: str
    data: dict[str, Any]


def sse_messages(response: httpx.Response) -> Iterator[Message]:
    """The messages of a ``text/event-stream`` response (comments and pings left out)."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
            continue
        if "data" in fields:
            yield Message(
                fields.get("id"), fields.get("event", "message"), json.loads(fields["data"])
            )
        fields = {}


class Gate:
    """A tool that blocks until the test opens the gate, and counts its calls."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.calls = 0

    def tool(self) -> Tool:
        @tool
        def wait_here(label: str) -> str:
            """Wait until the gate opens."""
            self.calls += 1
            self.entered.set()
            assert self.opened.wait(30), "the test never opened the gate"
            return f"passed {label}"

        return wait_here


def approval_tool(calls: list[str]) -> Tool:
    @tool(needs_approval=True)
    def delete(path: str) -> str:
        """Delete a file."""
        calls.append(path)
        return f"deleted {path}"

    return delete


def run_view(base: str, run_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{base}/v1/runs/{run_id}", headers=AUTH)
    answer.raise_for_status()
    view: dict[str, Any] = answer.json()
    return view


def start(base: str, task: str = "go", **body: Any) -> str:
    answer = httpx.post(f"{base}/v1/runs", json={"task": task, **body}, headers=AUTH)
    assert answer.status_code == 201, answer.text
    run_id: str = answer.json()["id"]
    return run_id


HALF_WRITTEN = "hello brave new world"


class HalfWritten(ScriptedModel):
    """Starts writing on ``go``; streams its first word, then waits for ``more``."""

    def __init__(self, go: threading.Event, more: threading.Event) -> None:
        super().__init__([HALF_WRITTEN], by_step=True)
        self.go, self.more = go, more

    def stream(self, request: ModelRequest) -> Iterator[str | ModelResponse]:
        pieces = super().stream(request)
        assert self.go.wait(20), "the test never let the model write"
        yield next(pieces)
        assert self.more.wait(20), "the test never let the model go on"
        yield from pieces


class HalfWrittenAgents(ScriptedAgents):
    def __init__(self) -> None:
        super().__init__([HALF_WRITTEN])
        self.go, self.more = threading.Event(), threading.Event()

    def new(self, spec: RunSpec, store: Store) -> Agent:
        model = HalfWritten(self.go, self.more)
        return Agent(model, limits=Limits(max_steps=2), store=store)
