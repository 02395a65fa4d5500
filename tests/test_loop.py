"""The step loop, driven by ScriptedModel."""

from __future__ import annotations

import asyncio

import pytest

from autan import (
    Agent,
    FinalAnswer,
    LimitExceeded,
    Limits,
    ModelRequested,
    ModelResponded,
    RunFailed,
    RunStarted,
    TextDelta,
    ToolCalled,
    ToolResulted,
    ToolRetriesExhausted,
    ToolStarted,
    Usage,
    tool,
)
from autan.errors import ConfigurationError, ModelError
from autan.testing import ScriptedModel
from autan.tools.calculator import calculator

CALC = ("calculator", {"expression": "37 * 91"})


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def explode(reason: str) -> str:
    """Always fails."""
    raise RuntimeError(f"boom: {reason}")


def test_tool_call_then_observation_then_final_answer() -> None:
    model = ScriptedModel([CALC, "3367"])
    result = Agent(model, tools=[calculator]).run("What is 37 * 91?")
    assert result.output == "3367"
    assert result.model_calls == 2
    assert result.tool_calls == 1
    observation = model.requests[1].messages[-1]
    assert (observation.role, observation.name, observation.content) == (
        "tool",
        "calculator",
        "3367",
    )


def test_requests_are_append_only() -> None:
    model = ScriptedModel([CALC, ("add", {"a": 1, "b": 2}), "done"])
    Agent(model, tools=[calculator, add]).run("task")
    first, second, third = (r.messages for r in model.requests)
    assert second[: len(first)] == first
    assert third[: len(second)] == second
    assert all(r.tools == model.requests[0].tools for r in model.requests)


def test_validation_error_goes_back_to_the_model() -> None:
    model = ScriptedModel([("add", {"a": "x", "b": 2}), ("add", {"a": 1, "b": 2}), "3"])
    result = Agent(model, tools=[add]).run("add")
    errors = [e for e in result.events if isinstance(e, ToolResulted) and e.is_error]
    assert len(errors) == 1
    assert "a:" in errors[0].output
    assert model.requests[1].messages[-1].content.startswith("error: invalid arguments")
    assert result.output == "3"


def test_unknown_tool_names_the_valid_tools() -> None:
    model = ScriptedModel([("nope", {}), "ok"])
    Agent(model, tools=[add, calculator]).run("task")
    assert "valid tools: add, calculator" in model.requests[1].messages[-1].content


def test_tool_exception_goes_back_to_the_model() -> None:
    model = ScriptedModel([("explode", {"reason": "x"}), "recovered"])
    result = Agent(model, tools=[explode]).run("task")
    assert result.output == "recovered"
    assert model.requests[1].messages[-1].content == "error: boom: x"


def test_tool_never_runs_on_invalid_arguments() -> None:
    ran: list[int] = []

    @tool
    def record(n: int) -> str:
        """Record n."""
        ran.append(n)
        return "ok"

    model = ScriptedModel([("record", {"n": "not a number"}), ("record", {"n": 1, "x": 2}), "end"])
    Agent(model, tools=[record]).run("task")
    assert ran == []


def test_tool_retries_are_bounded() -> None:
    model = ScriptedModel([("explode", {"reason": str(i)}) for i in range(5)])
    with pytest.raises(ToolRetriesExhausted) as caught:
        Agent(model, tools=[explode], limits=Limits(tool_retries=2)).run("task")
    assert len(model.requests) == 3
    assert caught.value.result.output is None
    assert isinstance(caught.value.result.events[-1], RunFailed)


def test_repeated_call_with_a_known_result_forces_an_answer() -> None:
    model = ScriptedModel([CALC, CALC, "3367"])
    result = Agent(model, tools=[calculator]).run("What is 37 * 91?")
    assert [r.tool_choice for r in model.requests] == ["auto", "auto", "none"]
    assert result.tool_calls == 2
    assert result.output == "3367"


@pytest.mark.parametrize(
    ("limits", "name", "requests"),
    [
        (Limits(max_steps=3), "max_steps", 3),
        (Limits(max_total_tokens=40), "max_total_tokens", 3),
        (Limits(max_tool_calls=2), "max_tool_calls", 3),
        (Limits(max_wall_seconds=1e-9), "max_wall_seconds", 0),
    ],
)
def test_each_limit_stops_the_run(limits: Limits, name: str, requests: int) -> None:
    turns = [("add", {"a": i, "b": 1}) for i in range(20)]
    model = ScriptedModel(turns, usage=Usage(prompt_tokens=10, completion_tokens=5))
    with pytest.raises(LimitExceeded) as caught:
        Agent(model, tools=[add], limits=limits).run("loop forever")
    assert caught.value.limit == name
    assert len(model.requests) == requests
    partial = caught.value.result
    assert partial.output is None
    assert partial.model_calls == requests


