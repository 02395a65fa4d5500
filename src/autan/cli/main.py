"""``autan``: the parser of every command, and how each command's failures become exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from autan._version import __version__
from autan.cli.batch import add_batch_command, run_batch
from autan.cli.bench import add_bench_commands, run_bench
from autan.cli.chat import add_chat_command, run_chat
from autan.cli.display import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_USAGE,
    error,
    interrupted,
    show_warnings_as_lines,
)
from autan.cli.mcp import add_mcp_commands, run_mcp
from autan.cli.run import add_run_command, run_run
from autan.cli.runs import add_runs_commands, run_runs
from autan.cli.sandbox import add_sandbox_commands, run_sandbox
from autan.cli.serve import add_serve_command, run_serve
from autan.errors import AutanError, ConfigurationError

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Command] = {
    "run": run_run,
    "chat": run_chat,
    "runs": run_runs,
    "sandbox": run_sandbox,
    "bench": run_bench,
    "serve": run_serve,
    "mcp": run_mcp,
    "batch": run_batch,
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"autan: error: {message} (see autan --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="autan",
        description="Agents on open-weight models, efficiency first.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"autan {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    add_runs_commands(commands)
    add_sandbox_commands(commands)
    add_bench_commands(commands)
    add_mcp_commands(commands)
    add_batch_command(commands)
    add_run_command(commands)
    add_serve_command(commands)
    add_chat_command(commands)
    return parser


def _quiet_libraries() -> None:
    """The MCP SDK logs a server's bad lines with tracebacks; autan reports them in one line."""
    import logging

    logging.getLogger("mcp").setLevel(logging.CRITICAL)


def main(argv: list[str] | None = None) -> int:
    """Every command's failures map the same way: bad input 2, a failed run 1, Ctrl-C 130."""
    parser = build_parser()
    args = parser.parse_args(argv)
    show_warnings_as_lines()
    _quiet_libraries()
    command = COMMANDS.get(args.command)
    if command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return command(args)
    except ConfigurationError as problem:
        error(problem)
        return EXIT_USAGE
    except AutanError as problem:
        error(problem)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return interrupted()
