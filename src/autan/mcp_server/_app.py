"""The ``MCPServer`` of one agent: its tool and its resources."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from autan.errors import AwaitingApproval, RunError
from autan.events import Event, FinalAnswer, ModelResponded, RunFailed, ToolResulted

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.store import Store

RUNS_LISTED = 50


def agent_server(agent: Agent, name: str = "autan") -> Any:
    """An ``mcp.server.mcpserver.MCPServer`` serving ``agent`` (its store, if any, as
    resources)."""
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.types import ToolAnnotations

    server = MCPServer(name, instructions="run_task gives a task to an autan agent.")
    one_at_a_time = asyncio.Lock()

    async def run_task(task: str, ctx: Context) -> dict[str, Any]:
        """Give a task to an autan agent; returns its answer and the run's id."""
        async with one_at_a_time:
            return await _run(agent, task, ctx)

    # the SDK reads the hints at run time; here they are strings (``from __future__``)
    run_task.__annotations__ = {"task": str, "ctx": Context, "return": dict[str, Any]}
    hints = ToolAnnotations(read_only_hint=False, open_world_hint=True)
    server.add_tool(run_task, annotations=hints)
    if agent.store is not None:
        _add_resources(server, agent.store)
    return server


async def _run(agent: Agent, task: str, ctx: Any) -> dict[str, Any]:
    from mcp.server.mcpserver.exceptions import ToolError

    from autan.ids import new_run_id

    run_id = new_run_id()
    total = agent.limits.max_steps
    answer: str | None = None
    try:
        async for event in agent.astream(task, run_id=run_id):
            if isinstance(event, FinalAnswer):
                answer = event.output
            elif isinstance(event, RunFailed):
                raise ToolError(f"run {run_id} failed: {event.message}")
            note = _progress(event)
            if note is not None:
                await ctx.report_progress(note[0], total, note[1])
    except AwaitingApproval as paused:
        raise ToolError(f"run {run_id} waits for approval of {paused.call.name}") from None
    except RunError as failed:
        raise ToolError(f"run {run_id} failed: {failed}") from None
    return {"answer": answer, "run_id": run_id}


def _progress(event: Event) -> tuple[int, str] | None:
    """The step an event belongs to and a line about it, for a progress notification."""
    if isinstance(event, ModelResponded):
        calls = ", ".join(call.name for call in event.tool_calls)
        return event.step, f"step {event.step}: " + (f"calls {calls}" if calls else "answers")
    if isinstance(event, ToolResulted):
        done = "failed" if event.is_error else "answered"
        return event.step, f"step {event.step}: {event.name} {done}"
    return None


def _add_resources(server: Any, store: Store) -> None:
    from autan.store import export_run

    @server.resource("autan://runs", name="runs", mime_type="application/json")  # type: ignore[untyped-decorator]
    def runs() -> str:
        """The latest runs of this agent's journal: id, status, task."""
        listed = [
            {"run_id": r.run_id, "status": r.status, "task": r.config.get("task")}
            for r in store.top_level_runs(RUNS_LISTED)
        ]
        return json.dumps(listed, ensure_ascii=False)

    @server.resource("autan://runs/{run_id}", name="run", mime_type="application/jsonl")  # type: ignore[untyped-decorator]
    def run(run_id: str) -> str:
        """One run's journal: its header, then one JSON line per event."""
        lines = (json.dumps(r, ensure_ascii=False, default=str) for r in export_run(store, run_id))
        return "\n".join(lines)
