"""A journal is input too: a row of valid JSON with values of the wrong types, JSON nested deeper
than the parser's recursion, or a file that several processes open at once is a ``StoreError``
(one line, exit 1 at the CLI) or simply works; never a traceback."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from autan import SQLiteStore
from autan.cli import main
from autan.errors import StoreError
from autan.events import Event
from fake_chat_server import FakeChatServer, Reply, completion, function_call

CALC = function_call("c1", "calculator", {"expression": "37 * 91"})
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A journal of one ``autan run`` (a call, its result, the answer), and the run's id."""
    home = tmp_path_factory.mktemp("home")
    path = home / "journal.sqlite3"
    replies = [Reply(body=completion(tool_calls=[CALC])), Reply(body=completion("3367"))]
    with FakeChatServer(replies) as server:
        spec = f"openai:m@{server.url}"
        argv = ["run", "37 * 91?", "--model", spec, "--store", str(path), "--quiet"]
        assert main([*argv, "--tool-protocol", "native"]) == 0
    with SQLiteStore(path) as store:
        (info,) = store.runs()
    return path, info.run_id


def copy_with(journal: tuple[Path, str], tmp_path: Path, seq: int, change: dict[str, Any]) -> Path:
    """A copy of the journal whose event ``seq`` has ``change`` merged into its JSON (a key
    ``"a.b"`` sets ``b`` inside ``a``), without its final answer (so that resume goes on)."""
    path = tmp_path / "journal.sqlite3"
    shutil.copy(journal[0], path)
    with sqlite3.connect(path) as db:
        (data,) = db.execute("SELECT data FROM events WHERE seq = ?", (seq,)).fetchone()
        value = json.loads(data)
        for key, new in change.items():
            *outer, last = key.split(".")
            target = value
            for part in outer:
                target = target[int(part)] if isinstance(target, list) else target[part]
            target[last] = new
        db.execute("UPDATE events SET data = ? WHERE seq = ?", (json.dumps(value), seq))
        db.execute("DELETE FROM events WHERE type = 'final_answer'")
    return path


def one_line_failure(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1
    assert err.startswith("autan: error: ")
    return err


# Each was a traceback in runs show, resume or replay: the loop or the timeline used the value.
WRONG_TYPES = [
    (2, {"text": 5}),
    (2, {"usage.reasoning_tokens": None}),
    (2, {"cost_usd": None}),
    (2, {"tool_calls.0.name": ["calculator"]}),
    (2, {"step": "1"}),
    (3, {"call.name": ["calculator"]}),
    (1, {"tool_choice": "sometimes"}),
    (5, {"output": {"a": 1}}),
    (5, {"seconds": "fast"}),
    (5, {"is_error": 0}),
]


@pytest.mark.parametrize(("seq", "change"), WRONG_TYPES)
@pytest.mark.parametrize("command", ["show", "resume", "replay"])
def test_an_event_with_a_value_of_the_wrong_type_is_a_store_error(
    journal: tuple[Path, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    seq: int,
    change: dict[str, Any],
    command: str,
) -> None:
    path = copy_with(journal, tmp_path, seq, change)
    err = one_line_failure(["runs", "--store", str(path), command, journal[1]], capsys)
    assert "unreadable" in err


@pytest.mark.parametrize("command", ["show", "export", "resume"])
def test_an_event_nested_too_deep_is_a_store_error(
    journal: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = copy_with(journal, tmp_path, 3, {})
    with sqlite3.connect(path) as db:
        db.execute("UPDATE events SET data = ? WHERE seq = 3", (DEEP,))
    err = one_line_failure(["runs", "--store", str(path), command, journal[1]], capsys)
    assert "nested too deep" in err


@pytest.mark.parametrize("command", ["list", "show", "export", "resume"])
def test_a_run_config_nested_too_deep_is_a_store_error(
    journal: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = copy_with(journal, tmp_path, 0, {})
    with sqlite3.connect(path) as db:
        db.execute("UPDATE runs SET config = ?", ('{"task": ' + DEEP + "}",))
    argv = ["runs", "--store", str(path), command, *([journal[1]] if command != "list" else [])]
    assert "nested too deep" in one_line_failure(argv, capsys)


def test_events_are_rebuilt_only_from_values_of_their_declared_types() -> None:
    usage = {"prompt_tokens": 1, "completion_tokens": 2}
    calls = [{"id": "c", "name": "f", "arguments": {"x": [1]}}]
    good = {"type": "model_response", "step": 1, "text": "", "tool_calls": calls, "usage": usage}
    event = Event.from_dict({**good, "seconds": 0})
    assert event.to_dict()["seconds"] == 0.0
    assert Event.from_dict(event.to_dict()) == event  # tuples as they are, before any JSON
    for bad in (
        {"seconds": True},
        {"seconds": 0, "step": True},
        {"seconds": 0, "usage": [1, 2]},
        {"seconds": 0, "tool_calls": {"id": "c"}},
        {"seconds": 0, "tool_calls": [{"id": "c", "name": "f", "arguments": [1]}]},
        {"seconds": 0, "reasoning": None},
    ):
        with pytest.raises(ValueError, match="malformed model_response"):
            Event.from_dict({**good, **bad})


def test_opening_waits_for_a_peer_that_holds_the_write_lock_of_a_new_journal(
    tmp_path: Path,
) -> None:
    """What four ``autan run`` starting at once on a new journal did to each other: a peer
    holding the write lock made the switch to WAL fail at once with "database is locked"."""
    path = tmp_path / "journal.sqlite3"
    peer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    peer.execute("CREATE TABLE other (x)")
    peer.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: peer.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    try:
        with SQLiteStore(path) as store:
            store.create_run("r1", {"task": "t"})
    finally:
        release.join()
        peer.close()
    assert time.monotonic() - started >= 0.2


def test_a_lock_held_past_the_busy_timeout_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autan.store import _sqlite

    monkeypatch.setattr(_sqlite, "BUSY_SECONDS", 0.2)
    path = tmp_path / "journal.sqlite3"
    peer = sqlite3.connect(path, isolation_level=None)
    peer.execute("CREATE TABLE other (x)")
    peer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="database is locked"):
            SQLiteStore(path)
    finally:
        peer.close()
