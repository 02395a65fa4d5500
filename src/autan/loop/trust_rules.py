"""What the user chose for the trust policy: a policy for every tool with side effects, and a
decision per tool that overrides it. The one parser of that choice, wherever it is written:
``Agent(trust=...)``, ``trust`` in ``autan.toml``, ``autan run --trust/--trust-tool``, and the
run's journaled configuration.

    trust = "strict"                # a policy alone

    [trust]                         # or a table: the policy and decisions per tool
    policy = "default"
    [trust.tools]
    write_file = "refuse"           # refused once untrusted text is in the context
    send_email = "ask"              # waits for a person then, side effects declared or not
    calculator = "allow"            # runs whatever was read before
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from autan.errors import ConfigurationError

TrustPolicy = Literal["strict", "default", "scoped", "off"]
TRUST_POLICIES: tuple[TrustPolicy, ...] = ("strict", "default", "scoped", "off")

ToolDecision = Literal["allow", "ask", "refuse"]
TOOL_DECISIONS: tuple[ToolDecision, ...] = ("allow", "ask", "refuse")

POLICY_DECISION: dict[TrustPolicy, ToolDecision] = {
    "strict": "refuse",
    "default": "ask",
    "scoped": "refuse",
    "off": "allow",
}
"""What each policy decides for a tool with side effects once untrusted text came in
(``scoped``: for a call its scope and provenance rules do not let run, ``autan.loop.scoped``)."""


@dataclass(frozen=True, slots=True)
class TrustRules:
    """The policy, and the tools whose decision the user set by name."""

    policy: TrustPolicy = "default"
    tools: Mapping[str, ToolDecision] = field(default_factory=dict)

    def describe(self) -> str | dict[str, Any]:
        """As journaled and written in ``autan.toml``: the policy alone when no tool is named."""
        if not self.tools:
            return self.policy
        return {"policy": self.policy, "tools": dict(self.tools)}

    def overridden(self, policy: str | None, tools: Mapping[str, str]) -> TrustRules:
        """These rules with ``policy`` (if given) and ``tools``' decisions put over them."""
        return trust_rules({"policy": policy or self.policy, "tools": {**self.tools, **tools}})


def trust_rules(value: object, where: str = "trust") -> TrustRules:
    """``value`` (a policy name, a ``{"policy": ..., "tools": {...}}`` mapping or rules) as
    rules; ``ConfigurationError`` naming ``where`` for anything else."""
    if isinstance(value, TrustRules):
        return value
    if isinstance(value, str):
        return TrustRules(check_trust_policy(value, where))
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{where} must be a policy name or a table, got {value!r}")
    unknown = set(value) - {"policy", "tools"}
    if unknown:
        raise ConfigurationError(f"{where}: unknown key {sorted(unknown)[0]!r} (policy, tools)")
    tools = value.get("tools", {})
    if not isinstance(tools, Mapping):
        raise ConfigurationError(f"{where}.tools must map tool names to allow, ask or refuse")
    policy = check_trust_policy(str(value.get("policy", "default")), f"{where}.policy")
    decisions = {str(name): _decision(d, f"{where}.tools.{name}") for name, d in tools.items()}
    return TrustRules(policy, decisions)


def check_trust_policy(policy: str, where: str = "trust") -> TrustPolicy:
    """``policy`` if it is one of ``TRUST_POLICIES``; ``ConfigurationError`` otherwise."""
    for known in TRUST_POLICIES:
        if policy == known:
            return known
    raise ConfigurationError(
        f"{where} must be 'strict', 'default', 'scoped' or 'off', got {policy!r}"
    )


def _decision(value: object, where: str) -> ToolDecision:
    for known in TOOL_DECISIONS:
        if value == known:
            return known
    raise ConfigurationError(f"{where} must be 'allow', 'ask' or 'refuse', got {value!r}")
