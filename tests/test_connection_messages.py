"""A server that cannot be reached is said in words at the command line, on every path (the
probe, native streaming over httpx, plain http): no exception class name after the URL."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from autan import ModelConnectionError
from autan.cli import main
from autan.models._connection_words import connection_problem


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "protocol", [[], ["--tool-protocol", "native"], ["--tool-protocol", "text"]]
)
def test_unreachable_server_is_said_in_words(
    protocol: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    url = f"http://127.0.0.1:{closed_port()}/v1"
    code = main(["run", "hi", "--model", f"openai:m@{url}", "--max-seconds", "20", *protocol])
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot connect to {url}: connection refused — is the server running?" in err
    assert "Error" not in err


def test_causes_in_words() -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    wrapped = ModelConnectionError("[Errno 111] Connection refused")
    wrapped.__cause__ = refused
    assert connection_problem(wrapped) == "connection refused — is the server running?"
    assert connection_problem(TimeoutError("timed out")) == "no answer in time (timed out)"
    assert connection_problem(socket.gaierror(-2, "Name or service not known")) == (
        "the host name does not resolve"
    )
