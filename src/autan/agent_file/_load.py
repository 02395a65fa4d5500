"""Read an agent file: TOML (``tomllib``), its tables checked by pydantic, every error an
``AgentFileError`` naming the file, the line and the key; then build it."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic

from autan.agent_file._build import Builder, Defaults, Team
from autan.agent_file._lines import LineIndex, syntax_error
from autan.agent_file._schema import AgentFileTable
from autan.agent_file._where import Source
from autan.errors import AgentFileError

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.agent.cascade import Cascade
    from autan.models.base import Model
    from autan.store import Store


def load_agent(
    path: str | Path,
    *,
    models: Mapping[str, Model] | None = None,
    store: Store | None = None,
    workspace: str | Path | None = None,
) -> Agent[Any] | Cascade[Any]:
    """The agent (or cascade) that agent file ``path`` declares as its entry, built with every
    agent it uses; see ``docs/agent-files.md``. Raises ``AgentFileError`` (its message names
    the file, the line and the key) for a file that cannot be used.

    ``models``: models by agent name, used instead of the file's ``model`` (tests give
    ``ScriptedModel``\\ s here). ``store``: the journal of every agent's runs. ``workspace``:
    the file tools' directory, instead of the file's ``workspace``. ``entry.close()`` closes
    the entry's own MCP connections (``autan run --agent`` closes every agent's).
    """
    return load_team(path, models=models, store=store, workspace=workspace).entry


def load_team(
    path: str | Path,
    *,
    models: Mapping[str, Model] | None = None,
    store: Store | None = None,
    workspace: str | Path | None = None,
    defaults: Defaults | None = None,
) -> Team:
    """``load_agent``, keeping every agent (to close them) and taking ``autan.toml``'s
    defaults (``autan run --agent``)."""
    file = Path(path)
    source, table = read(file)
    if workspace is not None:
        place = Path(workspace).expanduser()
    elif table.workspace is not None:
        place = source.relative(table.workspace)
    else:
        place = Path.cwd()
    builder = Builder(table, source, models or {}, store, place, defaults or Defaults())
    return builder.team()


def read(file: Path) -> tuple[Source, AgentFileTable]:
    """The file's text parsed and checked (not built)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise AgentFileError(str(file), 1, "", f"cannot read the file: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise syntax_error(str(file), text, str(error)) from None
    source = Source(file, LineIndex(text))
    try:
        return source, AgentFileTable.model_validate(data)
    except pydantic.ValidationError as error:
        raise _schema_error(source, error, data) from None


def _schema_error(
    source: Source, error: pydantic.ValidationError, data: dict[str, Any]
) -> AgentFileError:
    """The first problem pydantic found, as the user wrote the key."""
    first = error.errors()[0]
    where = list(first["loc"])
    if first["type"] == "extra_forbidden":
        return source.error(where, f"unknown key {where[-1]!r}{_known(where[:-1])}")
    if first["type"] == "missing":
        return source.error(where, "is required")
    # a union's member name ("str", "int") ends the location: it is not the user's key
    path = [p for p in where if not (isinstance(p, str) and p in _TYPE_NAMES)]
    value = first.get("input")
    return source.error(path, f"{first['msg'].lower()} (got {value!r})")


_TYPE_NAMES = frozenset(
    {"str", "int", "float", "bool", "list[str]", "none", "literal['tools','code']"}
)


def _known(table: list[Any]) -> str:
    """``; the keys are ...`` for the table at ``table`` (a path of the schema)."""
    from autan.agent_file import _schema

    depth = len(table)
    model: type[pydantic.BaseModel] | None
    if depth == 0:
        model = _schema.AgentFileTable
    elif table[0] == "agents" and depth == 2:
        model = _schema.AgentTable
    elif table[0] == "agents" and depth == 3 and table[2] == "limits":
        model = _schema.LimitsTable
    elif table[0] == "cascades" and depth == 2:
        model = _schema.CascadeTable
    elif table == ["mcp"]:
        model = _schema.MCPTable
    else:
        model = None
    return f"; the keys are {', '.join(model.model_fields)}" if model else ""
