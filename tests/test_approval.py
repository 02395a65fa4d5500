"""Approvals: a ``needs_approval`` call pauses the run; a decision and a resume continue it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from autan import (
    Agent,
    ApprovalDecided,
    ApprovalRequested,
    AwaitingApproval,
    ConfigurationError,
    SQLiteStore,
    Tool,
    ToolResulted,
    tool,
)
from autan.cli import main
from autan.testing import ScriptedModel

WORKER = Path(__file__).with_name("approval_worker.py")
SCRIPT = [("delete", {"path": "/tmp/x"}), "done"]


def deleter(calls: list[str]) -> Tool:
    @tool(needs_approval=True)
    def delete(path: str) -> str:
        """Delete a file."""
        calls.append(path)
        return f"deleted {path}"

    return delete


def paused_run(store: SQLiteStore, calls: list[str]) -> tuple[Agent, str]:
    agent = Agent(ScriptedModel(SCRIPT, by_step=True), [deleter(calls)], store=store)
    with pytest.raises(AwaitingApproval) as paused:
        agent.run("clean up")
    assert paused.value.call.name == "delete"
    run_id = paused.value.result.run_id
    assert run_id is not None
    return agent, run_id


def test_a_call_that_needs_approval_pauses_the_run(tmp_path: Path) -> None:
    calls: list[str] = []
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        _, run_id = paused_run(store, calls)
        assert store.info(run_id).status == "awaiting_approval"
        assert isinstance(store.load(run_id)[-1], ApprovalRequested)
    assert calls == []


def test_approve_then_resume_runs_the_call_once(tmp_path: Path) -> None:
    calls: list[str] = []
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        agent, run_id = paused_run(store, calls)
        agent.approve(run_id)
        assert agent.resume(run_id).output == "done"
        assert agent.resume(run_id).output == "done"  # already answered: nothing runs again
        kinds = [e.kind for e in store.load(run_id)]
    assert calls == ["/tmp/x"]
    assert kinds.count("approval_decided") == 1


def test_a_denied_call_is_an_error_observation(tmp_path: Path) -> None:
    calls: list[str] = []
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        agent, run_id = paused_run(store, calls)
        agent.deny(run_id, "not that file")
        assert agent.resume(run_id).output == "done"
        events = store.load(run_id)
    assert calls == []
    decided = next(e for e in events if isinstance(e, ApprovalDecided))
    assert (decided.approved, decided.reason) == (False, "not that file")
    result = next(e for e in events if isinstance(e, ToolResulted))
    assert result.is_error
    assert result.output == "error: a person denied this call: not that file"


def test_resume_without_a_decision_pauses_again(tmp_path: Path) -> None:
    calls: list[str] = []
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        agent, run_id = paused_run(store, calls)
        before = len(store.load(run_id))
        with pytest.raises(AwaitingApproval):
            agent.resume(run_id)
        with pytest.raises(AwaitingApproval):
            asyncio.run(agent.aresume(run_id))
        assert len(store.load(run_id)) == before


def test_a_second_decision_is_refused(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        agent, run_id = paused_run(store, [])
        agent.approve(run_id)
        with pytest.raises(ConfigurationError, match="not waiting for an approval"):
            agent.deny(run_id)


def test_async_run_pauses_too(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        agent = Agent(ScriptedModel(SCRIPT, by_step=True), [deleter([])], store=store)
        with pytest.raises(AwaitingApproval):
            asyncio.run(agent.arun("clean up"))


def test_cli_approve_and_deny(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    with SQLiteStore() as store:
        _, run_id = paused_run(store, [])
    assert main(["runs", "list"]) == 0
    assert "awaiting_approval" in capsys.readouterr().out
    assert main(["runs", "deny", run_id[:6], "--reason", "no"]) == 0
    assert f"autan runs resume {run_id}" in capsys.readouterr().out
    assert main(["runs", "approve", run_id]) == 2
    assert "not waiting for an approval" in capsys.readouterr().err


def test_cli_hints_keep_the_store_and_say_what_is_approved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = str(tmp_path / "runs 2.sqlite3")
    with SQLiteStore(journal) as store:
        _, run_id = paused_run(store, [])
    runs = f"autan runs --store '{journal}'"
    assert main(["runs", "--store", journal, "show", run_id]) == 0
    shown = capsys.readouterr().out
    assert "? waits for approval" in shown
    assert f"waits for approval of delete(path='/tmp/x'): {runs} approve {run_id}" in shown
    assert main(["runs", "--store", journal, "deny", run_id, "--reason", "no"]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"denied delete(path='/tmp/x') (call call_1_0) of run {run_id}")
    assert said.strip().endswith(f"next: {runs} resume {run_id}")
    assert main(["runs", "--store", journal, "show", run_id]) == 0
    assert "✗ denied: no" in capsys.readouterr().out


def test_the_pause_line_names_the_call_and_the_store(capsys: pytest.CaptureFixture[str]) -> None:
    from autan.cli.display import EXIT_PAUSED, paused
    from autan.events import ApprovalRequested, ToolCalled
    from autan.messages import ToolCall

    events = [
        ToolCalled(1, ToolCall("c1", "delete", {"path": "x"})),
        ApprovalRequested(1, "c1", "delete", "r1:1:0"),
    ]
    assert paused("r1", events, "j.sqlite3") == EXIT_PAUSED
    line = capsys.readouterr().err
    assert "waits for approval of delete(path='x'): autan runs --store j.sqlite3 approve r1" in line
    assert line.strip().endswith("then autan runs --store j.sqlite3 resume r1")


def worker(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(WORKER), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def approval_across_processes(store: str, ledger: Path) -> None:
    """Process A pauses and exits; process B approves; process C resumes to the answer."""
    started = worker(store, str(ledger), "start")
    assert started.returncode == 3, started.stderr
    run_id = started.stdout.strip()
    assert not ledger.exists()
    approved = worker(store, str(ledger), "approve", run_id)
    assert approved.returncode == 0, approved.stderr
    assert not ledger.exists()
    resumed = worker(store, str(ledger), "resume", run_id)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == "sent"
    assert ledger.read_text() == "transfer 100\n"


def test_approval_across_processes_on_sqlite(tmp_path: Path) -> None:
    approval_across_processes(str(tmp_path / "j.sqlite3"), tmp_path / "ledger.txt")
