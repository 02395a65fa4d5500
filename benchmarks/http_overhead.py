"""Framework overhead against an instant OpenAI-compatible server on loopback.

    python benchmarks/http_overhead.py [--runs 300] [--via-httpx]

A run is one tool call and a final answer (two chat-completions requests). The server answers
from a canned script at once, so what is measured is the client side: autan's agent loop and
HTTP backend, next to a bare ``http.client`` loop sending the same two requests, in the same run.
``--via-httpx`` sends autan's requests as it sends them to a TLS server or through a proxy
(httpx, on its loop thread), not over its plain ``http.client`` connections.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from pathlib import Path

from autan import Agent, tool
from autan.models.openai import OpenAIChatModel
from autan.models.providers import PROVIDERS

sys.path.insert(0, str(Path(__file__).with_name("peers")))
from instant_server import InstantServer, bare_run


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--via-httpx", action="store_true")
    args = parser.parse_args()
    server = InstantServer()
    model = OpenAIChatModel(PROVIDERS["openai"], "m", server.base_url)
    if args.via_httpx:
        model._plain_looked_up = True  # no plain client: the path of TLS and proxies
    connection = http.client.HTTPConnection(*server.address)
    autan_samples, bare_samples = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        Agent(model, tools=[add]).run("add 2 and 3")
        autan_samples.append(time.perf_counter() - started)
        started = time.perf_counter()
        bare_run(connection)
        bare_samples.append(time.perf_counter() - started)
    autan_ms, bare_ms = median_ms(autan_samples), median_ms(bare_samples)
    print(
        json.dumps(
            {
                "runs": args.runs,
                "via": "httpx" if args.via_httpx else "plain http.client",
                "autan_median_ms": autan_ms,
                "bare_http_client_median_ms": bare_ms,
                "autan_overhead_ms": round(autan_ms - bare_ms, 3),
                "ratio": round(autan_ms / bare_ms, 2),
            },
            indent=1,
        )
    )
    server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
