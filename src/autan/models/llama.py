"""The embedded backend: a GGUF model run in-process by llama.cpp (llama-cpp-python).

The model loads once, on first use, and stays loaded. Prompts are append-only, so llama.cpp's
KV cache already holds every token of the previous step and only the new tokens are evaluated;
``cached_tokens`` in each response's usage counts the reused ones. Tool calls go through the
``constrained`` protocol (the output is forced by a grammar built from the tools' schemas), or,
when asked, the ``text`` protocol (Hermes ``<tool_call>`` tags, parsed, nothing forced); code
actions through the ``code`` protocol (one Python block, forced by a grammar).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from autan.errors import ConfigurationError, ContextLengthExceeded, ModelError
from autan.messages import ModelRequest, ModelResponse, Usage
from autan.models._bounds import Deadline
from autan.models._llama_decode import Budget, StepDecoder
from autan.models._llama_grammar import grammar
from autan.models._special_tokens import special_pattern
from autan.models.base import Model
from autan.models.context import DEFAULT_CONTEXT, check_context
from autan.models.decoding import (
    CHAT_ANSWER,
    TEXT_ANSWER,
    answer_turn,
    first_call_tools,
    ground,
    parse_decode,
    relevant,
    takes_chat_answer,
)
from autan.models.threads import model_threads
from autan.protocols import (
    JsonOutput,
    OutputConstraint,
    ToolProtocol,
    for_request,
    named,
)
from autan.protocols.answer_bounds import fitted
from autan.protocols.untrusted import defuse


class LlamaModel(Model):
    """A GGUF file run by llama.cpp in this process. Not shared between threads at once."""

    def __init__(
        self,
        path: Path,
        name: str,
        n_ctx: int = DEFAULT_CONTEXT,
        seed: int = 0,
        tool_protocol: str = "constrained",
        decode: str | None = None,
    ) -> None:
        protocol = named(tool_protocol)
        if not protocol.prompted:  # llama.cpp's completion API has no tool fields
            raise ConfigurationError(
                f"the embedded model takes tool protocol constrained or text, not {tool_protocol!r}"
            )
        self.path = path
        self.name = name
        self.protocol = protocol
        self.n_ctx = check_context(n_ctx)
        self.seed = seed
        self.decode = parse_decode(decode)
        """The decoding strategies of tools steps (``autan.models.decoding``); none by default."""
        if TEXT_ANSWER in self.decode:
            self.protocol = protocol.with_text_answers()
        self.n_threads = model_threads()
        """llama.cpp's compute threads, decided when the model is built (``models.threads``)."""
        self._llama: Any = None
        self._formatter: Any = None
        self._specials: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def complete(self, request: ModelRequest) -> ModelResponse:
        deadline = Deadline(request.timeout_seconds)  # the wait for the lock counts too
        with self._lock:
            return self._complete(_fitted(relevant(request, self.decode)), deadline)

    def stream(self, request: ModelRequest) -> Iterator[str | ModelResponse]:
        deadline = Deadline(request.timeout_seconds)
        with self._lock:
            yield from self._stream(_fitted(relevant(request, self.decode)), deadline)

    def count_tokens(self, text: str) -> int:
        """How many tokens ``text`` is for this model (no chat template around it)."""
        with self._lock:
            return len(self._load().tokenize(text.encode(), add_bos=False, special=False))

    def context_window(self) -> int | None:
        return self.n_ctx

    @property
    def tool_protocol(self) -> str:
        """The name of the protocol tools are called by."""
        return self.protocol.name

    def _complete(self, request: ModelRequest, deadline: Deadline) -> ModelResponse:
        asked = self._chat_asked(request)
        response = self._complete_step(request, deadline)
        if asked is None or response.tool_calls:
            return response
        return self._chat_answer(asked, request, deadline, response)

    def _chat_asked(self, request: ModelRequest) -> str | None:
        """The plain chat turn a text answer of this step is asked in (``chat-answer``), if any."""
        if CHAT_ANSWER not in self.decode or request.answer_schema or request.code_block:
            return None
        return answer_turn(request.messages)

    def _chat_answer(
        self, asked: str, request: ModelRequest, deadline: Deadline, first: ModelResponse
    ) -> ModelResponse:
        """The step's answer asked again as one plain chat turn (``chat-answer``); ``first``,
        the grammar's answer, stands where it quotes a result and the chat answer does not
        (``decoding.takes_chat_answer``)."""
        started = time.perf_counter()
        llama = self._load()
        prompt = self._template([{"role": "user", "content": asked}])
        tokens = llama.tokenize(prompt.encode(), add_bos=False, special=True)
        cached = _cached_prefix(llama, tokens)
        stop = self._stops(llama, tokens, None, deadline)
        deadline.check(self.name)
        output = _generate(llama, tokens, request, None, stop=stop)
        deadline.check(self.name)
        counted = output["usage"]
        usage = Usage(counted["prompt_tokens"], counted["completion_tokens"], cached)
        seconds = time.perf_counter() - started
        finish = output["choices"][0].get("finish_reason") or "stop"
        text = output["choices"][0]["text"].strip()
        usage, seconds = first.usage + usage, first.seconds + seconds
        if not takes_chat_answer(text, first.text, request.messages):
            text, finish = first.text, first.finish_reason
        return ModelResponse(text, (), usage, seconds, self.name, finish)

    def _complete_step(self, request: ModelRequest, deadline: Deadline) -> ModelResponse:
        started = time.perf_counter()
        protocol = for_request(self.protocol, request)
        allowed = protocol.constraint(request.tools, request.tool_choice, request.answer_schema)
        allowed = ground(allowed, request, self.decode)
        llama, tokens, cached = self._prepare(request, protocol)
        if self.decode:
            deadline.check(self.name)  # the prompt's evaluation cannot be stopped: not begun late
            budget = Budget(request.max_tokens)
            decoder = self._decoder(llama, request, allowed, deadline, budget, self._first(request))
            text, finish = decoder.decode(tokens)
            deadline.check(self.name)
            completion = len(llama.tokenize(text.encode(), add_bos=False, special=False))
            completion += budget.given_back
            usage = Usage(len(tokens), completion, cached)
            return self._response(text, usage, time.perf_counter() - started, finish, request)
        # ``--decode greedy`` (main's): one generation under the step's whole grammar
        stop = self._stops(llama, tokens, allowed, deadline)
        deadline.check(self.name)  # the prompt's evaluation cannot be stopped: not begun late
        output = _generate(llama, tokens, request, grammar(allowed), stop=stop)
        deadline.check(self.name)
        text = output["choices"][0]["text"]
        counted = output["usage"]
        return self._response(
            text,
            Usage(counted["prompt_tokens"], counted["completion_tokens"], cached),
            time.perf_counter() - started,
            output["choices"][0].get("finish_reason") or "stop",
            request,
        )

    def _first(self, request: ModelRequest) -> tuple[OutputConstraint, tuple[str, ...]] | None:
        """What the step's first value may be, and its tools' names, where ``best-fit`` narrows
        them; else ``None``."""
        tools = first_call_tools(request, self.decode)
        if tools == request.tools:
            return None
        protocol = for_request(self.protocol, request)
        first = protocol.constraint(tools, request.tool_choice, request.answer_schema)
        return ground(first, request, self.decode), tuple(spec.name for spec in tools)

    def _decoder(
        self,
        llama: Any,
        request: ModelRequest,
        allowed: OutputConstraint,
        deadline: Deadline,
        budget: Budget,
        first: tuple[OutputConstraint, tuple[str, ...]] | None = None,
    ) -> StepDecoder:
        """The step's decoder; each part it generates has what is left of ``budget``."""

        def generate(tokens: list[int], part_grammar: Any) -> tuple[str, str]:
            stop = self._stops(llama, tokens, allowed, deadline)
            left = budget.left()
            output = _generate(llama, tokens, request, part_grammar, stop=stop, budget=left)
            budget.spent.append(output["usage"]["completion_tokens"])
            choice = output["choices"][0]
            return choice["text"], choice.get("finish_reason") or "stop"

        return StepDecoder(llama, allowed, request.tools, self.decode, generate, budget, first)

    def _stream(self, request: ModelRequest, deadline: Deadline) -> Iterator[str | ModelResponse]:
        started = time.perf_counter()
        protocol = for_request(self.protocol, request)
        allowed = ground(
            protocol.constraint(request.tools, request.tool_choice, request.answer_schema),
            request,
            self.decode,
        )
        decoded = self.decode and isinstance(allowed, JsonOutput) and allowed.calls is not None
        if decoded or self._chat_asked(request) is not None:
            # a decoded step is assembled part by part, a chat answer may follow a step: one piece
            yield self._complete(request, deadline)
            return
        llama, tokens, cached = self._prepare(request, protocol)
        pieces: list[str] = []
        finish = "stop"
        stop = self._stops(llama, tokens, allowed, deadline)
        deadline.check(self.name)
        step_grammar = grammar(allowed, "bounded" in self.decode)
        for chunk in _generate(llama, tokens, request, step_grammar, stream=True, stop=stop):
            choice = chunk["choices"][0]
            if choice["text"]:
                pieces.append(choice["text"])
                yield choice["text"]
            finish = choice.get("finish_reason") or finish
        deadline.check(self.name)
        text = "".join(pieces)
        completion = len(llama.tokenize(text.encode(), add_bos=False, special=False))
        usage = Usage(len(tokens), completion, cached)
        yield self._response(text, usage, time.perf_counter() - started, finish, request)

    def _response(
        self, text: str, usage: Usage, seconds: float, finish: str, request: ModelRequest
    ) -> ModelResponse:
        answer, calls = for_request(self.protocol, request).parse(text, request.step)
        return ModelResponse(answer, calls, usage, seconds, self.name, finish)

    def render_prompt(self, request: ModelRequest) -> str:
        """The exact text llama.cpp tokenizes for ``request`` (chat template applied)."""
        request = relevant(request, self.decode)
        with self._lock:
            return self._prompt(request, for_request(self.protocol, request))

    def _prompt(self, request: ModelRequest, protocol: ToolProtocol) -> str:
        self._load()
        return self._template(protocol.render_messages(request.messages, request.tools))

    def _template(self, messages: list[dict[str, str]]) -> str:
        """The chat template applied to ``messages``, each with the vocabulary's control-token
        texts defused (a result cannot forge a turn)."""
        specials = self._specials
        contents = [{**item, "content": defuse(item["content"], specials)} for item in messages]
        return str(self._formatter(messages=contents).prompt)

    def _prepare(self, request: ModelRequest, protocol: ToolProtocol) -> tuple[Any, list[int], int]:
        llama = self._load()
        prompt = self._prompt(request, protocol)
        tokens = llama.tokenize(prompt.encode(), add_bos=False, special=True)
        if len(tokens) + request.max_tokens > self.n_ctx:
            raise ContextLengthExceeded(
                f"the prompt does not fit {self.name}'s context: {len(tokens)} prompt tokens + "
                f"{request.max_tokens} to generate > {self.n_ctx}; give a larger --context (the "
                f"model was trained on {_trained_context(llama) or 'an unknown number of'} tokens)"
                " or a shorter task"
            )
        return llama, tokens, _cached_prefix(llama, tokens)

    def _stops(
        self, llama: Any, tokens: list[int], allowed: OutputConstraint, deadline: Deadline
    ) -> Any:
        """Stop at the request's deadline (then ``deadline.check`` raises ``ModelTimeout``);
        for replies of several call lines, also at a line that repeats an earlier one."""
        stops: list[Any] = []
        if isinstance(allowed, JsonOutput) and allowed.line is not None:
            stops.append(RepeatedLineStop(llama, len(tokens)))
        if deadline.bounded:
            stops.append(lambda input_ids, logits: deadline.passed())
        if not stops:
            return None
        from llama_cpp import StoppingCriteriaList

        return StoppingCriteriaList(stops)

    def _load(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            try:
                llama = Llama(
                    model_path=str(self.path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    seed=self.seed,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as error:
                raise ModelError(f"cannot load {self.path}: {error}") from None
            trained = _trained_context(llama)
            if trained is not None and self.n_ctx > trained:
                raise ConfigurationError(
                    f"context {self.n_ctx} is larger than {self.name} was trained on "
                    f"({trained} tokens); give at most that"
                )
            template = llama.metadata.get("tokenizer.chat_template")
            if not template:
                raise ModelError(f"{self.path} has no chat template in its metadata")
            self._formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=llama.detokenize([llama.token_eos()]).decode(errors="ignore"),
                bos_token=llama.detokenize([llama.token_bos()]).decode(errors="ignore"),
            )
            self._specials = special_pattern(llama)
            self._llama = llama
        return self._llama


def _trained_context(llama: Any) -> int | None:
    """The context length a GGUF says its model was trained on (``ARCH.context_length``)."""
    metadata = llama.metadata
    value = metadata.get(f"{metadata.get('general.architecture', '')}.context_length")
    return int(value) if value and str(value).isdigit() else None


class RepeatedLineStop:
    """A small model that has made its calls tends to write one call line over and over until
    the token budget runs out; the parser drops exact repeats (``constrained._unique``), so
    generation stops once a line comes a third time. (At its second coming it is too early:
    SmolLM2 often repeats a call once, then goes on with new ones.)"""

    def __init__(self, llama: Any, prompt_length: int) -> None:
        self._llama = llama
        self._prompt_length = prompt_length

    def __call__(self, input_ids: Any, logits: Any) -> bool:
        generated = input_ids[self._prompt_length :].tolist()
        if not generated:
            return False
        text = self._llama.detokenize(generated).decode("utf-8", errors="ignore")
        return repeats_a_line(text, times=LINE_REPEATS_BEFORE_STOP)


LINE_REPEATS_BEFORE_STOP = 2


def repeats_a_line(text: str, times: int) -> bool:
    """Whether the last line of ``text`` with anything on it (finished or not: a call line
    equal to a finished one is itself finished) came ``times`` times before."""
    lines = [line.strip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return bool(lines) and lines[:-1].count(lines[-1]) >= times


def _generate(
    llama: Any,
    tokens: list[int],
    request: ModelRequest,
    grammar: Any,
    stream: bool = False,
    stop: Any = None,
    budget: int | None = None,
) -> Any:
    try:
        return llama.create_completion(
            tokens,
            max_tokens=request.max_tokens if budget is None else budget,
            temperature=request.temperature,
            grammar=grammar,
            stream=stream,
            stopping_criteria=stop,
        )
    except (ValueError, RuntimeError) as error:
        raise ModelError(f"llama.cpp failed: {error}") from None


def _cached_prefix(llama: Any, tokens: list[int]) -> int:
    """How many leading prompt tokens llama.cpp already holds in its KV cache."""
    held = llama.input_ids[: llama.n_tokens]
    same = 0
    for mine, theirs in zip(tokens, held, strict=False):
        if mine != theirs:
            break
        same += 1
    return min(same, len(tokens) - 1)


def _fitted(request: ModelRequest) -> ModelRequest:
    """``request`` with its typed answer's schema bounded for the grammar so the answer fits
    the step's tokens (``protocols.answer_bounds``); the loop validates the user's own type."""
    if request.answer_schema is None:
        return request
    return replace(request, answer_schema=fitted(request.answer_schema, request.max_tokens))
