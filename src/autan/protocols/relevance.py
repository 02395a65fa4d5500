"""Which offered tools fit a task, by the words they share (no model): lexical tool relevance.

A tool fits when a content word of the task (not ``what`` or ``the``) shares its stem with a
word of the tool's name, description or parameters. A file name in the task (``notes.txt``)
counts as the word ``file``; an expression (``100 - 58``), or a word that names an arithmetic
operation (``plus``, ``times``, ``divided``, ``subtract``, ``squared``), as ``arithmetic`` and
``expression``. Stems are crude on purpose (a few English suffixes cut, then a common prefix
of at least ``PREFIX`` letters): the question is only whether a tool is about the task at all.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from autan.messages import ToolSpec

PREFIX = 5
_WORD = re.compile(r"[a-z][a-z0-9]*")
_FILE_NAME = re.compile(r"\b[\w-]+\.[a-z0-9]{1,5}\b", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_EXPRESSION = re.compile(r"\d\s*[-+*/^%]\s*\(?\s*\d")
_OPERATION_WORDS = frozenset(
    """plus minus times multiply multiplied divide divided add added subtract subtracted sum
    product quotient squared cubed percent""".split()  # noqa: SIM905
)
_SUFFIXES = ("ies", "ing", "ed", "s")
STOPWORDS = frozenset(
    """a about after all also am an and any are as at be been before but by can could did do
    does doing done for from get gets give had has have having he her here hers him his how i if
    in into is it its just let like may me might more most much must my no not now of off on
    once one only or other our out over please same say says she should show so some such tell
    than that the their them then there these they this those to too up use using very was we
    well were what when where which while who whom why will with would you your yours""".split()  # noqa: SIM905
)


def fitting(task: str, tools: Iterable[ToolSpec]) -> tuple[ToolSpec, ...]:
    """The tools that share a content word (by stem) with ``task``, in the order given."""
    wanted = task_words(task)
    return tuple(spec for spec in tools if _shares(wanted, tool_words(spec)))


def ranked(task: str, tools: Iterable[ToolSpec]) -> list[ToolSpec]:
    """The tools by how many of the task's content words they share (by stem), most first;
    ties in the order given."""
    wanted = task_words(task)
    specs = list(tools)
    shared = [_shared(wanted, tool_words(spec)) for spec in specs]
    order = sorted(range(len(specs)), key=lambda index: -shared[index])
    return [specs[index] for index in order]


def best_fitting(task: str, tools: Iterable[ToolSpec]) -> tuple[ToolSpec, ...]:
    """The tools that share the most content words (by stem) with ``task``, ties kept, in the
    order given; none when no tool shares any."""
    wanted = task_words(task)
    specs = list(tools)
    shared = [_shared(wanted, tool_words(spec)) for spec in specs]
    most = max(shared, default=0)
    return tuple(spec for spec, count in zip(specs, shared, strict=True) if most and count == most)


def names(task: str, tool_name: str) -> bool:
    """Whether ``task`` shares a content word (by stem) with the action of ``tool_name``: its
    first word (``send`` of ``send_money``, ``delete`` of ``deleteFile``). Not the object:
    "the file with the plans" does not ask for ``delete_file``."""
    action = _name_text(tool_name).split()[:1]
    return _shares(task_words(task), _stems(_words(" ".join(action))))


def task_words(task: str) -> set[str]:
    words = _stems(_words(task))
    if _FILE_NAME.search(task):
        words.add("file")
    if _EXPRESSION.search(task) or _OPERATION_WORDS.intersection(_WORD.findall(task.lower())):
        words |= {"arithmetic", "expression"}
    return words


def tool_words(spec: ToolSpec) -> set[str]:
    texts = [_name_text(spec.name), spec.description]
    texts += _parameter_texts(spec.parameters)
    return _stems(word for text in texts for word in _words(text))


def _name_text(name: str) -> str:
    return _CAMEL.sub(" ", name).replace("_", " ")


def _parameter_texts(schema: Any) -> list[str]:
    """Parameter names, descriptions and enum values, nested ones too."""
    if isinstance(schema, list):
        return [text for item in schema for text in _parameter_texts(item)]
    if not isinstance(schema, dict):
        return []
    texts: list[str] = []
    for name, value in (schema.get("properties") or {}).items():
        texts.append(_name_text(str(name)))
        texts += _parameter_texts(value)
    if isinstance(schema.get("description"), str):
        texts.append(schema["description"])
    texts += [str(value) for value in schema.get("enum", ()) if isinstance(value, str)]
    for key in ("items", "anyOf", "oneOf"):
        texts += _parameter_texts(schema.get(key))
    return texts


def _words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if word not in STOPWORDS]


def _stems(words: Iterable[str]) -> set[str]:
    return {_stem(word) for word in words if len(word) > 2}


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _shares(these: set[str], those: set[str]) -> bool:
    return _shared(these, those) > 0


def _shared(these: set[str], those: set[str]) -> int:
    """How many of ``these`` words one of ``those`` shares a stem with."""
    return sum(1 for word in these if _matches(word, those))


def _matches(word: str, those: set[str]) -> bool:
    if word in those:
        return True
    return len(word) >= PREFIX and any(other.startswith(word[:PREFIX]) for other in those)
