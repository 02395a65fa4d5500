"""What text a record may hold: every string encodable as UTF-8, at most ``MAX_NESTING`` levels
deep. Every event applies ``encodable`` to its fields, the driver to each outcome."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar, cast

T = TypeVar("T")


def encodable(value: T) -> T:
    """``value`` with every string in it encodable as UTF-8: each lone surrogate becomes U+FFFD.

    Text from a model, a tool or a sandbox can hold one (JSON's ``"\\ud800"``, a file name that is
    not UTF-8 decoded with ``surrogateescape``); the journal and the terminal cannot write it.
    Walks records (dataclasses), dicts, lists and tuples (what nests deeper than ``MAX_NESTING``
    becomes ``TOO_DEEP``); what needs no change is returned as it is. Every event applies it to
    its fields, and the driver to each outcome it sends the loop.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is str:
        return cast(T, _encodable_text(cast(str, value)))
    if isinstance(value, dict | list | tuple):
        return value if _needs_nothing(value) else cast(T, _encodable_tree(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        for name in field_names(kind):
            old = getattr(value, name)
            new = encodable(old)
            if new is not old:
                changes[name] = new
        return cast(T, dataclasses.replace(value, **changes)) if changes else value
    if isinstance(value, str):  # a str subclass
        return cast(T, _encodable_text(value))
    return value


_PLAIN = frozenset({int, float, bool, type(None)})
"""Types that hold no text: returned as they are, at once."""


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(record: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(record)
    if names is None:
        names = _FIELD_NAMES[record] = tuple(f.name for f in dataclasses.fields(record))
    return names


def _encodable_text(text: str) -> str:
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # UTF-16 holds lone surrogates as code units; decoding joins a split pair, replaces the rest
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


_Tree = dict[Any, Any] | list[Any] | tuple[Any, ...]


MAX_NESTING = 100
"""The deepest nesting of lists and objects an event holds. Writing an event (``to_dict``, JSON,
``repr``) recurses through it, so a deeper part (hostile JSON from a model or a sandbox) is
replaced by ``TOO_DEEP``."""
TOO_DEEP = f"(nested deeper than {MAX_NESTING} levels: left out)"


def _encodable_tree(root: _Tree) -> Any:
    """``encodable`` for dicts, lists and tuples, without recursion (JSON from outside can nest
    deeper than the stack). A container is rebuilt after its items, and only if one changed."""
    done: dict[int, Any] = {}
    opened: set[int] = set()
    pending: list[tuple[Any, int]] = [(root, 1)]
    while pending:
        node, depth = pending[-1]
        if id(node) not in opened:
            opened.add(id(node))
            if depth > MAX_NESTING:
                done[id(node)] = TOO_DEEP
            else:
                items = _items(node)
                pending.extend((i, depth + 1) for i in items if _is_tree(i) and id(i) not in opened)
            continue
        pending.pop()
        if id(node) not in done:
            done[id(node)] = _rebuilt(node, done)
    return done[id(root)]


def _needs_nothing(node: _Tree, depth: int = 1) -> bool:
    """The quick answer for the usual tree: nothing in it to change, and little nesting. A tree
    that needs a change, or nests deep, goes to ``_encodable_tree``."""
    if depth > MAX_NESTING:
        return False
    for item in _items(node):
        kind = type(item)
        if kind in _PLAIN or (kind is str and item.isascii()):
            continue
        if kind in (dict, list, tuple):
            if not _needs_nothing(item, depth + 1):
                return False
        elif encodable(item) is not item:  # a record in the tree (a call), or other text
            return False
    return True


def _is_tree(value: Any) -> bool:
    return isinstance(value, dict | list | tuple)


def _items(node: _Tree) -> list[Any]:
    if isinstance(node, dict):
        return [*node.keys(), *node.values()]
    return list(node)


def _rebuilt(node: _Tree, done: dict[int, Any]) -> _Tree:
    def clean(item: Any) -> Any:
        return done.get(id(item), item) if _is_tree(item) else encodable(item)

    if isinstance(node, dict):
        pairs = [(clean(k), clean(v)) for k, v in node.items()]
        same = all(k is a and v is b for (k, v), (a, b) in zip(pairs, node.items(), strict=True))
        return node if same else dict(pairs)
    items = [clean(item) for item in node]
    if all(a is b for a, b in zip(items, node, strict=True)):
        return node
    return items if isinstance(node, list) else tuple(items)
