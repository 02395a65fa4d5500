"""Journaling and resume in one process: a simulated death at every point, then ``resume``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from autan import (
    Agent,
    ConfigurationError,
    Event,
    FinalAnswer,
    Limits,
    ResumeNeedsDecision,
    RunError,
    SQLiteStore,
    ToolStarted,
    idempotency_key,
    tool,
)
from autan.testing import ScriptedModel

SCRIPT = [("note", {"text": f"step {n}"}) for n in range(1, 4)] + ["noted 3"]


class Died(BaseException):
    """Stands in for SIGKILL: nothing in autan catches it."""


class DyingStore(SQLiteStore):
    """Dies instead of appending event number ``die_at``."""

    def __init__(self, path: Path, die_at: int) -> None:
        super().__init__(path)
        self.die_at = die_at
        self.appended = 0

    def append(self, run_id: str, seq: int, event: Event, lease: str | None = None) -> None:
        if self.appended == self.die_at:
            raise Died
        super().append(run_id, seq, event, lease)
        self.appended += 1


class Ledger:
    """A side effect with an idempotency key: each key is written once."""

    def __init__(self) -> None:
        self.entries: dict[str, str] = {}
        self.calls = 0
        self.die_after_effect = False

    def tool(self, idempotent: bool) -> Any:
        @tool(idempotent=idempotent)
        def note(text: str) -> str:
            """Write text to the ledger."""
            self.calls += 1
            key = idempotency_key()
            assert key is not None
            self.entries.setdefault(key, text)
            if self.die_after_effect:
                self.die_after_effect = False
                raise Died
            return f"noted {text}"

        return note


def agent(store: SQLiteStore, ledger: Ledger, idempotent: bool = True, **kw: Any) -> Agent:
    model = ScriptedModel(kw.pop("script", SCRIPT), by_step=True)
    return Agent(model, tools=[ledger.tool(idempotent)], store=store, **kw)


def run_id_of(store: SQLiteStore) -> str:
    return store.runs()[0].run_id


def test_a_run_returns_its_id_and_the_journal_holds_its_events(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    result = agent(store, Ledger()).run("take notes")
    assert result.run_id is not None
    assert tuple(store.load(result.run_id)) == result.events
    assert store.info(result.run_id).config["tools"] == ["note"]


def test_a_run_without_a_store_has_an_id_and_keys_for_its_calls() -> None:
    ledger = Ledger()
    result = Agent(ScriptedModel(SCRIPT), tools=[ledger.tool(True)]).run("t")
    assert sorted(ledger.entries) == [f"{result.run_id}:{n}:0" for n in (1, 2, 3)]
    assert idempotency_key() is None


def test_tool_started_precedes_each_tool_run(tmp_path: Path) -> None:
    result = agent(SQLiteStore(tmp_path / "j.sqlite3"), Ledger()).run("t")
    started = [e for e in result.events if isinstance(e, ToolStarted)]
    assert [e.key for e in started] == [f"{result.run_id}:{n}:0" for n in (1, 2, 3)]


def complete_run_kinds(tmp_path: Path) -> list[str]:
    result = agent(SQLiteStore(tmp_path / "reference.sqlite3"), Ledger()).run("t")
    return [e.kind for e in result.events]


def test_death_before_any_append_then_resume_completes_exactly_once(tmp_path: Path) -> None:
    expected = complete_run_kinds(tmp_path)
    for die_at in range(1, len(expected)):
        path = tmp_path / f"j{die_at}.sqlite3"
        ledger = Ledger()
        with pytest.raises(Died):
            agent(DyingStore(path, die_at), ledger).run("t")
        store = SQLiteStore(path)
        result = agent(store, ledger).resume(run_id_of(store))
        assert result.output == "noted 3"
        assert [e.kind for e in store.load(run_id_of(store))] == expected
        assert sorted(ledger.entries.values()) == ["step 1", "step 2", "step 3"]


def test_completed_calls_are_replayed_not_repeated(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    ledger = Ledger()
    with pytest.raises(Died):
        agent(DyingStore(path, die_at=12), ledger).run("t")  # during step 3
    calls_before = ledger.calls
    store = SQLiteStore(path)
    resumed = agent(store, ledger)
    resumed.resume(run_id_of(store))
    assert ledger.calls == calls_before + 1
    assert isinstance(resumed.model, ScriptedModel)
    assert len(resumed.model.requests) == 2  # steps 3 and 4; steps 1 and 2 were replayed


def test_idempotent_tool_that_died_after_its_effect_runs_again_with_the_same_key(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    ledger = Ledger()
    ledger.die_after_effect = True
    with pytest.raises(Died):
        agent(store, ledger).run("t")
    agent(store, ledger).resume(run_id_of(store))
    assert ledger.calls == 4
    assert sorted(ledger.entries.values()) == ["step 1", "step 2", "step 3"]


def test_a_non_idempotent_started_call_stops_the_resume_for_a_decision(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    ledger = Ledger()
    ledger.die_after_effect = True
    with pytest.raises(Died):
        agent(store, ledger, idempotent=False).run("t")
    run_id = run_id_of(store)
    before = store.load(run_id)
    with pytest.raises(ResumeNeedsDecision) as caught:
        agent(store, ledger, idempotent=False).resume(run_id)
    assert caught.value.call.name == "note"
    assert caught.value.key == f"{run_id}:1:0"
    assert caught.value.result.events == tuple(before)
    assert store.load(run_id) == before
    assert ledger.calls == 1


def test_a_non_idempotent_call_that_never_started_just_runs(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    ledger = Ledger()
    with pytest.raises(Died):
        agent(DyingStore(path, die_at=4), ledger, idempotent=False).run("t")  # at ToolStarted
    store = SQLiteStore(path)
    assert agent(store, ledger, idempotent=False).resume(run_id_of(store)).output == "noted 3"
    assert ledger.calls == 3


def test_resuming_a_finished_run_returns_it_without_calls(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    done = agent(store, Ledger()).run("t")
    assert done.run_id is not None
    again = agent(store, Ledger(), script=[]).resume(done.run_id)
    assert (again.output, again.events) == (done.output, done.events)
    assert isinstance(again.events[-1], FinalAnswer)


def test_resuming_a_failed_run_raises(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    with pytest.raises(RunError):
        agent(store, Ledger(), limits=Limits(max_steps=1)).run("t")
    with pytest.raises(RunError, match="already ended: LimitExceeded"):
        agent(store, Ledger()).resume(run_id_of(store))


def test_resume_refuses_an_agent_that_does_not_match_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with pytest.raises(Died):
        agent(DyingStore(path, die_at=8), Ledger()).run("t")
    store = SQLiteStore(path)
    other = Agent(ScriptedModel(SCRIPT, by_step=True), tools=[], store=store)
    with pytest.raises(ConfigurationError, match="does not replay"):
        other.resume(run_id_of(store))


def test_resume_needs_a_store_and_a_known_run(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="store"):
        Agent(ScriptedModel([])).resume("x")
    with pytest.raises(ConfigurationError, match="no run"):
        agent(SQLiteStore(tmp_path / "j.sqlite3"), Ledger()).resume("x")


def test_aresume_and_arun_journal_like_their_sync_twins(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    ledger = Ledger()
    with pytest.raises(Died):
        asyncio.run(agent(DyingStore(path, die_at=9), ledger).arun("t"))
    store = SQLiteStore(path)
    result = asyncio.run(agent(store, ledger).aresume(run_id_of(store)))
    assert result.output == "noted 3"
    assert sorted(ledger.entries.values()) == ["step 1", "step 2", "step 3"]


def test_stream_journals_events_but_not_text_deltas(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    streamed = list(agent(store, Ledger()).stream("t"))
    journaled = store.load(run_id_of(store))
    assert journaled == [e for e in streamed if e.kind != "text_delta"]
    assert len(streamed) > len(journaled)


def test_a_run_that_died_before_its_first_event_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    ledger = Ledger()
    with pytest.raises(Died):
        agent(DyingStore(path, die_at=0), ledger).run("t")
    store = SQLiteStore(path)
    assert store.runs()[0].events == 0
    assert agent(store, ledger).resume(run_id_of(store)).output == "noted 3"
    assert ledger.calls == 3
