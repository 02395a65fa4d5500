"""The Landlock launcher's root of its own (as root, in its mount namespace): a small tmpfs that
holds only what the policy names (the system and interpreter paths, read-only; the few
devices; the workspace; a fresh ``/proc``), each at its host path, and ``pivot_root`` into it,
the host's tree detached. Landlock alone denies opening a host file but not naming it: ``stat``,
``readlink``, listing a directory's names and ``inotify`` on it reach any host path. Here a
path that was not given does not exist. (bubblewrap's ``--ro-bind``/``--dir``/``--symlink``
build the same kind of root, ``_bwrap.py``.)"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Iterable

from autan.sandbox._namespaces import MS_NODEV, MS_NOEXEC, MS_NOSUID, check, mount

_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC = 1, 32, 4096, 0x4000
_MNT_DETACH = 2
_ROOT_OPTIONS = "size=1m,nr_inodes=4096,mode=0755"
_PIVOT_ROOT = {"x86_64": 155, "i686": 217, "aarch64": 41, "armv7l": 218, "riscv64": 41,
               "ppc64le": 203, "s390x": 217, "loongarch64": 41}  # fmt: skip


def enter_minimal_root(
    shown: Iterable[str], writable: Iterable[str], workspace: str, tmpfs: dict[str, int] | None
) -> None:
    """Make the root and enter it. ``shown``: the paths to mirror read-only; ``writable``:
    those to mirror writable (devices); ``workspace``: bound as it is (writable when it is in
    ``writable``), or, for a fresh one, a tmpfs sized by ``tmpfs`` in bytes and in inodes
    (so the kernel refuses a write past the quota) and owned by the run's uid."""
    libc = ctypes.CDLL(None, use_errno=True)
    host_workspace = os.open(workspace, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    root = workspace  # a directory of this namespace: the new root's mount point
    mount(libc, "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, _ROOT_OPTIONS)
    writable = set(writable)
    covered: list[str] = []
    for path in sorted({*shown, *writable} - {workspace}):
        _mirror(libc, root, path, path in writable, covered)
    inside = _directory_for(root, workspace)
    if tmpfs is not None:
        options = (
            f"size={tmpfs['size']},nr_inodes={tmpfs['inodes']},mode=0700,"
            f"uid={tmpfs['uid']},gid={tmpfs['uid']}"
        )
        mount(libc, "tmpfs", inside, "tmpfs", MS_NOSUID | MS_NODEV, options)
    else:
        source = f"/proc/self/fd/{host_workspace}"
        _bind(libc, source, inside, workspace in writable, recursive=False)
    os.close(host_workspace)
    proc = _directory_for(root, "/proc")
    mount(libc, "proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    mount(libc, None, root, None, _MS_REMOUNT | _MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    _pivot(libc, root)


def _mirror(libc: ctypes.CDLL, root: str, path: str, writable: bool, covered: list[str]) -> None:
    """``path`` at its place under ``root``: a link as a link, a directory or file bound;
    nothing when it does not exist or is already visible through one mirrored before."""
    if not os.path.lexists(path) or _visible(path, covered):
        return
    target = root + path
    if os.path.islink(path):
        _directory_for(root, os.path.dirname(path))
        os.symlink(os.readlink(path), target)
    elif os.path.isdir(path):
        _bind(libc, path, _directory_for(root, path), writable)
    else:
        _directory_for(root, os.path.dirname(path))
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o644))
        _bind(libc, path, target, writable, device=path.startswith("/dev/"))
    covered.append(path)


def _visible(path: str, covered: list[str]) -> bool:
    """Whether ``path`` is seen already: under a mirrored directory, or through a mirrored
    link (``/bin`` → ``usr/bin``) into one."""
    real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    return any(candidate.startswith(done + "/") for done in covered for candidate in (path, real))


def _directory_for(root: str, path: str) -> str:
    """``root + path`` made a directory, with parents every user can pass through (the code
    runs as a uid of its own; a host parent such as ``/root`` may be 0700)."""
    target = root + path
    os.makedirs(target, mode=0o755, exist_ok=True)
    return target


def _bind(
    libc: ctypes.CDLL,
    source: str,
    target: str,
    writable: bool,
    device: bool = False,
    recursive: bool = True,
) -> None:
    """A bind mount, read-only unless ``writable``, never set-uid, devices only for a device;
    ``recursive`` takes the mounts under ``source`` along (not for the workspace, whose own
    directory the new root is mounted on: that mount would come along too)."""
    mount(libc, source, target, None, _MS_BIND | (_MS_REC if recursive else 0), None)
    flags = _MS_REMOUNT | _MS_BIND | MS_NOSUID | (0 if device else MS_NODEV)
    if not writable:
        flags |= _MS_RDONLY
    if os.statvfs(target).f_flag & os.ST_NOEXEC:
        flags |= MS_NOEXEC  # kept: a remount would clear it
    mount(libc, None, target, None, flags, None)


def _pivot(libc: ctypes.CDLL, root: str) -> None:
    """``pivot_root(".", ".")``: the new root stacks over the old, which is then detached (no
    directory for the old root needed; glibc has no wrapper for the call)."""
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: no system call number known for {platform.machine()}")
    os.chdir(root)
    libc.syscall.restype = ctypes.c_long
    check(libc.syscall(ctypes.c_long(number), b".", b"."), "pivot_root")
    check(libc.umount2(b".", _MNT_DETACH), "umount the host's root")
    os.chdir("/")
