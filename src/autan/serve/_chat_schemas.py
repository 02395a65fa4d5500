"""The bodies of the OpenAI-compatible facade (``POST /v1/chat/completions``): what any OpenAI
client sends, of which autan reads the model, the messages' text and ``stream``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from autan.serve._schemas import MAX_TASK_CHARS, NOT_BLANK


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["text"]
    text: str = Field(max_length=MAX_TASK_CHARS)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")  # name, tool_calls, tool_call_id: not used
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = Field(None, max_length=MAX_TASK_CHARS)

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


_A_USER_MESSAGE: dict[str, Any] = {
    "type": "object",
    "properties": {"role": {"const": "user"}, "content": {"type": "string", "pattern": NOT_BLANK}},
    "required": ["role", "content"],
}
"""What the messages must contain: a user message with text (the last one is the task)."""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    include_usage: bool = False


class ChatRequest(BaseModel):
    """Sampling options (``temperature`` …) are accepted and ignored: the agent's model
    settings apply."""

    model_config = ConfigDict(extra="ignore")
    model: str = Field(
        min_length=1,
        max_length=500,
        description='"autan" for the server\'s default agent, else a model spec for its model',
    )
    messages: list[ChatMessage] = Field(
        min_length=1,
        max_length=1000,
        description="the last user message is the task; the messages before it, context",
        json_schema_extra={"contains": _A_USER_MESSAGE},
    )
    stream: bool = False
    stream_options: StreamOptions | None = None


class ChatUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop", "length"]


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: ChatUsage


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "autan"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ChatFailure(BaseModel):
    message: str
    type: str
    code: str


class ChatErrorOut(BaseModel):
    """A run that failed, as OpenAI clients read an error."""

    error: ChatFailure
