"""A store for many workers: PostgreSQL through ``psycopg`` 3 (``pip install 'autan[postgres]'``).

The same two tables as SQLite, prefixed ``autan_`` so that they can share a database. Every
append is its own committed transaction (autocommit); PostgreSQL's default
``synchronous_commit=on`` flushes the WAL before the commit returns, so an appended event
survives the death of the worker and of the server's machine. ``(run_id, seq)`` is the primary
key: two workers continuing the same run cannot both append an event at one position.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

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

if TYPE_CHECKING:
    import psycopg

LAYOUT_VERSION = 1
_LAYOUT_LOCK = 0x6175_7461_6E00  # "autan": serialises the creation of the tables
_LAYOUT = (
    """CREATE TABLE IF NOT EXISTS autan_layout (version INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS autan_runs (
        id TEXT PRIMARY KEY,
        created DOUBLE PRECISION NOT NULL,
        config TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS autan_events (
        run_id TEXT NOT NULL REFERENCES autan_runs (id),
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        schema INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS autan_leases (
        run_id TEXT PRIMARY KEY REFERENCES autan_runs (id),
        token TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        machine TEXT NOT NULL,
        heartbeat DOUBLE PRECISION NOT NULL
    )""",
)
_NOW = "extract(epoch from clock_timestamp())::double precision"
"""Unix time by the server's clock, which every worker shares."""
_SUMMARY = f"""
SELECT id, created, config,
    (SELECT seq FROM autan_events WHERE run_id = r.id ORDER BY seq DESC LIMIT 1),
    (SELECT type FROM autan_events WHERE run_id = r.id ORDER BY seq DESC LIMIT 1),
    l.pid, l.host, l.machine, {_NOW} - l.heartbeat
FROM autan_runs r LEFT JOIN autan_leases l ON l.run_id = r.id
"""
_FENCED_APPEND = """
INSERT INTO autan_events (run_id, seq, type, schema, data)
SELECT %(run)s, %(seq)s, %(type)s, %(schema)s, %(data)s
WHERE %(lease)s::text IS NULL
    OR EXISTS (SELECT 1 FROM autan_leases WHERE run_id = %(run)s AND token = %(lease)s)
"""
_CURRENT_LEASE = (
    f"SELECT pid, host, machine, {_NOW} - heartbeat FROM autan_leases WHERE run_id = %s"
)
_TAKE_LEASE = f"""
INSERT INTO autan_leases VALUES (%s, %s, %s, %s, %s, {_NOW})
ON CONFLICT (run_id) DO UPDATE SET token = EXCLUDED.token, pid = EXCLUDED.pid,
    host = EXCLUDED.host, machine = EXCLUDED.machine, heartbeat = EXCLUDED.heartbeat
"""


class PostgresStore(Store):
    """A journal in a PostgreSQL database, shared by any number of processes and machines."""

    def __init__(self, url: str) -> None:
        self.url = redact(url)
        self._lock = threading.Lock()
        self._connection = _connect(url, self.url)

    def create_run(self, run_id: str, config: Mapping[str, Any]) -> None:
        with self._sql(f"cannot create run {run_id}") as db:
            db.execute(
                "INSERT INTO autan_runs (id, created, config) VALUES (%s, %s, %s)",
                (run_id, time.time(), dump_json(config)),
            )

    def append(self, run_id: str, seq: int, event: Event, lease: str | None = None) -> None:
        row = {
            "run": run_id,
            "seq": seq,
            "type": event.kind,
            "schema": EVENT_SCHEMA,
            "data": encode_event(event),
            "lease": lease,
        }
        what = f"cannot append event {seq} to run {run_id}"
        with self._sql(what) as db:
            written = db.execute(_FENCED_APPEND, row).rowcount
        if not written:
            raise StoreError(f"{what}: another process took over its lease ({self.url})")

    def take_lease(
        self, run_id: str, token: str, holder: Holder, may_take: MayTake
    ) -> Lease | None:
        with self._sql(f"cannot take the lease of run {run_id}") as db, db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (run_id,))
            current = lease_from_row(db.execute(_CURRENT_LEASE, (run_id,)).fetchone())
            if current is not None and not may_take(current):
                return current
            db.execute(_TAKE_LEASE, (run_id, token, holder.pid, holder.host, holder.machine))
        return None

    def renew_lease(self, run_id: str, token: str) -> bool:
        with self._sql(f"cannot renew the lease of run {run_id}") as db:
            renewed = db.execute(
                f"UPDATE autan_leases SET heartbeat = {_NOW} WHERE run_id = %s AND token = %s",
                (run_id, token),
            ).rowcount
        return bool(renewed)

    def release_lease(self, run_id: str, token: str) -> None:
        with self._sql(f"cannot release the lease of run {run_id}") as db:
            db.execute("DELETE FROM autan_leases WHERE run_id = %s AND token = %s", (run_id, token))

    def load(self, run_id: str, start: int = 0) -> list[Event]:
        self.info(run_id)
        with self._sql(f"cannot load run {run_id}") as db:
            rows = db.execute(
                "SELECT seq, type, schema, data FROM autan_events "
                "WHERE run_id = %s AND seq >= %s ORDER BY seq",
                (run_id, start),
            ).fetchall()
        return events_from_rows(run_id, rows, start)

    def info(self, run_id: str) -> RunInfo:
        with self._sql(f"cannot read run {run_id}") as db:
            row = db.execute(_SUMMARY + "WHERE id = %s", (run_id,)).fetchone()
        if row is None:
            raise ConfigurationError(f"no run {run_id!r} in {self.url}")
        return _run_info(row)

    def runs(self, limit: int | None = None) -> list[RunInfo]:
        with self._sql("cannot list runs") as db:
            rows = db.execute(_SUMMARY + "ORDER BY created DESC, id LIMIT %s", (limit,)).fetchall()
        return [_run_info(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    @contextmanager
    def _sql(self, what: str) -> Iterator[psycopg.Connection[Any]]:
        """Serialise use of the connection; turn psycopg errors into ``StoreError``."""
        import psycopg

        with self._lock:
            try:
                yield self._connection
            except psycopg.Error as error:
                raise StoreError(f"{what}: {_first_line(error)} ({self.url})") from None


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _connect(url: str, shown: str) -> psycopg.Connection[Any]:
    try:
        import psycopg
    except ImportError:
        raise ConfigurationError(
            "a postgresql:// store needs psycopg: pip install 'autan[postgres]'"
        ) from None
    try:
        connection = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as error:
        raise StoreError(f"cannot open the journal {shown}: {_first_line(error)}") from None
    try:
        _ensure_layout(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def _ensure_layout(connection: psycopg.Connection[Any]) -> None:
    import psycopg

    try:
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (_LAYOUT_LOCK,))
            for statement in _LAYOUT:
                connection.execute(statement)
            row = connection.execute("SELECT max(version) FROM autan_layout").fetchone()
            version = row[0] if row else None
            if version is None:
                connection.execute("INSERT INTO autan_layout VALUES (%s)", (LAYOUT_VERSION,))
            elif version > LAYOUT_VERSION:
                raise StoreError(
                    f"journal layout {version} is newer than this version of autan "
                    f"({LAYOUT_VERSION})"
                )
    except psycopg.Error as error:
        raise StoreError(f"cannot prepare the journal tables: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _run_info(row: tuple[Any, ...]) -> RunInfo:
    run_id, created, config, last_seq, last_type = row[:5]
    events = 0 if last_seq is None else last_seq + 1
    return RunInfo(run_id, created, load_json(config), events, last_type, lease_from_row(row[5:]))
