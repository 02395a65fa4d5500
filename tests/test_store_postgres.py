"""The PostgreSQL store: the store's contract, concurrent appends, approvals across processes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from autan import Agent, ConfigurationError, StoreError
from autan.store import PostgresStore, open_store
from autan.store._postgres import redact
from autan.testing import ScriptedModel
from autan.tools.calculator import calculator
from postgres_server import schema_url
from test_approval import approval_across_processes
from test_store import EVENTS


@pytest.fixture
def url() -> Iterator[str]:
    yield from schema_url()


@pytest.fixture
def store(url: str) -> Iterator[PostgresStore]:
    opened = open_store(url)
    assert isinstance(opened, PostgresStore)
    with opened:
        yield opened


def test_a_run_round_trips_through_the_store(store: PostgresStore) -> None:
    store.create_run("r1", {"task": "t", "model": "scripted"})
    for seq, event in enumerate(EVENTS):
        store.append("r1", seq, event)
    assert store.load("r1") == EVENTS
    info = store.info("r1")
    assert (info.run_id, info.events, info.last_event, info.status) == ("r1", 9, "error", "failed")
    assert info.config == {"task": "t", "model": "scripted"}


def test_runs_are_listed_newest_first_with_their_status(store: PostgresStore) -> None:
    for run_id, events in (("a", EVENTS[:2]), ("b", [*EVENTS[:2], EVENTS[7]]), ("c", [])):
        store.create_run(run_id, {})
        for seq, event in enumerate(events):
            store.append(run_id, seq, event)
    listed = store.runs()
    assert [r.run_id for r in listed] == ["c", "b", "a"]
    assert [r.status for r in listed] == ["interrupted", "completed", "interrupted"]
    assert [r.run_id for r in store.runs(limit=1)] == ["c"]


def test_an_event_position_can_be_taken_only_once(store: PostgresStore) -> None:
    store.create_run("r1", {})
    store.append("r1", 0, EVENTS[0])
    with pytest.raises(StoreError, match="event 0"):
        store.append("r1", 0, EVENTS[1])
    with pytest.raises(StoreError):
        store.append("nope", 0, EVENTS[0])
    with pytest.raises(ConfigurationError, match="no run 'nope'"):
        store.load("nope")


def test_concurrent_appends_to_one_position_have_one_winner(url: str) -> None:
    with open_store(url) as store:
        store.create_run("r1", {})
    wins: list[int] = []

    def contend(worker: int) -> None:
        with open_store(url) as mine:
            for seq in range(20):
                try:
                    mine.append("r1", seq, EVENTS[1])
                    wins.append(seq)
                except StoreError:
                    pass

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == list(range(20))
    with open_store(url) as store:
        assert len(store.load("r1")) == 20


def test_an_agent_journals_and_resumes_on_postgres(store: PostgresStore) -> None:
    model = ScriptedModel([("calculator", {"expression": "37 * 91"}), "3367"])
    result = Agent(model, [calculator], store=store).run("What is 37 * 91?")
    assert result.run_id is not None
    assert store.info(result.run_id).status == "completed"
    again = Agent(ScriptedModel([]), [calculator], store=store).resume(result.run_id)
    assert again.output == "3367"


def test_two_connections_create_the_tables_once(url: str) -> None:
    with open_store(url), open_store(url) as second:
        assert second.runs() == []


def test_the_password_never_shows(url: str) -> None:
    assert redact("postgresql://u:secret@h:5/db") == "postgresql://u:***@h:5/db"
    with pytest.raises(StoreError) as failed:
        open_store("postgresql://autan:secret-pw@127.0.0.1:1/none")
    assert "secret-pw" not in str(failed.value)


def test_approval_across_processes_on_postgres(url: str, tmp_path: Path) -> None:
    approval_across_processes(url, tmp_path / "ledger.txt")


def test_cli_run_resume_and_replay_on_postgres(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from autan.cli import main
    from fake_chat_server import FakeChatServer, Reply, completion, function_call

    call = function_call("c1", "calculator", {"expression": "37 * 91"})
    replies = [Reply(body=completion(tool_calls=[call])), Reply(body=completion("3367"))]
    with FakeChatServer(replies) as server:
        spec = f"openai:m@{server.url}"
        argv = ["run", "37 * 91?", "--model", spec, "--tool-protocol", "native", "--store", url]
        assert main([*argv, "--quiet"]) == 0
    with open_store(url) as store:
        (info,) = store.runs()
    capsys.readouterr()
    assert main(["runs", "--store", url, "resume", info.run_id[:6]]) == 0  # already answered
    assert capsys.readouterr().out.strip() == "3367"
    assert main(["runs", "--store", url, "replay", info.run_id]) == 0
    assert capsys.readouterr().out.startswith("same:")
