"""A Ctrl-C (or SIGTERM) that reaches ``autan serve`` right after it says where it serves, before
uvicorn's own handlers are in place, stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

SIGNAL_IN_A_FINALIZER = textwrap.dedent(
    """
    import os, signal, sys
    from fastapi import FastAPI
    from autan.serve import run_server

    class Finalized:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)  # handled here, inside the finalizer
            sum(range(1000))

    def ready(url):
        print(url, flush=True)
        Finalized()

    try:
        run_server(FastAPI(), "127.0.0.1", 0, ready)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(0)
    """
)


def _python(code: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_a_sigint_where_python_would_drop_it_stops_the_server() -> None:
    """Python's own handler raises ``KeyboardInterrupt`` wherever the main thread is; inside a
    finalizer (as a weakref callback during uvicorn's start, under load) it was printed and
    dropped, and the server served on."""
    process = _python(SIGNAL_IN_A_FINALIZER)
    try:
        code = process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"the server ignored the SIGINT: {process.communicate()[1]}") from None
    assert code == 130, process.communicate()[1]


def test_autan_serve_stops_on_a_sigint_right_after_serving_on(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    for number, expected in ((signal.SIGINT, 130), (signal.SIGTERM, -signal.SIGTERM)):
        command = [sys.executable, "-m", "autan", "serve", "--port", "0", "--no-token"]
        server = subprocess.Popen(
            [*command, "--store", str(tmp_path / "j")],
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert server.stderr is not None
        said = ""
        while "serving on" not in said:
            line = server.stderr.readline()
            assert line, said
            said += line
        server.send_signal(number)
        try:
            assert server.wait(30) == expected
        finally:
            server.kill()
