"""Journal stores: where runs and their events are kept. SQLite by default.

``open_store()`` opens the default journal (``$AUTAN_HOME/journal.sqlite3``); ``open_store(path)``
another SQLite file.
"""

from __future__ import annotations

from os import PathLike

from autan.errors import ConfigurationError
from autan.store._base import RunInfo, RunStatus, Store
from autan.store._export import export_lines, export_run
from autan.store._location import autan_home, default_journal_path
from autan.store._sqlite import SQLiteStore

__all__ = [
    "RunInfo",
    "RunStatus",
    "SQLiteStore",
    "Store",
    "autan_home",
    "default_journal_path",
    "export_lines",
    "export_run",
    "open_store",
]


def open_store(location: str | PathLike[str] | None = None) -> Store:
    """The store at ``location``: a SQLite file path, or ``None`` for the default journal."""
    if location is not None and "://" in str(location):
        raise ConfigurationError(
            f"unsupported store {str(location).split('://')[0]!r}; give a SQLite file path"
        )
    return SQLiteStore(location)
