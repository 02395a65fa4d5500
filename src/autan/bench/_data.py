"""Which BFCL entries are in a data directory (the ``bfcl_eval/data`` layout), with their answers.

Questions live in ``BFCL_v4_<category>.json`` (JSON lines), ground truth in
``possible_answer/BFCL_v4_<category>.json``; ``BFCL_v3_`` names are read the same way.
Only single-turn categories are supported: multi-turn and agentic ones need BFCL's simulators.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from autan.errors import ConfigurationError

_FILE = re.compile(r"^BFCL_v(\d+)_(.+)\.json$")
_UNSUPPORTED = ("multi_turn", "web_search", "memory", "format_sensitivity")
Item = TypeVar("Item")
NO_CALL_CATEGORIES = ("irrelevance", "live_irrelevance")
"""Categories where the right output is no call at all (no ground truth file)."""
HALVES = ("calibration", "report")
"""A fixed split of every category: an entry is in ``report`` when the first byte of the
SHA-256 of its id is odd. Choices (margins, strategies) are made on ``calibration`` only."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One BFCL test: the conversation, the functions offered, and the allowed calls."""

    id: str
    category: str
    messages: tuple[dict[str, str], ...]
    functions: tuple[dict[str, Any], ...]
    ground_truth: tuple[dict[str, dict[str, list[Any]]], ...]


def available_categories(data_dir: Path) -> dict[str, Path]:
    """Supported category name → question file, newest BFCL version first when both exist."""
    found: dict[str, tuple[int, Path]] = {}
    for path in sorted(data_dir.glob("BFCL_v*_*.json")):
        match = _FILE.match(path.name)
        if not match or match.group(2).startswith(_UNSUPPORTED):
            continue
        version, category = int(match.group(1)), match.group(2)
        if category not in found or found[category][0] < version:
            found[category] = (version, path)
    return {category: path for category, (_, path) in sorted(found.items())}


def load_entries(
    data_dir: Path,
    categories: list[str] | None = None,
    limit: int | None = None,
    seed: int | None = None,
    half: str | None = None,
) -> list[Entry]:
    """The entries of ``categories`` (default: every supported one), only those of ``half``
    when given, ``limit`` per category: the first ones, or a sample drawn with ``seed``."""
    files = available_categories(data_dir)
    if not files:
        raise ConfigurationError(f"no BFCL_v*_<category>.json files in {data_dir}")
    wanted = categories or list(files)
    unknown = [name for name in wanted if name not in files]
    if unknown:
        raise ConfigurationError(
            f"unknown or unsupported categories {', '.join(unknown)}; available: {', '.join(files)}"
        )
    if half is not None and half not in HALVES:
        raise ConfigurationError(f"half must be one of {', '.join(HALVES)}, got {half!r}")
    entries: list[Entry] = []
    for category in wanted:
        read = _read_category(files[category], category)
        mine = read if half is None else [entry for entry in read if half_of(entry.id) == half]
        chosen = choose(mine, limit, seed)
        entries.extend(chosen)
    return entries


def half_of(entry_id: str) -> str:
    """The half of ``HALVES`` an entry is in (a fixed rule on its id)."""
    return HALVES[hashlib.sha256(entry_id.encode()).digest()[0] % 2]


def choose(entries: list[Item], limit: int | None, seed: int | None) -> list[Item]:
    """The first ``limit`` entries, or ``limit`` drawn with ``seed`` (in file order)."""
    if limit is None or limit >= len(entries):
        return entries
    if seed is None:
        return entries[:limit]
    picked = sorted(random.Random(seed).sample(range(len(entries)), limit))
    return [entries[index] for index in picked]


def _read_category(path: Path, category: str) -> list[Entry]:
    answers = _read_answers(path.parent / "possible_answer" / path.name, category)
    entries = []
    for record in json_lines(path):
        truth = answers.get(record["id"], ())
        entries.append(
            Entry(
                id=record["id"],
                category=category,
                messages=tuple(record["question"][0]),
                functions=tuple(record["function"]),
                ground_truth=tuple(truth),
            )
        )
    return entries


def _read_answers(path: Path, category: str) -> dict[str, list[dict[str, dict[str, list[Any]]]]]:
    if category in NO_CALL_CATEGORIES or "relevance" in category:
        return {}
    if not path.is_file():
        raise ConfigurationError(f"no ground truth for {category}: {path} is missing")
    return {record["id"]: record["ground_truth"] for record in json_lines(path)}


def json_lines(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except (OSError, json.JSONDecodeError) as error:
        raise ConfigurationError(f"cannot read {path}: {error}") from None
