"""Where the task of ``autan run`` comes from: the TASK argument, ``-`` (standard input),
``--task-file PATH``, and text piped into standard input.

``autan run TASK`` with stdin a pipe or a file (``cat notes.md | autan run "summarise this"``)
appends what it reads to the task, after a blank line (a pipe with nothing in it after a second
is left unread); ``--task-file`` is appended the same way
(or is the task when TASK is not given). ``-`` makes stdin the task itself. A task given this way
has no length limit of the command line (a single argument is at most 128 KiB on Linux).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from autan.errors import ConfigurationError

STDIN = "-"
PIPE_WAIT_SECONDS = 1.0


def add_task_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "task",
        nargs="?",
        default=None,
        help="what the agent should do; - reads it from stdin; text piped into stdin is "
        "appended to it",
    )
    run.add_argument(
        "--task-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="read the task from PATH (appended to TASK when both are given)",
    )


def read_task(args: argparse.Namespace) -> str:
    """The whole task: TASK (or stdin for ``-``), then the task file, then piped stdin."""
    parts = []
    if args.task == STDIN:
        parts.append(_stdin())
    elif args.task is not None:
        parts.append(args.task)
    if args.task_file is not None:
        parts.append(_file(args.task_file))
    if args.task != STDIN and _stdin_is_piped() and _stdin_has_input():
        parts.append(_stdin())
    if not parts:
        raise ConfigurationError("give the task: autan run TASK, autan run - or --task-file PATH")
    return "\n\n".join(part for part in parts if part.strip())


def _stdin_is_piped() -> bool:
    """Stdin is a pipe or a regular file (not a terminal, /dev/null or a socket)."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (AttributeError, OSError, ValueError):  # closed, or replaced by an object without one
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def _stdin_has_input(wait: float = PIPE_WAIT_SECONDS) -> bool:
    """Whether piped stdin brings text (or its end) within ``wait``: a pipe inherited from a
    parent that never writes to it (a CI runner, a supervisor) must not hang the run."""
    import select

    if stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode):
        return True
    readable, _, _ = select.select([sys.stdin.fileno()], [], [], wait)
    if not readable:
        print(
            f"autan: stdin is a pipe with nothing in it after {wait:g} s; not reading it "
            "(use - to wait for it)",
            file=sys.stderr,
        )
    return bool(readable)


def _stdin() -> str:
    try:
        data = sys.stdin.buffer.read()
    except (AttributeError, OSError, ValueError) as error:
        raise ConfigurationError(f"cannot read the task from stdin: {error}") from None
    return _decode(data, "stdin")


def _file(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigurationError(f"cannot read the task file {path}: {error.strerror}") from None
    return _decode(data, str(path))


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError(f"the task in {source} is not UTF-8 text") from None
