"""The program that runs inside the sandbox (stdlib only; the host passes its source with ``-c``).

It reads its settings as JSON from ``argv[1]`` and the snippet from stdin, applies the resource
limits, drops root to ``nobody`` when the sandbox was started by root, runs the snippet, and
writes one JSON record ``{"result": ...}`` (or ``{"error": ...}``) to the result pipe. The snippet
sets a result with ``result = value`` or ``final_answer(value)`` (which also ends it).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sys
import traceback
from typing import Any

_MB = 1024 * 1024
_MISSING = object()


class _FinalAnswer(BaseException):
    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value


def _final_answer(value: object) -> None:
    raise _FinalAnswer(value)


def _limit(kind: int, value: int) -> None:
    resource.setrlimit(kind, (value, value))


def _apply_limits(limits: dict[str, int]) -> None:
    _limit(resource.RLIMIT_CPU, limits["cpu_seconds"])
    _limit(resource.RLIMIT_AS, limits["memory_mb"] * _MB)
    _limit(resource.RLIMIT_FSIZE, limits["file_size_mb"] * _MB)
    _limit(resource.RLIMIT_NOFILE, limits["open_files"])
    _limit(resource.RLIMIT_NPROC, limits["processes"])
    _limit(resource.RLIMIT_CORE, 0)


def _drop_root(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("autan sandbox: could not drop root")
    _die_with_parent()


def _die_with_parent() -> None:
    """Re-arm bwrap's --die-with-parent: changing uid clears the parent-death signal."""
    import ctypes

    pr_set_pdeathsig = 1
    if ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL) != 0:
        raise SystemExit("autan sandbox: could not set the parent-death signal")


def _execute(source: str) -> tuple[int, object]:
    namespace: dict[str, Any] = {"__name__": "__main__", "final_answer": _final_answer}
    try:
        exec(compile(source, "<snippet>", "exec"), namespace)
    except _FinalAnswer as answer:
        return 0, answer.value
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        return code, namespace.get("result", _MISSING)
    except BaseException:
        traceback.print_exc()
        return 1, _MISSING
    return 0, namespace.get("result", _MISSING)


def _record(value: object) -> bytes:
    if value is _MISSING:
        return b"{}"
    try:
        return json.dumps({"result": value}).encode()
    except (TypeError, ValueError) as error:
        return json.dumps({"error": f"result is not JSON-serialisable: {error}"}).encode()


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def main() -> None:
    settings = json.loads(sys.argv[1])
    _apply_limits(settings["limits"])
    if settings["drop_to_uid"] is not None:
        _drop_root(settings["drop_to_uid"])
    source = sys.stdin.read()
    sys.stdin.close()
    runner = os.getpid()
    code, value = _execute(source)
    _flush()
    if os.getpid() != runner:  # a process the snippet forked: only the runner reports
        os._exit(code & 0xFF)
    os.write(settings["result_fd"], _record(value))
    os._exit(code & 0xFF)


main()
