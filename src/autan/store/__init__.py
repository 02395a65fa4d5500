"""Journal stores: where runs and their events are kept. SQLite by default.

``open_store()`` opens the default journal (``$AUTAN_HOME/journal.sqlite3``); ``open_store(path)``
another SQLite file; ``open_store("postgresql://…")`` a PostgreSQL database (``autan[postgres]``).
"""

from __future__ import annotations

from os import PathLike

from autan.errors import ConfigurationError
from autan.store._base import RunInfo, RunStatus, Store
from autan.store._export import export_lines, export_run
from autan.store._lease import (
    HEARTBEAT_SECONDS,
    LEASE_SECONDS,
    HeldLease,
    Holder,
    Lease,
    MayTake,
)
from autan.store._lineage import BATCH_KEY, PARENT_KEY, TIER_KEY
from autan.store._location import autan_home, default_journal_path
from autan.store._postgres import PostgresStore
from autan.store._sqlite import SQLiteStore
from autan.store.approvals import answer, decide, pending, pending_question

__all__ = [
    "BATCH_KEY",
    "HEARTBEAT_SECONDS",
    "LEASE_SECONDS",
    "PARENT_KEY",
    "TIER_KEY",
    "HeldLease",
    "Holder",
    "Lease",
    "MayTake",
    "PostgresStore",
    "RunInfo",
    "RunStatus",
    "SQLiteStore",
    "Store",
    "answer",
    "autan_home",
    "decide",
    "default_journal_path",
    "export_lines",
    "export_run",
    "open_store",
    "pending",
    "pending_question",
]


def open_store(location: str | PathLike[str] | None = None, *, must_exist: bool = False) -> Store:
    """The store at ``location``: a SQLite file path, a ``postgresql://`` URL, or ``None`` for
    the default journal. With ``must_exist`` a SQLite journal that is not there is a
    ``ConfigurationError``, not created (for commands that only read or continue runs)."""
    text = str(location) if location is not None else ""
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresStore(text)
    if "://" in text:
        raise ConfigurationError(
            f"unsupported store {text.split('://')[0]!r}; give a SQLite file path or a "
            "postgresql:// URL"
        )
    return SQLiteStore(location, must_exist=must_exist)
