"""How much disk does a workspace use, and is it over its quota?

bubblewrap bounds a fresh workspace with a sized tmpfs; the Landlock fallback has no mount
namespace, so its fresh workspace is a directory on the host's disk and the host watches it
instead: it measures the blocks in use while it waits on the sandbox and kills the process
group once they pass the quota. What the code writes between two looks (at most
``POLL_SECONDS`` at its write speed, each file at most ``file_size_mb``) can go past it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.05
MAX_DEPTH = 64
_BLOCK = 512


@dataclass(frozen=True)
class WorkspaceQuota:
    folder: Path
    max_bytes: int
    max_entries: int | None = None  # files, directories and links: inodes (empty files too)

    def exceeded(self) -> bool:
        """Over the quota, or hiding part of the tree from the host (which fails closed)."""
        try:
            used, entries = tree_usage(self.folder)
        except PermissionError:
            return True
        return used > self.max_bytes or (
            self.max_entries is not None and entries > self.max_entries
        )


def disk_usage(folder: Path) -> int:
    """Bytes of disk the tree under ``folder`` holds (see ``tree_usage``)."""
    return tree_usage(folder)[0]


def tree_usage(folder: Path) -> tuple[int, int]:
    """Bytes of disk the tree under ``folder`` holds (allocated blocks, so sparse files count
    what they use) and how many entries it has. The walk goes by directory descriptors, so a
    directory the code swaps for a link while it runs is not followed; one it made unreadable
    is opened up again, as its owner may. ``PermissionError`` when part of the tree stays
    hidden or it nests deeper than ``MAX_DEPTH``."""
    total = entries = 0
    stack: list[tuple[int, Iterator[str]]] = []

    def enter(fd: int) -> None:
        nonlocal total, entries
        try:
            used, count, subdirectories = _scan(fd)
        except BaseException:
            os.close(fd)
            raise
        total += used
        entries += count
        stack.append((fd, iter(subdirectories)))

    root = _open_directory(str(folder), None)
    if root is None:
        return 0, 0
    enter(root)
    try:
        while stack:
            fd, remaining = stack[-1]
            name = next(remaining, None)
            if name is None:
                os.close(fd)
                stack.pop()
            elif len(stack) >= MAX_DEPTH:
                raise PermissionError(f"the workspace nests deeper than {MAX_DEPTH} directories")
            elif (child := _open_directory(name, fd)) is not None:
                enter(child)
    finally:
        for fd, _ in stack:
            os.close(fd)
    return total, entries


def _scan(fd: int) -> tuple[int, int, list[str]]:
    used, count, subdirectories = 0, 0, []
    with os.scandir(fd) as listing:
        for entry in listing:
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # removed since the listing
                continue
            used += info.st_blocks * _BLOCK
            count += 1
            if stat.S_ISDIR(info.st_mode):
                subdirectories.append(entry.name)
    return used, count, subdirectories


def _open_directory(name: str, parent: int | None) -> int | None:
    """A readable descriptor of the directory ``name`` in ``parent``; None when it is gone or
    is no longer a directory (replaced by a link or a file since the listing)."""
    flags = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        handle = os.open(name, flags, dir_fd=parent)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        # The descriptor's /proc link reaches exactly the directory that was opened.
        pinned = f"/proc/self/fd/{handle}"
        if not os.access(pinned, os.R_OK | os.X_OK):
            with contextlib.suppress(OSError):
                os.chmod(pinned, 0o700)
        return os.open(pinned, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    finally:
        os.close(handle)
