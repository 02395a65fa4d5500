"""A page's readable text: HTML as Markdown (markdownify over BeautifulSoup), with what a
reader never sees as text (scripts, styles, templates) left out."""

from __future__ import annotations

import re

_UNREAD = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed")
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


def page_text(html: str) -> str:
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(html, "html.parser")
    for element in soup(_UNREAD):
        element.decompose()
    markdown = MarkdownConverter(heading_style="ATX", strip=["img"]).convert_soup(soup)
    return _BLANK_LINES.sub("\n\n", markdown).strip()
