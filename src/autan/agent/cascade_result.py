"""``CascadeResult``: a cascade's answer, and how each of its tiers ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic

from autan.events import TierEnded
from autan.messages import Usage
from autan.result import OutputT, RunResult


@dataclass(frozen=True, slots=True)
class CascadeResult(Generic[OutputT]):
    """``output`` is the answer of the tier that gave one (``result``, that tier's run);
    ``tiers`` how each tier that ran ended, the cheapest first. The totals add up every tier,
    the escalated ones included: what the answer cost."""

    output: OutputT | None
    tiers: tuple[TierEnded, ...]
    result: RunResult[OutputT]
    run_id: str
    """The cascade's run: its journal names each tier's run."""

    @property
    def answered_by(self) -> TierEnded | None:
        return next((t for t in self.tiers if t.outcome == "answered"), None)

    @property
    def escalations(self) -> int:
        """How many times the task moved up a tier."""
        return sum(t.outcome == "escalated" for t in self.tiers)

    @property
    def cost_usd(self) -> float:
        return sum(t.cost_usd for t in self.tiers)

    @property
    def seconds(self) -> float:
        return sum(t.seconds for t in self.tiers)

    @property
    def usage(self) -> Usage:
        total = Usage()
        for tier in self.tiers:
            total = total + tier.usage
        return total

    @property
    def model_calls(self) -> int:
        return sum(t.model_calls for t in self.tiers)
