"""Open a path beneath a directory descriptor in one step, following no symbolic link.

The file tools share their workspace with code that may change it while they run: a path
checked, then opened, can be a link by the time it is opened. So a path is never resolved
and then opened: it is opened relative to a descriptor of the workspace, and every
component that is a symbolic link fails the open with ``ELOOP``. Where the kernel has
``openat2(2)`` (Linux 5.6) that is one system call with ``RESOLVE_BENEATH |
RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS``; elsewhere a walk opens each component with
``O_NOFOLLOW`` relative to the descriptor of the one before. Both give the same answers.

``parts`` are path components already split and checked by the caller: no empty name, no
``.`` or ``..``, no ``/``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import stat
from collections.abc import Callable, Sequence

_SYS_OPENAT2 = 437  # the same number on every architecture
_RESOLVE_NO_MAGICLINKS = 0x02
_RESOLVE_NO_SYMLINKS = 0x04
_RESOLVE_BENEATH = 0x08
_RESOLVE = _RESOLVE_BENEATH | _RESOLVE_NO_SYMLINKS | _RESOLVE_NO_MAGICLINKS
_DIRECTORY = os.O_PATH | os.O_DIRECTORY
_NOT_THERE = (errno.ENOSYS, errno.EPERM)  # no openat2, or a seccomp filter that denies it

use_openat2 = True
"""Whether to try ``openat2`` at all; tests turn it off to exercise the walk."""


class _OpenHow(ctypes.Structure):
    _fields_ = (
        ("flags", ctypes.c_uint64),
        ("mode", ctypes.c_uint64),
        ("resolve", ctypes.c_uint64),
    )


def open_beneath(root: int, parts: Sequence[str], flags: int, mode: int = 0o666) -> int:
    """A descriptor of ``parts`` under the directory ``root``, opened with ``flags``; ``ELOOP``
    (an ``OSError``) when a component is a symbolic link."""
    if not parts:
        return os.open(".", flags | os.O_CLOEXEC, dir_fd=root)
    if use_openat2:
        opened = _openat2(root, "/".join(parts), flags, mode)
        if opened is not None:
            return opened
    return _walk(root, parts, flags, mode)


def open_directories(root: int, parts: Sequence[str]) -> int:
    """An ``O_PATH`` descriptor of the directory ``parts`` under ``root``, making the ones
    that are missing (as ``mkdir -p`` does, but never through a link)."""
    try:
        return open_beneath(root, parts, _DIRECTORY)
    except FileNotFoundError:
        return _descend(root, parts, create=True)


def _walk(root: int, parts: Sequence[str], flags: int, mode: int) -> int:
    directory = _descend(root, parts[:-1], create=False)
    try:
        return _open_component(directory, parts[-1], flags, mode)
    finally:
        os.close(directory)


def _descend(root: int, parts: Sequence[str], *, create: bool) -> int:
    """An ``O_PATH`` descriptor of the directory ``parts``, one component at a time."""
    directory = os.open(".", _DIRECTORY | os.O_CLOEXEC, dir_fd=root)
    try:
        for name in parts:
            if create:
                _make_directory(directory, name)
            child = _open_component(directory, name, _DIRECTORY, 0)
            os.close(directory)
            directory = child
    except BaseException:
        os.close(directory)
        raise
    return directory


def _make_directory(directory: int, name: str) -> None:
    with contextlib.suppress(FileExistsError):  # a link there is one too: never followed
        os.mkdir(name, 0o777, dir_fd=directory)


def _open_component(directory: int, name: str, flags: int, mode: int) -> int:
    try:
        return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=directory)
    except NotADirectoryError:  # O_DIRECTORY | O_NOFOLLOW on a link says ENOTDIR
        if _is_link(directory, name):
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), name) from None
        raise


def _is_link(directory: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _openat2(root: int, path: str, flags: int, mode: int) -> int | None:
    """The descriptor, or None where this kernel (or a filter) has no ``openat2``."""
    syscall = _libc_syscall()
    if syscall is None:
        return None
    flags |= os.O_CLOEXEC  # not O_NOFOLLOW: with it a trailing link is ENOTDIR, not ELOOP
    encoded = os.fsencode(path)
    if b"\0" in encoded:  # the C string would end there and name another file
        raise ValueError(f"embedded null byte in {path!r}")  # as os.open says
    how = _OpenHow(flags, mode if flags & os.O_CREAT else 0, _RESOLVE)
    opened = syscall(_SYS_OPENAT2, root, encoded, ctypes.byref(how), ctypes.sizeof(how))
    if opened >= 0:
        return int(opened)
    error = ctypes.get_errno()
    if error in _NOT_THERE or error == errno.EAGAIN:  # EAGAIN: a rename raced; the walk is sure
        return None
    raise OSError(error, os.strerror(error), path)


@functools.cache
def _libc_syscall() -> Callable[..., int] | None:
    try:
        syscall = ctypes.CDLL(None, use_errno=True).syscall
    except (OSError, AttributeError):
        return None
    syscall.restype = ctypes.c_long
    syscall.argtypes = (
        ctypes.c_long,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_void_p,
        ctypes.c_size_t,
    )
    result: Callable[..., int] = syscall
    return result
