"""Shared by the MCP tests: the test server's command line, offline servers, loopback ports."""

from __future__ import annotations

import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

TEST_SERVER = Path(__file__).resolve().parent / "mcp_test_server.py"
RAW_SERVER = Path(__file__).resolve().parent / "mcp_raw_server.py"
RAW_MODES = ("exit-in-initialize", "garbage")


def server_command(mode: str = "tools") -> str:
    """The command line of ``tests/mcp_test_server.py MODE`` (``mcp_raw_server.py`` for the
    modes that do not speak MCP)."""
    script = RAW_SERVER if mode in RAW_MODES else TEST_SERVER
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {mode}"


def offline(command: str) -> str:
    """``command`` in a network namespace of its own (no route anywhere, loopback down) where
    ``unshare`` allows it: a server from PyPI that tried to reach the internet would fail."""
    if shutil.which("unshare") is None:
        return command
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False)
    return f"unshare -rn {command}" if probe.returncode == 0 else command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")