def test_token_limit_overshoots_by_at_most_one_request() -> None:
    model = ScriptedModel([("add", {"a": i, "b": 1}) for i in range(20)])
    with pytest.raises(LimitExceeded) as caught:
        Agent(model, tools=[add], limits=Limits(max_total_tokens=31)).run("task")
    used = caught.value.result.usage.total_tokens
    assert 31 <= used < 31 + 15


def test_stream_yields_events_in_order() -> None:
    model = ScriptedModel([CALC, "the answer is 3367"])
    events = list(Agent(model, tools=[calculator]).stream("What is 37 * 91?"))
    kinds = [type(e) for e in events if not isinstance(e, TextDelta)]
    assert kinds == [
        RunStarted,
        ModelRequested,
        ModelResponded,
        ToolCalled,
        ToolStarted,
        ToolResulted,
        ModelRequested,
        ModelResponded,
        FinalAnswer,
    ]
    deltas = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert deltas == "the answer is 3367"
    assert events.index(next(e for e in events if isinstance(e, TextDelta))) < len(events) - 2


def test_arun_matches_run() -> None:
    sync = Agent(ScriptedModel([CALC, "3367"]), tools=[calculator]).run("q")
    asynchronous = asyncio.run(Agent(ScriptedModel([CALC, "3367"]), tools=[calculator]).arun("q"))
    assert asynchronous.output == sync.output
    assert [type(e) for e in asynchronous.events] == [type(e) for e in sync.events]


def test_async_tools_run_in_both_drivers() -> None:
    @tool
    async def slow_double(n: int) -> int:
        """Double n."""
        await asyncio.sleep(0)
        return 2 * n

    for runner in ("run", "arun"):
        agent = Agent(ScriptedModel([("slow_double", {"n": 4}), "8"]), tools=[slow_double])
        result = agent.run("x") if runner == "run" else asyncio.run(agent.arun("x"))
        outputs = [e.output for e in result.events if isinstance(e, ToolResulted)]
        assert outputs == ["8"]


def test_parallel_calls_in_one_step_keep_their_order() -> None:
    model = ScriptedModel([[("add", {"a": 1, "b": 1}), ("add", {"a": 2, "b": 2})], "2 and 4"])
    Agent(model, tools=[add]).run("two sums")
    observations = [m.content for m in model.requests[1].messages if m.role == "tool"]
    assert observations == ["2", "4"]


def test_usage_and_counts_are_totalled() -> None:
    model = ScriptedModel([CALC, "3367"], usage=Usage(100, 10, 60))
    result = Agent(model, tools=[calculator]).run("q")
    assert result.usage == Usage(200, 20, 120)
    assert result.step_usage() == [Usage(100, 10, 60), Usage(100, 10, 60)]
    assert result.seconds >= 0


def test_model_error_ends_the_run_with_partial_result() -> None:
    model = ScriptedModel([CALC])
    with pytest.raises(ModelError):
        Agent(model, tools=[calculator]).run("q")


def test_empty_task_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        Agent(ScriptedModel(["x"])).run("   ")


def test_duplicate_tool_names_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="add"):
        Agent(ScriptedModel(["x"]), tools=[add, add])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_steps", -1, "must be positive"),
        ("max_steps", 0, "must be positive"),
        ("max_total_tokens", 0, "must be positive"),
        ("max_wall_seconds", 0.0, "must be positive"),
        ("max_wall_seconds", float("nan"), "must be positive"),
        ("max_tool_calls", -1, "must not be negative"),
        ("tool_retries", -1, "must not be negative"),
    ],
)
def test_a_limit_out_of_bounds_is_refused(field: str, value: float, message: str) -> None:
    with pytest.raises(ConfigurationError, match=f"limit {field} {message}"):
        Limits(**{field: value})  # type: ignore[arg-type]


def test_no_tool_calls_at_all_is_a_limit() -> None:
    model = ScriptedModel([("add", {"a": 1, "b": 1})])
    with pytest.raises(LimitExceeded) as caught:
        Agent(model, tools=[add], limits=Limits(max_tool_calls=0, tool_retries=0)).run("task")
    assert caught.value.limit == "max_tool_calls"
