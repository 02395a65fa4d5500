"""Property-based tests of ``autan serve``'s API, generated from its own OpenAPI document by
schemathesis, over real HTTP: no input gets a 5xx, every answer matches the schema.

schemathesis's pytest plugin (``from_fixture``) does not run under pytest 9, so each
operation's hypothesis strategy is driven here."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from autan import SQLiteStore
from serve_support import AUTH, ScriptedAgents, served

schemathesis = pytest.importorskip("schemathesis")
EXAMPLES = 25


def test_every_endpoint_answers_within_its_schema(tmp_path: Path) -> None:
    with (
        SQLiteStore(tmp_path / "journal.sqlite3") as store,
        served(store, ScriptedAgents(["hello"])) as base,
    ):
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 10
        for operation in operations:
            _check(operation)
        assert store.runs()  # the generated requests did start runs


def _check(operation) -> None:  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def property(case) -> None:  # type: ignore[no-untyped-def]
        case.call_and_validate(headers=AUTH, timeout=30)

    property()
