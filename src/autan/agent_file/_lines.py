"""Where a key of a TOML file is: a small index of its ``[table]`` headers and ``key =`` lines,
so that an error found after parsing (``tomllib`` keeps no positions) names its line."""

from __future__ import annotations

import re
from collections.abc import Sequence

from autan.errors import AgentFileError

KeyPath = tuple[str, ...]

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"|' + r"'[^']*'"
_PART = rf"\s*(?:{_BARE}|{_QUOTED})\s*"
_DOTTED = rf"{_PART}(?:\.{_PART})*"
_HEADER = re.compile(rf"^\s*\[\[?({_DOTTED})\]\]?\s*(?:#.*)?$")
_ASSIGNMENT = re.compile(rf"^({_DOTTED})=")
_SYNTAX_LINE = re.compile(r"at line (\d+), column (\d+)")


def _parts(dotted: str) -> KeyPath:
    found = re.findall(rf"{_BARE}|{_QUOTED}", dotted)
    return tuple(p[1:-1] if p[0] in "\"'" else p for p in found)


class LineIndex:
    """The line (1-based) each table and key starts on."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self._where: dict[KeyPath, int] = {}
        table: KeyPath = ()
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header:
                table = _parts(header.group(1))
                self._where.setdefault(table, number)
                continue
            assignment = _ASSIGNMENT.match(line)
            if assignment:
                self._where.setdefault((*table, *_parts(assignment.group(1))), number)

    def line_of(self, path: Sequence[str]) -> int:
        """The line of ``path``, else of the nearest table around it, else 1."""
        key = tuple(path)
        while key:
            if key in self._where:
                return self._where[key]
            key = key[:-1]
        return 1

    def key_on(self, number: int) -> str:
        """The key that line ``number`` assigns or opens, for syntax errors ('' if none)."""
        if not 1 <= number <= len(self.lines):
            return ""
        line = self.lines[number - 1]
        found = _HEADER.match(line) or _ASSIGNMENT.match(line)
        return ".".join(_parts(found.group(1))) if found else ""


def dotted(path: Sequence[str | int]) -> str:
    """``agents.triage.tools[1]``: a key path as a user reads it."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def file_error(
    file: str, index: LineIndex, path: Sequence[str | int], reason: str
) -> AgentFileError:
    """The error for ``reason`` about the key at ``path``: its line found in ``index``."""
    keys = [p for p in path if isinstance(p, str)]
    return AgentFileError(file, index.line_of(keys), dotted(path), reason)


def syntax_error(file: str, text: str, message: str) -> AgentFileError:
    """A ``tomllib`` error: its line and column are in its message."""
    found = _SYNTAX_LINE.search(message)
    line = int(found.group(1)) if found else 1
    reason = _SYNTAX_LINE.sub("", message).replace("()", "").strip()
    return AgentFileError(file, line, LineIndex(text).key_on(line), f"invalid TOML: {reason}")
