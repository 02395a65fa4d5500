"""Who runs a run now: a lease in the store, kept alive by a heartbeat.

A process that starts or resumes a run takes the run's lease first (``Store.claim``) and renews
it every ``HEARTBEAT_SECONDS`` from a thread, so a long model call keeps it; it gives it back
when the run stops. Another process that wants the run is refused while the lease is live: its
heartbeat is younger than ``LEASE_SECONDS`` and, on the same machine, its process still exists.
A stale lease (a crashed process) is taken over. Every append of the holder names its lease, and
the store writes it only while that lease is the run's (a fence): a process that lost its lease
cannot add to the journal, so two processes never append to one journal at once.

Ages are measured by the store's clock (SQLite: this machine; PostgreSQL: the server), so
machines with different clocks agree on them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from autan.errors import AutanError

LEASE_SECONDS = 15.0
"""A lease whose last heartbeat is older than this is stale: its process is taken for dead."""
HEARTBEAT_SECONDS = 2.0
"""How often the holder renews its lease."""


@dataclass(frozen=True, slots=True)
class Holder:
    """The process that holds a lease."""

    pid: int
    host: str
    """The host name, for people."""
    machine: str
    """Where ``pid`` names this process: the kernel's boot id and the PID namespace."""

    @classmethod
    def this_process(cls) -> Holder:
        return cls(os.getpid(), socket.gethostname(), _this_machine())

    def is_gone(self) -> bool:
        """Whether the holder is known to have exited: its PID is free on this very machine."""
        if self.machine != _this_machine() or not self.machine:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # another user's live process
            return False
        return _exited(self.pid)


@dataclass(frozen=True, slots=True)
class Lease:
    """A run's lease as the store has it."""

    holder: Holder
    age: float
    """Seconds since its last heartbeat, by the store's clock."""

    def live(self, stale_after: float = LEASE_SECONDS) -> bool:
        return self.age <= stale_after and not self.holder.is_gone()

    def describe(self) -> str:
        return f"pid {self.holder.pid}, host {self.holder.host}, last heartbeat {self.age:.0f}s ago"


class LeaseStore(Protocol):
    """What a held lease needs of its store."""

    def renew_lease(self, run_id: str, token: str) -> bool: ...

    def release_lease(self, run_id: str, token: str) -> None: ...


class HeldLease:
    """A lease this process holds: renewed from a daemon thread until ``release``."""

    def __init__(
        self, store: LeaseStore, run_id: str, token: str, every: float = HEARTBEAT_SECONDS
    ) -> None:
        self.run_id = run_id
        self.token = token
        self.lost = False
        """Set when a renewal found the lease taken over: the next append will be refused."""
        self._store = store
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"autan-lease-{run_id}", daemon=True
        )
        self._thread.start()

    def release(self) -> None:
        """Stop the heartbeat and give the lease back (once; later calls do nothing)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join()
        if self.lost:
            return
        with contextlib.suppress(AutanError):  # a closed store: the lease goes stale
            self._store.release_lease(self.run_id, self.token)

    def hand_over(self) -> None:
        """Stop the heartbeat and leave the lease in the store, for a new claim by this same
        process to replace (``Store.take_lease`` with a ``may_take`` that allows it)."""
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._every):
            try:
                if not self._store.renew_lease(self.run_id, self.token):
                    self.lost = True
                    return
            except AutanError:  # a busy or closed store: the next beat tries again
                continue


def new_token() -> str:
    return secrets.token_hex(16)


MayTake = Callable[[Lease], bool]
"""Whether a claim may replace the lease a run has now."""


def stale(stale_after: float) -> MayTake:
    return lambda lease: not lease.live(stale_after)


def lease_from_row(row: tuple[Any, ...] | None) -> Lease | None:
    """A lease from a row ``pid, host, machine, age`` (``NULL``s: a run without one)."""
    if row is None or row[0] is None:
        return None
    pid, host, machine, age = row
    return Lease(Holder(int(pid), str(host), str(machine)), max(0.0, float(age)))


@cache
def _this_machine() -> str:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{boot} {namespace}"


def _exited(pid: int) -> bool:
    """Whether ``pid`` is a process that has exited but not been reaped (a zombie: a killed
    holder whose parent died too, waiting for an init that may never reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :][:1] in ("Z", "X")
