"""What the browser tests of ``autan serve``'s pages share: Playwright driving Debian's
Chromium, headless (nothing is downloaded), and screenshots kept where ``AUTAN_SCREENSHOTS``
says."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Debian chromium")
SHOTS = os.environ.get("AUTAN_SCREENSHOTS")
"""A directory to keep the screenshots in (``docs/`` to refresh the README's)."""


@pytest.fixture
def page() -> Iterator[sync_api.Page]:
    arguments = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root otherwise
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=arguments)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def shot(page: sync_api.Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG")
    if SHOTS:
        shutil.copy(path, Path(SHOTS) / name)
