"""``autan.sandbox.run_python`` and ``autan sandbox run``: results, limits, the CLI, under each
kind of sandbox (bubblewrap, Landlock + seccomp)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autan.cli import main
from autan.errors import ConfigurationError
from autan.sandbox import SandboxLimits, run_python

FAST = SandboxLimits(timeout=3, cpu_seconds=2, memory_mb=256)

pytestmark = pytest.mark.usefixtures("sandbox_kind")  # each test once per kind of sandbox


def test_stdout_stderr_and_a_result_variable() -> None:
    done = run_python(
        "import sys\nprint('hi')\nprint('oops', file=sys.stderr)\nresult = [1, {'a': 2}]"
    )
    assert (done.stdout, done.stderr, done.exit_code) == ("hi\n", "oops\n", 0)
    assert done.result == [1, {"a": 2}]
    assert done.has_result
    assert not done.timed_out
    assert not done.killed


def test_final_answer_ends_the_snippet() -> None:
    done = run_python("final_answer({'x': 1})\nprint('not reached')", limits=FAST)
    assert done.result == {"x": 1}
    assert done.stdout == ""


def test_an_exception_is_exit_1_with_its_traceback() -> None:
    done = run_python("raise ValueError('bad')", limits=FAST)
    assert done.exit_code == 1
    assert "ValueError: bad" in done.stderr
    assert not done.has_result


def test_sys_exit_code_is_kept() -> None:
    assert run_python("import sys; sys.exit(3)", limits=FAST).exit_code == 3


def test_a_result_that_is_not_json_is_an_error_not_a_pickle() -> None:
    done = run_python("result = object()", limits=FAST)
    assert not done.has_result
    assert done.error is not None
    assert "JSON" in done.error


def test_resource_use_is_measured() -> None:
    done = run_python("b = bytearray(80 * 2**20)\nx = sum(range(3 * 10**6))", limits=FAST)
    assert done.max_rss_mb >= 80
    assert done.cpu_seconds > 0


def test_infinite_loop_times_out_and_is_killed() -> None:
    done = run_python("while True: pass", limits=SandboxLimits(timeout=0.5, cpu_seconds=5))
    assert done.timed_out
    assert done.killed
    assert done.exit_code == -9


def test_cpu_limit_kills() -> None:
    done = run_python("while True: pass", limits=SandboxLimits(timeout=5, cpu_seconds=1))
    assert done.killed
    assert not done.timed_out


def test_output_is_capped() -> None:
    limits = SandboxLimits(timeout=3, cpu_seconds=2, output_bytes=10_000)
    done = run_python("while True: print('x' * 1000)", limits=limits)
    assert done.truncated
    assert done.killed
    assert len(done.stdout) == 10_000


def test_workspace_read_only_and_writable(tmp_path: Path) -> None:
    tmp_path.chmod(0o777)
    (tmp_path / "in.txt").write_text("data")
    code = "print(open('in.txt').read())\nopen('out.txt', 'w').write('new')"
    read_only = run_python(code, workspace=tmp_path, limits=FAST)
    assert read_only.stdout == "data\n"
    assert read_only.exit_code == 1
    assert not (tmp_path / "out.txt").exists()
    writable = run_python(code, workspace=tmp_path, writable=True, limits=FAST)
    assert writable.exit_code == 0
    assert (tmp_path / "out.txt").read_text() == "new"


def test_limits_must_be_positive() -> None:
    with pytest.raises(ConfigurationError):
        SandboxLimits(timeout=0)


def test_cli_prints_exactly_the_report_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sandbox_kind: str
) -> None:
    script = tmp_path / "job.py"
    script.write_text("print(6 * 7)")
    assert main(["sandbox", "run", str(script), "--timeout", "3", "--memory", "256"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == [
        "stdout",
        "stderr",
        "result",
        "error",
        "exit_code",
        "timed_out",
        "killed",
        "cpu_seconds",
        "max_rss_mb",
        "isolation",
    ]
    assert report["stdout"] == "42\n"
    assert report["isolation"] == sandbox_kind


@pytest.mark.parametrize(
    "arguments",
    [
        ["missing.py"],
        ["{script}", "--timeout", "-1"],
        ["{script}", "--memory", "0"],
        ["{script}", "--workspace", "/no/such/dir"],
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    arguments: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "job.py"
    script.write_text("print(1)")
    argv = ["sandbox", "run", *(a.format(script=script) for a in arguments)]
    assert _exit_status(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("autan: error:")


def _exit_status(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


def test_only_the_runner_writes_the_result_record() -> None:
    done = run_python(
        "import os\nif os.fork() == 0:\n    result = 'child'\n"
        "else:\n    os.wait()\n    result = 'parent'",
        limits=FAST,
    )
    assert done.result == "parent"


def _cli_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str, *options: str
) -> tuple[int, dict[str, object]]:
    script = tmp_path / "job.py"
    script.write_text(code)
    status = main(["sandbox", "run", str(script), "--memory", "256", *options])
    return status, json.loads(capsys.readouterr().out)


def test_cli_reports_the_result_and_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = _cli_report(tmp_path, capsys, "final_answer(42)")
    assert status == 0
    assert report["result"] == 42
    assert report["error"] is None


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("import time\nwhile True: time.sleep(0.05)", "timeout"),  # no CPU: the clock ends it
        ("raise ValueError('bad')", None),
        ("result = object()", "result is not JSON-serialisable"),
    ],
)
def test_cli_exit_1_when_the_code_did_not_succeed(
    code: str, error: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = _cli_report(tmp_path, capsys, code, "--timeout", "1")
    assert status == 1
    assert report["result"] is None
    assert (error is None and report["error"] is None) or error in str(report["error"])


def test_output_printed_before_a_timeout_is_kept() -> None:
    code = "import time\nprint('started')\nwhile True: time.sleep(0.01)"
    done = run_python(code, limits=SandboxLimits(timeout=1, cpu_seconds=5))
    assert done.timed_out
    assert done.stdout == "started\n"


def test_python_tool_refuses_a_missing_workspace_when_it_is_made(tmp_path: Path) -> None:
    from autan.errors import WorkspaceError
    from autan.sandbox import python_tool

    with pytest.raises(WorkspaceError, match="not a directory"):
        python_tool(workspace=tmp_path / "data", allow_unsandboxed=True)
