"""A run as JSON lines: a ``run`` header (id, creation time, configuration), then its events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from autan.store._base import Store


def export_run(store: Store, run_id: str) -> Iterator[dict[str, Any]]:
    """The run's header record, then one record per event with its position ``seq``."""
    info = store.info(run_id)
    yield {"type": "run", "run_id": run_id, "created": info.created, "config": info.config}
    for seq, event in enumerate(store.load(run_id)):
        yield {"run_id": run_id, "seq": seq, **event.to_dict()}


def export_lines(store: Store, run_id: str) -> Iterator[str]:
    for record in export_run(store, run_id):
        yield json.dumps(record, ensure_ascii=False, default=str)
