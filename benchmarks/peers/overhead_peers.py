"""Framework overhead of autan next to each peer, each in its own interpreter, in one run.

    python benchmarks/peers/overhead_peers.py --out DIR [--server URL] [--runs 300] [--imports 10]

For every framework: import time (median of fresh processes minus a bare ``python -c pass`` of
the same interpreter); import and build one agent with the two task tools (the same way); per-run
time against an instant server on loopback next to a bare ``http.client`` loop in the same
process; memory held by 1,000 built agents; and the first request for the weather task (bytes,
and prompt tokens as the server counts them when ``--server`` is given: the request is replayed
there with ``max_tokens: 1``). autan with the ``constrained`` protocol and smolagents'
CodeAgent are measured for their first request only.
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
FIRST_REQUEST_ONLY = ["autan_constrained", "smolagents_code"]


def process_seconds(framework: str, command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [python_for(framework), *command],
        check=True,
        env=environment_for(framework),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def startup_commands(framework: str) -> dict[str, list[str]]:
    commands = {
        "interpreter": ["-c", "pass"],
        "import": ["-c", IMPORTS[framework]],
        "import_and_build": [str(WORKER), framework, "build"],
    }
    if framework == "autan":
        commands["import_autan_only"] = ["-c", "import autan"]
    return commands


def startup(frameworks: list[str], repeat: int) -> dict[str, dict[str, Any]]:
    """Fresh-process times, in rounds (every framework once per round), so that a busy moment
    of the machine falls on all of them alike; medians, minus the bare interpreter's."""
    samples: dict[str, dict[str, list[float]]] = {f: {} for f in frameworks}
    for _ in range(repeat):
        for framework in frameworks:
            for what, command in startup_commands(framework).items():
                seconds = process_seconds(framework, command)
                samples[framework].setdefault(what, []).append(seconds)
    report = {}
    for framework, measured in samples.items():
        bare = statistics.median(measured.pop("interpreter"))
        report[framework] = {"interpreter_ms": round(bare * 1000, 1)} | {
            f"{what}_ms": round((statistics.median(values) - bare) * 1000, 1)
            for what, values in measured.items()
        }
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


def one_framework(
    framework: str, args: argparse.Namespace, started: dict[str, Any]
) -> dict[str, Any]:
    only_first = framework in FIRST_REQUEST_ONLY
    report: dict[str, Any] = {"framework": framework, **started}
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
    frameworks = args.frameworks.split(",")
    timed = [f for f in frameworks if f not in FIRST_REQUEST_ONLY]
    try:
        started = startup(timed, args.imports)
    except subprocess.CalledProcessError as error:
        print(f"start-up measure failed: {error}", file=sys.stderr)
        started = {}
    rows = []
    for framework in frameworks:
        try:
            row = one_framework(framework, args, started.get(framework, {}))
        except (subprocess.CalledProcessError, OSError) as error:
            row = {"framework": framework, "error": str(error)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    (args.out / "overhead.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
