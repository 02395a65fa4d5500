"""The default store: one SQLite file, WAL mode, one row per event.

Durability. Every append is its own transaction and is committed before ``append`` returns. With
``journal_mode=WAL`` a commit is a write of the new pages plus a commit frame to the ``-wal``
file; once the ``write()`` system call returns, the bytes are in the kernel's page cache and
survive the death of the process, SIGKILL included. SQLite ignores a trailing frame without a
commit marker on recovery, so a kill in the middle of a commit loses that event and nothing else.
That is why the default is ``synchronous=NORMAL``: it survives any crash of the process, and
skips the ``fsync`` per commit. What NORMAL can lose is the last commits before a crash of the
*machine* (power loss, kernel panic); ``synchronous="FULL"`` fsyncs the WAL on every commit and
survives that too, at the price of one fsync per event (see BENCHMARKS.md).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from autan.errors import ConfigurationError, StoreError
from autan.events import Event
from autan.store._base import RunInfo, Store
from autan.store._codec import (
    EVENT_SCHEMA,
    dump_json,
    encode_event,
    events_from_rows,
    load_json,
)
from autan.store._lease import Holder, Lease, MayTake, lease_from_row
from autan.store._location import default_journal_path

LAYOUT_VERSION = 1
"""``PRAGMA user_version`` of a journal file: the table layout below."""
BUSY_SECONDS = 30.0
"""How long a statement waits for another process's lock before it fails."""

_LAYOUT = """
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    config TEXT NOT NULL
);
CREATE TABLE events (
    run_id TEXT NOT NULL REFERENCES runs (id),
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
"""

_LEASES = """
CREATE TABLE IF NOT EXISTS leases (
    run_id TEXT PRIMARY KEY REFERENCES runs (id),
    token TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    machine TEXT NOT NULL,
    heartbeat REAL NOT NULL
)
"""
"""Who runs each run now (``_lease.py``). Added to layout 1 without a new version: an older
autan reads such a file as before and ignores the table."""

_NOW = "((julianday('now') - 2440587.5) * 86400.0)"
"""Unix time by SQLite's clock: every heartbeat and age is measured by it."""

_SUMMARY = f"""
SELECT id, created, config,
    (SELECT seq FROM events WHERE run_id = runs.id ORDER BY seq DESC LIMIT 1),
    (SELECT type FROM events WHERE run_id = runs.id ORDER BY seq DESC LIMIT 1),
    leases.pid, leases.host, leases.machine, {_NOW} - leases.heartbeat
FROM runs LEFT JOIN leases ON leases.run_id = runs.id
"""

_FENCED_APPEND = """
INSERT INTO events (run_id, seq, type, schema, data) SELECT ?1, ?2, ?3, ?4, ?5
WHERE ?6 IS NULL OR EXISTS (SELECT 1 FROM leases WHERE run_id = ?1 AND token = ?6)
"""

_CURRENT_LEASE = f"SELECT pid, host, machine, {_NOW} - heartbeat FROM leases WHERE run_id = ?"
_TAKE_LEASE = f"INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?, ?, {_NOW})"

Synchronous = Literal["NORMAL", "FULL"]


