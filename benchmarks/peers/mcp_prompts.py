"""First-request prompt tokens with one MCP server's tools (``mcp-server-git``, 12 tools, on a
repository made here): autan under ``constrained`` and ``native``, and each peer framework that
has an MCP client, through that client (``mcp_prompt_worker.py`` in the peer's own venv,
``benchmarks/.venvs/<peer>_mcp``; ``install.sh pydantic_ai_mcp openai_agents_mcp ...``).

    PYTHONPATH=src python benchmarks/peers/mcp_prompts.py [--out results.json]

Every native request (autan's and the peers') is counted the same way: the prompt the
correct-tools server (``tool_server.py``, SmolLM2's function-calling format) renders from the
request body, and the ``tools`` array alone, both with SmolLM2-135M's tokenizer (vocabulary
only, no inference). autan's ``constrained`` prompt is its system block and the task in the
same ChatML turns. No model runs: the numbers do not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VENVS = HERE.parent / ".venvs"
PEERS = ("pydantic_ai", "openai_agents", "smolagents", "agno")
sys.path.insert(0, str(HERE))

from chatml_tools import _chatml, offered_tools, render_prompt  # noqa: E402
from instant_server import InstantServer  # noqa: E402
from mcp_prompt_worker import TASK, answer_at_once  # noqa: E402


def git_server(repo: str) -> list[str]:
    return [sys.executable, "-m", "mcp_server_git", "--repository", repo]


def autan_bodies(command: list[str]) -> tuple[dict[str, Any], str]:
    """autan's first native request body (captured on loopback), and its constrained prompt."""
    import instant_server

    from autan import Agent, load_model, mcp_tools
    from autan.agent._agent import DEFAULT_INSTRUCTIONS
    from autan.protocols.constrained import system_block

    instant_server.reply_for = answer_at_once
    server = InstantServer()
    try:
        with mcp_tools(" ".join(command)) as tools:
            model = load_model(f"openai:smollm2@{server.base_url}", tool_protocol="native")
            with Agent(model, tools) as agent:
                agent.run(TASK)
            block = system_block(DEFAULT_INSTRUCTIONS, tuple(t.spec for t in tools))
    finally:
        server.close()
    constrained = _chatml("system", block) + _chatml("user", TASK) + "<|im_start|>assistant\n"
    return server.requests[0], constrained


def peer_body(peer: str, command: list[str]) -> dict[str, Any] | str:
    """The peer's first request body, or why there is none."""
    python = VENVS / f"{peer}_mcp" / "bin" / "python"
    if not python.exists():
        return f"not installed ({python.parent.parent.name})"
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        worker = [str(python), str(HERE / "mcp_prompt_worker.py"), peer, out.name, *command]
        done = subprocess.run(worker, capture_output=True, text=True, timeout=300, cwd=HERE)
        if done.returncode != 0:
            return "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:200]
        body: dict[str, Any] = json.loads(Path(out.name).read_text())
        return body


def counted(body: dict[str, Any], count: Any) -> dict[str, Any]:
    functions = offered_tools(body.get("tools"), body.get("tool_choice", "auto"))
    system = [m for m in body.get("messages", []) if m.get("role") in ("system", "developer")]
    return {
        "tools": len(body.get("tools") or []),
        "prompt_tokens": count(render_prompt(body.get("messages", []), functions)),
        "tools_json_tokens": count(json.dumps(body.get("tools") or [])),
        "instructions_tokens": count("\n".join(str(m.get("content") or "") for m in system)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    from llama_cpp import Llama

    from autan.models.embedded import default_gguf_path

    vocab = Llama(model_path=str(default_gguf_path()), vocab_only=True, verbose=False)

    def count(text: str) -> int:
        return len(vocab.tokenize(text.encode(), add_bos=False, special=True))

    with tempfile.TemporaryDirectory() as repo:
        subprocess.run(["git", "init", "-q", repo], check=True)
        command = git_server(repo)
        native, constrained = autan_bodies(command)
        rows: dict[str, Any] = {
            "autan constrained": {"prompt_tokens": count(constrained)},
            "autan native": counted(native, count),
        }
        for peer in PEERS:
            body = peer_body(peer, command)
            rows[peer] = counted(body, count) if isinstance(body, dict) else {"error": body}
    text = json.dumps(rows, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
