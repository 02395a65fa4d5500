"""Argument provenance for the ``scoped`` trust policy: which values of a call only untrusted
text supplied. Pure; no model judges anything.

A value (each string among the arguments, nested ones too, and each identifier inside a
longer one: a mail address, an IBAN, a code) is *tainted* when it occurs in an untrusted result
and nowhere in the trusted text (the user's messages, trusted results). Occurrence is verbatim
after case folding and collapsing whitespace, at word boundaries, so ``13`` is not found in
``2013``. A value the model computed (a sum, a summary) occurs nowhere and is not tainted; a
value the user wrote is not tainted even if a page repeats it. Numbers are quantities, not
checked: a digit occurs in almost every result, and a refund's amount read from a statement is
the task's data. The check is lexical: a model that rewrites a value (spaces in an IBAN) is not
caught by it, which is why the policy also scopes tools to the task (``autan.loop.scoped``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

__all__ = ["argument_values", "normalized", "tainted_values"]

_SPACE = re.compile(r"\s+")
IDENTIFIER = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?=[\w./:-]*\d)[\w./:-]{6,}")
"""Inside a longer value, what names or carries something by itself: a mail address, or a run
of at least 6 word characters (``.``, ``/``, ``:`` and ``-`` too) holding a digit: an IBAN, a
card or passport number, a code, a URL with a number."""


def tainted_values(
    arguments: dict[str, object], untrusted: Iterable[str], trusted: str
) -> tuple[str, ...]:
    """The argument values that occur in one of ``untrusted`` and not in ``trusted``, each
    once, in the order of the arguments."""
    sources = [normalized(text) for text in untrusted]
    known = normalized(trusted)
    found: list[str] = []
    for value in argument_values(arguments):
        for needle in _pieces(normalized(value)):
            if needle in found or _occurs(needle, known):
                continue
            if any(_occurs(needle, text) for text in sources):
                found.append(needle)
    return tuple(found)


def _pieces(value: str) -> list[str]:
    """The value, and the identifiers inside it (a code in a mail's body)."""
    if not value:
        return []
    inside = [match.strip(".:/-") for match in IDENTIFIER.findall(value)]
    return [value, *(piece for piece in inside if piece and piece != value)]


def argument_values(value: object) -> Iterator[str]:
    """Every string among ``value``'s leaves."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from argument_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from argument_values(item)


def normalized(text: str) -> str:
    return _SPACE.sub(" ", text.casefold()).strip()


def _occurs(needle: str, text: str) -> bool:
    """``needle`` in ``text``, not inside a longer word or number on either side."""
    start = text.find(needle)
    while start != -1:
        end = start + len(needle)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not _joins(before, needle[0]) and not _joins(after, needle[-1]):
            return True
        start = text.find(needle, start + 1)
    return False


def _joins(neighbour: str, edge: str) -> bool:
    """Whether ``neighbour`` would continue the word that ends (or starts) with ``edge``."""
    return neighbour.isalnum() and edge.isalnum()
