"""The SQLite journal store: round trips, summaries, versions, location, refusal of bad data."""

from __future__ import annotations

import json
import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autan import (
    ConfigurationError,
    Event,
    FinalAnswer,
    ModelRequested,
    ModelResponded,
    RunFailed,
    RunStarted,
    SQLiteStore,
    StoreError,
    TextDelta,
    ToolCall,
    ToolCalled,
    ToolResulted,
    ToolStarted,
    Usage,
)
from autan.store import autan_home, default_journal_path, open_store

CALL = ToolCall("call_1_0", "calculator", {"expression": "37 * 91", "nested": [1, {"a": None}]})
EVENTS: list[Event] = [
    RunStarted("What is 37 * 91? — ünïcode", "scripted", ("calculator", "read_file")),
    ModelRequested(1, 2, "auto"),
    TextDelta(1, "piece"),
    ModelResponded(1, "", (CALL,), Usage(10, 5, 3), 0.25),
    ToolCalled(1, CALL),
    ToolStarted(1, CALL.id, CALL.name, "run:1:0"),
    ToolResulted(1, CALL.id, CALL.name, "3367", False, 0.001),
    FinalAnswer(2, "3367"),
    RunFailed("LimitExceeded", "limit max_steps=1 reached"),
]


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with SQLiteStore(tmp_path / "journal.sqlite3") as opened:
        yield opened


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.kind)
def test_every_event_survives_a_json_round_trip(event: Event) -> None:
    assert Event.from_dict(json.loads(json.dumps(event.to_dict()))) == event


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(), json_values, max_size=4), st.text())
def test_tool_call_arguments_of_any_json_shape_round_trip(
    arguments: dict[str, Any], text: str
) -> None:
    event = ModelResponded(3, text, (ToolCall("id", "name", arguments),), Usage(1, 2, 0), 0.5)
    assert Event.from_dict(json.loads(json.dumps(event.to_dict()))) == event


def test_unknown_or_malformed_events_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        Event.from_dict({"type": "os.system", "step": 1})
    with pytest.raises(ValueError, match="malformed"):
        Event.from_dict({"type": "final_answer", "step": 1})
    with pytest.raises(ValueError, match="malformed"):
        Event.from_dict({"type": "tool_call", "step": 1, "call": "not a call"})


def test_a_run_round_trips_through_the_store(store: SQLiteStore) -> None:
    store.create_run("r1", {"task": "t", "model": "scripted"})
    for seq, event in enumerate(EVENTS):
        store.append("r1", seq, event)
    assert store.load("r1") == EVENTS
    info = store.info("r1")
    assert (info.run_id, info.events, info.last_event, info.status) == ("r1", 9, "error", "failed")
    assert info.config == {"task": "t", "model": "scripted"}


def test_runs_are_listed_newest_first_with_their_status(store: SQLiteStore) -> None:
    for run_id, events in (("a", EVENTS[:2]), ("b", [*EVENTS[:2], EVENTS[7]]), ("c", [])):
        store.create_run(run_id, {})
        for seq, event in enumerate(events):
            store.append(run_id, seq, event)
    listed = store.runs()
    assert [r.run_id for r in listed] == ["c", "b", "a"]
    assert [r.status for r in listed] == ["interrupted", "completed", "interrupted"]
    assert [r.events for r in listed] == [0, 3, 2]
    assert [r.run_id for r in store.runs(limit=1)] == ["c"]


def test_an_event_position_can_be_taken_only_once(store: SQLiteStore) -> None:
    store.create_run("r1", {})
    store.append("r1", 0, EVENTS[0])
    with pytest.raises(StoreError, match="event 0"):
        store.append("r1", 0, EVENTS[1])


def test_events_of_an_unknown_run_are_refused(store: SQLiteStore) -> None:
    with pytest.raises(StoreError):
        store.append("nope", 0, EVENTS[0])
    with pytest.raises(ConfigurationError, match="no run 'nope'"):
        store.load("nope")


def test_the_file_is_in_wal_mode_and_passes_integrity_check(store: SQLiteStore) -> None:
    store.create_run("r1", {})
    store.append("r1", 0, EVENTS[0])
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_synchronous_full_is_accepted_and_anything_else_refused(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "full.sqlite3", synchronous="FULL").close()
    with pytest.raises(ConfigurationError, match="synchronous"):
        SQLiteStore(tmp_path / "x.sqlite3", synchronous="OFF")  # type: ignore[arg-type]


def _write_row(path: Path, schema: int, kind: str, data: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO events VALUES ('r1', 0, ?, ?, ?)", (kind, schema, data))


def test_rows_from_a_newer_schema_are_refused_not_guessed(store: SQLiteStore) -> None:
    store.create_run("r1", {})
    _write_row(store.path, 99, "final_answer", '{"type":"final_answer","step":1,"output":"x"}')
    with pytest.raises(StoreError, match="schema 99"):
        store.load("r1")


def test_a_pickle_in_the_journal_is_data_never_code(store: SQLiteStore, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Exploit(str(marker)), protocol=0).decode("latin-1")
    store.create_run("r1", {})
    _write_row(store.path, 1, "final_answer", payload)
    with pytest.raises(StoreError, match="unreadable"):
        store.load("r1")
    assert not marker.exists()


class _Exploit:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (Path(self.path),))


def test_a_journal_from_a_newer_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(path)


def test_default_location_follows_autan_home_then_xdg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path / "home"))
    assert default_journal_path() == tmp_path / "home" / "journal.sqlite3"
    with open_store() as store:
        assert isinstance(store, SQLiteStore)
        assert store.path.exists()
    monkeypatch.delenv("AUTAN_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert autan_home() == tmp_path / "data" / "autan"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/is/ignored")
    assert autan_home() == Path.home() / ".local" / "share" / "autan"


def test_a_url_that_is_not_a_file_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unsupported store"):
        open_store("mysql://localhost/autan")


def test_an_agent_without_a_store_does_not_load_sqlite() -> None:
    code = (
        "import sys; from autan import Agent; from autan.testing import ScriptedModel; "
        "Agent(ScriptedModel(['x'])).run('t'); print('sqlite3' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_must_exist_opens_only_a_journal_that_is_there(tmp_path: Path) -> None:
    missing = tmp_path / "sub" / "j.sqlite3"
    with pytest.raises(ConfigurationError, match="no journal at"):
        open_store(missing, must_exist=True)
    assert not missing.parent.exists()
    with open_store(missing) as store:
        store.create_run("r1", {})
    with open_store(missing, must_exist=True) as store:
        assert [info.run_id for info in store.runs()] == ["r1"]


def test_a_file_that_is_not_sqlite_or_a_directory_is_bad_input(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database " * 20)
    with pytest.raises(ConfigurationError, match="is not a journal"):
        SQLiteStore(notes)
    with pytest.raises(ConfigurationError, match="is a directory"):
        SQLiteStore(tmp_path)
