"""An agent's ``tools`` list: built-in names (``autan run``'s tools) and Python entry points
``module:function`` (a ``Tool``, or a typed function that ``autan.tool`` turns into one)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence

from autan.agent_file._where import Source
from autan.tools import Tool, tool


def listed_tools(
    names: Sequence[str], builtin: Mapping[str, Tool], source: Source, agent: str
) -> list[Tool]:
    """The tools ``names`` name, in order; ``AgentFileError`` at the first that names none."""
    tools = []
    for i, name in enumerate(names):
        key = ("agents", agent, "tools", i)
        if ":" in name:
            tools.append(_entry_point(name, source, key))
        elif name in builtin:
            tools.append(builtin[name])
        else:
            known = ", ".join(builtin)
            raise source.error(
                key, f"no built-in tool {name!r} (the built-ins: {known}; or module:function)"
            )
    return tools


def _entry_point(name: str, source: Source, key: tuple[str | int, ...]) -> Tool:
    module_name, _, attribute = name.partition(":")
    if not module_name or not attribute:
        raise source.error(key, f"an entry point is module:function, got {name!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # an import runs the user's code: any failure is theirs
        raise source.error(key, f"cannot import module {module_name!r}: {error}") from None
    found: object = module
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise source.error(key, f"module {module_name!r} has no {attribute!r}")
        found = getattr(found, part)
    if isinstance(found, Tool):
        return found
    if not callable(found):
        raise source.error(key, f"{name} is neither a Tool nor a function")
    with source.at(key):
        return tool(found)
