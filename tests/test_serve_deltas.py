"""Text deltas over Server-Sent Events: the model's text as it is written, live only (no
``id``, never replayed); a reconnecting client gets the journal's events by ``Last-Event-ID``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx

from autan import Agent, Limits, SQLiteStore
from autan.messages import ModelRequest, ModelResponse
from autan.serve import RunSpec
from autan.store import Store
from autan.testing import ScriptedModel
from serve_support import AUTH, ScriptedAgents, served, sse_messages, start

ANSWER = "hello brave new world"


class HalfWritten(ScriptedModel):
    """Starts writing on ``go``; streams its first word, then waits for ``more``."""

    def __init__(self, go: threading.Event, more: threading.Event) -> None:
        super().__init__([ANSWER], by_step=True)
        self.go, self.more = go, more

    def stream(self, request: ModelRequest) -> Iterator[str | ModelResponse]:
        pieces = super().stream(request)
        assert self.go.wait(20), "the test never let the model write"
        yield next(pieces)
        assert self.more.wait(20), "the test never let the model go on"
        yield from pieces


class HalfWrittenAgents(ScriptedAgents):
    def __init__(self) -> None:
        super().__init__([ANSWER])
        self.go, self.more = threading.Event(), threading.Event()

    def new(self, spec: RunSpec, store: Store) -> Agent:
        model = HalfWritten(self.go, self.more)
        return Agent(model, limits=Limits(max_steps=2), store=store)


def test_deltas_come_live_before_their_step_and_are_never_replayed(tmp_path: Path) -> None:
    agents = HalfWrittenAgents()
    with SQLiteStore(tmp_path / "journal.sqlite3") as store, served(store, agents) as base:
        run_id = start(base, "greet")
        url = f"{base}/v1/runs/{run_id}/events"
        seen = []
        with httpx.stream("GET", url, params={"deltas": "true"}, headers=AUTH) as stream:
            for message in sse_messages(stream):
                seen.append(message)
                if message.event == "model_request":
                    agents.go.set()  # this client follows the run: the model may write
                if message.event == "text_delta":
                    agents.more.set()  # the first word came while the model was writing
        last_journaled = next(m.id for m in reversed(seen[:2]) if m.id is not None)
        again = {**AUTH, "Last-Event-ID": last_journaled}
        with httpx.stream("GET", url, params={"deltas": "true"}, headers=again) as stream:
            replayed = list(sse_messages(stream))
        journal = store.load(run_id)
    deltas = [m for m in seen if m.event == "text_delta"]
    assert "".join(m.data["text"] for m in deltas) == ANSWER
    assert all(m.id is None and m.data["step"] == 1 for m in deltas)
    kinds = [m.event for m in seen]
    assert kinds.index("text_delta") > kinds.index("model_request")
    assert max(n for n, k in enumerate(kinds) if k == "text_delta") < kinds.index("model_response")
    journaled = [m for m in seen if m.id is not None]
    assert [m.event for m in journaled] == [e.kind for e in journal]
    assert [m.id for m in journaled] == [str(n) for n in range(len(journal))]
    assert [m.id for m in replayed] == [
        str(n) for n in range(int(last_journaled) + 1, len(journal))
    ]


def test_without_asking_there_are_no_deltas(tmp_path: Path) -> None:
    agents = HalfWrittenAgents()
    agents.go.set()
    agents.more.set()
    with SQLiteStore(tmp_path / "journal.sqlite3") as store, served(store, agents) as base:
        run_id = start(base, "greet")
        with httpx.stream("GET", f"{base}/v1/runs/{run_id}/events", headers=AUTH) as stream:
            kinds = [m.event for m in sse_messages(stream)]
    assert "text_delta" not in kinds
    assert kinds[-1] == "final_answer"
