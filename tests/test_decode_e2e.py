"""The decoding strategies on the real embedded model (issue 18): each one's effect on a task
where main's greedy decoding under the grammar (``--decode greedy``) went wrong. ``local`` runs
every strategy of session 2, as they were measured; the last test runs the default
(``another-call,relevance``; ``another-call``'s own test is the README example's,
tests/test_readme_examples.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan import Agent, Limits, load_model
from autan.agent import DEFAULT_INSTRUCTIONS
from autan.messages import Message, ModelRequest, ToolSpec
from autan.tools.builtin import builtin_tools

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def local():  # type: ignore[no-untyped-def]
    # every strategy of session 2, as they were measured (``all`` now brings relevance and
    # grounded too, which change what these tests look at)
    return load_model("local", decode="text-answer,likelihood,function-first,another-call,bounded")


def _first_step(model, task: str, specs: tuple[ToolSpec, ...]):  # type: ignore[no-untyped-def]
    messages = (Message("system", DEFAULT_INSTRUCTIONS), Message("user", task))
    return model.complete(ModelRequest(messages, specs, "auto", 64))


def test_likelihood_answers_a_question_that_needs_no_tool(local, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Greedy decoding under the grammar called a tool (or answered ``TEXT``)."""
    specs = tuple(t.spec for t in builtin_tools(tmp_path))
    response = _first_step(local, "What is the capital of France?", specs)
    assert response.tool_calls == ()
    assert "Paris" in response.text


@pytest.mark.xfail(
    strict=True,
    reason="known gap (issue 18): at margin 7.92 the model answers in words instead of calling "
    "write_file (measured 2026-12-02 00:10 UTC); strict, so a fix shows up here",
)
def test_likelihood_still_calls_a_tool_for_a_file_task(local, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    specs = tuple(t.spec for t in builtin_tools(tmp_path))
    response = _first_step(local, "Write the text done to the file status.txt.", specs)
    assert [c.name for c in response.tool_calls] == ["write_file"]


@pytest.mark.xfail(
    strict=True,
    reason="known gap (issue 18): ranked by likelihood, list_dir (path 'list_dir.txt') wins over "
    "read_file for this task (measured 2026-12-02 00:15 UTC); strict, so a fix shows up here",
)
def test_function_first_names_the_file_tool(local, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Greedy decoding wrote ``list_dir`` (or ``read_file.txt`` as the path)."""
    (tmp_path / "notes.txt").write_text("buy milk\ncall the bank\n")
    agent = Agent(local, tools=builtin_tools(tmp_path), limits=Limits(max_steps=4))
    result = agent.run("Read notes.txt and tell me its second line.")
    called = [e.name for e in result.events if type(e).__name__ == "ToolCalled"]
    assert called
    assert called[0] == "read_file"


def test_bounded_strings_stop_a_runaway_value(tmp_path: Path) -> None:
    """An unbounded string argument ran to the token cap; bounded, it ends early."""
    spec = ToolSpec(
        "note",
        "Save a note.",
        {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
    )
    model = load_model("local", decode="bounded")
    messages = (Message("system", DEFAULT_INSTRUCTIONS), Message("user", "Save a long note."))
    response = model.complete(ModelRequest(messages, (spec,), "required", 400))
    assert response.usage.completion_tokens < 300
    for call in response.tool_calls:
        assert len(call.arguments.get("text", "")) <= 200


def test_the_default_answers_a_question_no_tool_fits_in_plain_chat(tmp_path: Path) -> None:
    """Main's greedy decoding answered such questions ``TEXT`` (the reply format's placeholder)
    or with a call; the default's ``relevance`` asks the step with no tools, as plain chat."""
    agent = Agent(load_model("local"), tools=builtin_tools(tmp_path), limits=Limits(max_steps=3))
    result = agent.run("What does a thermometer measure?")
    assert not [e for e in result.events if type(e).__name__ == "ToolCalled"]
    assert "temperature" in str(result.output)
