"""The PostgreSQL server of the tests: ``$AUTAN_TEST_POSTGRES_URL`` (``.ci/run`` starts one).

Without it the PostgreSQL tests are skipped, except in CI (``$CI`` set), where they fail.
Each test gets a fresh schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

URL_VARIABLE = "AUTAN_TEST_POSTGRES_URL"


def server_url() -> str:
    url = os.environ.get(URL_VARIABLE)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {URL_VARIABLE} is not: .ci/run must start PostgreSQL")
    pytest.skip(f"no PostgreSQL server: set {URL_VARIABLE}")


def schema_url() -> Iterator[str]:
    """A URL whose tables live in a new schema; the schema is dropped at the end."""
    import psycopg

    url = server_url()
    schema = f"autan_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {schema} CASCADE")
