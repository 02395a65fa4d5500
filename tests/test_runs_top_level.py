"""``autan runs list`` (and the server's ``GET /v1/runs``, and ``-c``) show the runs a user
started: child runs (``Agent.as_tool``), cascade tiers and a batch's lease record are part of
another run and are reached through it (``runs show PARENT``) or with ``--all``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from autan import Agent, Cascade, Limits
from autan.batching._batch import _record_batch_run
from autan.cli import main
from autan.cli.turns import last_answered
from autan.store import SQLiteStore
from autan.testing import ScriptedModel
from serve_support import AUTH, ScriptedAgents, served
from test_agent_tools import team

LOOPING = [("calculator", {"expression": "1 + 1"})] * 3


def _journal(path: Path) -> tuple[SQLiteStore, str, str]:
    """A cascade whose first tier ran out of steps, a batch's lease record, then a parent
    with two child runs: (the store, the cascade's id, the parent's id)."""
    store = SQLiteStore(path)
    small = Agent(ScriptedModel(LOOPING), limits=Limits(max_steps=1))
    cascade = Cascade([small, Agent(ScriptedModel(["2"]))], store=store)
    cascade_id = str(cascade.run("What is 1 + 1?").run_id)
    _record_batch_run(store, "batch-0123abcd", path.parent)
    parent, *_ = team(store)
    parent_id = str(parent.run("When does water boil, in F?").run_id)
    return store, cascade_id, parent_id


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[tuple[SQLiteStore, str, str]]:
    made = _journal(tmp_path / "journal.sqlite3")
    yield made
    made[0].close()


def _listed(path: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> list[str]:
    capsys.readouterr()
    assert main(["runs", "--store", str(path), "list", *flags]) == 0
    return [line.split()[0] for line in capsys.readouterr().out.splitlines()]


def test_runs_list_shows_the_runs_a_user_started(
    journal: tuple[SQLiteStore, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store, cascade_id, parent_id = journal
    assert _listed(store.path, capsys) == [parent_id, cascade_id]
    everything = _listed(store.path, capsys, "--all")
    children = [f"{parent_id}:1:0", f"{parent_id}:1:1"]
    tiers = [f"{cascade_id}-1", f"{cascade_id}-2"]
    expected = [parent_id, cascade_id, *children, *tiers, "batch-0123abcd"]
    assert sorted(everything) == sorted(expected)


def test_the_parent_is_recorded_not_parsed(journal: tuple[SQLiteStore, str, str]) -> None:
    store, cascade_id, parent_id = journal
    assert store.info(f"{parent_id}:1:1").parent == parent_id
    assert store.info(f"{cascade_id}-2").parent == cascade_id
    assert store.info(parent_id).parent is None
    assert store.info(parent_id).top_level
    assert not store.info("batch-0123abcd").top_level
    # a run of the user's whose metadata says "batch" is still the user's
    store.create_run("mine", {"task": "t", "batch": "nightly"})
    assert store.info("mine").top_level


def test_show_reaches_children_and_a_child_names_its_parent(
    journal: tuple[SQLiteStore, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store, cascade_id, parent_id = journal
    capsys.readouterr()
    assert main(["runs", "--store", str(store.path), "show", parent_id]) == 0
    shown = capsys.readouterr().out
    assert f"{parent_id}:1:0" in shown
    assert f"{parent_id}:1:1" in shown
    assert main(["runs", "--store", str(store.path), "show", f"{cascade_id}-1"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[0].startswith(f"{cascade_id}-1 ")
    assert first[1].startswith(f"part of run {cascade_id}: ")


def test_a_prefix_names_the_users_run_not_its_children(
    journal: tuple[SQLiteStore, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store, _, parent_id = journal
    capsys.readouterr()
    assert main(["runs", "--store", str(store.path), "show", parent_id[:-2]]) == 0
    assert capsys.readouterr().out.startswith(f"{parent_id} ")


def test_continue_picks_the_newest_answered_run_of_the_user(
    journal: tuple[SQLiteStore, str, str],
) -> None:
    """The children were created after their parent, and answered: ``-c`` is the parent's."""
    store, _, parent_id = journal
    assert last_answered(store) == parent_id


def test_top_level_runs_reads_past_many_children(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        store.create_run("p", {"task": "mine"})
        for index in range(9):
            store.create_run(f"p:1:{index}", {"task": "a child", "parent": {"run_id": "p"}})
        assert [info.run_id for info in store.top_level_runs(1)] == ["p"]
        assert len(store.runs(4)) == 4


def test_the_servers_list_shows_the_users_runs(journal: tuple[SQLiteStore, str, str]) -> None:
    store, cascade_id, parent_id = journal
    with served(store, ScriptedAgents(["ok"])) as url:
        page = httpx.get(f"{url}/v1/runs", headers=AUTH).json()
        everything = httpx.get(f"{url}/v1/runs?all=true&limit=200", headers=AUTH).json()
    assert [run["id"] for run in page["runs"]] == [parent_id, cascade_id]
    assert len(everything["runs"]) == 7


def test_the_mcp_servers_runs_resource_lists_the_users_runs(
    journal: tuple[SQLiteStore, str, str],
) -> None:
    import asyncio
    import json

    from autan.mcp_server import agent_server

    store, cascade_id, parent_id = journal
    server = agent_server(Agent(ScriptedModel(["ok"]), store=store))
    (content,) = asyncio.run(server.read_resource("autan://runs"))
    assert [run["run_id"] for run in json.loads(content.content)] == [parent_id, cascade_id]
