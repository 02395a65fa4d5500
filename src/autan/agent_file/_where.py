"""The file being loaded, and how a problem with one of its keys becomes an ``AgentFileError``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from autan.agent_file._lines import LineIndex, file_error
from autan.errors import AgentFileError, ConfigurationError


@dataclass(frozen=True, slots=True)
class Source:
    """An agent file: its path (as the user named it) and the line of each key."""

    path: Path
    index: LineIndex

    def error(self, key: Sequence[str | int], reason: str) -> AgentFileError:
        return file_error(str(self.path), self.index, key, reason)

    @contextmanager
    def at(self, key: Sequence[str | int]) -> Iterator[None]:
        """A ``ConfigurationError`` raised inside (by ``Agent``, ``load_model``, ``autan.mcp``)
        becomes an ``AgentFileError`` naming ``key``'s line."""
        try:
            yield
        except AgentFileError:
            raise
        except ConfigurationError as error:
            raise self.error(key, str(error)) from None

    def relative(self, name: str) -> Path:
        """``name`` (a path in the file) relative to the file's directory."""
        path = Path(name).expanduser()
        return path if path.is_absolute() else self.path.parent / path
