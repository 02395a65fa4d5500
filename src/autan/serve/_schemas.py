"""The API's bodies, as pydantic models: what FastAPI validates and the OpenAPI document shows."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TASK_CHARS = 100_000
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"
"""Text with a character that is not white space, as Python's ``str.strip`` sees it."""

Status = Literal[
    "queued", "running", "awaiting_approval", "completed", "failed", "cancelled", "interrupted"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LimitsIn(_Strict):
    """Bounds on the run; a bound left out is the server's default."""

    max_steps: int | None = Field(None, ge=1, le=10_000)
    max_total_tokens: int | None = Field(None, ge=1)
    max_wall_seconds: float | None = Field(None, gt=0, le=86_400)


class CreateRun(_Strict):
    task: str = Field(min_length=1, max_length=MAX_TASK_CHARS, pattern=NOT_BLANK)
    model: str | None = Field(
        None, min_length=1, max_length=500, description="a model spec; default: the server's"
    )
    limits: LimitsIn | None = None
    tools: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None,
        max_length=200,
        description="the tools and MCP servers the run gets, by name (GET /v1/tools lists "
        "them); default: all",
    )

    after: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="an answered run this one follows up on: the model reads its conversation",
    )


class Offered(BaseModel):
    tools: list[str] = Field(description="the tools a run may be given, by name")
    mcp: list[str] = Field(description="the MCP servers a run may be given (all their tools)")


class Decision(_Strict):
    reason: str = Field("", max_length=10_000, description="told to the model with the decision")


class Cancel(_Strict):
    reason: str = Field("", max_length=10_000, description="journaled with the cancellation")


class RunCreated(BaseModel):
    id: str
    status: Status
    events_url: str


class Accepted(BaseModel):
    id: str
    status: Status
    detail: str


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    estimated: bool


class Failure(BaseModel):
    type: str
    message: str


class Awaiting(BaseModel):
    call_id: str
    name: str
    arguments: dict[str, Any]
    reason: str = Field(
        "", description="why the trust policy asks; empty: the tool asks before every call"
    )
    copied: list[str] = Field(
        default_factory=list, description="argument text copied verbatim from untrusted results"
    )
    question: str | None = Field(None, description="what the tool's MCP server asks a person")
    answer_schema: dict[str, Any] | None = Field(
        None, description="the JSON Schema of the answer (POST /v1/runs/{id}/answer)"
    )


class Answer(_Strict):
    action: Literal["accept", "decline", "cancel"] = "accept"
    content: dict[str, Any] | None = Field(
        None, description="with accept: the answer, valid for the question's answer_schema"
    )


class RunSummary(BaseModel):
    id: str
    status: Status
    task: str
    model: str
    created: float
    events: int
    steps: int
    tool_calls: int
    usage: UsageOut
    cost_usd: float
    seconds: float


class RunOut(RunSummary):
    answer: str | None
    error: Failure | None
    awaiting: Awaiting | None
    problem: str | None = Field(
        None, description="why the server could not continue the run, when it could not"
    )


class RunPage(BaseModel):
    runs: list[RunSummary]
    next_offset: int | None


class ErrorOut(BaseModel):
    detail: str | list[dict[str, Any]]
