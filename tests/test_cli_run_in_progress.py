"""``autan runs`` tells a run in progress from an interrupted one, and ``runs resume`` refuses a
run that another ``autan run`` is running, then takes over once that process is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autan import SQLiteStore
from autan.cli import main
from fake_chat_server import FakeChatServer, Reply, completion

NATIVE = ("--tool-protocol", "native", "--quiet")
SRC = Path(__file__).resolve().parent.parent / "src"


def start_run(url: str, home: Path) -> subprocess.Popen[str]:
    spec = f"openai:m@{url}"
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autan",
            "run",
            "What is 37 * 91?",
            "--model",
            spec,
            "--tool-protocol",
            "native",
            "--quiet",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(SRC), "AUTAN_HOME": str(home)},
    )


def running_run(home: Path) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (home / "journal.sqlite3").exists():
            with SQLiteStore(home / "journal.sqlite3") as store:
                runs = store.runs()
            if runs and runs[0].status == "running":
                return runs[0].run_id
        time.sleep(0.05)
    raise AssertionError("the run never showed as running")


def test_resume_refuses_a_running_run_then_takes_over_a_killed_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    replies = [Reply(body=completion("3367"), delay=30), Reply(body=completion("3367"))]
    with FakeChatServer(replies) as server:
        first = start_run(server.url, tmp_path)
        try:
            run_id = running_run(tmp_path)
            assert main(["runs", "list"]) == 0
            assert " running " in capsys.readouterr().out
            assert main(["runs", "resume", run_id]) == 2
            err = capsys.readouterr().err
            assert err.startswith(f"autan: error: run {run_id} is in progress (pid {first.pid}, ")
            assert main(["runs", "show", run_id]) == 0
            assert f"running: pid {first.pid}, host " in capsys.readouterr().out
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        assert main(["runs", "list"]) == 0
        assert " interrupted " in capsys.readouterr().out
        assert main(["runs", "show", run_id]) == 0
        assert (
            f"interrupted: its process stopped before the run ended; autan runs resume {run_id}"
            in (capsys.readouterr().out)
        )
        assert main(["runs", "resume", run_id]) == 0
    assert capsys.readouterr().out.strip() == "3367"
    with SQLiteStore(tmp_path / "journal.sqlite3") as store:
        assert store.info(run_id).status == "completed"
        assert [e.kind for e in store.load(run_id)].count("model_request") == 1


def test_ctrl_c_leaves_an_interrupted_run_without_its_lease(tmp_path: Path) -> None:
    import io

    import pexpect

    replies = [Reply(body=completion("3367"), delay=30)]
    with FakeChatServer(replies) as server:
        argv = ["-m", "autan", "run", "What is 37 * 91?", "--model", f"openai:m@{server.url}"]
        child = pexpect.spawn(
            sys.executable,
            [*argv, "--tool-protocol", "native"],
            env={**os.environ, "PYTHONPATH": str(SRC), "AUTAN_HOME": str(tmp_path)},
            encoding="utf-8",
            timeout=60,
        )
        child.logfile_read = seen = io.StringIO()
        child.expect("evaluating the prompt")
        child.sendintr()
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus == 130
    assert "autan: interrupted" in seen.getvalue()
    assert "Traceback" not in seen.getvalue()
    assert "Exception ignored" not in seen.getvalue()
    with SQLiteStore(tmp_path / "journal.sqlite3") as store:
        (info,) = store.runs()
    assert info.status == "interrupted"
    assert info.lease is None
