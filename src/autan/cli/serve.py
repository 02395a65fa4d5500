"""``autan serve``: the HTTP API and web page (``autan.serve``) over a journal, with agents built
by the same recipe as ``autan run``'s, so ``autan runs`` can show, resume and replay them too."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from autan.cli.args import at_least
from autan.cli.display import EXIT_OK
from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.cli.recipe import Recipe
    from autan.cli.settings import Settings
    from autan.models import Model
    from autan.serve import RunSpec
    from autan.store import Store

Parser = TypeVar("Parser", bound=argparse.ArgumentParser)


def add_serve_command(commands: argparse._SubParsersAction[Parser]) -> None:
    serve = commands.add_parser(
        "serve", help="an HTTP API and a web page to start, watch and steer runs"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    serve.add_argument(
        "--port", type=at_least(int, 0), default=8765, help="port (default: %(default)s)"
    )
    serve.add_argument(
        "--store",
        metavar="URL|PATH",
        default=None,
        help="SQLite journal file or postgresql:// URL (default: $AUTAN_HOME/journal.sqlite3)",
    )
    serve.add_argument(
        "--workers",
        type=at_least(int, 1),
        default=2,
        metavar="N",
        help="runs executing at once (default: %(default)s)",
    )
    serve.add_argument(
        "--model", default=None, help="default model spec (default: autan.toml, AUTAN_MODEL, local)"
    )
    serve.add_argument(
        "--workspace", default=".", metavar="DIR", help="directory the file tools may use"
    )
    auth = serve.add_mutually_exclusive_group()
    auth.add_argument(
        "--token-file",
        metavar="PATH",
        default=None,
        help="the bearer token's file, made (mode 0600) if missing "
        "(default: $AUTAN_HOME/serve.token)",
    )
    auth.add_argument(
        "--no-token", action="store_true", help="no bearer token (refused beyond loopback)"
    )


def run_serve(args: argparse.Namespace) -> int:
    from autan.cli.settings import load_settings
    from autan.serve import ServeOptions, create_app
    from autan.serve._server import run_server
    from autan.store import open_store

    token = _token(args)
    settings = load_settings()
    agents = RecipeAgents(settings, args.model or settings.model, args.workspace)
    with open_store(args.store) as store:
        app = create_app(store, agents, ServeOptions(token=token, workers=args.workers))
        run_server(app, args.host, args.port, lambda url: _announce(url, token, args))
    return EXIT_OK


def _token(args: argparse.Namespace) -> str | None:
    from autan.serve._auth import token_from_file
    from autan.store import autan_home

    if args.no_token:
        if not _loopback(args.host):
            raise ConfigurationError(
                f"--no-token binds {args.host}, beyond loopback: anyone who can reach it could "
                "run agents; use a token"
            )
        return None
    path = Path(args.token_file).expanduser() if args.token_file else autan_home() / "serve.token"
    path.parent.mkdir(parents=True, exist_ok=True)
    token, made = token_from_file(path)
    if made:
        print(f"autan: a new bearer token (kept in {path}): {token}", file=sys.stderr)
    return token


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _announce(url: str, token: str | None, args: argparse.Namespace) -> None:
    where = f"{url}/#token=<the token in {args.token_file or '$AUTAN_HOME/serve.token'}>"
    print(
        f"autan: serving on {url} (page: {where if token else url + '/'}, "
        f"API docs: {url}/docs); Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )


class RecipeAgents:
    """Agents as ``autan run`` builds them (``cli/recipe.py``), one loaded model per spec."""

    def __init__(self, settings: Settings, model: str, workspace: str) -> None:
        self._settings = settings
        self._model = model
        self._workspace = str(Path(workspace).expanduser().resolve())
        self._models: dict[str, Model] = {}

    def new(self, spec: RunSpec, store: Store) -> Agent:
        from autan.cli.recipe import Recipe

        recipe = Recipe(
            model=spec.model or self._model,
            tool_protocol=self._settings.tool_protocol if spec.model is None else None,
            workspace=self._workspace,
            max_steps=spec.max_steps or self._settings.max_steps,
            max_total_tokens=spec.max_total_tokens,
            max_wall_seconds=spec.max_wall_seconds,
        )
        return self._build(recipe, store)

    def existing(self, run_id: str, config: Mapping[str, Any], store: Store) -> Agent:
        from autan.cli.recipe import Recipe

        return self._build(Recipe.from_journal(run_id, config), store)

    def _build(self, recipe: Recipe, store: Store) -> Agent:
        agent = recipe.build(store, self._settings, self._models.get(recipe.model))
        self._models.setdefault(recipe.model, agent.model)
        return agent
