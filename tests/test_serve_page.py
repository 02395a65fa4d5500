"""The web page of ``autan serve`` in a real browser: Playwright drives Debian's Chromium,
headless, against the app on loopback (ScriptedModel agents). Nothing is downloaded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autan import SQLiteStore, tool
from serve_browser import needs_chromium, page, shot, sync_api
from serve_support import TOKEN, Gate, ScriptedAgents, approval_tool, served

pytestmark = needs_chromium
__all__ = ["page"]  # the fixture


def test_start_watch_live_approve_and_see_the_answer(page: sync_api.Page, tmp_path: Path) -> None:
    expect = sync_api.expect
    gate, deleted = Gate(), []
    script = [("wait_here", {"label": "first"}), ("delete", {"path": "/tmp/x"}), "all done"]
    agents = ScriptedAgents(script, [gate.tool(), approval_tool(deleted)])
    with SQLiteStore(tmp_path / "journal.sqlite3") as store, served(store, agents) as base:
        page.goto(f"{base}/#token={TOKEN}")
        page.fill("#task", "Tidy /tmp, then say so")
        page.click("#start")
        timeline = page.locator("#timeline")
        expect(timeline.locator("li[data-kind=tool_call]")).to_contain_text("wait_here")
        expect(page.locator("#run-status")).to_have_text("running")  # live: the tool still runs
        assert timeline.locator("li[data-kind=final_answer]").count() == 0
        gate.opened.set()
        expect(page.locator("#decision")).to_be_visible()
        expect(page.locator("#awaited")).to_have_text('delete({"path":"/tmp/x"})')
        expect(page.locator("#runs tbody tr .status")).to_have_text("awaiting_approval")
        assert deleted == []
        shot(page, tmp_path, "serve-approval.png")
        page.fill("#reason", "ok")
        page.click("#approve")
        expect(page.locator("#answer")).to_have_text("all done")
        expect(timeline.locator("li[data-kind=approval_decided]")).to_contain_text("approved")
        expect(timeline.locator("li[data-kind=tool_result]").last).to_contain_text("deleted /tmp/x")
        expect(page.locator("#runs tbody tr .status")).to_have_text("completed")
        expect(page.locator("#chart rect")).to_have_count(6)  # prompt + completion, 3 steps
        shot(page, tmp_path, "serve-page.png")
    assert deleted == ["/tmp/x"]


def test_task_text_and_tool_output_are_shown_as_text(page: sync_api.Page, tmp_path: Path) -> None:
    expect = sync_api.expect

    @tool
    def fetch(url: str) -> str:
        """Fetch a page."""
        return '<script>window.pwned = 2</script><b id="injected">bold</b>'

    task = '<img src=x onerror="window.pwned = 1">'
    agents = ScriptedAgents([("fetch", {"url": "<i>u</i>"}), "<u>done</u>"], [fetch])
    with SQLiteStore(tmp_path / "journal.sqlite3") as store, served(store, agents) as base:
        page.goto(f"{base}/#token={TOKEN}")
        page.fill("#task", task)
        page.click("#start")
        expect(page.locator("#answer")).to_have_text("<u>done</u>")
        expect(page.locator("#timeline li[data-kind=tool_result]")).to_contain_text("<b id=")
        expect(page.locator("#run-task")).to_have_text(task)
        expect(page.locator("#runs td.task")).to_have_text(task)
        assert page.evaluate("window.pwned") is None
        assert page.locator("main img, main b, main i, main u, #injected").count() == 0


def test_without_a_token_the_page_asks_for_it(page: sync_api.Page, tmp_path: Path) -> None:
    expect = sync_api.expect
    with (
        SQLiteStore(tmp_path / "journal.sqlite3") as store,
        served(store, ScriptedAgents(["hi"])) as base,
    ):
        page.goto(base)
        expect(page.locator("#token-form")).to_be_visible()
        page.fill("#token", TOKEN)
        page.click("#token-form button")
        page.fill("#task", "say hi")
        page.click("#start")
        expect(page.locator("#answer")).to_have_text("hi")


@pytest.mark.e2e
def test_a_fresh_install_serves_the_embedded_model(page: sync_api.Page, tmp_path: Path) -> None:
    """``autan serve``, then open the URL it prints (with the new token), start a run from the
    form, see the embedded model's answer."""
    import re
    import signal
    import subprocess
    import sys

    expect = sync_api.expect
    source = Path(__file__).resolve().parent.parent / "src"
    env = {**os.environ, "PYTHONPATH": str(source)}
    env.pop("AUTAN_TOOL_PROTOCOL", None)
    command = [sys.executable, "-m", "autan", "serve", "--port", "0"]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    assert server.stderr is not None
    try:
        said = server.stderr.readline() + server.stderr.readline()
        printed = re.search(r"open (http://\S+#token=\S+) ", said)
        assert printed is not None, said
        page.goto(printed.group(1))
        page.fill("#task", "What is 37 * 91?")
        page.click("#start")
        slow = {"timeout": 300_000}  # a shared CPU: the model loads, then three steps
        calls = page.locator("#timeline li[data-kind=tool_call]")
        expect(calls).to_contain_text("calculator", **slow)
        expect(page.locator("#answer")).to_have_text("3367", **slow)
        expect(page.locator("#runs tbody tr .status")).to_have_text("completed", **slow)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(120)
