"""``autan.sandbox.python_tool``: an agent runs code in the sandbox and sees its output."""

from __future__ import annotations

import shutil

import pytest

from autan import Agent
from autan.events import ToolResulted
from autan.sandbox import SandboxLimits, SandboxUnavailable, python_tool
from autan.testing import ScriptedModel
from sandbox_kinds import no_sandbox

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")

LIMITS = SandboxLimits(timeout=3, cpu_seconds=2, memory_mb=256)


def _observations(code: str) -> list[ToolResulted]:
    model = ScriptedModel([("python", {"code": code}), "done"])
    events = list(Agent(model, tools=[python_tool(limits=LIMITS)]).stream("compute"))
    return [event for event in events if isinstance(event, ToolResulted)]


def test_the_model_sees_stdout_and_the_result() -> None:
    (seen,) = _observations("print(sum(range(10)))\nresult = {'n': 45}")
    assert not seen.is_error
    assert seen.output == '45\nresult: {"n": 45}'


def test_a_failure_is_an_error_observation_not_an_exception() -> None:
    (seen,) = _observations("print('before')\nraise KeyError('k')")
    assert seen.is_error
    assert "before" in seen.output
    assert "KeyError: 'k'" in seen.output


def test_a_timeout_is_reported_to_the_model() -> None:
    model = ScriptedModel([("python", {"code": "while True: pass"}), "gave up"])
    tool = python_tool(limits=SandboxLimits(timeout=0.5, cpu_seconds=5))
    result = Agent(model, tools=[tool]).run("loop")
    (seen,) = [event for event in result.events if isinstance(event, ToolResulted)]
    assert seen.is_error
    assert "timeout" in seen.output


def test_no_sandbox_fails_when_the_tool_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    no_sandbox(monkeypatch)
    with pytest.raises(SandboxUnavailable):
        python_tool()
