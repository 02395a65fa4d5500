"""Arize Phoenix (``arize-phoenix`` from PyPI), started on loopback for a test: its own OTLP/HTTP
receiver, SQLite storage in a temporary directory, its own telemetry off.

Phoenix lives in a venv of its own (``.ci/run`` makes ``.venv-phoenix``): its dependencies pin
versions that autan's venv does not share. ``AUTAN_TEST_PHOENIX`` names another executable.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 180.0
"""Phoenix migrates its database and loads a web app before it answers (22 s on 2 busy cores)."""


def phoenix_executable() -> str | None:
    named = os.environ.get("AUTAN_TEST_PHOENIX")
    if named:
        return named
    local = ROOT / ".venv-phoenix" / "bin" / "phoenix"
    return str(local) if local.is_file() else shutil.which("phoenix")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PhoenixServer:
    def __init__(self, executable: str, directory: Path) -> None:
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / "phoenix.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PhoenixServer:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.directory),
            "PHOENIX_WORKING_DIR": str(self.directory),
            "PHOENIX_SQL_DATABASE_URL": f"sqlite:///{self.directory / 'phoenix.db'}",
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(self.port),
            "PHOENIX_GRPC_PORT": str(free_port()),
            "PHOENIX_TELEMETRY_ENABLED": "false",
            "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
        }
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [self.executable, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"Phoenix exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"Phoenix did not start in {START_SECONDS} s")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def spans(self, trace_id: str, expected: int, seconds: float = 30.0) -> list[dict[str, Any]]:
        """The spans Phoenix stored for ``trace_id`` (hex), read back through its REST API;
        waits until ``expected`` spans are there (Phoenix inserts in the background)."""
        deadline = time.monotonic() + seconds
        while True:
            found = [s for s in self._all_spans() if s["context"]["trace_id"] == trace_id]
            if len(found) >= expected or time.monotonic() > deadline:
                return found
            time.sleep(0.3)

    def _all_spans(self) -> list[dict[str, Any]]:
        url = f"{self.url}/v1/projects/default/spans?limit=1000"
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                data: list[dict[str, Any]] = json.load(answer)["data"]
                return data
        except OSError:  # the project exists once the first span is in
            return []
