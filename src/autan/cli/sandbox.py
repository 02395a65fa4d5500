"""``autan sandbox run FILE.py``: run a file in the sandbox and print what it did as JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from autan.cli.args import at_least
from autan.cli.display import EXIT_FAILED, EXIT_OK
from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from autan.sandbox import SandboxResult

Parser = TypeVar("Parser", bound=argparse.ArgumentParser)


def add_sandbox_commands(commands: argparse._SubParsersAction[Parser]) -> None:
    sandbox = commands.add_parser("sandbox", help="run Python in the isolated sandbox")
    actions = sandbox.add_subparsers(
        dest="sandbox_command", required=True, metavar="{run}", parser_class=type(sandbox)
    )
    run = actions.add_parser(
        "run",
        help="run FILE.py in the sandbox and print one JSON object",
        epilog="exit status: 0 the code ended well, 1 it raised, exited non-zero, was killed or "
        "timed out, 2 bad input",
    )
    run.add_argument("file", metavar="FILE.py", help="the Python file to run")
    run.add_argument(
        "--timeout",
        type=at_least(float, 0.0, strict=True),
        default=10.0,
        metavar="S",
        help="wall-clock seconds before the code is killed; its CPU time is limited to as many "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--memory",
        type=at_least(float, 0.0, strict=True),
        default=512,
        metavar="MB",
        help="address space limit in MB (default: %(default)s)",
    )
    run.add_argument(
        "--workspace", default=None, metavar="DIR", help="bind DIR at /workspace (read-only)"
    )
    run.add_argument("--writable", action="store_true", help="bind the workspace read-write")
    run.add_argument(
        "--i-understand-no-isolation",
        dest="unsandboxed",
        action="store_true",
        help="where bubblewrap cannot run, run the code anyway with limits but NO isolation",
    )


def run_sandbox(args: argparse.Namespace) -> int:
    """Perform ``autan sandbox run``: exit status 0 when the code ended well (exit 0, not killed,
    a result that is JSON if any), 1 when it did not; bad input is one line and exit status 2."""
    result = _run(args)
    print(json.dumps(result.report()))
    return EXIT_OK if result.ok and result.error is None else EXIT_FAILED


def _run(args: argparse.Namespace) -> SandboxResult:
    from autan.sandbox import SandboxLimits, run_python

    path = Path(args.file)
    if not path.is_file():
        raise ConfigurationError(f"no such file: {args.file}")
    try:
        code = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"cannot read {args.file}: {error}") from None
    cpu = max(1, int(args.timeout + 0.999))
    limits = SandboxLimits(timeout=args.timeout, cpu_seconds=cpu, memory_mb=int(args.memory))
    return run_python(
        code,
        limits=limits,
        workspace=args.workspace,
        writable=args.writable,
        allow_unsandboxed=args.unsandboxed,
    )
