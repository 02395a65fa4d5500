"""Tools: ``@tool`` builds a ``Tool`` from a typed function."""

from autan.tools._decorator import tool
from autan.tools._tool import Tool, ToolArgumentsError, render_output

__all__ = ["Tool", "ToolArgumentsError", "render_output", "tool"]
