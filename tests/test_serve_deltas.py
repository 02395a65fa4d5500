"""Text deltas over Server-Sent Events: the model's text as it is written, live only (no
``id``, never replayed); a reconnecting client gets the journal's events by ``Last-Event-ID``."""

from __future__ import annotations

from pathlib import Path

import httpx

from autan import SQLiteStore
from serve_support import AUTH, HALF_WRITTEN, HalfWrittenAgents, served, sse_messages, start


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
    assert "".join(m.data["text"] for m in deltas) == HALF_WRITTEN
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
