"""The embedded model's context size is a setting (``--context``, ``context`` in autan.toml,
``AUTAN_CONTEXT``, ``load_model(spec, context=…)``), kept in a run's recipe; a prompt that does
not fit is a ``ContextLengthExceeded`` that says by how much and what to do."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

import pytest

from autan import ConfigurationError, load_model
from autan.cli import main
from autan.cli.recipe import Recipe
from autan.cli.settings import load_settings
from autan.models.llama import LlamaModel
from test_cli import autan


def test_load_model_takes_the_context() -> None:
    model = load_model("local", context=8192)
    assert isinstance(model, LlamaModel)
    assert model.n_ctx == 8192
    assert load_model("local").n_ctx == 4096  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", [100, 0, -1, 4096.5, True])
def test_a_context_too_small_or_not_whole_is_refused(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="at least 512"):
        load_model("local", context=bad)  # type: ignore[arg-type]


def test_the_flag_refuses_a_small_context(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "hi", "--context", "100"])
    assert exited.value.code == 2
    assert "--context: must be at least 512: 100" in capsys.readouterr().err


def test_autan_toml_and_environment_set_the_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "autan.toml"
    path.write_text("context = 8192\n")
    assert load_settings(path).context == 8192
    monkeypatch.setenv("AUTAN_CONTEXT", "2048")
    assert load_settings(path).context == 2048
    path.write_text('context = "big"\n')
    monkeypatch.delenv("AUTAN_CONTEXT")
    with pytest.raises(ConfigurationError, match="context must be an integer"):
        load_settings(path)


def test_the_recipe_keeps_the_context_for_resume(tmp_path: Path) -> None:
    flags = argparse.Namespace(
        model="local",
        tool_protocol=None,
        workspace=str(tmp_path),
        max_steps=None,
        max_tokens=None,
        max_seconds=None,
        actions="tools",
        context=None,
        mcp=[],
        mcp_config=None,
        mcp_no_approval=False,
    )
    settings = load_settings(_toml(tmp_path, "context = 8192\n"))
    recipe = Recipe.from_flags(flags, settings)
    assert recipe.context == 8192
    flags.context = 2048
    again = Recipe.from_journal("r", {"cli": asdict(Recipe.from_flags(flags, settings))})
    agent = again.build(None, load_settings(_toml(tmp_path, "")))
    assert agent.model.n_ctx == 2048  # type: ignore[attr-defined]
    old = {k: v for k, v in asdict(recipe).items() if k != "context"}  # journaled before
    assert Recipe.from_journal("r", {"cli": old}).context is None


def _toml(folder: Path, text: str) -> Path:
    path = folder / "autan.toml"
    path.write_text(text)
    return path


@pytest.mark.e2e
def test_a_prompt_that_does_not_fit_says_so(tmp_path: Path) -> None:
    task = tmp_path / "task.txt"
    task.write_text("Summarise: " + "The quick brown fox jumps over the lazy dog. " * 60)
    done = autan("run", "--task-file", str(task), "--context", "512", "--no-store", cwd=tmp_path)
    assert done.returncode == 1
    first = done.stderr.splitlines()[0]
    assert first.startswith("autan: error: the prompt does not fit local's context: ")
    assert (
        "+ 256 to generate > 512; give a larger --context (the model was trained on 8192" in first
    )
