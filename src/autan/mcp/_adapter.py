"""An MCP tool as an autan ``Tool``: its JSON Schema validated with ``jsonschema`` before each
call, its annotations as autan's flags, its result as an observation."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from autan.errors import MCPServerError
from autan.mcp._connection import Connection
from autan.mcp._content import observation
from autan.tools import Tool, ToolArgumentsError, idempotency_key, without_titles
from autan.tools._server_requests import current_requests

MAX_ERRORS_SHOWN = 3


def to_tool(connection: Connection, listed: Any, name: str, approve_destructive: bool) -> Tool:
    """``listed`` (an ``mcp.types.Tool``) as a ``Tool`` named ``name``.

    A tool the server marks ``destructiveHint`` (and not ``readOnlyHint``) waits for approval
    at each call unless ``approve_destructive`` is false; a tool without annotations does not
    (else every unannotated server would pause every run). ``idempotentHint`` or
    ``readOnlyHint`` lets a resumed run repeat a call whose result was lost; ``readOnlyHint``
    is kept for display.
    """
    schema = _object_schema(listed.input_schema)
    check = _checker(connection.server.name, listed.name, schema)
    hints = listed.annotations
    read_only = bool(hints and hints.read_only_hint)
    destructive = bool(hints and hints.destructive_hint) and not read_only
    remote = listed.name

    def call(**arguments: Any) -> str:
        return observation(
            connection.call(remote, arguments, idempotency_key(), current_requests())
        )

    return Tool(
        name=name,
        description=_first_paragraph(listed.description or listed.title or ""),
        parameters=without_titles(schema),
        function=call,
        check_arguments=check,
        idempotent=bool(hints and (hints.idempotent_hint or hints.read_only_hint)),
        needs_approval=approve_destructive and destructive,
        close=connection.close,
        read_only=read_only,
        source=f"mcp:{connection.server.name}",
        trust=connection.server.trust,
        destructive=destructive,
    )


def tool_name(text: str) -> str:
    """An MCP name (``get-time``, ``git.status``) as a Python identifier, what code mode calls."""
    name = re.sub(r"\W", "_", text)
    return name if name.isidentifier() else f"_{name}"


def _checker(
    server: str, tool: str, schema: dict[str, Any]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    from jsonschema import SchemaError, validators

    validator_class = validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(p) for p in error.path) or "the schema"
        raise MCPServerError(
            f"MCP server {server!r}: tool {tool!r} has an invalid input schema "
            f"({where}: {error.message[:200]})"
        ) from None
    validator = validator_class(schema)

    def check(arguments: dict[str, Any]) -> dict[str, Any]:
        errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))
        if errors:
            problems = [_problem(error) for error in errors[:MAX_ERRORS_SHOWN]]
            raise ToolArgumentsError("invalid arguments: " + "; ".join(problems))
        return dict(arguments)

    return check


def _problem(error: Any) -> str:
    where = ".".join(str(part) for part in error.path) or "arguments"
    return f"{where}: {error.message[:200]}"


def _object_schema(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {"type": "object"}
    return schema if "type" in schema else {"type": "object", **schema}


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())
