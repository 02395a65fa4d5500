"""The public surface is exactly ``autan.__all__``, and importing autan stays light."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import autan
import autan.errors

EXPECTED = {
    "Agent",
    "AutanError",
    "ConfigurationError",
    "Event",
    "AnswerRejected",
    "FinalAnswer",
    "LimitExceeded",
    "Limits",
    "Message",
    "Model",
    "ModelError",
    "ModelFileError",
    "ModelRequest",
    "ModelRequested",
    "ModelResponded",
    "ModelResponse",
    "ModelSpecError",
    "RunError",
    "RunFailed",
    "RunResult",
    "RunStarted",
    "SQLiteStore",
    "Store",
    "StoreError",
    "TelemetryError",
    "ResumeNeedsDecision",
    "TextDelta",
    "Tool",
    "ToolCall",
    "ToolCalled",
    "ToolDefinitionError",
    "ToolResulted",
    "ToolRetriesExhausted",
    "ToolSpec",
    "ToolStarted",
    "Usage",
    "WorkspaceError",
    "__version__",
    "idempotency_key",
    "load_model",
    "tool",
    "batch",
    "BatchSummary",
    "AuthenticationError",
    "ModelNotFoundError",
    "RateLimitError",
    "ContextLengthExceeded",
    "ServerError",
    "ModelConnectionError",
    "ModelTimeout",
    "ResponseTooLarge",
    "ApprovalRequested",
    "ApprovalDecided",
    "AwaitingApproval",
    "AwaitingAnswer",
    "CodeStarted",
    "CodeFinished",
    "HandedOff",
    "ChildRun",
    "ChildEvent",
    "PostgresStore",
    "ReplayReport",
    "SandboxUnavailable",
    "RunCancelled",
    "MCPServerError",
    "AgentFileError",
    "mcp_tools",
    "amcp_tools",
    "RunInProgress",
    "Cascade",
    "CascadeResult",
    "load_agent",
    "CascadeFailed",
    "VerifierFailed",
    "TierStarted",
    "TierEnded",
}


def test_public_names_are_pinned() -> None:
    assert set(autan.__all__) == EXPECTED
    for name in autan.__all__:
        assert getattr(autan, name) is not None


def test_every_exception_autan_raises_is_public() -> None:
    errors = {
        name
        for name, value in vars(autan.errors).items()
        if inspect.isclass(value) and issubclass(value, autan.errors.AutanError)
    }
    assert errors <= set(autan.__all__)


def test_the_names_for_type_checkers_are_the_table() -> None:
    """The ``TYPE_CHECKING`` block of ``autan/__init__.py`` imports exactly ``PUBLIC``."""
    tree = ast.parse(Path(autan.__file__).read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If))
    imported = {
        (node.module, alias.name)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name
    }
    table = {(module, name) for module, names in autan.PUBLIC.items() for name in names}
    assert imported == table


HEAVY = (
    "llama_cpp",
    "numpy",
    "pydantic",
    "docstring_parser",
    "jinja2",
    "psycopg",
    "httpx",
    "mcp",
    "jsonschema",
)


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_import_autan_loads_no_heavy_library() -> None:
    assert loaded_after("import autan") == set()


def test_the_public_names_and_the_http_backend_load_no_heavy_library() -> None:
    statement = "from autan import Agent, load_model, tool; import autan.models.openai"
    assert loaded_after(statement) == set()


def test_mcp_loads_only_when_a_server_is_connected() -> None:
    statement = "from autan import mcp_tools, MCPServerError; import autan.mcp, autan.cli.main"
    assert loaded_after(statement) & {"mcp", "jsonschema"} == set()


def test_pydantic_loads_when_a_tool_is_built() -> None:
    statement = (
        "from autan import tool; f = lambda a: a; f.__name__ = 'f'; "
        "f.__annotations__ = {'a': int}; tool(f)"
    )
    assert "pydantic" in loaded_after(statement)


def test_llama_cpp_loads_only_when_a_local_model_is_used() -> None:
    statement = (
        "from autan import Agent, load_model; from autan.tools.builtin import builtin_tools; "
        "Agent(load_model('local'), tools=builtin_tools('.'))"
    )
    assert "llama_cpp" not in loaded_after(statement)
