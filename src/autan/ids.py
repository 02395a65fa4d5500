"""Run ids: short, random, safe in file names and URLs."""

from __future__ import annotations

import os


def new_run_id() -> str:
    """16 hex digits (64 random bits): unique enough for many workers sharing one store."""
    return os.urandom(8).hex()
