"""How is a sandboxed process fed, watched, capped, timed and killed?

``SandboxProcess`` runs one process tree in a new session. The sandbox writes JSON lines on a
*record* pipe (tool requests, then its result record); with ``replies=True`` the host answers
each request on a *reply* pipe. The wall-clock budget counts only the time the host spends
waiting on the sandbox, not the time it spends answering a request.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autan.sandbox._workspace_quota import POLL_SECONDS, WorkspaceQuota

_CHUNK = 65536
_GRACE = 0.5  # seconds bwrap gets to reap a killed sandbox before it is killed too
_MB = 1024 * 1024

ArgvFor = Callable[[int, int | None], list[str]]
"""The command line, given the fds the sandbox writes records on and reads replies from."""


@dataclass
class Outcome:
    """What the host saw of one process tree."""

    stdout: bytes = b""
    stderr: bytes = b""
    record: bytes = b""
    status: int = 0
    timed_out: bool = False
    over_output: bool = False
    over_workspace: bool = False
    host_killed: bool = False
    cpu_seconds: float = 0.0
    max_rss_mb: float = 0.0


def rlimits(
    cpu_seconds: int,
    memory_mb: int,
    file_size_mb: int,
    open_files: int,
    cgroup_procs: Path | None = None,
) -> Callable[[], None]:
    """A preexec function: the launcher gets the limits too (the process count is set inside),
    and joins the run's memory cgroup (``cgroup_procs``) when it has one."""

    def apply() -> None:
        if cgroup_procs is not None:
            cgroup_procs.write_text(str(os.getpid()))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * _MB, memory_mb * _MB))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_mb * _MB, file_size_mb * _MB))
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_process(
    argv_for: ArgvFor,
    stdin: bytes,
    timeout: float,
    output_cap: int,
    preexec: Callable[[], None],
    *,
    kill_group: bool = False,
    quota: WorkspaceQuota | None = None,
) -> Outcome:
    """Run ``argv_for(record_fd, None)`` to its end; kill it at the deadline or a cap."""
    process = SandboxProcess(
        argv_for, stdin, timeout, output_cap, preexec, kill_group=kill_group, quota=quota
    )
    return process.finish()


