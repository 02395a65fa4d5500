"""The command line: one module per command group (``run``, ``runs``, ``bench``, ``sandbox``),
``display`` for what a person sees, ``settings`` for ``autan.toml``, ``recipe`` for how a run's
agent is built and rebuilt. It uses autan's public API only."""

from autan.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
