"""``autan serve``: the HTTP API and web page (``autan.serve``) over a journal, with agents built
by the same recipe as ``autan run``'s, so ``autan runs`` can show, resume and replay them too."""

from __future__ import annotations

import argparse
import ipaddress
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from autan.cli.args import add_send_key_argument, at_least
from autan.cli.display import EXIT_OK, new_token, serving
from autan.cli.mcp_servers import add_mcp_arguments
from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.cli.recipe import Recipe
    from autan.cli.settings import Settings
    from autan.models import Model
    from autan.serve import Offered, RunSpec
    from autan.store import Store

Parser = TypeVar("Parser", bound=argparse.ArgumentParser)
TOKEN_FILE = "serve.token"
"""The bearer token's file in ``$AUTAN_HOME`` unless ``--token-file`` names another."""


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
    add_mcp_arguments(serve)
    add_send_key_argument(serve)  # for the journaled runs it resumes
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
    from autan.cli.mcp_servers import recorded, servers_for_run
    from autan.cli.settings import load_settings
    from autan.serve import ServeOptions, create_app, run_server
    from autan.store import open_store

    token, fresh = _token(args)
    settings = load_settings()
    mcp = Served(recorded(servers_for_run(args, settings)), not args.mcp_no_approval)
    agents = RecipeAgents(
        settings, args.model or settings.model, args.workspace, mcp, args.send_key_to_recipe_server
    )
    with open_store(args.store) as store:
        app = create_app(store, agents, ServeOptions(token=token, workers=args.workers))
        run_server(app, args.host, args.port, lambda url: _announce(url, token, fresh, args))
    return EXIT_OK


def _token(args: argparse.Namespace) -> tuple[str | None, bool]:
    """The bearer token, and whether it was just made (then it is shown, this once)."""
    from autan.serve import token_from_file

    if args.no_token:
        if not _loopback(args.host):
            raise ConfigurationError(
                f"--no-token binds {args.host}, beyond loopback: anyone who can reach it could "
                "run agents; use a token"
            )
        return None, False
    return token_from_file(_token_path(args))


def _token_path(args: argparse.Namespace) -> Path:
    from autan.store import autan_home

    return Path(args.token_file).expanduser() if args.token_file else autan_home() / TOKEN_FILE


def _announce(url: str, token: str | None, fresh: bool, args: argparse.Namespace) -> None:
    if token is None:
        serving(f"{url}/", f"{url}/docs")
    elif fresh:
        new_token(_token_path(args))
        serving(f"{url}/#token={token}", f"{url}/docs")
    else:
        serving(f"{url}/#token=…", f"{url}/docs", f"the token is in {_token_path(args)}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Served:
    """The MCP servers ``autan serve`` was started with, as the journal names them."""

    servers: list[dict[str, Any]] = field(default_factory=list)
    approval: bool = True
    """Whether tools the servers mark destructive wait for approval."""

    def names(self) -> tuple[str, ...]:
        return tuple(str(entry["name"]) for entry in self.servers)


class RecipeAgents:
    """Agents as ``autan run`` builds them (``cli/recipe.py``), one loaded model per spec; a
    run's tools profile picks among the built-in tools and the MCP servers."""

    def __init__(
        self,
        settings: Settings,
        model: str,
        workspace: str,
        mcp: Served | None = None,
        send_key_anyway: bool = False,
    ) -> None:
        """``send_key_anyway``: resume journaled runs even where their recipe would send this
        environment's key to a server it is not configured for (``check_key_destination``)."""
        from autan.tools.builtin import builtin_tools

        self._settings = settings
        self._model = model
        self._send_key_anyway = send_key_anyway
        self._workspace = str(Path(workspace).expanduser().resolve())
        self._builtin = tuple(t.name for t in builtin_tools(self._workspace))
        self._mcp = mcp or Served()
        self._models: dict[str, Model] = {}
        self._loading = threading.Lock()

    def offered(self) -> Offered:
        from autan.serve import Offered

        return Offered(self._builtin, self._mcp.names())

    def new(self, spec: RunSpec, store: Store) -> Agent:
        from autan.cli.recipe import Recipe

        builtin, servers = self._profile(spec.tools)
        recipe = Recipe(
            model=spec.model or self._model,
            tool_protocol=self._settings.tool_protocol if spec.model is None else None,
            workspace=self._workspace,
            max_steps=spec.max_steps or self._settings.max_steps,
            max_total_tokens=spec.max_total_tokens,
            max_wall_seconds=spec.max_wall_seconds,
            mcp=servers,
            mcp_approval=self._mcp.approval,
            builtin=builtin,
        )
        return self._build(recipe, store)

    def existing(self, run_id: str, config: Mapping[str, Any], store: Store) -> Agent:
        """The journaled run's agent, its recipe read as ``autan runs resume`` reads one: the
        key goes only where it is configured to go, this server's model counting as such."""
        import dataclasses

        from autan.cli.recipe import Recipe

        configured = dataclasses.replace(self._settings, model=self._model)
        recipe = Recipe.to_continue(run_id, config, configured, self._send_key_anyway)
        return self._build(recipe, store)

    def _profile(
        self, names: Sequence[str] | None
    ) -> tuple[tuple[str, ...] | None, tuple[dict[str, Any], ...]]:
        """The built-in tools (``None``: all) and the MCP servers a run's ``tools`` names."""
        if names is None:
            return None, tuple(self._mcp.servers)
        offered = {*self._builtin, *self._mcp.names()}
        unknown = sorted(set(names) - offered)
        if unknown:
            raise ConfigurationError(
                f"unknown tools or MCP servers: {', '.join(unknown)}; this server offers "
                f"{', '.join(sorted(offered)) or 'none'}"
            )
        servers = tuple(s for s in self._mcp.servers if s["name"] in names)
        return tuple(n for n in self._builtin if n in names), servers

    def _build(self, recipe: Recipe, store: Store) -> Agent:
        model = self._models.get(recipe.model)
        if model is None:
            with self._loading:  # two first requests for a spec load its model once
                model = self._models.get(recipe.model)
                if model is None:
                    agent = recipe.build(store, self._settings)
                    self._models[recipe.model] = agent.model
                    return agent
        return recipe.build(store, self._settings, model)  # MCP servers connect in parallel
