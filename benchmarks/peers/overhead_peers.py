"""Framework overhead of autan next to each peer, each in its own interpreter, in one run.

    python benchmarks/peers/overhead_peers.py --out DIR [--server URL] [--runs 300] [--imports 10]

For every framework: import time (median of fresh processes minus a bare ``python -c pass`` of
the same interpreter); import and build one agent with the two task tools (the same way); per-run
time against an instant server on loopback next to a bare ``http.client`` loop in the same
process; memory held by 1,000 built agents; and the first request for the weather task (bytes,
and prompt tokens as the server counts them when ``--server`` is given: the request is replayed
there with ``max_tokens: 1``). smolagents' CodeAgent is included for the first request only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from frameworks import PEERS, environment_for, python_for

WORKER = Path(__file__).resolve().parent / "overhead_worker.py"
IMPORTS = {
    "autan": "from autan import Agent, load_model, tool; import autan.models.openai",
    "smolagents": "from smolagents import ToolCallingAgent, OpenAIServerModel",
    "pydantic_ai": "import pydantic_ai, pydantic_ai.models.openai",
    "openai_agents": "import agents",
    "langgraph": "import langgraph.prebuilt, langchain_openai",
    "agno": "import agno.agent, agno.models.openai",
}
FIRST_REQUEST_ONLY = ["smolagents_code"]


def process_seconds(framework: str, command: list[str], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(
            [python_for(framework), *command],
            check=True,
            env=environment_for(framework),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def startup(framework: str, repeat: int) -> dict[str, Any]:
    bare = process_seconds(framework, ["-c", "pass"], repeat)
    report = {"interpreter_ms": round(bare * 1000, 1)}
    statement = IMPORTS[framework]
    report["import_ms"] = round(
        (process_seconds(framework, ["-c", statement], repeat) - bare) * 1000, 1
    )
    if framework == "autan":
        plain = process_seconds(framework, ["-c", "import autan"], repeat)
        report["import_autan_only_ms"] = round((plain - bare) * 1000, 1)
    build = process_seconds(framework, [str(WORKER), framework, "build"], max(3, repeat // 2))
    report["import_and_build_ms"] = round((build - bare) * 1000, 1)
    return report


def measure(framework: str, runs: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [python_for(framework), str(WORKER), framework, "measure", str(runs), out.name],
            check=True,
            env=environment_for(framework),
            stdout=subprocess.DEVNULL,
        )
        return dict(json.loads(Path(out.name).read_text()))


def server_prompt_tokens(server: str, body: dict[str, Any]) -> int | None:
    replay = {**body, "max_tokens": 1, "stream": False}
    replay.pop("stream_options", None)
    request = urllib.request.Request(
        f"{server.rstrip('/')}/chat/completions",
        json.dumps(replay).encode(),
        {"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as reply:
            return int(json.loads(reply.read())["usage"]["prompt_tokens"])
    except (OSError, KeyError, ValueError) as error:
        print(f"replay failed: {error}", file=sys.stderr)
        return None


def one_framework(framework: str, args: argparse.Namespace) -> dict[str, Any]:
    only_first = framework in FIRST_REQUEST_ONLY
    report: dict[str, Any] = {"framework": framework}
    if not only_first:
        report.update(startup(framework, args.imports))
    measured = measure(framework, 0 if only_first else args.runs)
    first = measured.pop("first")
    report["first_request_bytes"] = first["first_request_bytes"]
    if args.server:
        report["first_request_prompt_tokens"] = server_prompt_tokens(
            args.server, first["first_request"]
        )
    if not only_first:
        report.update(measured)
    (args.out / f"first_request_{framework}.json").write_text(
        json.dumps(first["first_request"], indent=1)
    )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--server", help="base URL of the correct-tools server, to count prompt tokens"
    )
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--imports", type=int, default=10)
    parser.add_argument("--frameworks", default=",".join(["autan", *PEERS, *FIRST_REQUEST_ONLY]))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["XDG_CACHE_HOME"] = str(args.out / "cache")
    rows = []
    for framework in args.frameworks.split(","):
        try:
            row = one_framework(framework, args)
        except (subprocess.CalledProcessError, OSError) as error:
            row = {"framework": framework, "error": str(error)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    (args.out / "overhead.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
