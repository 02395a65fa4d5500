"""``CodeSession``: one sandboxed snippet that calls host functions while it runs.

The snippet's calls arrive as ``ToolRequest``s; the host answers each with ``reply`` and gets the
next request, until the snippet ends and a ``SandboxResult`` comes back. Only JSON lines cross:
the host never unpickles or evaluates what the sandbox sends, and a line that is not a
well-formed request ends the sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autan.sandbox._limits import SandboxLimits
from autan.sandbox._process import SandboxProcess
from autan.sandbox._result import SandboxResult
from autan.sandbox._run import prepare, sandbox_result


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """A call the snippet made: not yet validated, only known to be a name and a JSON object."""

    name: str
    arguments: dict[str, Any]


Message = ToolRequest | SandboxResult


class CodeSession:
    """Start with ``start()``; answer each ``ToolRequest`` with ``reply``; ``close()`` always.

    ``functions`` maps each function name the snippet may call to its parameter names, in
    order (positional arguments are bound to them).
    """

    def __init__(
        self,
        code: str,
        functions: Mapping[str, Sequence[str]],
        *,
        limits: SandboxLimits | None = None,
        workspace: str | Path | None = None,
        writable: bool = False,
        allow_unsandboxed: bool = False,
    ) -> None:
        self._code = code
        self._functions = dict(functions)
        self._limits = limits or SandboxLimits()
        self._launch = prepare(self._limits, workspace, writable, allow_unsandboxed)
        self._process: SandboxProcess | None = None
        self._result: SandboxResult | None = None

    def start(self) -> Message:
        tools = [{"name": n, "parameters": list(p)} for n, p in self._functions.items()]
        self._process = SandboxProcess(
            self._launch.argv_for({"tools": tools}),
            self._code.encode(),
            self._limits.timeout,
            self._limits.output_bytes,
            self._launch.preexec,
            replies=True,
            kill_group=self._launch.isolation.kill_group,
            quota=self._launch.isolation.quota,
        )
        return self._next()

    def reply(self, output: str, is_error: bool) -> Message:
        """Answer the pending request; returns the next request or the result."""
        assert self._process is not None
        assert self._result is None
        line = json.dumps({"output": output, "is_error": is_error}).encode() + b"\n"
        if not self._process.reply(line):
            return self._end(b"")
        return self._next()

    def close(self) -> None:
        """Kill the sandbox if it still runs (a run stopped by a limit, an error, a pause)."""
        if self._process is not None and self._result is None:
            self._process.kill()
            self._end(b"")
        self._launch.isolation.cleanup()

    def _next(self) -> Message:
        assert self._process is not None
        line = self._process.next_line()
        if line is None:
            return self._end(b"")
        data = _json_object(line)
        if data is None:
            self._process.kill()
            return self._end(b'{"error": "the sandbox broke the tool channel protocol"}')
        if "call" not in data:
            return self._end(line)
        request = self._request(data)
        if request is None:
            self._process.kill()
            return self._end(b'{"error": "the sandbox sent a malformed tool request"}')
        return request

    def _request(self, data: dict[str, Any]) -> ToolRequest | None:
        name, arguments = data.get("call"), data.get("arguments")
        if not isinstance(name, str) or name not in self._functions:
            return None
        if not isinstance(arguments, dict) or set(data) != {"call", "arguments"}:
            return None
        return ToolRequest(name, arguments)

    def _end(self, record: bytes) -> SandboxResult:
        assert self._process is not None
        if self._result is None:
            try:
                outcome = self._process.finish()
            finally:
                self._launch.isolation.cleanup()
            self._result = sandbox_result(
                outcome, record or outcome.record, self._launch.isolation.kind
            )
        return self._result


def _json_object(line: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
