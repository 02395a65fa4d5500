"""File tools confined to a workspace directory: ``list_dir``, ``read_file``, ``write_file``."""

from __future__ import annotations

from pathlib import Path

from autan.errors import WorkspaceError
from autan.tools._decorator import tool
from autan.tools._tool import Tool

MAX_READ_CHARS = 20_000


class OutsideWorkspaceError(ValueError):
    """A path that points outside the workspace; the message is written for the model."""


class Workspace:
    """A directory the file tools may touch. Paths are relative to it; nothing escapes it."""

    def __init__(self, root: str | Path) -> None:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise WorkspaceError(f"workspace {str(root)!r} is not an existing directory")
        self.root = path.resolve()

    def resolve(self, relative: str) -> Path:
        """The real path of ``relative`` inside the workspace, or ``OutsideWorkspaceError``."""
        if Path(relative).is_absolute():
            raise OutsideWorkspaceError(
                f"{relative!r} is absolute; use a path inside the workspace"
            )
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root):
            raise OutsideWorkspaceError(f"{relative!r} is outside the workspace")
        return candidate


def file_tools(workspace: Workspace) -> list[Tool]:
    """The three file tools, bound to ``workspace``."""

    @tool
    def list_dir(path: str = ".") -> str:
        """List the entries of a directory in the workspace.

        Args:
            path: directory relative to the workspace
        """
        directory = workspace.resolve(path)
        if not directory.is_dir():
            raise FileNotFoundError(f"{path!r} is not a directory")
        names = sorted(e.name + ("/" if e.is_dir() else "") for e in directory.iterdir())
        return "\n".join(names) or "(empty)"

    @tool
    def read_file(path: str) -> str:
        """Read a text file in the workspace.

        Args:
            path: file relative to the workspace
        """
        text = workspace.resolve(path).read_text(encoding="utf-8", errors="replace")
        return text[:MAX_READ_CHARS]

    @tool
    def write_file(path: str, content: str) -> str:
        """Write a text file in the workspace, replacing it if it exists.

        Args:
            path: file relative to the workspace
            content: the text to write
        """
        target = workspace.resolve(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        return f"wrote {len(content)} characters to {path}"

    return [list_dir, read_file, write_file]
