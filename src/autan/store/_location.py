"""Where the default journal lives: ``$AUTAN_HOME``, else the user's data directory (XDG)."""

from __future__ import annotations

import os
from pathlib import Path

JOURNAL_FILE = "journal.sqlite3"


def autan_home() -> Path:
    """``$AUTAN_HOME``; else ``$XDG_DATA_HOME/autan``; else ``~/.local/share/autan``."""
    explicit = os.environ.get("AUTAN_HOME")
    if explicit:
        return Path(explicit).expanduser()
    data = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data) if os.path.isabs(data) else Path.home() / ".local" / "share"
    return base / "autan"


def default_journal_path() -> Path:
    return autan_home() / JOURNAL_FILE