class SQLiteStore(Store):
    """A journal in one SQLite file (default: ``$AUTAN_HOME/journal.sqlite3``).

    Safe to share between threads and between processes on one machine.
    """

    def __init__(
        self,
        path: str | PathLike[str] | None = None,
        *,
        synchronous: Synchronous = "NORMAL",
        must_exist: bool = False,
    ) -> None:
        """``must_exist``: a missing file is a ``ConfigurationError`` (nothing is created)."""
        if synchronous not in ("NORMAL", "FULL"):
            raise ConfigurationError(f"synchronous must be NORMAL or FULL, got {synchronous!r}")
        self.path = Path(path) if path is not None else default_journal_path()
        if must_exist and not self.path.is_file():
            raise ConfigurationError(f"no journal at {self.path} (autan run creates one)")
        self._lock = threading.Lock()
        self._connection = _connect(self.path, synchronous)

    def create_run(self, run_id: str, config: Mapping[str, Any]) -> None:
        with self._sql(f"cannot create run {run_id}") as db:
            db.execute(
                "INSERT INTO runs (id, created, config) VALUES (?, ?, ?)",
                (run_id, time.time(), dump_json(config)),
            )

    def append(self, run_id: str, seq: int, event: Event, lease: str | None = None) -> None:
        row = (run_id, seq, event.kind, EVENT_SCHEMA, encode_event(event), lease)
        what = f"cannot append event {seq} to run {run_id}"
        with self._sql(what) as db:
            written = db.execute(_FENCED_APPEND, row).rowcount
        if not written:
            raise StoreError(f"{what}: another process took over its lease ({self.path})")

    def take_lease(
        self, run_id: str, token: str, holder: Holder, may_take: MayTake
    ) -> Lease | None:
        with self._sql(f"cannot take the lease of run {run_id}") as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                current = lease_from_row(db.execute(_CURRENT_LEASE, (run_id,)).fetchone())
                taken = current is None or may_take(current)
                if taken:
                    row = (run_id, token, holder.pid, holder.host, holder.machine)
                    db.execute(_TAKE_LEASE, row)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return None if taken else current

    def renew_lease(self, run_id: str, token: str) -> bool:
        with self._sql(f"cannot renew the lease of run {run_id}") as db:
            renewed = db.execute(
                f"UPDATE leases SET heartbeat = {_NOW} WHERE run_id = ? AND token = ?",
                (run_id, token),
            ).rowcount
        return bool(renewed)

    def release_lease(self, run_id: str, token: str) -> None:
        with self._sql(f"cannot release the lease of run {run_id}") as db:
            db.execute("DELETE FROM leases WHERE run_id = ? AND token = ?", (run_id, token))

    def load(self, run_id: str, start: int = 0) -> list[Event]:
        self.info(run_id)
        with self._sql(f"cannot load run {run_id}") as db:
            rows = db.execute(
                "SELECT seq, type, schema, data FROM events WHERE run_id = ? AND seq >= ? "
                "ORDER BY seq",
                (run_id, start),
            ).fetchall()
        return events_from_rows(run_id, rows, start)

    def info(self, run_id: str) -> RunInfo:
        with self._sql(f"cannot read run {run_id}") as db:
            row = db.execute(_SUMMARY + "WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise ConfigurationError(f"no run {run_id!r} in {self.path}")
        return _run_info(row)

    def runs(self, limit: int | None = None) -> list[RunInfo]:
        with self._sql("cannot list runs") as db:
            rows = db.execute(
                _SUMMARY + "ORDER BY created DESC, id LIMIT ?", (-1 if limit is None else limit,)
            ).fetchall()
        return [_run_info(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    @contextmanager
    def _sql(self, what: str) -> Iterator[sqlite3.Connection]:
        """Serialise use of the connection; turn sqlite3 errors into ``StoreError``."""
        with self._lock:
            try:
                yield self._connection
            except sqlite3.Error as error:
                raise StoreError(f"{what}: {error} ({self.path})") from None


def _connect(path: Path, synchronous: Synchronous) -> sqlite3.Connection:
    if path.is_dir():
        raise ConfigurationError(f"the journal {path} is a directory; give a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"cannot open the journal {path}: {error}") from None
    try:
        _switch_to_wal(connection)
        connection.execute(f"PRAGMA synchronous={synchronous}")
        connection.execute("PRAGMA foreign_keys=ON")
        _ensure_layout(connection)
    except sqlite3.Error as error:
        connection.close()
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
            raise ConfigurationError(f"{path} is not a journal: {error}") from None
        raise StoreError(f"cannot open the journal {path}: {error}") from None
    except StoreError:
        connection.close()
        raise
    return connection


def _switch_to_wal(connection: sqlite3.Connection) -> None:
    """``journal_mode=WAL``, waiting for other connections as long as any statement would.

    While another connection holds a write lock in rollback mode (a new file that several
    processes open at once), the switch fails at once: SQLite does not call the busy handler
    where waiting could deadlock. So it is tried again, until ``BUSY_SECONDS``.
    """
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorname != "SQLITE_BUSY" or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _ensure_layout(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            for statement in _LAYOUT.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version={LAYOUT_VERSION}")
        elif version > LAYOUT_VERSION:
            raise StoreError(
                f"journal layout {version} is newer than this version of autan ({LAYOUT_VERSION})"
            )
        connection.execute(_LEASES)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _run_info(row: tuple[Any, ...]) -> RunInfo:
    run_id, created, config, last_seq, last_type = row[:5]
    events = 0 if last_seq is None else last_seq + 1
    return RunInfo(run_id, created, load_json(config), events, last_type, lease_from_row(row[5:]))
