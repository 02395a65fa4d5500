"""A page whose server trickles its headers, one byte at a time and never ending them, is cut
off at the fetch's deadline, over TLS and plain HTTP (real servers on loopback,
``trickle_servers``): the fetch runs on the HTTP loop thread, where the whole wait is bounded,
not each byte's."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autan import Agent, ToolResulted
from autan.testing import ScriptedModel
from autan.web import fetch_tool
from trickle_servers import TrickledHeaders, certificates

DEADLINE = 1.5
GENEROUS = 12.0
"""Seconds a bounded fetch may take on a loaded machine; unbounded, it takes as long as the
trickle (``trickle_servers.SLOW_FOR``, 30 s)."""


def fetch_within(url: str) -> tuple[str, float]:
    """The tool error a model reads, and how long the call took."""
    tool = fetch_tool(allow_private=True, seconds=DEADLINE)
    with Agent(ScriptedModel([("fetch", {"url": url}), "done"]), [tool]) as agent:
        started = time.monotonic()
        (result,) = [e for e in agent.run("read it").events if isinstance(e, ToolResulted)]
    assert result.is_error
    return result.output, time.monotonic() - started


def test_a_tls_server_trickling_headers_is_cut_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context, ca = certificates(str(tmp_path))
    monkeypatch.setenv("SSL_CERT_FILE", ca)  # the fetch trusts the test CA, as configured
    with TrickledHeaders(context) as server:
        said, took = fetch_within(f"https://127.0.0.1:{server.port}/page")
    assert said == (
        f"error: fetch https://127.0.0.1:{server.port}/page: no complete answer within 1.5 s"
    )
    assert took < GENEROUS


def test_a_plain_server_trickling_headers_is_cut_at_the_deadline() -> None:
    with TrickledHeaders() as server:
        said, took = fetch_within(f"http://127.0.0.1:{server.port}/")
    assert said.endswith("no complete answer within 1.5 s")
    assert took < GENEROUS
