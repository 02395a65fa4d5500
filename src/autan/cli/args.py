"""Argument types shared by the CLI's commands: numbers with a lower bound, run limits,
per-tool trust decisions; and the flags more than one command takes."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

from autan.models.decoding import DEFAULT_DECODE, STRATEGIES

N = TypeVar("N", int, float)


def at_least(kind: type[N], minimum: N, strict: bool = False) -> Callable[[str], N]:
    """An argparse type: a ``kind`` number >= ``minimum`` (> when ``strict``)."""

    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"{_bound(minimum, strict)}: {text}")
        return value

    return parse


def limit(kind: type[N], name: str) -> Callable[[str], N]:
    """An argparse type for the ``Limits`` field ``name``, bounded as ``Limits`` bounds it."""
    from autan.errors import ConfigurationError
    from autan.limits import check_limit

    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        try:
            check_limit(name, value)
        except ConfigurationError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return value

    return parse


def _bound(minimum: float, strict: bool) -> str:
    if minimum == 0:
        return "must be positive" if strict else "must not be negative"
    return f"must be more than {minimum}" if strict else f"must be at least {minimum}"


DECODE_HELP = (
    f"decoding strategies of the embedded model: default (= {','.join(DEFAULT_DECODE)}), greedy "
    "(main's: one generation under the step's grammar), all, or a comma-separated list of "
    f"{', '.join(STRATEGIES)} (see BENCHMARKS.md)"
)


def add_send_key_argument(parser: argparse.ArgumentParser) -> None:
    """``--send-key-to-recipe-server``: for the commands that build a journaled run's agent
    again (``runs resume``, ``run -c``, ``chat -c``; ``Recipe.to_continue``)."""
    parser.add_argument(
        "--send-key-to-recipe-server",
        action="store_true",
        help="send this environment's API key to the server the run's recipe names "
        "even where the key is not configured for it (autan.toml or AUTAN_MODEL)",
    )


def tool_decision(text: str) -> tuple[str, str]:
    """An argparse type: ``NAME=allow|ask|refuse``, checked by the trust rules' one parser."""
    from autan.errors import ConfigurationError
    from autan.loop import trust_rules

    name, equals, decision = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"expected TOOL=allow|ask|refuse, got {text!r}")
    try:
        trust_rules({"tools": {name.strip(): decision.strip()}})
    except ConfigurationError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return name.strip(), decision.strip()
