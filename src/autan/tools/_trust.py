"""Whether a tool's results may be believed: ``trusted`` or ``untrusted``."""

from __future__ import annotations

from typing import Literal

Trust = Literal["trusted", "untrusted"]
TRUSTS: tuple[Trust, ...] = ("trusted", "untrusted")


def check_trust(value: str) -> Trust:
    """``value`` if it is ``"trusted"`` or ``"untrusted"``; ``ValueError`` otherwise."""
    for known in TRUSTS:
        if value == known:
            return known
    raise ValueError(f"trust must be 'trusted' or 'untrusted', got {value!r}")
