"""Two servers on one store: a run one server holds (running, or queued in its pool) has that
server's lease, so the other neither resumes it on start nor writes to its journal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from autan import Agent, Limits, SQLiteStore, Tool
from autan.serve import Offered, RunSpec, ServeOptions
from autan.store import Store
from autan.testing import ScriptedModel, Turn
from serve_support import AUTH, TOKEN, Gate, approval_tool, run_view, served, start, wait_for


class ScriptPerTask:
    """A ``ScriptedModel`` on the script named by the run's task, with ``tools``."""

    def __init__(self, scripts: Mapping[str, Sequence[Turn]], tools: Sequence[Tool]) -> None:
        self.scripts = scripts
        self.tools = list(tools)

    def offered(self) -> Offered:
        return Offered(tuple(t.name for t in self.tools))

    def new(self, spec: RunSpec, store: Store) -> Agent:
        script = self.scripts[spec.task]
        model = ScriptedModel(script, by_step=True)
        return Agent(model, self.tools, limits=Limits(max_steps=len(script) + 1), store=store)

    def existing(self, run_id: str, config: Mapping[str, Any], store: Store) -> Agent:
        return self.new(RunSpec(config["task"]), store)


SCRIPTS = {
    "wait": [("wait_here", {"label": "a"}), "waited"],
    "delete": [("delete", {"path": "/tmp/x"}), "deleted"],
}


def test_a_second_server_does_not_resume_a_run_the_first_has_queued(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    gate, deleted_by_first, deleted_by_second = Gate(), [], []
    first = ScriptPerTask(SCRIPTS, [gate.tool(), approval_tool(deleted_by_first)])
    second = ScriptPerTask(SCRIPTS, [Gate().tool(), approval_tool(deleted_by_second)])
    one_worker = ServeOptions(token=TOKEN, workers=1)
    with SQLiteStore(journal) as store_a, served(store_a, first, one_worker) as a:
        paused = start(a, "delete")
        wait_for(lambda: run_view(a, paused)["status"] == "awaiting_approval", "the pause")
        busy = start(a, "wait")
        assert gate.entered.wait(20)  # the one worker is busy
        assert httpx.post(f"{a}/v1/runs/{paused}/approve", headers=AUTH).status_code == 202
        assert run_view(a, paused)["status"] == "queued"  # approved, waiting for the worker
        with SQLiteStore(journal) as store_b, served(store_b, second) as b:
            assert run_view(b, paused)["status"] == "running"  # held by the first server
            assert run_view(b, busy)["status"] == "running"
        gate.opened.set()
        wait_for(lambda: run_view(a, paused)["status"] == "completed", "the approved run")
        wait_for(lambda: run_view(a, busy)["status"] == "completed", "the other run")
    assert deleted_by_second == []  # the second server never drove the first one's run
    assert deleted_by_first == ["/tmp/x"]


def test_a_second_server_refuses_to_write_to_a_run_the_first_is_running(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    gate = Gate()
    agents = ScriptPerTask(SCRIPTS, [gate.tool(), approval_tool([])])
    with SQLiteStore(journal) as store_a, served(store_a, agents) as a:
        run_id = start(a, "wait")
        assert gate.entered.wait(20)
        before = len(store_a.load(run_id))
        with SQLiteStore(journal) as store_b, served(store_b, agents) as b:
            answers = {
                verb: httpx.post(f"{b}/v1/runs/{run_id}/{verb}", headers=AUTH)
                for verb in ("cancel", "resume", "approve")
            }
        assert len(store_a.load(run_id)) == before  # nothing written by the second server
        gate.opened.set()
        wait_for(lambda: run_view(a, run_id)["status"] == "completed", "the answer")
    for verb, answer in answers.items():
        assert answer.status_code == 409, (verb, answer.text)
    assert "is in progress" in answers["cancel"].json()["detail"]


def test_the_server_uses_only_the_public_names_of_other_rooms() -> None:
    """``autan.serve`` is an edge: it uses the public API (``autan.store``, not its
    ``_lease``)."""
    import ast

    import autan.serve

    private = []
    for path in Path(autan.serve.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if (
                    parts[0] == "autan"
                    and parts[1] != "serve"
                    and any(p[0] == "_" for p in parts[2:])
                ):
                    private.append(f"{path.name}: {node.module}")
    assert private == []
