"""The API-key canary, with traces on: a hostile server echoes the key in its reply (text, model
name, a tool call's arguments) and then in a 401 error; with content capture on, the key is in
no span, attribute, span event, metric or log line that leaves the process, live or exported
afterwards. (The canary tests without traces are in test_openai_backend.py and
test_cli_resume.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="no otel extra")

from autan import SQLiteStore
from fake_chat_server import ECHO, FakeChatServer, Reply, completion, function_call
from otlp_receiver import OTLPReceiver

CANARY = "sk-canary-5e1f0c9a7b3d"
SRC = Path(__file__).resolve().parent.parent / "src"
HOSTILE = [
    Reply(
        body={
            **completion(
                f"here is your key: {ECHO}",
                [function_call("c1", "calculator", {"expression": ECHO})],
            ),
            "model": ECHO,
        },
        echo_key=True,
    ),
    Reply(401, echo_authorization=True),
]


EVERY_LOG_RECORD_TO_STDERR = (
    "import logging, sys\n"
    "logging.basicConfig(level=logging.DEBUG, format='%(name)s %(levelname)s %(message)s')\n"
    "from autan.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
"""``autan`` with every log record of every logger (autan's, OpenTelemetry's, urllib3's)
written to stderr, debug records included."""


def autan(*args: str, home: Path, otel: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        "OPENAI_API_KEY": CANARY,
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(SRC),
        "AUTAN_HOME": str(home),
        "XDG_CACHE_HOME": str(home),
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
        **({"OTEL_EXPORTER_OTLP_ENDPOINT": otel} if otel else {}),
    }
    command = [sys.executable, "-c", EVERY_LOG_RECORD_TO_STDERR, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_the_key_leaves_in_no_trace_metric_or_log(tmp_path: Path) -> None:
    with FakeChatServer(HOSTILE) as server, OTLPReceiver() as receiver:
        model = f"openai:m@{server.url}"
        done = autan(
            "run", "hi", "--model", model, "--tool-protocol", "native", "--quiet",
            home=tmp_path, otel=receiver.url,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert server.requests[1].headers["Authorization"] == f"Bearer {CANARY}"
    traces, metrics = receiver.sent_to("/v1/traces"), receiver.sent_to("/v1/metrics")
    assert traces
    assert metrics
    assert all(CANARY.encode() not in body for body in traces + metrics)
    assert b"here is your key: ***" in b"".join(traces)  # it was there, and masked
    assert "POST /v1/traces" in done.stderr  # the debug records are there to be read
    assert CANARY not in done.stdout + done.stderr
    with SQLiteStore(tmp_path / "journal.sqlite3") as store:
        (run,) = store.runs()
    run_id = run.run_id
    out = tmp_path / "trace.json"
    exported = autan("runs", "trace", run_id, "--out", str(out), home=tmp_path)
    assert exported.returncode == 0, exported.stderr
    text = out.read_text()
    assert "here is your key: ***" in text
    assert CANARY not in text + exported.stdout + exported.stderr
