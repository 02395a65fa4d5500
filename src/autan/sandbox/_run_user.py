"""Which user does one sandboxed run get when autan is root? A uid of its own.

The uid comes from a reserved range (``FIRST_UID`` to ``FIRST_UID + COUNT - 1``, chosen far
above the ranges distributions give users, ``nobody`` and systemd's dynamic users); a run
claims one by holding an exclusive ``flock`` on ``LOCKS/<uid>.lock`` for as long as it runs,
so two runs (in one process or in many) never share a uid, and a crashed host releases its
claim with its descriptors. A uid of its own means the code cannot signal, renice, pin or
``prlimit`` another run's processes, nor ``chmod`` another run's workspace, and its
``RLIMIT_NPROC`` counts its own processes only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from autan.errors import SandboxUnavailable

FIRST_UID = 0x6A7A0000
COUNT = 1 << 16
LOCKS = Path("/run/autan-sandbox-uids")
_TRIES = 64


@dataclass
class RunUser:
    """A claimed uid (its group id is the same number); ``release`` when the run is over."""

    uid: int
    _lock: int = field(repr=False)

    def release(self) -> None:
        if self._lock >= 0:
            with contextlib.suppress(OSError):
                os.close(self._lock)
            self._lock = -1


def claim_run_user() -> RunUser:
    """A uid no other live run holds; ``SandboxUnavailable`` when none can be claimed."""
    try:
        LOCKS.mkdir(mode=0o700, exist_ok=True)
        if LOCKS.stat().st_uid != 0 or LOCKS.is_symlink():
            raise SandboxUnavailable(f"{LOCKS} is not a directory of root's")
        for _ in range(_TRIES):
            uid = FIRST_UID + secrets.randbelow(COUNT)
            lock = _lock(LOCKS / f"{uid}.lock")
            if lock is not None:
                return RunUser(uid, lock)
    except OSError as error:
        raise SandboxUnavailable(f"cannot claim a uid for the sandbox: {error}") from error
    raise SandboxUnavailable(f"no free sandbox uid after {_TRIES} tries")


def _lock(path: Path) -> int | None:
    """The locked descriptor of ``path``, or None when another run holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd
