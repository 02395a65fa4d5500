"""``autan chat``: a conversation in the terminal. Each line is a turn: a run that follows up
on the last answer (``Agent.run(..., after=...)``), journaled and linked to the one before.

Line editing and history come from the standard library's ``readline`` (GNU readline where
Python has it): no dependency, the keys people already know, and the history file is
``$AUTAN_HOME/chat_history``. Ctrl-C stops the turn that is running (the conversation stays at
the last answer) or clears the line being typed; Ctrl-D leaves.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from autan.cli.answer_stream import AnswerStream
from autan.cli.args import add_send_key_argument
from autan.cli.display import EXIT_OK, error, show_live
from autan.cli.run import add_agent_arguments, open_store_of
from autan.errors import AutanError, ConfigurationError

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.cli.settings import Settings
    from autan.result import RunResult
    from autan.store import Store

Parser = TypeVar("Parser", bound=argparse.ArgumentParser)

HELP = (
    "/tools  the tools    /model [SPEC]  the model (or a new one: a new conversation)\n"
    "/reset  a new conversation    /save FILE  the conversation as JSON    Ctrl-D  leave"
)
PROMPT = "> "


def add_chat_command(commands: argparse._SubParsersAction[Parser]) -> None:
    chat = commands.add_parser(
        "chat",
        help="talk with an agent: each line is a turn that follows up on the last answer",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_agent_arguments(chat)
    chat.add_argument(
        "-c",
        "--continue",
        dest="continue_last",
        action="store_true",
        help="go on with the last answered run of the journal",
    )
    add_send_key_argument(chat)


def run_chat(args: argparse.Namespace) -> int:
    from autan.cli.recipe import Recipe
    from autan.cli.settings import load_settings

    settings = load_settings()
    store = open_store_of(args)
    try:
        recipe = Recipe.from_flags(args, settings)
        session = ChatSession(recipe.build(store, settings), args, settings, store)
        if args.continue_last:
            session.continue_last()
        return session.loop()
    finally:
        if store is not None:
            store.close()


class ChatSession:
    """The agent, the last answer (what the next turn follows up on), the terminal."""

    def __init__(
        self, agent: Agent, args: argparse.Namespace, settings: Settings, store: Store | None
    ) -> None:
        self.agent = agent
        self.args = args
        self.settings = settings
        self.store = store
        self.last: RunResult[Any] | None = None

    def continue_last(self) -> None:
        from autan.cli.turns import continued, last_answered

        if self.store is None:
            raise ConfigurationError("-c continues a journaled conversation: drop --no-store")
        send_anyway = bool(getattr(self.args, "send_key_to_recipe_server", False))
        last = last_answered(self.store)
        self.agent, self.last = continued(self.store, last, self.settings, send_anyway)

    def loop(self) -> int:
        history = _line_editing()
        print(f"autan chat · {self.agent.model.name} · /help for commands", file=sys.stderr)
        while True:
            try:
                line = input(PROMPT).strip()
            except EOFError:
                print(file=sys.stderr)
                _save_history(history)
                return EXIT_OK
            except KeyboardInterrupt:
                print(file=sys.stderr)
                continue
            if line.startswith("/"):
                self.command(line)
            elif line:
                self.turn(line)

    def turn(self, task: str) -> None:
        """One run after the last answer, its answer streamed to stdout; Ctrl-C stops it."""
        from autan.events import FinalAnswer, RunFailed, TextDelta

        shown = AnswerStream(sys.stdout)
        events = self.agent.stream(task, after=self.last)
        try:
            while True:
                event = next(events)
                if isinstance(event, TextDelta):
                    shown.write(event.text)
                    continue
                shown.end(event.output if isinstance(event, FinalAnswer) else None)
                if isinstance(event, RunFailed):
                    error(f"{event.error}: {event.message}")
                show_live(event, sys.stderr, self.args.show_reasoning)
        except StopIteration as ended:
            result: RunResult[Any] = ended.value
            if result.output is not None:
                self.last = result
        except KeyboardInterrupt:
            events.close()
            shown.end()
            print("(stopped: the conversation goes on from the last answer)", file=sys.stderr)
        except AutanError as problem:
            shown.end()
            error(problem)

    def command(self, line: str) -> None:
        name, _, rest = line.partition(" ")
        rest = rest.strip()
        if name == "/tools":
            for tool in self.agent.tools:
                print(f"{tool.name}: {tool.description.splitlines()[0]}")
        elif name == "/model":
            self.model(rest)
        elif name == "/reset":
            self.last = None
            print("(a new conversation)", file=sys.stderr)
        elif name == "/save" and rest:
            self.save(Path(rest).expanduser())
        elif name == "/help":
            print(HELP)
        else:
            print(f"unknown command {line!r}\n{HELP}", file=sys.stderr)

    def model(self, spec: str) -> None:
        import dataclasses

        from autan.cli.recipe import Recipe

        if not spec:
            print(self.agent.model.name)
            return
        try:
            recipe = dataclasses.replace(Recipe.from_flags(self.args, self.settings), model=spec)
            self.agent = recipe.build(self.store, self.settings)
        except AutanError as problem:
            error(problem)
            return
        self.last = None
        print(f"(now {self.agent.model.name}: a new conversation)", file=sys.stderr)

    def save(self, path: Path) -> None:
        messages = self.last.messages if self.last else ()
        data = {
            "model": self.agent.model.name,
            "messages": [
                {"role": m.role, "content": m.content} for m in messages if m.role != "system"
            ],
        }
        try:
            path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
        except OSError as problem:
            error(f"cannot save to {path}: {problem.strerror}")
            return
        print(f"(saved {len(data['messages'])} messages to {path})", file=sys.stderr)


def _line_editing() -> Path | None:
    """Turn on readline's line editing and load the history; its file, or ``None``."""
    try:
        import readline
    except ImportError:  # a Python built without it: plain input()
        return None
    from autan.store import autan_home

    path = autan_home() / "chat_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)
    return path


def _save_history(path: Path | None) -> None:
    if path is None:
        return
    import readline

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)
    except OSError:
        pass
