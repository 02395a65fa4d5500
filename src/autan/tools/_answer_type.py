"""``AnswerType``: what a typed agent's answer must be (``Agent(output_type=T)``), as a JSON
Schema to constrain the model with and a validator that turns the answer's text into a ``T``.

pydantic's ``TypeAdapter`` does both, for every type pydantic knows: models, dataclasses,
TypedDicts, ``Literal``, enums, lists, primitives. pydantic loads when the first one is built.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic

from typing_extensions import TypeVar

from autan.errors import ConfigurationError
from autan.messages import ToolSpec

T = TypeVar("T", default=Any)

_NOT_DECODED = object()


class AnswerInvalid(ValueError):
    """The answer does not validate as the agent's output type; the message is for the model."""


@dataclass(frozen=True, slots=True)
class AnswerType(Generic[T]):
    """``schema``: the JSON Schema of an answer; ``parse`` validates an answer's text.
    ``validate`` turns decoded JSON into a ``T`` or raises ``AnswerInvalid``."""

    name: str
    schema: dict[str, Any]
    validate: Callable[[Any], T]

    @property
    def spec(self) -> ToolSpec:
        """The answer as a tool the model never calls: how protocols show its fields."""
        return ToolSpec("answer", "", self.schema)

    def parse(self, text: str) -> T:
        """The answer ``text`` (JSON, or a bare string for string types) as a ``T``;
        ``AnswerInvalid`` with the validator's errors in a line when it is not one."""
        decoded = _decoded(text)
        if decoded is _NOT_DECODED:
            return self.validate(text)
        try:
            return self.validate(decoded)
        except AnswerInvalid:
            if isinstance(decoded, str):
                raise
            try:  # a string type whose value happens to read as JSON ("42", "true")
                return self.validate(text)
            except AnswerInvalid:
                pass
            raise


def answer_type(output_type: Any) -> AnswerType[Any]:
    """The ``AnswerType`` of ``output_type`` (pydantic's ``TypeAdapter``: its JSON Schema and
    its validation); ``ConfigurationError`` when pydantic cannot give it a JSON Schema (an
    arbitrary class, a function, a value). An ``AnswerType`` is returned as it is."""
    if isinstance(output_type, AnswerType):
        return output_type
    from pydantic import PydanticSchemaGenerationError, TypeAdapter
    from pydantic.errors import PydanticInvalidForJsonSchema, PydanticUserError

    name = output_type.__name__ if isinstance(output_type, type) else repr(output_type)
    if inspect.isroutine(output_type):
        raise ConfigurationError(f"output_type {name} is a function, not a type")
    try:
        adapter: Any = TypeAdapter(output_type)
        schema = adapter.json_schema()
    except (PydanticSchemaGenerationError, PydanticInvalidForJsonSchema, PydanticUserError) as e:
        first = str(e).splitlines()[0]
        raise ConfigurationError(f"output_type {name} has no JSON Schema: {first}") from None
    except TypeError as error:
        raise ConfigurationError(f"output_type {name} is not a type: {error}") from None
    return AnswerType(name, schema, _pydantic_validator(adapter))


def schema_answer_type(schema: Any, name: str = "the schema") -> AnswerType[Any]:
    """An answer given as a JSON Schema (``autan run --output-schema``): validated by
    ``jsonschema``, the value is the decoded JSON. ``ConfigurationError`` for a schema that is
    not one."""
    import jsonschema

    if not isinstance(schema, dict):
        raise ConfigurationError(f"{name} is not a JSON Schema object")
    checker = jsonschema.validators.validator_for(schema)
    try:
        checker.check_schema(schema)
    except jsonschema.SchemaError as error:
        raise ConfigurationError(f"{name} is not a valid JSON Schema: {error.message}") from None
    validator = checker(schema)

    def validate(value: Any) -> Any:
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        if errors:
            raise AnswerInvalid("; ".join(_where(e) for e in errors[:5]))
        return value

    return AnswerType(str(schema.get("title", "the schema")), schema, validate)


def _pydantic_validator(adapter: Any) -> Callable[[Any], Any]:
    from pydantic import ValidationError

    def validate(value: Any) -> Any:
        try:
            return adapter.validate_python(value)
        except ValidationError as error:
            raise AnswerInvalid(_brief(error)) from None

    return validate


def _where(error: Any) -> str:
    path = ".".join(str(part) for part in error.absolute_path) or "answer"
    return f"{path}: {error.message}"


def _decoded(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_DECODED


def _brief(error: Any) -> str:
    """pydantic's errors, one per line, without its documentation links."""
    lines = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "answer"
        lines.append(f"{where}: {item['msg']}")
    return "; ".join(lines)
