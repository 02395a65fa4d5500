"""The tools ``autan run`` offers: a calculator and file tools confined to a workspace."""

from __future__ import annotations

from pathlib import Path

from autan.tools._tool import Tool
from autan.tools.calculator import calculator
from autan.tools.files import Workspace, file_tools


def builtin_tools(workspace: str | Path = ".") -> list[Tool]:
    return [calculator, *file_tools(Workspace(workspace))]
