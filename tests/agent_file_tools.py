"""Python entry points that agent-file tests name (``agent_file_tools:...``)."""

from __future__ import annotations

from autan import tool


def shout(text: str) -> str:
    """Say it louder.

    Args:
        text: what to say.
    """
    return text.upper() + "!"


@tool(name="order_status", description="The status of an order.")
def status(order: str) -> str:
    return f"order {order}: shipped"


NOT_A_FUNCTION = 42


def untyped(text):  # type: ignore[no-untyped-def]  # no hint: cannot become a tool
    return text


def celsius_to_fahrenheit(celsius: float) -> float:
    """Convert degrees Celsius to degrees Fahrenheit."""
    return celsius * 9 / 5 + 32
