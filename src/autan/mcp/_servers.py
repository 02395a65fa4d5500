"""Which MCP server to connect to: a command line, a URL, or an entry of the ``mcpServers`` JSON
that other MCP clients (Claude Desktop, Cursor, VS Code) already read."""

from __future__ import annotations

import json
import math
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from autan.errors import MCPServerError
from autan.tools import TRUSTS, Trust

Transport = Literal["stdio", "http", "sse"]
TRANSPORTS: tuple[Transport, ...] = ("stdio", "http", "sse")
_LAUNCHERS = {"uvx", "npx", "pipx", "bunx", "pnpx"}
_WRAPPERS = {"unshare", "env", "nice", "nohup", "stdbuf", "firejail"}


@dataclass(frozen=True, slots=True)
class MCPServer:
    """One server: ``command`` (stdio) or ``url`` (``http``: streamable HTTP, or ``sse``)."""

    name: str
    command: tuple[str, ...] = ()
    url: str | None = None
    transport: Transport = "stdio"
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    trust: Trust | None = None
    """Whether its tools' results may be believed; ``None``: untrusted, the default of MCP."""
    timeout: float | None = None
    """Seconds one call may wait for the server's result; ``None``: the toolset's default."""

    def __post_init__(self) -> None:
        if self.timeout is not None:
            call_timeout(self.timeout, f"MCP server {self.name!r}: timeout")
        if self.trust is not None and self.trust not in TRUSTS:
            raise MCPServerError(
                f"MCP server {self.name!r}: trust must be trusted or untrusted, got {self.trust!r}"
            )
        if self.transport not in TRANSPORTS:
            raise MCPServerError(
                f"MCP server {self.name!r}: transport must be stdio, http or sse, "
                f"got {self.transport!r}"
            )
        if self.transport == "stdio" and not self.command:
            raise MCPServerError(f"MCP server {self.name!r}: no command to run")
        if self.transport != "stdio" and not self.url:
            raise MCPServerError(f"MCP server {self.name!r}: no URL")

    def describe(self) -> dict[str, Any]:
        """What a journal records to connect again: no environment values (they may be keys)."""
        where: dict[str, Any] = {"command": list(self.command)} if self.command else {}
        if self.url:
            where = {"url": self.url}
        trust = {"trust": self.trust} if self.trust else {}
        timeout = {"timeout": self.timeout} if self.timeout is not None else {}
        described = {"name": self.name, "transport": self.transport, **where, "cwd": self.cwd}
        return {**described, **trust, **timeout}


def call_timeout(value: object, what: str = "timeout") -> float:
    """``value`` as a number of seconds to wait for a call; ``MCPServerError`` unless it is a
    positive, finite number."""
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None or not math.isfinite(number) or number <= 0:
        raise MCPServerError(f"{what} must be a positive number of seconds, got {value!r}")
    return float(number)


def server(spec: str | MCPServer, name: str | None = None) -> MCPServer:
    """``spec`` as a server: ``http(s)://…`` is a URL (``…/sse`` the SSE transport), anything
    else a command line."""
    if isinstance(spec, MCPServer):
        return spec
    text = spec.strip()
    if re.match(r"https?://", text):
        transport: Transport = "sse" if text.rstrip("/").endswith("/sse") else "http"
        return MCPServer(name or _name_of_url(text), url=text, transport=transport)
    try:
        command = tuple(shlex.split(text))
    except ValueError as error:
        raise MCPServerError(
            f"MCP server {text!r}: cannot read the command line: {error}"
        ) from None
    if not command:
        raise MCPServerError("MCP server: the command line is empty")
    return MCPServer(name or _name_of_command(command), command=command)


def from_entry(name: str, entry: Any, milliseconds: bool = False) -> MCPServer:
    """One entry of ``mcpServers`` (JSON) or ``[mcp.servers.NAME]`` (``autan.toml``).

    ``timeout`` is in seconds in ``autan.toml``; in an ``mcpServers`` file (``milliseconds``)
    it is in milliseconds, as Claude Code and Gemini CLI read that key."""
    if not isinstance(entry, dict):
        raise MCPServerError(f"MCP server {name!r}: its entry must be an object")
    url = entry.get("url")
    kind = str(entry.get("transport", entry.get("type", "http" if url else "stdio")))
    transport = "http" if kind in ("streamable-http", "streamableHttp", "http") else kind
    command = entry.get("command")
    args = entry.get("args", [])
    if command is not None and not isinstance(command, str):
        raise MCPServerError(f"MCP server {name!r}: command must be a string")
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise MCPServerError(f"MCP server {name!r}: args must be a list of strings")
    return MCPServer(
        name,
        command=(*shlex.split(command), *args) if command else (),
        url=str(url) if url else None,
        transport=transport,  # type: ignore[arg-type]  # checked in __post_init__
        env=_strings(name, "env", entry.get("env", {})),
        cwd=str(entry["cwd"]) if entry.get("cwd") else None,
        headers=_strings(name, "headers", entry.get("headers", {})),
        trust=str(entry["trust"]) if "trust" in entry else None,  # type: ignore[arg-type]
        timeout=_timeout(name, entry.get("timeout"), milliseconds),
    )


def from_config_file(path: str | Path) -> list[MCPServer]:
    """Every server of an ``mcpServers`` JSON file."""
    file = Path(path).expanduser()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MCPServerError(f"cannot read the MCP config {file}: {error}") from None
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise MCPServerError(f'{file}: no "mcpServers" object')
    return [from_entry(str(name), entry, milliseconds=True) for name, entry in servers.items()]


def _timeout(name: str, value: object, milliseconds: bool) -> float | None:
    """An entry's ``timeout`` in seconds. In milliseconds, a value under 1000 is refused rather
    than read as a fraction of a second: Cline writes seconds under the same key."""
    if value is None:
        return None
    what = f"MCP server {name!r}: timeout"
    if not milliseconds:
        return call_timeout(value, what)
    unit = "must be a number of milliseconds of at least 1000"
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None or not math.isfinite(number) or number < 1000:
        near = number is not None and math.isfinite(number) and number > 0
        hint = f" (did you mean {number * 1000:g}?)" if near and number is not None else ""
        raise MCPServerError(f"{what} {unit}, got {value!r}{hint}")
    return float(number) / 1000


def _strings(name: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise MCPServerError(f"MCP server {name!r}: {key} must be an object of strings")
    return {str(k): os.path.expandvars(str(v)) for k, v in value.items()}


def _name_of_command(command: tuple[str, ...]) -> str:
    words = list(command)
    while len(words) > 1 and Path(words[0]).name in _WRAPPERS:
        words = words[1:]
        while len(words) > 1 and words[0].startswith("-"):
            words = words[1:]
    if "-m" in words[:-1]:
        return _slug(words[words.index("-m") + 1])
    if Path(words[0]).name.startswith("python") and len(words) > 1 and words[1].endswith(".py"):
        return _slug(Path(words[1]).stem)
    if Path(words[0]).name in _LAUNCHERS:
        named = [w for w in words[1:] if not w.startswith("-")]
        if named:
            return _slug(named[0].split("@")[0].split("/")[-1])
    return _slug(Path(words[0]).name)


def _name_of_url(url: str) -> str:
    host = re.sub(r"^https?://", "", url).split("/")[0].split(":")[0]
    return _slug(host)


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text).strip("_") or "mcp"
