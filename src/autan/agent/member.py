"""What the team and child-run code reads of an agent (``Agent`` has it all) and of a cascade
(``Cascade``), so that those modules need not import the classes themselves."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from autan.agent.cascade_result import CascadeResult
    from autan.events import Event
    from autan.limits import Budget, Limits
    from autan.loop.config import Actions
    from autan.models.base import Model
    from autan.result import RunResult
    from autan.store import Store
    from autan.tools import AnswerType, Tool


class Member(Protocol):
    """An agent as a handoff's target or a tool's child run sees it."""

    store: Store | None
    limits: Limits
    metadata: dict[str, Any]

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def model(self) -> Model: ...
    @property
    def tools(self) -> tuple[Tool, ...]: ...
    @property
    def instructions(self) -> str: ...
    @property
    def actions(self) -> Actions: ...
    @property
    def answer(self) -> AnswerType[Any] | None: ...
    @property
    def handoffs(self) -> Sequence[Member]: ...

    def run(
        self, task: str, *, run_id: str | None = None, after: RunResult[Any] | None = None
    ) -> RunResult[Any]: ...

    def resume(self, run_id: str) -> RunResult[Any]: ...

    def _child_events(
        self, task: str, run_id: str | None, stream_text: bool
    ) -> Generator[Event, None, RunResult[Any]]: ...


class CascadeMember(Protocol):
    """A cascade as a tool's child run sees it."""

    store: Store | None
    metadata: dict[str, Any]
    budget: Budget

    def run(self, task: str, *, run_id: str | None = None) -> CascadeResult[Any]: ...

    def _child_events(
        self, task: str, run_id: str | None, stream_text: bool
    ) -> Generator[Event, None, CascadeResult[Any]]: ...
