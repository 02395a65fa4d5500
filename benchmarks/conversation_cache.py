"""Does a follow-up evaluate only its new tokens? A five-turn conversation on the embedded model,
each turn ``agent.run(task, after=previous)``, with every step's prompt and cached tokens; then
the same conversation again, its process killed (SIGKILL) after turn 2 and continued by a new
process from the journal.

    python benchmarks/conversation_cache.py [--json out.json]

A turn's first step should report as cached at least the prompt of the previous turn's last step
(every token of the earlier turns). In the new process llama.cpp's KV cache starts empty, so the
first turn there evaluates the whole history once; the turns after it are cached again.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

TURNS = [
    "My name is Ada and I live in Oslo.",
    "I have two cats.",
    "What is my name?",
    "Where do I live?",
    "How many cats do I have?",
]


def run_turns(store_path: str, first: int, last: int, wait: bool) -> None:
    """Turns ``first``..``last`` (1-based) in this process, one JSON line per turn on stdout;
    a turn after the first of the conversation follows the journal's newest answered run."""
    from autan import Agent, SQLiteStore

    store = SQLiteStore(store_path)
    agent = Agent("local", store=store)
    previous = agent.resume(store.runs(limit=1)[0].run_id) if first > 1 else None
    for number in range(first, last + 1):
        result = agent.run(TURNS[number - 1], after=previous)
        steps = [
            {
                "prompt": u.prompt_tokens,
                "cached": u.cached_tokens,
                "completion": u.completion_tokens,
            }
            for u in result.step_usage()
        ]
        line = {"turn": number, "pid": os.getpid(), "run_id": result.run_id, "steps": steps}
        print(json.dumps({**line, "answer": result.output}), flush=True)
        previous = result
    if wait:
        print("READY", flush=True)
        signal.pause()


def _child(store: str, first: int, last: int, wait: bool) -> subprocess.Popen[str]:
    command = [sys.executable, __file__, "--child", store, str(first), str(last)]
    return subprocess.Popen(
        [*command, *(["--wait"] if wait else [])], stdout=subprocess.PIPE, text=True
    )


def _lines(child: subprocess.Popen[str], until_ready: bool) -> list[dict[str, Any]]:
    assert child.stdout is not None
    rows = []
    for line in child.stdout:
        if line.strip() == "READY" and until_ready:
            break
        rows.append(json.loads(line))
    return rows


def checked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each turn with ``covers_earlier``: its first step cached every earlier token (the
    previous turn's last prompt), where the previous turn ran in the same process."""
    for before, turn in zip([None, *rows], rows, strict=False):
        if before is None or before["pid"] != turn["pid"]:
            turn["covers_earlier"] = None
            continue
        turn["earlier_tokens"] = before["steps"][-1]["prompt"]
        turn["covers_earlier"] = turn["steps"][0]["cached"] >= turn["earlier_tokens"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None, metavar="FILE")
    parser.add_argument("--child", nargs=3, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--wait", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        store, first, last = args.child
        run_turns(store, int(first), int(last), args.wait)
        return
    with tempfile.TemporaryDirectory() as directory:
        one = _lines(_child(str(Path(directory) / "one.sqlite3"), 1, 5, False), False)
        store = str(Path(directory) / "killed.sqlite3")
        doomed = _child(store, 1, 2, True)
        before = _lines(doomed, True)
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()
        after = _lines(_child(store, 3, 5, False), False)
    report = {"one_process": checked(one), "killed_after_turn_2": checked(before + after)}
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
