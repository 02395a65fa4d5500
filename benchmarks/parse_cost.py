"""How parse time grows with the size of a model's output, for every tool-call parser.

Each input shape is built at sizes doubling from 128 KB to 4 MB (adversarial ones included:
unclosed tags that each open a JSON string, thousands of calls, deep nesting); the time to parse
is the median of 5 runs. The growth exponent k is the slope of log(time) against log(size)
from the second size on (the smallest is dominated by fixed costs): linear parsing has k ≈ 1,
quadratic k ≈ 2. A reference row, ``json.loads`` of one long string, shows how much of k the
machine's memory behaviour adds to any linear pass.

    python benchmarks/parse_cost.py [--out benchmarks/results/parse_cost.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from autan.protocols import constrained
from autan.protocols.json_repair import UnparsableJSON, loads_lenient
from autan.protocols.text import parse

SIZES = [2**17 * 2**i for i in range(6)]  # 128 KB … 4 MB
RUNS = 5
DEEPSEEK_CALL_BEGIN = "<\uff5ctool\u2581call\u2581begin\uff5c>"
DEEPSEEK_SEP = "<\uff5ctool\u2581sep\uff5c>"
GIVE_UP_SECONDS = 20.0


def _call(name: str = "f", text: str = "x") -> str:
    return json.dumps({"name": name, "arguments": {"text": text}})


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


SHAPES: dict[str, Callable[[int], str]] = {
    "hermes: one call, long argument": lambda n: f"<tool_call>{_call(text='a' * n)}</tool_call>",
    "hermes: many calls": lambda n: _repeat(f"<tool_call>{_call()}</tool_call>\n", n),
    "hermes: truncated call": lambda n: f"<tool_call>{_call(text='a' * n)[:-3]}",
    "hermes: unclosed tags opening strings": lambda n: _repeat('<tool_call>{"name": "', n),
    "mistral: list of many calls": lambda n: (
        "[TOOL_CALLS][" + ",".join([_call()] * (n // 40)) + "]"
    ),
    "llama: python_tag, semicolons": lambda n: "<|python_tag|>" + ";".join([_call()] * (n // 40)),
    "deepseek: unclosed call markers": lambda n: _repeat(
        DEEPSEEK_CALL_BEGIN + "function" + DEEPSEEK_SEP + "f\n```json\n{", n
    ),
    "plain JSON in prose": lambda n: "Sure. " * (n // 12) + _call() + " done" * (n // 10),
    "reasoning then call": lambda n: "<think>" + "hmm " * (n // 4) + "</think>" + _call(),
    "random braces and quotes": lambda n: _repeat('{"a": [{"b": "', n),
    "deep nesting": lambda n: "[" * (n // 2) + "]" * (n // 2),
}

CONSTRAINED: dict[str, Callable[[int], str]] = {
    "constrained: many call lines": lambda n: _repeat(
        json.dumps({"tool": "f", "arguments": {"text": "x"}}) + "\n", n
    ),
    "constrained: long answer": lambda n: json.dumps({"result": "a" * n}),
    "constrained: truncated answer": lambda n: '{"result": "' + "a" * n,
}


def _lenient(text: str) -> None:
    with contextlib.suppress(UnparsableJSON):
        loads_lenient(text)


REFERENCE: dict[str, Callable[[int], str]] = {
    "reference: json.loads of one long string": lambda n: json.dumps("a" * n),
}
"""Not a parser of ours: how a plain linear pass over the same sizes grows on this machine
(allocation and cache effects make k exceed 1 for large strings even here)."""

LENIENT: dict[str, Callable[[int], str]] = {
    "json repair: truncated object": lambda n: json.dumps({"a": ["x"] * (n // 6)})[:-2],
}


def _median_seconds(parser: Callable[[str], object], text: str) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        parser(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(parser: Callable[[str], object], build: Callable[[int], str]) -> list[float]:
    seconds: list[float] = []
    for size in SIZES:
        seconds.append(_median_seconds(parser, build(size)))
        if seconds[-1] > GIVE_UP_SECONDS / RUNS:
            break
    return seconds


def exponent(seconds: list[float]) -> float:
    points = [(math.log(SIZES[i]), math.log(max(t, 1e-7))) for i, t in enumerate(seconds)][1:]
    if len(points) < 2:
        return float("nan")
    (x0, y0), (x1, y1) = points[0], points[-1]
    return (y1 - y0) / (x1 - x0)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--out", type=Path, default=Path("benchmarks/results/parse_cost.json"))
    out = options.parse_args().out
    parsers: list[tuple[str, Callable[[str], object], Callable[[int], str]]] = [
        *((name, parse, build) for name, build in SHAPES.items()),
        *((name, lambda t: constrained.parse_output(t, 1), b) for name, b in CONSTRAINED.items()),
        *((name, _lenient, build) for name, build in LENIENT.items()),
        *((name, json.loads, build) for name, build in REFERENCE.items()),
    ]
    rows = []
    print("| input | 256 KB | 4 MB | growth exponent k |")
    print("| --- | --- | --- | --- |")
    for name, parser, build in parsers:
        seconds = measure(parser, build)
        k = exponent(seconds)
        rows.append({"input": name, "sizes": SIZES[: len(seconds)], "seconds": seconds, "k": k})
        last = f"{seconds[-1] * 1000:.1f} ms" if len(seconds) == len(SIZES) else "gave up"
        print(f"| {name} | {seconds[1] * 1000:.2f} ms | {last} | {k:.2f} |", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
