"""The embedded model (SmolLM2-135M, ``load_model("local")``) on AgentDojo, as
``agentdojo_trust.py`` runs the scripted ones: same suites, wrapped tools, attack and scores.

Every process that loads the model runs under the shared model lock, in chunks:

    flock /tmp/autan-model.lock nice -n 15 env PYTHONPATH=src \\
        benchmarks/.venvs/agentdojo/bin/python benchmarks/agentdojo_model.py tokens
    ... agentdojo_model.py run --suite banking --policy off --users 0 16 --pairs 0 0

``tokens``: the prompt tokens of each suite's first request (the task and every tool's
schema, as the model's protocol renders them) against the model's window. ``run``: user tasks
``--users A B`` without attack, then (user, injection) pairs ``--pairs C D`` (in
``agentdojo_trust.cases`` order) under attack; one JSON line per run (utility, attack success,
seconds, the error a run ended with) appended to ``--out``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any

from agentdojo.task_suite.load_suites import get_suite

from agentdojo_trust import POLICIES, VERSION, Obedient, cases, run_case, wrapped
from autan import Agent
from autan.models import load_model

STEPS = 8
"""At most this many model requests a run (the scripted runs allow 60)."""


def prompt_tokens(suites: list[str]) -> None:
    model = load_model("local")
    print("| suite | tools | prompt tokens, first request | window |")
    print("| --- | --- | --- | --- |")
    for name in suites:
        suite = get_suite(VERSION, name)
        user = next(iter(suite.user_tasks.values()))
        environment = user.init_environment(suite.load_and_inject_default_environment({}))
        recorder = Obedient([], "", None)
        Agent(recorder, wrapped(suite, environment, []), trust="off").run(user.PROMPT)
        request = recorder.requests[0]
        tokens = model.count_tokens(model.render_prompt(request))  # type: ignore[attr-defined]
        print(f"| {name} | {len(request.tools)} | {tokens} | {model.context_window()} |")


def run(suite_name: str, policy: str, users: list[int], pairs: list[int], out: Path) -> None:
    suite = get_suite(VERSION, suite_name)
    model = load_model("local")
    tasks = list(suite.user_tasks.values())[users[0] : users[1]]
    attacked = itertools.islice(cases(suite, None), pairs[0], pairs[1])
    runs: list[tuple[Any, Any]] = [(user, None) for user in tasks] + list(attacked)
    with out.open("a") as lines:
        for user, injection in runs:
            errors: list[str] = []
            calls: list[str] = []
            started = time.perf_counter()
            utility, won = run_case(suite, user, injection, policy, model, errors, STEPS, calls)
            row = {
                "suite": suite_name,
                "policy": policy,
                "user": user.ID,
                "injection": injection.ID if injection else None,
                "utility": utility,
                "attack_success": won,
                "seconds": round(time.perf_counter() - started, 1),
                "error": errors[0] if errors else None,
                "calls": calls,
            }
            print(json.dumps(row), file=lines, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    tokens = commands.add_parser("tokens")
    tokens.add_argument("--suites", nargs="+", default=["banking", "slack", "travel", "workspace"])
    chunk = commands.add_parser("run")
    chunk.add_argument("--suite", default="banking")
    chunk.add_argument("--policy", choices=list(POLICIES), default="off")
    chunk.add_argument("--users", nargs=2, type=int, default=[0, 0])
    chunk.add_argument("--pairs", nargs=2, type=int, default=[0, 0])
    chunk.add_argument("--out", type=Path, default=Path("agentdojo_model.jsonl"))
    args = parser.parse_args()
    if args.command == "tokens":
        prompt_tokens(args.suites)
    else:
        run(args.suite, args.policy, args.users, args.pairs, args.out)


if __name__ == "__main__":
    main()