class SandboxProcess:
    """One running process tree and the host's ends of its pipes."""

    def __init__(
        self,
        argv_for: ArgvFor,
        stdin: bytes,
        timeout: float,
        output_cap: int,
        preexec: Callable[[], None],
        replies: bool = False,
        *,
        kill_group: bool = False,
        quota: WorkspaceQuota | None = None,
    ) -> None:
        self.outcome = Outcome()
        self._kill_group = kill_group
        self._quota = quota
        self._quota_checked = time.monotonic()
        self._budget = timeout
        self._cap = output_cap
        self._buffers = {"stdout": bytearray(), "stderr": bytearray(), "record": bytearray()}
        self._open: set[str] = set(self._buffers)
        self._ended = False
        record_read, record_write = os.pipe()
        reply_read: int | None = None
        self._reply_fd: int | None = None
        if replies:
            reply_read, self._reply_fd = os.pipe()
        passed = (record_write,) if reply_read is None else (record_write, reply_read)
        try:
            self._process = subprocess.Popen(
                argv_for(record_write, reply_read),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=passed,
                start_new_session=True,
                preexec_fn=preexec,
                env={"PATH": "/usr/bin:/bin"},
            )
        except BaseException:
            self._close_fds(record_read, self._reply_fd)
            raise
        finally:
            self._close_fds(record_write, reply_read)
        self._exit_fd = _pidfd(self._process.pid)  # readable once the process ended
        self._exited = False
        if self._reply_fd is not None:
            os.set_blocking(self._reply_fd, False)
        self._record_fd: int | None = record_read
        _feed(self._process, stdin)

    def next_line(self) -> bytes | None:
        """The next complete line on the record pipe, or ``None`` once the sandbox stopped
        writing (it ended, was killed, ran out of time or over its output cap)."""
        while not self._ended:
            line = self._take_line()
            if line is not None:
                return line
            if "record" not in self._open:
                return None
            self._pump()
        return None

    def reply(self, data: bytes) -> bool:
        """Send ``data`` on the reply pipe; a sandbox that does not read its replies is killed."""
        assert self._reply_fd is not None
        try:
            written = os.write(self._reply_fd, data)
        except (BlockingIOError, BrokenPipeError, OSError):
            written = -1
        if written == len(data):
            return True
        self.kill()
        return False

    def kill(self) -> None:
        if not self._ended:
            self._ended = True
            _kill(self._process, self.outcome, self._kill_group)

    def finish(self) -> Outcome:
        """Wait for the sandbox to end (within its budget), reap it and close every pipe."""
        try:
            while not self._ended and self._open:
                self._pump()
            self._await_exit()
        finally:
            self._close_fds(self._record_fd, self._reply_fd, self._exit_fd)
            self._record_fd = self._reply_fd = None
            self._store_output()
            if self._kill_group:  # what the code left behind; the group id is still held
                _kill_group(self._process.pid)
            _reap(self._process, self.outcome)
        if self._quota is not None and not self.outcome.over_workspace:  # since the last look
            self.outcome.over_workspace = self._quota.exceeded()
        return self.outcome

    def _await_exit(self) -> None:
        """The pipes may close long before the process ends (code that closed its
        descriptors): its wall clock still runs, on the process itself (a pidfd)."""
        while not self._ended and not self._exited:
            started = time.monotonic()
            wait = self._budget if self._quota is None else min(self._budget, POLL_SECONDS)
            if self._exit_fd is None:  # no pidfd (Linux before 5.3): look every 10 ms
                time.sleep(min(max(0.0, wait), 0.01))
                exited = _has_exited(self._process.pid)
            else:
                exited = bool(select.select([self._exit_fd], [], [], max(0.0, wait))[0])
            self._budget -= time.monotonic() - started
            if exited:
                self._exited = True
            elif self._budget <= 0:
                self.outcome.timed_out = True
                self.kill()
            elif self._over_quota():
                self.kill()

    def _take_line(self) -> bytes | None:
        record = self._buffers["record"]
        end = record.find(b"\n")
        if end < 0:
            return None
        line = bytes(record[:end])
        del record[: end + 1]
        return line

    def _pump(self) -> None:
        """Read what is there (or wait for it), within what is left of the time budget."""
        if self._budget <= 0:
            self.outcome.timed_out = True
            self.kill()
            return
        started = time.monotonic()
        with selectors.DefaultSelector() as selector:
            for name, fd in self._fds().items():
                if name in self._open:
                    selector.register(fd, selectors.EVENT_READ, name)
            if not selector.get_map():
                return
            if not self._exited and self._exit_fd is not None:
                selector.register(self._exit_fd, selectors.EVENT_READ, "exit")
            wait = self._budget if self._quota is None else min(self._budget, POLL_SECONDS)
            ready = selector.select(wait)
        self._budget -= time.monotonic() - started
        for key, _ in ready:
            if key.data == "exit":
                self._on_exit()
            else:
                self._read(key.fd, key.data)
        if self.outcome.over_output or self._over_quota():
            self.kill()

    def _on_exit(self) -> None:
        """The process ended: without a PID namespace to take them down, what the code left
        running (holding the pipes open or not) is killed now, not at the deadline."""
        self._exited = True
        if self._kill_group:
            _kill_group(self._process.pid)

    def _over_quota(self) -> bool:
        """Checked every ``POLL_SECONDS`` at most, however often output arrives."""
        now = time.monotonic()
        if self._quota is None or now - self._quota_checked < POLL_SECONDS:
            return False
        self._quota_checked = now
        self.outcome.over_workspace = self._quota.exceeded()
        return self.outcome.over_workspace

    def _read(self, fd: int, name: str) -> None:
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            self._open.discard(name)
            return
        buffer = self._buffers[name]
        if len(buffer) + len(chunk) > self._cap:
            self.outcome.over_output = True
        buffer += chunk[: max(0, self._cap - len(buffer))]

    def _fds(self) -> dict[str, int]:
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        fds = {"stdout": self._process.stdout.fileno(), "stderr": self._process.stderr.fileno()}
        if self._record_fd is not None:
            fds["record"] = self._record_fd
        return fds

    def _store_output(self) -> None:
        self.outcome.stdout = bytes(self._buffers["stdout"])
        self.outcome.stderr = bytes(self._buffers["stderr"])
        self.outcome.record = bytes(self._buffers["record"])

    @staticmethod
    def _close_fds(*fds: int | None) -> None:
        for fd in fds:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except OSError:
        return None


def _has_exited(pid: int) -> bool:
    """Whether ``pid`` has ended, leaving it to be reaped (its rusage is read then)."""
    try:
        found = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return found is not None


def _feed(process: subprocess.Popen[bytes], stdin: bytes) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(stdin)
        process.stdin.close()
    except (BrokenPipeError, OSError):
        pass


def _kill(process: subprocess.Popen[bytes], outcome: Outcome, group: bool) -> None:
    """SIGKILL the sandbox's PID 1 (the kernel then kills every process of its PID namespace)
    and let bwrap reap it, so that its resource use is counted; bwrap's own group is killed
    in ``_reap`` if it does not exit promptly, or here if the sandbox has no process yet.
    Without a PID namespace (``group``), the whole process group, which it cannot leave."""
    outcome.host_killed = True
    if group:
        _kill_group(process.pid)
        return
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
