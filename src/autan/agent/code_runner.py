"""Performing the code-action effects of one run: one sandbox per block, closed when the block
ends or the run stops. The loop never sees the sandbox, only ``CodeCall`` and ``CodeEnded``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autan.errors import AutanError, ConfigurationError
from autan.loop.effects import CodeCall, CodeEnded, CodeMessage, ReplyToCode, StartCode
from autan.protocols.code import parameter_names
from autan.tools import Tool

if TYPE_CHECKING:
    from autan.sandbox import CodeSession, SandboxLimits, SandboxResult, ToolRequest


class CodeRunner:
    """Holds the block that is running, if any. Not shared between runs."""

    def __init__(self, tools: Sequence[Tool], limits: SandboxLimits | None) -> None:
        self._tools = tools  # read when a block starts: tools-mode runs never pay for it
        self._limits = limits
        self._session: CodeSession | None = None
        self._started = 0.0

    def perform(self, effect: StartCode | ReplyToCode) -> CodeMessage | AutanError:
        """The block's next message; an ``AutanError`` (for the loop to record) when it cannot
        run: no sandbox here, or a reply to a block that is not running (a resumed run that
        stopped inside a block)."""
        try:
            if isinstance(effect, StartCode):
                return self._start(effect.code)
            if self._session is None:
                return ConfigurationError(
                    "this run stopped inside a code block; a code block cannot be resumed"
                )
            return self._message(self._session.reply(effect.output, effect.is_error))
        except AutanError as error:
            self.close()
            return error

    async def aperform(self, effect: StartCode | ReplyToCode) -> CodeMessage | AutanError:
        import asyncio

        return await asyncio.to_thread(self.perform, effect)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _start(self, code: str) -> CodeMessage:
        from autan.sandbox._session import CodeSession

        self.close()
        self._started = time.perf_counter()
        functions = {tool.name: parameter_names(tool.spec) for tool in self._tools}
        self._session = CodeSession(code, functions, limits=self._limits)
        return self._message(self._session.start())

    def _message(self, message: ToolRequest | SandboxResult) -> CodeMessage:
        from autan.sandbox._session import ToolRequest

        if isinstance(message, ToolRequest):
            return CodeCall(message.name, message.arguments)
        self._session = None
        return ended(message, time.perf_counter() - self._started)


def ended(result: SandboxResult, seconds: float) -> CodeEnded:
    error = result.error
    if error is None and not result.ok:
        error = f"exit status {result.exit_code}"
    answer = result.result if result.answered else None
    seconds = round(seconds, 4)
    return CodeEnded(result.stdout, result.stderr, error, result.answered, answer, seconds)
