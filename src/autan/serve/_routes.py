"""The ``/v1/runs`` endpoints: thin, each asks ``Runs`` or the journal and shapes the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Request
from sse_starlette import EventSourceResponse

from autan.errors import ConfigurationError
from autan.serve._auth import bearer
from autan.serve._runs import Runs
from autan.serve._schemas import (
    Accepted,
    Answer,
    Cancel,
    CreateRun,
    Decision,
    ErrorOut,
    Offered,
    RunCreated,
    RunOut,
    RunPage,
    Status,
)
from autan.serve._source import RunSpec
from autan.serve._stream import journal_events
from autan.serve._views import detail, status_of, summary
from autan.store import RunInfo

PING_SECONDS = 15
MAX_SEQ = 10**15
SEQUENCE_NUMBER = r"^(-1|[0-9]{1,15})$"
"""A ``Last-Event-ID``: an event's sequence number (-1: before the first)."""
ERRORS = {code: {"model": ErrorOut} for code in (401, 404, 409, 413, 422, 429)}


def runs_router(token: str | None) -> APIRouter:
    router = APIRouter(prefix="/v1/runs", tags=["runs"], responses=ERRORS)  # type: ignore[arg-type]
    guarded = [Depends(bearer(token))]
    router.add_api_route("", create, methods=["POST"], status_code=201, dependencies=guarded)
    router.add_api_route("", listing, methods=["GET"], dependencies=guarded)
    router.add_api_route("/{run_id}", show, methods=["GET"], dependencies=guarded)
    router.add_api_route(
        "/{run_id}/events",
        events,
        methods=["GET"],
        dependencies=[Depends(bearer(token, query=True))],
        response_class=EventSourceResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": "the events"}},
    )
    for name, endpoint in (("approve", approve), ("deny", deny), ("answer", answer)):
        router.add_api_route(
            f"/{{run_id}}/{name}", endpoint, methods=["POST"], status_code=202, dependencies=guarded
        )
    router.add_api_route(
        "/{run_id}/cancel", cancel, methods=["POST"], status_code=202, dependencies=guarded
    )
    router.add_api_route(
        "/{run_id}/resume", resume, methods=["POST"], status_code=202, dependencies=guarded
    )
    return router


def tools_router(token: str | None) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["runs"], responses={401: {"model": ErrorOut}})
    router.add_api_route("/tools", tools, methods=["GET"], dependencies=[Depends(bearer(token))])
    return router


def _runs(request: Request) -> Runs:
    runs: Runs = request.app.state.runs
    return runs


def _known(runs: Runs, run_id: str) -> RunInfo:
    try:
        return runs.store.info(run_id)
    except ConfigurationError:
        raise HTTPException(404, f"no run {run_id!r}") from None


def create(request: Request, body: CreateRun) -> RunCreated:
    """Start a run of ``task``; it is journaled before its id is returned."""
    limits = body.limits.model_dump() if body.limits else {}
    chosen = tuple(body.tools) if body.tools is not None else None
    runs = _runs(request)
    if body.after is not None:
        _known(runs, body.after)
    spec = RunSpec(body.task, body.model, **limits, tools=chosen, after=body.after)
    run_id = runs.start(spec)
    return RunCreated(id=run_id, status="queued", events_url=f"/v1/runs/{run_id}/events")


def tools(request: Request) -> Offered:
    """What a run may be given (``tools`` in ``POST /v1/runs``): the server's tools and the
    MCP servers it was started with."""
    offered = _runs(request).agents.offered()
    return Offered(tools=list(offered.tools), mcp=list(offered.mcp))


def listing(
    request: Request,
    status: Annotated[Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    inside_too: Annotated[bool, Query(alias="all")] = False,
) -> RunPage:
    """Runs started through the API or by a user, newest first, optionally only those with
    ``status``; ``all=true`` adds the runs inside them (child runs, cascade tiers)."""
    runs = _runs(request)
    infos = runs.store.runs() if inside_too else runs.store.top_level_runs()
    if status is not None:
        infos = [info for info in infos if _status(runs, info) == status]
    page = infos[offset : offset + limit]
    shown = [summary(i, runs.store.load(i.run_id), runs.pool.state(i.run_id)) for i in page]
    more = offset + limit < len(infos)
    return RunPage(runs=shown, next_offset=offset + limit if more else None)


def _status(runs: Runs, info: RunInfo) -> Status:
    in_pool = runs.pool.state(info.run_id)
    if in_pool is None and info.status == "failed":
        return status_of(info, runs.store.load(info.run_id), None)
    return in_pool or info.status


def show(request: Request, run_id: str) -> RunOut:
    """A run: status, answer or error, usage, cost, steps, the call it waits for."""
    runs = _runs(request)
    info = _known(runs, run_id)
    events = runs.store.load(run_id)
    return detail(info, events, runs.pool.state(run_id), runs.pool.problem(run_id))


def events(
    request: Request,
    run_id: str,
    last_event_id: Annotated[str, Header(pattern=SEQUENCE_NUMBER)] = "",
    after: Annotated[int, Query(ge=-1, le=MAX_SEQ, description="like Last-Event-ID")] = -1,
    deltas: Annotated[bool, Query(description="also the model's text as it is written")] = False,
) -> EventSourceResponse:
    """The run's journal as Server-Sent Events (``id``: the sequence number), then each new
    event as it happens, until the run ends. Resume with ``Last-Event-ID``. With ``deltas``,
    also ``text_delta`` messages (no ``id``, live only: a reconnecting client gets the
    journal's events after its ``Last-Event-ID``, then deltas from then on; each step's
    ``model_response`` has its whole text)."""
    runs = _runs(request)
    _known(runs, run_id)
    start = int(last_event_id) if last_event_id else after
    stream = journal_events(runs.tails, run_id, start, deltas)
    return EventSourceResponse(stream, ping=PING_SECONDS)


def approve(
    request: Request, run_id: str, body: Annotated[Decision | None, Body()] = None
) -> Accepted:
    """Approve the call the run waits for; the run continues."""
    return _decide(request, run_id, True, body)


def deny(
    request: Request, run_id: str, body: Annotated[Decision | None, Body()] = None
) -> Accepted:
    """Deny the call the run waits for; the model reads the denial and the run continues."""
    return _decide(request, run_id, False, body)


def _decide(request: Request, run_id: str, approved: bool, body: Decision | None) -> Accepted:
    runs = _runs(request)
    _known(runs, run_id)
    runs.decide(run_id, approved, body.reason if body else "")
    verb = "approved" if approved else "denied"
    return Accepted(id=run_id, status="queued", detail=f"{verb}; the run continues")


def answer(request: Request, run_id: str, body: Answer) -> Accepted:
    """Answer the question the tool's MCP server asks the paused run; the call is made again."""
    runs = _runs(request)
    _known(runs, run_id)
    runs.answer(run_id, body.action, body.content)
    return Accepted(id=run_id, status="queued", detail=f"answered {body.action}; the run continues")


def cancel(
    request: Request, run_id: str, body: Annotated[Cancel | None, Body()] = None
) -> Accepted:
    """Stop the run before its next effect; the journal records why."""
    runs = _runs(request)
    _known(runs, run_id)
    runs.cancel(run_id, body.reason if body else "")
    return Accepted(id=run_id, status="cancelled", detail="the run stops before its next effect")


def resume(request: Request, run_id: str) -> Accepted:
    """Continue a run whose process stopped (it neither ended nor waits for a decision)."""
    runs = _runs(request)
    _known(runs, run_id)
    runs.resume(run_id)
    return Accepted(id=run_id, status="queued", detail="the run continues from its journal")
