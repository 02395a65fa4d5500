"""``@tool``: build a Tool from a typed Python function and its docstring."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from autan.errors import ToolDefinitionError
from autan.tools._schema import without_titles
from autan.tools._tool import Tool, is_coroutine_function
from autan.tools._trust import Trust, check_trust

if TYPE_CHECKING:
    from pydantic import BaseModel


@overload
def tool(function: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    idempotent: bool = False,
    needs_approval: bool = False,
    trust: Trust | None = None,
    side_effects: bool | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    idempotent: bool = False,
    needs_approval: bool = False,
    trust: Trust | None = None,
    side_effects: bool | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Turn a typed function into a Tool. Use as ``@tool`` or ``@tool(name=..., description=...)``.

    Every parameter needs a type hint. The docstring's first paragraph becomes the description and
    its ``Args:`` entries describe the parameters. Constraints declared with
    ``Annotated[str, Field(pattern=...)]`` go into the schema, and so into the grammar that
    constrains small models.

    ``idempotent=True`` declares that running the tool twice with the same
    ``idempotency_key()`` has the effect of running it once; a resumed run may then retry a call
    that started but whose result was lost. Without it, such a call stops the resumed run.

    ``needs_approval=True`` makes each call wait for a person: the run pauses (journaled) and
    raises ``AwaitingApproval``; ``Agent.approve`` or ``Agent.deny``, then ``Agent.resume``,
    continue it, from any process. A denied call is an error observation for the model.

    ``trust="untrusted"`` declares that the tool returns text someone else wrote (a page, a
    mail): after such a result, the run's trust policy stops calls with side effects.
    ``side_effects=True`` marks the tool as one of those calls (``needs_approval`` implies it).
    """
    try:
        declared = None if trust is None else check_trust(trust)
    except ValueError as error:
        raise ToolDefinitionError(str(error)) from None

    def build(target: Callable[..., Any]) -> Tool:
        made = _build_tool(target, name, description, idempotent)
        return dataclasses.replace(
            made, needs_approval=needs_approval, trust=declared, side_effects=side_effects
        )

    return build if function is None else build(function)


def _build_tool(
    function: Callable[..., Any], name: str | None, description: str | None, idempotent: bool
) -> Tool:
    tool_name = name or str(getattr(function, "__name__", ""))
    if not tool_name.isidentifier():
        raise ToolDefinitionError(f"tool name {tool_name!r} must be a Python identifier")
    summary, parameter_docs = _read_docstring(function)
    model = _arguments_model(function, tool_name, parameter_docs)
    return Tool(
        name=tool_name,
        description=description or summary,
        parameters=without_titles(model.model_json_schema()),
        function=function,
        arguments_model=model,
        is_async=is_coroutine_function(function),
        idempotent=idempotent,
    )


def _arguments_model(
    function: Callable[..., Any], tool_name: str, parameter_docs: dict[str, str]
) -> type[BaseModel]:
    from pydantic import ConfigDict, Field, create_model

    try:
        hints = inspect.get_annotations(function, eval_str=True)
    except Exception as error:
        raise ToolDefinitionError(f"tool {tool_name!r}: cannot read type hints: {error}") from None
    fields: dict[str, Any] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise ToolDefinitionError(f"tool {tool_name!r}: *args and **kwargs are not supported")
        if parameter.name not in hints:
            raise ToolDefinitionError(
                f"tool {tool_name!r}: parameter {parameter.name!r} has no type hint"
            )
        default = ... if parameter.default is parameter.empty else parameter.default
        field = Field(default, description=parameter_docs.get(parameter.name))
        fields[parameter.name] = (hints[parameter.name], field)
    config = ConfigDict(extra="forbid")
    try:
        return create_model(f"{tool_name}_arguments", __config__=config, **fields)
    except Exception as error:
        raise ToolDefinitionError(f"tool {tool_name!r}: {error}") from None


def _read_docstring(function: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    import docstring_parser

    text = inspect.getdoc(function) or ""
    parsed = docstring_parser.parse(text)
    summary = " ".join(part for part in (parsed.short_description, parsed.long_description) if part)
    return summary.strip(), {p.arg_name: p.description or "" for p in parsed.params}
