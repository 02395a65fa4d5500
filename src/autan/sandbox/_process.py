"""How is a sandboxed process fed, watched, capped, timed and killed?"""

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 65536
_GRACE = 0.5  # seconds bwrap gets to reap a killed sandbox before it is killed too
_MB = 1024 * 1024


@dataclass
class Outcome:
    """What the host saw of one process tree."""

    stdout: bytes = b""
    stderr: bytes = b""
    record: bytes = b""
    status: int = 0
    timed_out: bool = False
    over_output: bool = False
    host_killed: bool = False
    cpu_seconds: float = 0.0
    max_rss_mb: float = 0.0


def rlimits(
    cpu_seconds: int, memory_mb: int, file_size_mb: int, open_files: int
) -> Callable[[], None]:
    """A preexec function: the launcher gets the limits too (the process count is set inside)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * _MB, memory_mb * _MB))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_mb * _MB, file_size_mb * _MB))
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_process(
    argv_for: Callable[[int], list[str]],
    stdin: bytes,
    timeout: float,
    output_cap: int,
    preexec: Callable[[], None],
) -> Outcome:
    """Run ``argv_for(result_fd)`` in a new session; kill its group at the deadline or cap."""
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(
            argv_for(write_end),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_end,),
            start_new_session=True,
            preexec_fn=preexec,
            env={"PATH": "/usr/bin:/bin"},
        )
    finally:
        os.close(write_end)
    outcome = Outcome()
    try:
        _feed(process, stdin)
        _collect(process, read_end, time.monotonic() + timeout, output_cap, outcome)
    finally:
        os.close(read_end)
        _reap(process, outcome)
    return outcome


def _feed(process: subprocess.Popen[bytes], stdin: bytes) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(stdin)
        process.stdin.close()
    except (BrokenPipeError, OSError):
        pass


def _collect(
    process: subprocess.Popen[bytes], record_fd: int, deadline: float, cap: int, outcome: Outcome
) -> None:
    assert process.stdout is not None
    assert process.stderr is not None
    buffers = {"stdout": bytearray(), "stderr": bytearray(), "record": bytearray()}
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout.fileno(), selectors.EVENT_READ, "stdout")
        selector.register(process.stderr.fileno(), selectors.EVENT_READ, "stderr")
        selector.register(record_fd, selectors.EVENT_READ, "record")
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                outcome.timed_out = True
                _kill(process, outcome)
                break
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, _CHUNK)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                buffer = buffers[key.data]
                if len(buffer) + len(chunk) > cap:
                    outcome.over_output = True
                buffer += chunk[: max(0, cap - len(buffer))]
            if outcome.over_output:
                _kill(process, outcome)
                break
    outcome.stdout, outcome.stderr = bytes(buffers["stdout"]), bytes(buffers["stderr"])
    outcome.record = bytes(buffers["record"])


def _kill(process: subprocess.Popen[bytes], outcome: Outcome) -> None:
    """SIGKILL the sandbox's PID 1 (the kernel then kills every process of its PID namespace)
    and let bwrap reap it, so that its resource use is counted; bwrap's own group is killed
    in ``_reap`` if it does not exit promptly, or here if the sandbox has no process yet."""
    outcome.host_killed = True
    children = _children(process.pid)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if not children:
        _kill_group(process.pid)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _reap(process: subprocess.Popen[bytes], outcome: Outcome) -> None:
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    deadline = time.monotonic() + _GRACE
    while True:
        try:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG if outcome.host_killed else 0)
        except ChildProcessError:
            return
        if pid:
            break
        if time.monotonic() > deadline:
            _kill_group(process.pid)
            deadline = float("inf")
        time.sleep(0.005)
    process.returncode = os.waitstatus_to_exitcode(status)
    outcome.status = process.returncode
    outcome.cpu_seconds = round(usage.ru_utime + usage.ru_stime, 3)
    outcome.max_rss_mb = round(usage.ru_maxrss / 1024, 1)
