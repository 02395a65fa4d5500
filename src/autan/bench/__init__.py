"""The benchmark harness: BFCL entries, their tools as autan ToolSpecs, and BFCL's AST scoring.

Nothing here is imported by ``import autan``; ``autan bench`` loads it on use.
"""

from __future__ import annotations

from autan.bench._data import Entry, available_categories, load_entries
from autan.bench._schema import tool_specs
from autan.bench._score import score

__all__ = ["Entry", "available_categories", "load_entries", "score", "tool_specs"]
