"""How tools are shown to a model and how its output becomes calls: one ``ToolProtocol`` per
way (``native``, ``constrained``, ``text``, ``code``), chosen once by name."""

from __future__ import annotations

from typing import Literal

from autan.errors import ConfigurationError
from autan.messages import ModelRequest
from autan.protocols.base import (
    CallFormat,
    GrammarOutput,
    JsonOutput,
    OutputConstraint,
    ToolProtocol,
    WireChoice,
)
from autan.protocols.code import CODE
from autan.protocols.constrained import CONSTRAINED
from autan.protocols.native import NATIVE
from autan.protocols.text import TEXT

ToolProtocolName = Literal["native", "constrained", "text"]
TOOL_PROTOCOLS: tuple[ToolProtocolName, ...] = ("native", "constrained", "text")
"""The protocols a model may call tools by; ``code`` is chosen by an agent's ``actions``."""

_BY_NAME: dict[str, ToolProtocol] = {p.name: p for p in (NATIVE, CONSTRAINED, TEXT, CODE)}


def check_name(name: str | None) -> ToolProtocolName | None:
    """``name`` if it names a tool protocol (or is None), else ``ConfigurationError``."""
    for known in TOOL_PROTOCOLS:
        if name == known:
            return known
    if name is None:
        return None
    raise ConfigurationError(f"tool_protocol must be native, constrained or text, got {name!r}")


def named(name: str) -> ToolProtocol:
    """The tool protocol called ``name``; ``ConfigurationError`` for any other name."""
    checked = check_name(name)
    if checked is None:
        raise ConfigurationError("a tool protocol needs a name")
    return _BY_NAME[checked]


def for_request(tools_protocol: ToolProtocol, request: ModelRequest) -> ToolProtocol:
    """The protocol of one request: ``code`` when the request asks for a code block, else the
    model's own way of calling tools."""
    return CODE if request.code_block else tools_protocol


__all__ = [
    "CODE",
    "CONSTRAINED",
    "NATIVE",
    "TEXT",
    "TOOL_PROTOCOLS",
    "CallFormat",
    "GrammarOutput",
    "JsonOutput",
    "OutputConstraint",
    "ToolProtocol",
    "ToolProtocolName",
    "WireChoice",
    "check_name",
    "for_request",
    "named",
]
