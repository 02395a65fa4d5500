"""MCP servers for the tests, written with the SDK: ``python tests/mcp_test_server.py MODE [PORT]``.

Modes: ``tools`` (well-behaved tools, plus ones that die, hang, fail, answer 10 MB, sample and
elicit), ``ask`` (only the eliciting tool), ``many`` (200 tools), ``bad-schema`` (a tool whose
input schema is not JSON Schema), ``odd-schema`` (valid JSON Schema that no grammar expresses),
With a PORT, ``tools`` is served over streamable HTTP (``http``) or SSE (``sse``) on 127.0.0.1.
The servers that do not speak MCP (``exit-in-initialize``, ``garbage``) are in
``mcp_raw_server.py``.
"""

import os
import sys
import time
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context


def tools_server() -> Any:
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("test-tools")
    add_plain_tools(server)
    add_misbehaving_tools(server)
    return server


def add_plain_tools(server: Any) -> None:
    from mcp.types import ToolAnnotations

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def calculator(expression: str) -> str:
        """A calculator that shares its name with autan's own."""
        return f"the server's calculator got {expression}"

    @server.tool(annotations=ToolAnnotations(destructiveHint=True))
    def delete_everything(path: str) -> str:
        """Pretend to delete a path."""
        return f"deleted {path}"

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def pid() -> int:
        """This server's process id."""
        return os.getpid()

    @server.tool(annotations=ToolAnnotations(idempotentHint=True))
    def record(entry: str, ctx: Context) -> str:
        """Append an entry to $LEDGER once per idempotency key (from the request's _meta)."""
        meta = ctx.request_context.meta or {}
        key = str(meta.get("io.autan/idempotency-key"))
        ledger = os.environ["LEDGER"]
        seen = Path(ledger).read_text().split("\n") if os.path.exists(ledger) else []
        if not any(line.startswith(f"{key} ") for line in seen):
            with open(ledger, "a") as file:
                file.write(f"{key} {entry}\n")
        time.sleep(0.02)  # a window between the effect and the journaling of its result
        return f"recorded {entry}"

    @server.tool(structured_output=False)
    def picture() -> list[Any]:
        """An image and an embedded resource."""
        from mcp.types import EmbeddedResource, ImageContent, TextResourceContents

        resource = TextResourceContents(
            uri="file:///notes.txt", mime_type="text/plain", text="n" * 500
        )
        return [
            ImageContent(type="image", data="A" * 4000, mime_type="image/png"),
            EmbeddedResource(type="resource", resource=resource),
        ]


def add_misbehaving_tools(server: Any) -> None:
    from mcp.types import SamplingMessage, TextContent

    @server.tool()
    def die() -> str:
        """Exit the server in the middle of the call."""
        os._exit(3)

    @server.tool()
    def hang() -> str:
        """Never answer."""
        time.sleep(3600)
        return "never"

    @server.tool()
    def install_and_hang() -> str:
        """Start a package install that waits for a network (as readabilipy's npm does)."""
        print("npm ERR! network request to registry.npmjs.org failed", file=sys.stderr, flush=True)
        time.sleep(3600)
        return "never"

    @server.tool()
    def fail() -> str:
        """Raise an error (an isError result)."""
        raise ValueError("the disk is on fire")

    @server.tool()
    def huge() -> str:
        """Answer 10 MB of text."""
        return "x" * 10_000_000

    @server.tool()
    async def ask_model(question: str, ctx: Context) -> str:
        """Ask the client's model (sampling)."""
        result = await ctx.session.create_message(
            messages=[
                SamplingMessage(role="user", content=TextContent(type="text", text=question))
            ],
            max_tokens=20,
        )
        return f"the model said: {result.content.text}"

    add_elicitation_tool(server)

    @server.tool()
    async def ask_model_twice(question: str, ctx: Context) -> str:
        """Ask the client's model twice (sampling)."""
        said = []
        for _ in range(2):
            message = SamplingMessage(role="user", content=TextContent(type="text", text=question))
            result = await ctx.session.create_message(messages=[message], max_tokens=20)
            said.append(result.content.text)
        return "the model said: " + ", ".join(said)


def add_elicitation_tool(server: Any) -> None:
    @server.tool()
    async def ask_person(ctx: Context) -> str:
        """Ask the person at the client their name (elicitation)."""
        from pydantic import BaseModel

        class Name(BaseModel):
            name: str

        answer = await ctx.elicit("What is your name?", Name)
        name = f" {answer.data.name}" if answer.action == "accept" else ""
        return f"elicitation: {answer.action}{name}"


def ask_server() -> Any:
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("ask")
    add_elicitation_tool(server)
    return server


def many_server() -> Any:
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("many-tools")
    for number in range(200):

        def echo(text: str, number: int = number) -> str:
            return f"{number}: {text}"

        server.add_tool(echo, name=f"echo_{number}", description=f"Echo number {number}.")
    return server


ODD_SCHEMA = {
    "type": "object",
    "properties": {"n": {"not": {"const": 13}}},
    "required": ["n"],
}
"""Valid JSON Schema that llama.cpp's grammar converter cannot express (``not``)."""


def schema_server(mode: str) -> Any:
    from mcp.server.lowlevel import Server
    from mcp.types import CallToolResult, ListToolsResult, TextContent, Tool

    async def list_tools(ctx: Any, params: Any) -> ListToolsResult:
        if mode == "odd-schema":
            return ListToolsResult(tools=[Tool(name="lucky", input_schema=ODD_SCHEMA)])
        schema = {"type": "object", "properties": {"x": {"type": "integr", "minimum": "zero"}}}
        return ListToolsResult(tools=[Tool(name="broken", input_schema=schema)])

    async def call_tool(ctx: Any, params: Any) -> CallToolResult:
        text = f"lucky {params.arguments['n']}"
        return CallToolResult(content=[TextContent(type="text", text=text)])

    return Server(mode, on_list_tools=list_tools, on_call_tool=call_tool)


def main() -> None:
    mode = sys.argv[1]
    if mode in ("bad-schema", "odd-schema"):
        import anyio
        from mcp.server.stdio import stdio_server

        server = schema_server(mode)

        async def serve() -> None:
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())

        anyio.run(serve)
        return
    servers = {"many": many_server, "ask": ask_server}
    server = servers.get(mode, tools_server)()
    if len(sys.argv) > 3:
        transport, port = sys.argv[2], int(sys.argv[3])
        kind = "streamable-http" if transport == "http" else "sse"
        server.run(kind, host="127.0.0.1", port=port)  # type: ignore[call-overload]
    else:
        server.run()


if __name__ == "__main__":
    main()
