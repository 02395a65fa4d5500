"""A memory cgroup for one run: the bound that covers what ``RLIMIT_AS`` does not see.

``RLIMIT_AS`` bounds the address space of each process; memory the code holds outside it (in
files of a tmpfs, pipes and socket buffers, descriptors in flight in ``SCM_RIGHTS`` messages,
the kernel's inodes and dentries) is charged to the cgroup the code runs in. As root, where the
host's memory controller is writable (cgroup v2, or v1's ``memory`` hierarchy), each run gets a
child cgroup of the host's own with a hard limit and no swap; the sandbox's first process joins
it before it starts the code (every process after inherits it), and the kernel's OOM killer
ends the run past the limit. Elsewhere ``memory_cgroup`` returns None and only the rlimits hold.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from autan.ids import new_run_id

_MB = 1024 * 1024
#: What the launcher, bubblewrap and the kernel's own bookkeeping take beside the code.
OVERHEAD_MB = 64


@dataclass
class MemoryCgroup:
    path: Path
    peak_file: str

    def join_fd(self) -> int:
        """A descriptor of ``cgroup.procs`` that the sandbox's first process writes itself to."""
        return os.open(self.path / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)

    def peak_bytes(self) -> int:
        try:
            return int((self.path / self.peak_file).read_text())
        except (OSError, ValueError):
            return 0

    def remove(self) -> None:
        """Once its processes are gone (the kernel frees a cgroup a moment after they end)."""
        deadline = time.monotonic() + 2.0
        while True:
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.01)


def memory_cgroup(limit_mb: int) -> MemoryCgroup | None:
    """A fresh child cgroup limited to ``limit_mb``, or None where none can be made here."""
    if os.geteuid() != 0:
        return None
    for parent, files in (_v2_parent(), _v1_parent()):
        if parent is None:
            continue
        path = parent / f"autan-{new_run_id()}"
        try:
            path.mkdir()
        except OSError:
            continue
        if _limit(path, files, limit_mb * _MB):
            return MemoryCgroup(path, files[2])
        with contextlib.suppress(OSError):
            path.rmdir()
    return None


_V2_FILES = ("memory.max", "memory.swap.max", "memory.peak")
_V1_FILES = ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.max_usage_in_bytes")


def _limit(path: Path, files: tuple[str, str, str], limit: int) -> bool:
    memory, swap, _ = files
    try:
        (path / memory).write_text(str(limit))
    except OSError:
        return False
    if (path / swap).exists():  # no swap to park memory in: v2 takes 0, v1 memory + swap
        with contextlib.suppress(OSError):
            (path / swap).write_text("0" if swap == "memory.swap.max" else str(limit))
    return True


def _v2_parent() -> tuple[Path | None, tuple[str, str, str]]:
    mount = _mount_point("cgroup2", None)
    relative = _own_cgroup("")
    if mount is None or relative is None:
        return None, _V2_FILES
    parent = mount / relative.lstrip("/")
    try:
        delegated = "memory" in (parent / "cgroup.subtree_control").read_text().split()
    except OSError:
        delegated = False
    return (parent if delegated else None), _V2_FILES


def _v1_parent() -> tuple[Path | None, tuple[str, str, str]]:
    mount = _mount_point("cgroup", "memory")
    relative = _own_cgroup("memory")
    if mount is None or relative is None:
        return None, _V1_FILES
    return mount / relative.lstrip("/"), _V1_FILES


def _own_cgroup(controller: str) -> str | None:
    """This process's cgroup in the hierarchy of ``controller`` ("" for v2)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controllers.split(",") == [controller] or (controller == controllers == ""):
                return path
    return None


def _mount_point(kind: str, option: str | None) -> Path | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            before, _, after = line.partition(" - ")
            fields, extra = before.split(), after.split()
            wanted = option is None or (len(extra) >= 3 and option in extra[2].split(","))
            if extra and extra[0] == kind and wanted:
                return Path(fields[4])
    return None
