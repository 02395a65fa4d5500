"""``autan.toml``: defaults for the CLI. Precedence: command-line flag > environment > file.

The file is ``./autan.toml`` if it exists, else ``$XDG_CONFIG_HOME/autan/autan.toml``
(``~/.config/autan/autan.toml``). API keys are never read from it: only from the environment.

    model = "ollama:qwen3:4b"
    tool_protocol = "constrained"
    max_steps = 10
    context = 8192       # the embedded model's context size in tokens (default 4096)
    trust = "strict"     # after untrusted text, side effects: strict (refused), default, off
    # or decisions per tool: [trust] policy = "default", then [trust.tools] write_file = "refuse"
    reasoning = "drop"   # earlier turns' reasoning in the next request: drop, keep, keep_tool_turns
    fetch = true         # a fetch tool for web pages: network access, off unless asked (--fetch)

    [prices."deepseek:deepseek-chat"]   # USD per million tokens
    input = 0.27
    cached_input = 0.07
    output = 1.10

    [mcp.servers.time]                  # MCP servers every autan run connects to
    command = "python"
    args = ["-m", "mcp_server_time"]
    trust = "trusted"                   # its results may be believed (MCP default: untrusted)
    timeout = 30                        # seconds a call may wait for its result (default 60)
    [mcp.servers.docs]
    url = "http://127.0.0.1:8000/mcp"   # streamable HTTP; transport = "sse" for the older one
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autan.errors import ConfigurationError
from autan.limits import check_limit
from autan.models.reasoning import ReasoningPolicy
from autan.pricing import Price

if TYPE_CHECKING:
    from autan.loop import TrustRules
    from autan.mcp import MCPServer

ENVIRONMENT = {
    "model": "AUTAN_MODEL",
    "tool_protocol": "AUTAN_TOOL_PROTOCOL",
    "max_steps": "AUTAN_MAX_STEPS",
    "context": "AUTAN_CONTEXT",
}
_SECRET_WORDS = ("key", "token", "secret", "password")


@dataclass(frozen=True, slots=True)
class Settings:
    model: str = "local"
    tool_protocol: str | None = None
    max_steps: int = 10
    context: int | None = None
    reasoning: ReasoningPolicy | None = None
    prices: dict[str, Price] = field(default_factory=dict)
    mcp: tuple[MCPServer, ...] = ()
    trust: TrustRules | None = None
    """The trust policy (strict, default, scoped or off) and decisions per tool
    (``autan run --trust``, ``--trust-tool``)."""
    fetch: bool = False
    """Give the model the ``fetch`` tool (``autan run --fetch``)."""
    fetch_private: bool = False
    """Let ``fetch`` reach loopback, private and link-local addresses (``--fetch-private``)."""
    source: Path | None = None


def config_path(cwd: Path | None = None) -> Path | None:
    local = (cwd or Path.cwd()) / "autan.toml"
    if local.is_file():
        return local
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    user = base / "autan" / "autan.toml"
    return user if user.is_file() else None


def load_settings(path: Path | None = None) -> Settings:
    """Settings from the file (if any), then the environment on top."""
    file = path or config_path()
    data = _read(file) if file else {}
    for name, variable in ENVIRONMENT.items():
        if os.environ.get(variable):
            data[name] = os.environ[variable]
    return Settings(
        model=str(data.get("model", "local")),
        tool_protocol=_optional_str(data.get("tool_protocol")),
        max_steps=_int(data.get("max_steps", 10), "max_steps"),
        context=_context(data.get("context")),
        reasoning=_reasoning(data.get("reasoning")),
        prices=_prices(data.get("prices", {})),
        mcp=_mcp_servers(data.get("mcp", {})),
        trust=_trust(data.get("trust"), file),
        fetch=_bool(data.get("fetch", False), "fetch"),
        fetch_private=_bool(data.get("fetch_private", False), "fetch_private"),
        source=file,
    )


def _read(file: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"cannot read {file}: {error}") from None
    secret = [k for k in data if any(word in k.lower() for word in _SECRET_WORDS)]
    if secret:
        raise ConfigurationError(
            f"{file}: {secret[0]!r} looks like a secret; "
            "API keys are read from the environment only"
        )
    known = [f.name for f in fields(Settings) if f.name != "source"]
    unknown = [key for key in data if key not in known]
    if unknown:
        raise ConfigurationError(
            f"{file}: unknown key {unknown[0]!r}; the keys are {', '.join(known)}"
        )
    return data


def _prices(raw: Any) -> dict[str, Price]:
    if not isinstance(raw, dict):
        raise ConfigurationError("[prices] must be a table of model specs")
    prices = {}
    for model, entry in raw.items():
        try:
            prices[model] = Price(
                float(entry["input"]),
                float(entry.get("cached_input", entry["input"])),
                float(entry["output"]),
            )
        except (KeyError, TypeError, ValueError):
            raise ConfigurationError(
                f"[prices.{model!r}] needs numbers input, output (and optionally cached_input)"
            ) from None
    return prices


def _mcp_servers(raw: Any) -> tuple[MCPServer, ...]:
    from autan.mcp import from_entry

    servers = raw.get("servers", {}) if isinstance(raw, dict) else None
    if not isinstance(servers, dict) or set(raw) - {"servers"}:
        raise ConfigurationError("[mcp] holds only [mcp.servers.NAME] tables")
    return tuple(from_entry(str(name), entry) for name, entry in servers.items())


def _int(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be an integer, got {value!r}") from None
    check_limit(name, number)
    return number


def _context(value: Any) -> int | None:
    from autan.models.context import check_context

    if value is None:
        return None
    try:
        return check_context(int(value))
    except (TypeError, ValueError):
        raise ConfigurationError(f"context must be an integer, got {value!r}") from None


def _reasoning(value: Any) -> ReasoningPolicy | None:
    if value is None:
        return None
    if value not in ("drop", "keep", "keep_tool_turns"):
        raise ConfigurationError(f"reasoning must be drop, keep or keep_tool_turns, got {value!r}")
    policy: ReasoningPolicy = value
    return policy


def _trust(value: Any, file: Path | None) -> TrustRules | None:
    from autan.loop import trust_rules

    return None if value is None else trust_rules(value, f"{file}: trust" if file else "trust")


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be true or false, got {value!r}")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)
