"""A tool result as the model reads it: text as text, structured content as compact JSON,
images, audio and resources as one line each (never their bytes), bounded in length."""

from __future__ import annotations

import json
from typing import Any

from autan.tools import render_output


class ToolFailed(RuntimeError):
    """The server answered ``isError``: the model reads the server's text as a tool error."""


def observation(result: Any) -> str:
    """The text of a ``CallToolResult``; raises ``ToolFailed`` for an ``isError`` result."""
    text = _text(result)
    if getattr(result, "is_error", False):
        raise ToolFailed(render_output(text or "the tool failed without saying why"))
    return text  # bounded where every tool's output is: ``render_output``


def _text(result: Any) -> str:
    structured = getattr(result, "structured_content", None)
    if structured is not None and not getattr(result, "is_error", False):
        return json.dumps(structured, ensure_ascii=False, separators=(",", ":"), default=str)
    return "\n".join(describe(block) for block in getattr(result, "content", []) or [])


def describe(block: Any) -> str:
    """One content block: its text, or one line saying what it is."""
    kind = getattr(block, "type", "")
    if kind == "text":
        return str(block.text)
    if kind in ("image", "audio"):
        size = len(str(getattr(block, "data", ""))) * 3 // 4
        return f"[{kind}: {getattr(block, 'mime_type', '?')}, {size:,} bytes]"
    if kind == "resource_link":
        mime = f", {block.mime_type}" if getattr(block, "mime_type", None) else ""
        return f"[resource link: {block.uri} ({block.name}{mime})]"
    if kind == "resource":
        return _embedded(block.resource)
    return f"[{kind or 'unknown'} content]"


def _embedded(resource: Any) -> str:
    mime = f", {resource.mime_type}" if getattr(resource, "mime_type", None) else ""
    text = getattr(resource, "text", None)
    if text is not None:
        return f"[resource: {resource.uri}{mime}, {len(text):,} characters]"
    size = len(str(getattr(resource, "blob", ""))) * 3 // 4
    return f"[resource: {resource.uri}{mime}, {size:,} bytes]"
