"""Does the embedded model's answer to a time question quote the time server's value?

    flock /tmp/autan-model.lock env PYTHONPATH=src python benchmarks/time_answer_probe.py \
        [--instants N] [--variants current lines]

Issue 16's end-to-end question ("Get the current time in the Asia/Tokyo timezone.") through an
``Agent`` on SmolLM2-135M with the default decoding and ``mcp-server-time``'s own tools (their
names, descriptions and schemas, read from the server), whose function is replaced by one that
answers as the server does for a fixed instant: whether the answer quotes the time depends on
the time itself (it is in the prompt), so a run at one wall-clock time says little. The
instants are spread over a day, the same for every variant. Variants of how ``chat-answer``'s
plain chat turn shows a result (``decoding._returned``): ``current`` (what ships) and
``lines`` (a JSON object's fields as ``key: value`` lines), ``lines_bare`` (those lines without
the ``name(arguments) returned:`` header). One JSON line per run, then a
summary line per variant: runs whose answer holds the time as HH:MM.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from autan import Agent, load_model, mcp_tools
from autan.events import ToolResulted
from autan.messages import Message, ToolCall
from autan.models import decoding
from autan.tools import Tool

TASK = "Get the current time in the {zone} timezone."
ZONES = ("Asia/Tokyo", "Europe/Paris", "America/New_York")
START = datetime(2026, 12, 2, 0, 7, 13, tzinfo=UTC)


def server_result(zone: str, instant: datetime) -> str:
    """``get_current_time``'s result as mcp-server-time writes it (its ``TimeResult``)."""
    local = instant.astimezone(ZoneInfo(zone))
    return json.dumps(
        {
            "timezone": zone,
            "datetime": local.isoformat(timespec="seconds"),
            "day_of_week": local.strftime("%A"),
            "is_dst": bool(local.dst()),
        },
        indent=2,
    )


def current(result: Message, call: ToolCall | None) -> str:
    return SHIPPED(result, call)


def lines(result: Message, call: ToolCall | None) -> str:
    try:
        data = json.loads(result.content)
    except ValueError:
        return SHIPPED(result, call)
    if not isinstance(data, dict):
        return SHIPPED(result, call)
    shown = "\n".join(f"{key}: {value}" for key, value in data.items())
    return SHIPPED(dataclasses.replace(result, content=shown), call)


def lines_bare(result: Message, call: ToolCall | None) -> str:
    shown = lines(result, call)
    return shown.split(" returned:\n", 1)[-1]


SHIPPED = decoding._returned
VARIANTS = {"current": current, "lines": lines, "lines_bare": lines_bare}


def fixed(tools: list[Tool], instant: datetime) -> list[Tool]:
    def get_current_time(timezone: str) -> str:
        return server_result(timezone, instant)

    return [
        dataclasses.replace(t, function=get_current_time, is_async=False)
        if t.name == "get_current_time"
        else t
        for t in tools
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instants", type=int, default=12)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    model = load_model("local")
    instants = [START + timedelta(minutes=127 * k) for k in range(args.instants)]
    quoted = dict.fromkeys(args.variants, 0)
    with mcp_tools(f"{sys.executable} -m mcp_server_time --local-timezone UTC") as served:
        for k, instant in enumerate(instants):
            zone = ZONES[k % len(ZONES)]
            hhmm = instant.astimezone(ZoneInfo(zone)).strftime("%H:%M")
            for name in args.variants:
                decoding._returned = VARIANTS[name]  # looked up at each chat-answer turn
                agent = Agent(model, fixed(list(served), instant))
                started = time.perf_counter()
                result = agent.run(TASK.format(zone=zone))
                row: dict[str, Any] = {
                    "variant": name,
                    "zone": zone,
                    "instant": instant.isoformat(),
                    "calls": [e.name for e in result.events if isinstance(e, ToolResulted)],
                    "answer": result.output,
                    "quotes": hhmm in result.output,
                    "s": round(time.perf_counter() - started, 2),
                }
                quoted[name] += row["quotes"]
                print(json.dumps(row), flush=True)
    for name in args.variants:
        print(json.dumps({"variant": name, "quoted": quoted[name], "of": len(instants)}))


if __name__ == "__main__":
    main()
