"""The trust policy: what text from untrusted sources may trigger. Pure; the loop asks it
before every call.

Once an untrusted result is in the context, a call of a tool with side effects needs a
person's approval (``default``) or is refused (``strict``); ``scoped`` refuses it unless the
user's task names the tool and no argument value came from untrusted text alone
(``autan.loop.scoped``); ``off`` lets it run. A decision the
user set for a tool by name (``trust_rules``) replaces the policy's for that tool, whether it
has side effects or not. The policy looks only at provenance and arguments, never at whether
the model noticed the delimiters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from autan.loop.common_substring import SuffixAutomaton
from autan.loop.provenance import argument_values
from autan.loop.scoped import scoped_refusal
from autan.loop.trust_rules import (
    POLICY_DECISION,
    TRUST_POLICIES,
    TrustPolicy,
    TrustRules,
    check_trust_policy,
    trust_rules,
)
from autan.tools import Tool, has_side_effects

__all__ = [
    "MIN_COPIED_CHARS",
    "TRUST_POLICIES",
    "TrustPolicy",
    "TrustRules",
    "Untrusted",
    "Verdict",
    "check_trust_policy",
    "copied_spans",
    "judge",
    "trust_rules",
]

MIN_COPIED_CHARS = 12
"""An argument substring at least this long, found verbatim in an untrusted result, is flagged
as copied (shorter runs are common words and paths)."""


@dataclass(frozen=True, slots=True)
class Untrusted:
    """One untrusted result in the context: its source and its text."""

    source: str
    text: str


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Literal["allow", "approve", "refuse"]
    reason: str = ""
    copied: tuple[str, ...] = ()


def judge(
    rules: TrustRules | TrustPolicy,
    tool: Tool,
    arguments: dict[str, object],
    seen: list[Untrusted],
    task: str = "",
    trusted: str = "",
) -> Verdict:
    """What ``rules`` say of a call of ``tool`` after the untrusted results ``seen``; ``task``
    (the user's messages) and ``trusted`` (those and the trusted results) for ``scoped``."""
    if not seen:
        return Verdict("allow")
    rules = trust_rules(rules)
    named = rules.tools.get(tool.name)
    if named is None and not has_side_effects(tool):
        return Verdict("allow")
    decision = POLICY_DECISION[rules.policy] if named is None else named
    copied = copied_spans(arguments, seen)
    if named is None and rules.policy == "scoped":
        texts = [item.text for item in seen]
        refusal = scoped_refusal(tool.name, arguments, texts, task, trusted)
        reason = f"{refusal}; untrusted content ({_sources(seen)}) is in the context"
        return Verdict("refuse", reason, copied) if refusal else Verdict("allow", "", copied)
    if decision == "allow":
        return Verdict("allow", "", copied)
    why = "has side effects" if named is None else f"is set to {named!r} in the trust settings"
    reason = f"{tool.name} {why} and untrusted content ({_sources(seen)}) is in the context"
    if copied:
        reason += "; arguments copy untrusted text verbatim"
    return Verdict("refuse" if decision == "refuse" else "approve", reason, copied)


def _sources(seen: list[Untrusted]) -> str:
    return ", ".join(sorted({item.source for item in seen}))


def copied_spans(arguments: dict[str, object], seen: list[Untrusted]) -> tuple[str, ...]:
    """The longest run of each string argument that appears verbatim in an untrusted result;
    linear in the arguments' and the results' lengths (``common_substring``)."""
    found: list[str] = []
    for value in argument_values(arguments):
        if len(value) < MIN_COPIED_CHARS:
            continue
        longest = SuffixAutomaton(value).longest_common(item.text for item in seen)
        if len(longest) >= MIN_COPIED_CHARS and longest not in found:
            found.append(longest)
    return tuple(found)
