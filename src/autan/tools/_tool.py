"""A tool is data plus a callable: name, description, JSON Schema of its parameters."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autan.messages import ToolSpec
from autan.tools._trust import Trust

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

MAX_OUTPUT_CHARS = 4000


class ToolArgumentsError(ValueError):
    """Arguments that fail the tool's schema; the message is written for the model to read."""


@dataclass(frozen=True, slots=True)
class Tool:
    """A callable the model may use. Build one with ``@tool``."""

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., Any]
    arguments_model: type[BaseModel] | None = None
    """Validates the arguments (``@tool`` builds it from the type hints); ``None`` when
    ``check_arguments`` does instead (a tool that comes as a JSON Schema, such as an MCP tool)."""
    is_async: bool = False
    idempotent: bool = False
    """Safe to run again with the same idempotency key (see ``idempotency_key``): a resumed run
    re-runs such a call when it started but its result was not journaled."""
    needs_approval: bool = False
    """A person approves each call before it runs: the run pauses until then (see
    ``Agent.approve``)."""
    check_arguments: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Validates the arguments when there is no ``arguments_model``; raises
    ``ToolArgumentsError``."""
    close: Callable[[], None] | None = None
    """Releases what the tool holds (an MCP server's connection); ``Agent.close`` calls it
    once for all the tools that share it."""
    read_only: bool = False
    """The tool changes nothing (shown to people; an MCP server's ``readOnlyHint``)."""
    source: str = "function"
    """Where its results come from: ``builtin``, ``function``, ``sandbox``, ``mcp:<server>``,
    ``file`` (a file's contents) or ``web`` (a fetched page)."""
    trust: Trust | None = None
    """Whether its results may be believed; ``None``: the default of its source kind."""
    side_effects: bool | None = None
    """Whether a call changes something; ``None``: implied (see ``has_side_effects``)."""
    destructive: bool = False
    """An MCP server's ``destructiveHint`` (and not ``readOnlyHint``)."""

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.parameters)

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Check ``arguments`` against the schema; returns the values to call the function with."""
        if self.arguments_model is None:
            return self.check_arguments(arguments) if self.check_arguments else dict(arguments)
        from pydantic import ValidationError

        try:
            parsed = self.arguments_model.model_validate(arguments)
        except ValidationError as error:
            raise ToolArgumentsError(_describe(error)) from None
        return {name: getattr(parsed, name) for name in type(parsed).model_fields}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)


def render_output(value: Any) -> str:
    """Turn a tool's return value into the text the model sees, bounded in length."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    if len(text) > MAX_OUTPUT_CHARS:
        return text[:MAX_OUTPUT_CHARS] + f"… [truncated {len(text) - MAX_OUTPUT_CHARS} chars]"
    return text


def is_coroutine_function(function: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(function)


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        problems.append(f"{where}: {item['msg']}")
    return "invalid arguments: " + "; ".join(problems)
