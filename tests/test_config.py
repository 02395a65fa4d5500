"""``autan.toml`` settings and the price table."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan.cli.settings import load_settings
from autan.errors import ConfigurationError
from autan.messages import Usage
from autan.pricing import Price, price_for


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "autan.toml"
    path.write_text(text)
    return path


def test_file_values_and_environment_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path, 'model = "ollama:qwen3:4b"\nmax_steps = 4\ntool_protocol = "constrained"\n'
    )
    monkeypatch.delenv("AUTAN_MODEL", raising=False)
    settings = load_settings(path)
    assert (settings.model, settings.max_steps, settings.tool_protocol) == (
        "ollama:qwen3:4b",
        4,
        "constrained",
    )
    monkeypatch.setenv("AUTAN_MODEL", "local")
    assert load_settings(path).model == "local"


def test_prices_override_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, '[prices."deepseek:deepseek-chat"]\ninput = 1.0\noutput = 2.0\n')
    settings = load_settings(path)
    price = price_for("deepseek:deepseek-chat", settings.prices)
    assert price == Price(1.0, 1.0, 2.0)
    assert price_for("local") is None


def test_cost_counts_cached_tokens_at_their_rate() -> None:
    price = Price(input=1.0, cached_input=0.25, output=2.0)
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=500_000, cached_tokens=400_000)
    assert price.cost(usage) == pytest.approx(0.6 + 0.1 + 1.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('api_key = "sk-123"\n', "environment only"),
        ("max_steps = -1\n", "max_steps must be positive"),
        ("max_steps = 0\n", "max_steps must be positive"),
        ("max_steps = [\n", "cannot read"),
        ('[prices."x:y"]\ninput = "cheap"\noutput = 1\n', "needs numbers"),
        ('modle = "local"\n', "unknown key 'modle'; the keys are model, tool_protocol, max_steps"),
    ],
)
def test_bad_files_are_configuration_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings(write(tmp_path, text))


def test_cli_reads_the_project_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    write(tmp_path, 'model = "gpt-9"\n')
    done = subprocess.run(
        [sys.executable, "-m", "autan", "run", "hi"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown model spec 'gpt-9'" in done.stderr


def test_reasoning_policy_from_the_file(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, 'reasoning = "keep"\n')).reasoning == "keep"
    with pytest.raises(ConfigurationError, match="reasoning"):
        load_settings(write(tmp_path, 'reasoning = "sometimes"\n'))
