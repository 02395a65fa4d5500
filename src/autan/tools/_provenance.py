"""Where a tool's results come from, whether that text may be believed, and whether the tool
changes anything: the facts the loop's trust policy (``autan.loop.trust``) decides on."""

from __future__ import annotations

from autan.tools._tool import Tool
from autan.tools._trust import Trust

SOURCE_TRUST: dict[str, Trust] = {
    "builtin": "trusted",
    "function": "trusted",
    "sandbox": "trusted",
    "mcp": "untrusted",
    "file": "untrusted",
    "web": "untrusted",
}
"""The default trust of each source kind (``Tool.source`` up to its ``:``): text written by
someone else (a file's contents, a page, another server's answer) is untrusted."""

SIDE_EFFECT_TOOLS = frozenset({"write_file"})
"""Built-in tools that change something without being marked ``needs_approval``."""


def trust_of(tool: Tool) -> Trust:
    """The tool's declared trust, or its source kind's default (an unknown kind: untrusted)."""
    if tool.trust is not None:
        return tool.trust
    return SOURCE_TRUST.get(tool.source.partition(":")[0], "untrusted")


def has_side_effects(tool: Tool) -> bool:
    """Declared, or implied: a tool a person approves, an MCP ``destructiveHint``, a write."""
    if tool.side_effects is not None:
        return tool.side_effects
    return tool.needs_approval or tool.destructive or tool.name in SIDE_EFFECT_TOOLS
