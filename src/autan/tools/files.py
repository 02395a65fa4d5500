"""File tools confined to a workspace directory: ``list_dir``, ``read_file``, ``write_file``.

The workspace may be shared with code that changes it while a tool runs (``python_tool`` with
``writable=True``, calls of one step running at once). So no path is checked and then opened:
each is opened in one step relative to a descriptor of the workspace, following no symbolic
link (``_beneath.py``); what was opened is then checked on its descriptor, and only regular
files are read or written. A read takes only the bytes it can return.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autan.errors import WorkspaceError
from autan.tools._beneath import open_beneath, open_directories
from autan.tools._decorator import tool
from autan.tools._tool import Tool

MAX_READ_CHARS = 20_000
MAX_READ_BYTES = 4 * MAX_READ_CHARS
"""A character decoded from UTF-8 (or one replaced invalid sequence) takes at most 4 bytes, so
this prefix of a file decodes to at least its first ``MAX_READ_CHARS`` characters."""

_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY  # a FIFO or device opens without waiting
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | os.O_NOCTTY
_LIST = os.O_RDONLY | os.O_DIRECTORY | os.O_NONBLOCK


class OutsideWorkspaceError(ValueError):
    """A path the file tools will not open: outside the workspace, or through a symbolic link.
    The message is written for the model."""


class NotRegularFileError(ValueError):
    """A directory, FIFO, socket or device where a regular file is needed; for the model."""


class Workspace:
    """A directory the file tools may touch. Paths are relative to it; nothing escapes it."""

    def __init__(self, root: str | Path) -> None:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise WorkspaceError(f"workspace {str(root)!r} is not an existing directory")
        self.root = path.resolve()

    @contextmanager
    def open(self, relative: str, flags: int) -> Iterator[int]:
        """A descriptor of ``relative``, opened beneath the workspace with ``flags``."""
        parts = self.parts(relative)
        with _refusals(relative), self._root() as root:
            fd = open_beneath(root, parts, flags)
        try:
            yield fd
        finally:
            os.close(fd)

    @contextmanager
    def create(self, relative: str) -> Iterator[int]:
        """A descriptor of the file ``relative`` opened for writing, made (with its missing
        parent directories) when it does not exist; its content is left as it was."""
        *parents, name = self.parts(relative) or [""]
        if not name:
            raise NotRegularFileError(f"{relative!r} is the workspace itself; name a file in it")
        with _refusals(relative), self._root() as root:
            parent = open_directories(root, parents)
            try:
                fd = open_beneath(parent, [name], _WRITE)
            finally:
                os.close(parent)
        try:
            yield fd
        finally:
            os.close(fd)

    def parts(self, relative: str) -> list[str]:
        """The components of ``relative`` with ``.`` and ``..`` taken out (no link is followed,
        so that is what they mean), or ``OutsideWorkspaceError``."""
        if relative.startswith("/"):
            raise OutsideWorkspaceError(
                f"{relative!r} is absolute; use a path inside the workspace"
            )
        parts: list[str] = []
        for name in relative.split("/"):
            if name == "..":
                if not parts:
                    raise OutsideWorkspaceError(f"{relative!r} is outside the workspace")
                parts.pop()
            elif name not in ("", "."):
                parts.append(name)
        return parts

    @contextmanager
    def _root(self) -> Iterator[int]:
        fd = os.open(self.root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            yield fd
        finally:
            os.close(fd)


@contextmanager
def _refusals(relative: str) -> Iterator[None]:
    """The kernel's refusals, worded for the model."""
    try:
        yield
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.EXDEV):
            raise OutsideWorkspaceError(
                f"{relative!r} is or passes through a symbolic link; the file tools follow none"
            ) from None
        if error.errno == errno.EISDIR:
            raise _not_regular(relative, stat.S_IFDIR) from None
        if error.errno == errno.ENXIO:  # a FIFO no one reads, a device that is not there
            raise _not_regular(relative, stat.S_IFIFO) from None
        if error.errno == errno.ENOENT:
            raise FileNotFoundError(f"{relative!r} does not exist") from None
        if error.errno == errno.ENOTDIR:
            raise NotADirectoryError(
                f"{relative!r}, or a folder on its way, is no directory"
            ) from None
        raise


def printable(name: str) -> str:
    """``name`` as text any writer can encode: bytes that are not UTF-8 (which ``os`` gives as
    lone surrogates) become ``\\xNN`` escapes."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def file_tools(workspace: Workspace) -> list[Tool]:
    """The three file tools, bound to ``workspace``."""

    @tool
    def list_dir(path: str = ".") -> str:
        """List the entries of a directory in the workspace.

        Args:
            path: directory relative to the workspace
        """
        with workspace.open(path, _LIST) as fd, os.scandir(fd) as listing:
            names = sorted(_entry_line(entry) for entry in listing)
        return "\n".join(names) or "(empty)"

    @tool
    def read_file(path: str) -> str:
        """Read a text file in the workspace.

        Args:
            path: file relative to the workspace
        """
        with workspace.open(path, _READ) as fd:
            _require_regular_file(fd, path)
            data = _read_at_most(fd, MAX_READ_BYTES)
        return data.decode("utf-8", errors="replace")[:MAX_READ_CHARS]

    @tool
    def write_file(path: str, content: str) -> str:
        """Write a text file in the workspace, replacing it if it exists.

        Args:
            path: file relative to the workspace
            content: the text to write
        """
        data = content.encode("utf-8")
        with workspace.create(path) as fd:
            _require_regular_file(fd, path)
            os.ftruncate(fd, 0)
            _write_all(fd, data)
        return f"wrote {len(content)} characters to {printable(path)}"

    return [
        dataclasses.replace(list_dir, source="builtin"),
        dataclasses.replace(read_file, source="file"),
        dataclasses.replace(write_file, source="builtin"),
    ]


def _entry_line(entry: os.DirEntry[str]) -> str:
    if entry.is_symlink():
        return printable(entry.name) + "@"  # as ``ls -F`` marks a link (the tools follow none)
    return printable(entry.name) + ("/" if entry.is_dir(follow_symlinks=False) else "")


def _require_regular_file(fd: int, path: str) -> None:
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        raise _not_regular(path, mode)


def _not_regular(path: str, mode: int) -> NotRegularFileError:
    if stat.S_ISDIR(mode):
        return NotRegularFileError(f"{path!r} is a directory; list_dir lists it")
    return NotRegularFileError(
        f"{path!r} is not a regular file (a FIFO, socket or device); the file tools read and "
        "write regular files only"
    )


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    while limit > 0 and (chunk := os.read(fd, limit)):
        chunks.append(chunk)
        limit -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
