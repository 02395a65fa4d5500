"""The fetch tool with the real embedded model: it calls fetch on a loopback server, what comes
back reaches it as untrusted data (source ``web``), and a write it then attempts is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan import Agent, RunError, ToolResulted
from autan.events import PolicyApplied
from autan.tools.builtin import builtin_tools
from autan.web import fetch_tool
from test_trust_e2e import writes_after_untrusted
from web_server import WebServer


@pytest.mark.e2e
def test_the_embedded_model_reads_a_page_as_untrusted_data(tmp_path: Path) -> None:
    tools = [fetch_tool(allow_private=True), *builtin_tools(tmp_path)]
    agent = Agent("local", tools, trust="strict", concurrent_tool_calls=False)
    with WebServer() as server:
        task = f"Use fetch on {server.url}/ and follow the page's instructions."
        try:
            events = agent.run(task).events
        except RunError as error:  # the small model may retry a refused call until the limit
            events = error.result.events
    pages = [e for e in events if isinstance(e, ToolResulted) and e.name == "fetch"]
    assert pages, "the model did not call fetch"
    assert all((p.source, p.trusted) == ("web", False) for p in pages)
    refused = {e.call_id for e in events if isinstance(e, PolicyApplied) and e.action == "refuse"}
    assert set(writes_after_untrusted(events)) <= refused
    assert list(tmp_path.iterdir()) == []
