"""What memory and inodes can sandboxed code hold beyond ``RLIMIT_AS``? (issue 14)

Runs three attacks under each isolation kind that works here, with ``memory_mb=64``:
memfds of 15 MB passed in ``SCM_RIGHTS`` messages until refused, pipes filled to 1 MB and
passed the same way, and empty files in a fresh 64 MB workspace (up to 500,000). Prints what
each attack says it held, the sandbox's max RSS, and (as root, with a memory cgroup) the peak of
the run's cgroup sampled every 10 ms. Run as root, from the repository root:
``PYTHONPATH=src python benchmarks/sandbox_memory.py`` (``AUTAN_SANDBOX_PYTHON=/usr/bin/python3``
where the venv's interpreter is not readable by other users). Numbers are for BENCHMARKS.md.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from autan.sandbox import SandboxLimits, SandboxResult, run_python

MEMFDS = """
import os, socket
a, b = socket.socketpair()
held, chunk = 0, b'x' * (1 << 20)
try:
    for i in range(200):
        fd = os.memfd_create('m')
        for _ in range(15):
            os.write(fd, chunk)
        socket.send_fds(a, [b'.'], [fd])
        os.close(fd)
        held += 15
except OSError as error:
    print('stopped', error)
result = held
"""
PIPES = """
import os, socket, fcntl
a, b = socket.socketpair()
held = 0
try:
    for i in range(2000):
        r, w = os.pipe()
        try:
            fcntl.fcntl(w, 1031, 1 << 20)  # F_SETPIPE_SZ
        except OSError:
            pass
        os.set_blocking(w, False)
        try:
            while True:
                held += os.write(w, b'x' * 65536)
        except BlockingIOError:
            pass
        socket.send_fds(a, [b'.'], [r, w]); os.close(r); os.close(w)
except OSError as error:
    print('stopped', error)
result = held >> 20
"""
FILES = """
n = 0
try:
    while n < 500_000:
        open(f'f{n}', 'w').close(); n += 1
except OSError as error:
    print(error)
result = n
"""
LIMITS = SandboxLimits(memory_mb=64, timeout=60, cpu_seconds=60)


def _cgroup_parent() -> Path | None:
    try:
        from autan.sandbox import _memory_cgroup as cgroups
    except ImportError:  # an autan without per-run memory cgroups
        return None
    for parent, _ in (cgroups._v2_parent(), cgroups._v1_parent()):
        if parent is not None:
            return parent
    return None


def _peak(parent: Path | None) -> int:
    if parent is None:
        return 0
    peak = 0
    for folder in parent.glob("autan-*"):
        for name in ("memory.peak", "memory.max_usage_in_bytes", "memory.current"):
            try:
                peak = max(peak, int((folder / name).read_text()))
            except (OSError, ValueError):
                continue
    return peak


def measure(kind: str, code: str) -> tuple[SandboxResult, int]:
    os.environ["AUTAN_SANDBOX"] = kind
    parent = _cgroup_parent()
    done: list[SandboxResult] = []
    worker = threading.Thread(target=lambda: done.append(run_python(code, limits=LIMITS)))
    worker.start()
    peak = 0
    while worker.is_alive():
        peak = max(peak, _peak(parent))
        time.sleep(0.01)
    worker.join()
    return done[0], peak


def main() -> None:
    print(f"load average: {os.getloadavg()}")
    for kind in ("bubblewrap", "landlock"):
        for name, code in (("memfds", MEMFDS), ("pipes", PIPES), ("empty files", FILES)):
            try:
                result, peak = measure(kind, code)
            except Exception as error:  # a kind that cannot run here
                print(f"{kind:10} {name:12} cannot run: {error}")
                continue
            print(
                f"{kind:10} {name:12} held={result.result} error={result.error} "
                f"max_rss={result.max_rss_mb} MB cgroup_peak={peak >> 20} MB"
            )


if __name__ == "__main__":
    main()
