"""llama.cpp grammars of what a step allows: from a GBNF text, or from JSON Schemas.

Shapes of a tools step: one value of the step's schema; or up to ``MAX_CALLS_PER_STEP`` call
lines; or plain text that does not begin like a call (``TEXT_RULE``). The decoders of
``_llama_decode.py`` also ask for the parts alone: the text answer, call lines only, one
tool's arguments. Patterns llama.cpp cannot compile are dropped from the grammar (arguments are
still validated against them before any tool runs), then the arguments of tools whose schemas
it cannot express are loosened (``_expressible``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from autan.errors import ModelError
from autan.protocols import GrammarOutput, JsonOutput, OutputConstraint
from autan.protocols.answer_bounds import PLAIN_CHARS, SHORT_NUMBERS
from autan.protocols.constrained import MAX_CALLS_PER_STEP

TEXT_RULE = r"[^{ \t\n] [^\x00]*"
"""An answer in plain words: anything whose first character cannot open a JSON call."""
LLAMA_CHAR_RULE = (
    r'char ::= [^"\\] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])'
)
PLAIN_CHAR_RULE = r'char ::= [^"\\] | "\\" ["\\/bfnrt]'
"""A string character of a fitted answer's grammar (``answer_bounds``): at most 2 characters,
no ``\\uXXXX`` (any character can be written as it is)."""
LLAMA_NUMBER_RULE = (
    'number ::= ("-"? integral-part) ("." decimal-part)? ([eE] [-+]? integral-part)? space'
)
SHORT_NUMBER_RULE = (
    'number ::= ("-"? integral-part) ("." short-decimals)? space\n'
    "short-decimals ::= [0-9] ([0-9] ([0-9] ([0-9] ([0-9] ([0-9])?)?)?)?)?"
)
"""A number of a refit call's grammar (``answer_bounds.SHORT_NUMBERS``): at most 6 decimals,
no exponent, so at most 25 characters."""


def grammar(allowed: OutputConstraint, bound: bool = False) -> Any:
    """The llama.cpp grammar of what a step allows; ``None`` for free text. ``bound``: free
    strings and arrays get a bound (``decoding.bounded``)."""
    if isinstance(allowed, GrammarOutput):
        return _gbnf_grammar(allowed.gbnf)
    if isinstance(allowed, JsonOutput):
        return _grammar_for(*_json_parts(allowed, bound))[1]
    return None


def grammar_source(allowed: OutputConstraint, bound: bool = False) -> str | None:
    """The GBNF text ``grammar`` compiles (tests compare it with main's, issue 18)."""
    if isinstance(allowed, GrammarOutput):
        return allowed.gbnf
    if isinstance(allowed, JsonOutput):
        return _grammar_for(*_json_parts(allowed, bound))[0]
    return None


def _json_parts(allowed: JsonOutput, bound: bool) -> tuple[str, str, bool]:
    """``_grammar_for``'s arguments: the one-value schema, the call line's, the text branch."""
    text = allowed.text_answer
    if text and allowed.line is None:
        return "", "", True  # plain text alone
    one = "" if text else json.dumps(_maybe_bounded(allowed.schema, bound))
    line = json.dumps(_maybe_bounded(allowed.line, bound)) if allowed.line else ""
    return one, line, text


def value_grammar(allowed: JsonOutput, bound: bool) -> Any:
    """One value of the step's schema (one call or the answer), nothing after it."""
    return _grammar_for(json.dumps(_maybe_bounded(allowed.schema, bound)), "", False)[1]


def text_grammar() -> Any:
    return _gbnf_grammar(f"root ::= {TEXT_RULE}")


def calls_grammar(line: dict[str, Any], bound: bool, most: int = MAX_CALLS_PER_STEP) -> Any:
    """One to ``most`` call lines, nothing else."""
    return _grammar_for("", json.dumps(_maybe_bounded(line, bound)), False, most)[1]


def arguments_grammar(parameters: dict[str, Any], closing: str, bound: bool) -> Any:
    """One tool's arguments, then ``closing``: the rest of a call whose opening is given."""
    schema = _maybe_bounded(parameters, bound)
    return _grammar_for(json.dumps(schema), "", False, 0, closing)[1]


def _maybe_bounded(schema: Any, bound: bool) -> Any:
    from autan.models.decoding import bounded

    return bounded(schema) if bound else schema


@lru_cache(maxsize=8)
def _gbnf_grammar(gbnf: str) -> Any:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(gbnf, verbose=False)


@lru_cache(maxsize=64)
def _grammar_for(
    one_json: str, call_json: str, text: bool, most: int = MAX_CALLS_PER_STEP, closing: str = ""
) -> tuple[str, Any]:
    """One value of schema ``one`` (then ``closing``), or up to ``most`` values of schema
    ``call`` one per line, or (``text``) plain words; empty JSON: no such branch. The GBNF
    text and its compiled grammar."""
    from llama_cpp.llama_grammar import LlamaGrammar

    if not one_json and not call_json and text:
        source = f"root ::= {TEXT_RULE}"
        return source, _gbnf_grammar(source)
    one = json.loads(one_json) if one_json else None
    call = json.loads(call_json) if call_json else None
    try:
        strict = _gbnf(one, call, text, most, closing)
        return strict, LlamaGrammar.from_string(strict, verbose=False)
    except Exception:
        pass
    one, call = _without_patterns(one), _without_patterns(call)
    try:
        loose = _gbnf(one, call, text, most, closing)
        return loose, LlamaGrammar.from_string(loose, verbose=False)
    except Exception:
        pass
    try:
        loosest = _gbnf(_expressible(one), _expressible(call), text, most, closing)
        return loosest, LlamaGrammar.from_string(loosest, verbose=False)
    except Exception as error:
        raise ModelError(f"cannot build a grammar from the tool schemas: {error}") from None


def _expressible(schema: Any) -> Any:
    """``schema`` with the ``arguments`` of each call the grammar cannot express (``not``,
    ``if``, a remote ``$ref``: JSON Schema that a tool from a schema, such as an MCP tool, may
    use) loosened to any JSON object; those arguments are still validated before the call.
    (Main's fallback of 1d5fcef, ported here.)"""
    if not isinstance(schema, dict):
        return schema
    definitions = schema.get("$defs", {})

    def loosen(option: Any) -> Any:
        if not _is_call_schema(option):
            return option
        try:
            with_definitions = {**option, "$defs": definitions} if definitions else option
            _gbnf(with_definitions, None, False, 0, "")
        except Exception:
            arguments = {"type": "object"}
            return {**option, "properties": {**option["properties"], "arguments": arguments}}
        return option

    if "anyOf" in schema:
        return {**schema, "anyOf": [loosen(option) for option in schema["anyOf"]]}
    return loosen(schema)


def _is_call_schema(option: Any) -> bool:
    return isinstance(option, dict) and "arguments" in option.get("properties", {})


def _gbnf(one: Any, call: Any, text: bool, most: int, closing: str) -> str:
    from llama_cpp import llama_grammar

    untyped: Any = llama_grammar.SchemaConverter
    converter = untyped(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    branches = []
    if one is not None:
        rule = converter.visit(converter.resolve_refs(one, "one"), "one")
        branches.append(f"{rule} {json.dumps(closing)}" if closing else rule)
    if call is not None:
        rule = converter.visit(converter.resolve_refs(call, "call"), "call")
        fewest = 1 if one is not None else 0  # a single call is already one of ``one``'s
        repeat = f' ("\\n" {rule}){{{fewest},{most - 1}}}' if most > 1 else ""
        branches.append(f"{rule}{repeat}")
    if text:
        branches.append(f"({TEXT_RULE})")
    rules = converter.format_grammar()
    if _marked(one) or _marked(call):
        rules = rules.replace(LLAMA_CHAR_RULE, PLAIN_CHAR_RULE)
    if _marked(one, SHORT_NUMBERS) or _marked(call, SHORT_NUMBERS):
        rules = rules.replace(LLAMA_NUMBER_RULE, SHORT_NUMBER_RULE)
    return f"{rules}\nroot ::= {' | '.join(branches)}"


def _marked(node: Any, mark: str = PLAIN_CHARS) -> bool:
    """Whether a fitted schema (``answer_bounds.PLAIN_CHARS``, or ``mark``) is in ``node``."""
    if isinstance(node, dict):
        return node.get(mark) is True or any(_marked(v, mark) for v in node.values())
    if isinstance(node, list):
        return any(_marked(item, mark) for item in node)
    return False


def _without_patterns(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_patterns(v) for k, v in node.items() if k != "pattern"}
    if isinstance(node, list):
        return [_without_patterns(item) for item in node]
    return node
