"""Agent files that cannot be used: each is one ``AgentFileError`` whose message names the file,
the line and the key (``autan.load_agent``), and one line with exit 2 at the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan import AgentFileError, ConfigurationError, load_agent
from autan.testing import ScriptedModel
from test_cli import autan

BAD_FILES = {
    "syntax": ('[agents.a]\ninstructions = "x"\nmodel =\n', 3, "model", "invalid TOML"),
    "unknown key": ('[agents.a]\n\ncolour = "red"\n', 3, "agents.a.colour", "unknown key"),
    "unknown top-level key": ('agent = "a"\n[agents.a]\n', 1, "agent", "unknown key"),
    "wrong type": ("[agents.a]\ninstructions = 3\n", 2, "agents.a.instructions", "string"),
    "wrong limit type": (
        '[agents.a]\n[agents.a.limits]\nmax_steps = "5"\n',
        3,
        "agents.a.limits.max_steps",
        "integer",
    ),
    "unknown limit": ("[agents.a.limits]\nmax_step = 5\n", 2, "agents.a.limits.max_step", "keys"),
    "limit out of range": (
        "[agents.a.limits]\n\nmax_steps = 0\n",
        3,
        "agents.a.limits.max_steps",
        "positive",
    ),
    "no agents": ('entry = "a"\n', 1, "agents", "required"),
    "bad agent name": ('[agents."two words"]\n', 1, "agents.two words", "identifier"),
    "unknown handoff": (
        '[agents.a]\nhandoffs = ["b"]\n',
        2,
        "agents.a.handoffs[0]",
        "no agent named 'b'",
    ),
    "unknown agent tool": (
        '[agents.a]\n\nagent_tools = ["ghost"]\n',
        3,
        "agents.a.agent_tools[0]",
        "no agent named 'ghost'",
    ),
    "as-tool cycle": (
        '[agents.a]\nagent_tools = ["b"]\n[agents.b]\nagent_tools = ["a"]\n',
        4,
        "agents.b.agent_tools[0]",
        "cycle: a -> b -> a",
    ),
    "self as tool": ('[agents.a]\nagent_tools = ["a"]\n', 2, "agents.a.agent_tools[0]", "cycle"),
    "cascade tool cycle": (
        '[agents.a]\nagent_tools = ["c"]\n[cascades.c]\ntiers = ["a"]\n',
        2,
        "agents.a.agent_tools[0]",
        "cycle: a -> a",
    ),
    "unknown built-in": ('[agents.a]\ntools = ["calc"]\n', 2, "agents.a.tools[0]", "calculator"),
    "missing module": (
        '[agents.a]\ntools = ["calculator", "no_such_module:f"]\n',
        2,
        "agents.a.tools[1]",
        "cannot import module 'no_such_module'",
    ),
    "missing function": (
        '[agents.a]\ntools = ["agent_file_tools:nothing"]\n',
        2,
        "agents.a.tools[0]",
        "has no 'nothing'",
    ),
    "not a function": (
        '[agents.a]\ntools = ["agent_file_tools:NOT_A_FUNCTION"]\n',
        2,
        "agents.a.tools[0]",
        "neither a Tool nor a function",
    ),
    "function without hints": (
        '[agents.a]\ntools = ["agent_file_tools:untyped"]\n',
        2,
        "agents.a.tools[0]",
        "type hint",
    ),
    "unknown MCP server": ('[agents.a]\nmcp = ["time"]\n', 2, "agents.a.mcp[0]", "no MCP server"),
    "bad MCP server": (
        '[mcp.servers.time]\ncommand = 3\n[agents.a]\nmcp = ["time"]\n',
        1,
        "mcp.servers.time",
        "command must be a string",
    ),
    "unknown entry": ('entry = "b"\n[agents.a]\n', 1, "entry", "no agent or cascade named 'b'"),
    "unknown tier": (
        '[agents.a]\n[cascades.c]\ntiers = ["a", "b"]\n',
        3,
        "cascades.c.tiers[1]",
        "no agent named 'b'",
    ),
    "bad escalation": (
        '[agents.a]\n[cascades.c]\ntiers = ["a"]\nescalate_on = ["boredom"]\n',
        4,
        "cascades.c.escalate_on",
        "unknown escalation reason 'boredom'",
    ),
    "missing schema file": (
        '[agents.a]\noutput_schema = "missing.json"\n',
        2,
        "agents.a.output_schema",
        "cannot read JSON Schema",
    ),
    "duplicate tool names": (
        '[agents.a]\ntools = ["calculator", "calculator"]\n',
        1,
        "agents.a",
        "calculator",
    ),
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_names_its_line_and_key(tmp_path: Path, case: str) -> None:
    text, line, key, words = BAD_FILES[case]
    path = write(tmp_path, text)
    models = {"a": ScriptedModel(["x"])} if "[agents.a" in text else None
    with pytest.raises(AgentFileError) as raised:
        load_agent(path, models=models)
    error = raised.value
    assert (error.path, error.line, error.key) == (str(path), line, key), str(error)
    assert words in str(error)
    assert str(error).startswith(f"{path}:{line}: {key}: ")
    assert "\n" not in str(error)
    assert isinstance(error, ConfigurationError)


def test_a_bad_model_spec_names_the_model_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[agents.a]\ninstructions = "x"\nmodel = "nope:x"\n')
    with pytest.raises(AgentFileError, match=r"team.toml:3: agents.a.model: unknown model spec"):
        load_agent(path)


def test_a_missing_file_is_an_agent_file_error(tmp_path: Path) -> None:
    with pytest.raises(AgentFileError, match="cannot read the file"):
        load_agent(tmp_path / "absent.toml")


@pytest.mark.parametrize("case", ["syntax", "unknown key", "as-tool cycle", "missing module"])
def test_the_cli_prints_one_line_and_exits_2(tmp_path: Path, case: str) -> None:
    text, line, key, _ = BAD_FILES[case]
    path = write(tmp_path, text)
    done = autan("run", "--agent", str(path), "--no-store", "hello", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    (shown,) = done.stderr.strip().splitlines()
    assert shown.startswith(f"autan: error: {path}:{line}: {key}: ")
    assert "Traceback" not in done.stderr


def test_flags_that_make_an_agent_are_refused_with_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[agents.a]\n")
    done = autan("run", "--agent", str(path), "--model", "local", "hi", cwd=tmp_path)
    assert done.returncode == 2
    assert "--agent: the file declares the agents; drop --model" in done.stderr


def test_the_documented_example_is_a_valid_file(tmp_path: Path) -> None:
    from autan.agent_file._load import read
    from autan.agent_file._references import build_order, check_references

    doc = (Path(__file__).parent.parent / "docs" / "agent-files.md").read_text(encoding="utf-8")
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    source, table = read(write(tmp_path, example))
    assert check_references(table, source, set(table.mcp.servers)) == "front"
    order = build_order(table, source)
    assert order.index("front") > max(order.index("researcher"), order.index("billing"))


def test_a_bad_default_model_names_the_agent(tmp_path: Path) -> None:
    from autan.agent_file import Defaults, load_team

    path = write(tmp_path, "[agents.a]\n")
    with pytest.raises(AgentFileError, match=r"team.toml:1: agents.a: unknown model spec"):
        load_team(path, defaults=Defaults(model="nope:x"))
