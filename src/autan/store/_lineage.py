"""Which runs are a user's own: the one owner of "is this a top-level run".

Some runs exist only inside another: a child run (``Agent.as_tool``, a team member, ids
``"<parent>:<step>:<index>"``), a cascade's tier run (``"<cascade>-<n>"``), and the record a
batch keeps its lease on (``"batch-<key>"``). Each says so in the configuration journaled when
it starts, under the keys below; listings show the others and reach these through their parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PARENT_KEY = "parent"
"""A child run's link to its parent: ``{"run_id": …, "step": …, "call_id": …}``."""
TIER_KEY = "cascade_tier"
"""A cascade tier's link to its cascade run: ``{"cascade": …, "tier": …}``."""
BATCH_KEY = "batch"
"""The record a batch holds its lease on: ``{"batch": <results directory>}``."""


def parent_of(config: Mapping[str, Any]) -> str | None:
    """The id of the run this one belongs under (a child's parent, a tier's cascade)."""
    for key, field in ((PARENT_KEY, "run_id"), (TIER_KEY, "cascade")):
        link = config.get(key)
        if isinstance(link, Mapping) and isinstance(link.get(field), str) and link[field]:
            return str(link[field])
    return None


def is_top_level(config: Mapping[str, Any]) -> bool:
    """A run a user started: neither part of another run nor a batch's lease record."""
    batch_record = BATCH_KEY in config and "task" not in config
    return parent_of(config) is None and not batch_record
