"""The embedded backend: a GGUF model run in-process by llama.cpp (llama-cpp-python).

The model loads once, on first use, and stays loaded. Prompts are append-only, so llama.cpp's
KV cache already holds every token of the previous step and only the new tokens are evaluated;
``cached_tokens`` in each response's usage counts the reused ones. Tool calls go through the
``constrained`` protocol (the output is forced by a grammar built from the tools' schemas), or,
when asked, the ``text`` protocol (Hermes ``<tool_call>`` tags, parsed, nothing forced); code
actions through the ``code`` protocol (one Python block, forced by a grammar).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from autan.errors import ConfigurationError, ContextLengthExceeded, ModelError
from autan.messages import ModelRequest, ModelResponse, Usage
from autan.models._bounds import Deadline
from autan.models.base import Model
from autan.models.context import DEFAULT_CONTEXT, check_context
from autan.protocols import (
    GrammarOutput,
    JsonOutput,
    OutputConstraint,
    ToolProtocol,
    for_request,
    named,
)
from autan.protocols.constrained import MAX_CALLS_PER_STEP


class LlamaModel(Model):
    """A GGUF file run by llama.cpp in this process. Not shared between threads at once."""

    def __init__(
        self,
        path: Path,
        name: str,
        n_ctx: int = DEFAULT_CONTEXT,
        seed: int = 0,
        tool_protocol: str = "constrained",
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
        self._llama: Any = None
        self._formatter: Any = None
        self._lock = threading.Lock()

    def complete(self, request: ModelRequest) -> ModelResponse:
        deadline = Deadline(request.timeout_seconds)  # the wait for the lock counts too
        with self._lock:
            return self._complete(request, deadline)

    def stream(self, request: ModelRequest) -> Iterator[str | ModelResponse]:
        deadline = Deadline(request.timeout_seconds)
        with self._lock:
            yield from self._stream(request, deadline)

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
        started = time.perf_counter()
        protocol = for_request(self.protocol, request)
        allowed = protocol.constraint(request.tools, request.tool_choice, request.answer_schema)
        llama, tokens, cached = self._prepare(request, protocol)
        stop = self._stops(llama, tokens, allowed, deadline)
        deadline.check(self.name)  # the prompt's evaluation cannot be stopped: not begun late
        output = _generate(llama, tokens, request, _grammar(allowed), stop=stop)
        deadline.check(self.name)
        text = output["choices"][0]["text"]
        usage = output["usage"]
        return self._response(
            text,
            Usage(usage["prompt_tokens"], usage["completion_tokens"], cached),
            time.perf_counter() - started,
            output["choices"][0].get("finish_reason") or "stop",
            request,
        )

    def _stream(self, request: ModelRequest, deadline: Deadline) -> Iterator[str | ModelResponse]:
        started = time.perf_counter()
        protocol = for_request(self.protocol, request)
        allowed = protocol.constraint(request.tools, request.tool_choice, request.answer_schema)
        llama, tokens, cached = self._prepare(request, protocol)
        pieces: list[str] = []
        finish = "stop"
        stop = self._stops(llama, tokens, allowed, deadline)
        grammar = _grammar(allowed)
        deadline.check(self.name)
        for chunk in _generate(llama, tokens, request, grammar, stream=True, stop=stop):
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
        with self._lock:
            return self._prompt(request, for_request(self.protocol, request))

    def _prompt(self, request: ModelRequest, protocol: ToolProtocol) -> str:
        self._load()
        messages = protocol.render_messages(request.messages, request.tools)
        return str(self._formatter(messages=messages).prompt)

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
                    n_threads=_usable_cpus(),
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
) -> Any:
    try:
        return llama.create_completion(
            tokens,
            max_tokens=request.max_tokens,
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


def _grammar(allowed: OutputConstraint) -> Any:
    """The llama.cpp grammar of what a step allows; ``None`` for free text."""
    if isinstance(allowed, GrammarOutput):
        return _gbnf_grammar(allowed.gbnf)
    if isinstance(allowed, JsonOutput):
        line = json.dumps(allowed.line) if allowed.line is not None else ""
        return _grammar_for(json.dumps(allowed.schema), line)
    return None


@lru_cache(maxsize=4)
def _gbnf_grammar(gbnf: str) -> Any:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(gbnf, verbose=False)


@lru_cache(maxsize=64)
def _grammar_for(one_json: str, call_json: str) -> Any:
    """The llama.cpp grammar of a reply: one value of schema ``one``, or up to
    ``MAX_CALLS_PER_STEP`` values of schema ``call``, one per line. Patterns llama.cpp cannot
    compile are dropped from the grammar, then the arguments of tools whose schemas it cannot
    express are loosened (arguments are still validated against them before any tool runs)."""
    from llama_cpp.llama_grammar import LlamaGrammar

    one, call = json.loads(one_json), json.loads(call_json) if call_json else None
    try:
        return LlamaGrammar.from_string(_gbnf(one, call), verbose=False)
    except Exception:
        pass
    one, call = _without_patterns(one), _without_patterns(call) if call else None
    try:
        return LlamaGrammar.from_string(_gbnf(one, call), verbose=False)
    except Exception:
        pass
    try:
        loose = _gbnf(_expressible(one), _expressible(call) if call else None)
        return LlamaGrammar.from_string(loose, verbose=False)
    except Exception as error:
        raise ModelError(f"cannot build a grammar from the tool schemas: {error}") from None


def _expressible(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the ``arguments`` of each call the grammar cannot express (``not``,
    ``if``, a remote ``$ref``: JSON Schema that a tool from a schema, such as an MCP tool, may
    use) loosened to any JSON object; those arguments are still validated before the call."""
    definitions = schema.get("$defs", {})

    def loosen(option: Any) -> Any:
        if not _is_call_schema(option):
            return option
        try:
            _gbnf({**option, "$defs": definitions} if definitions else option, None)
        except Exception:
            arguments = {"type": "object"}
            return {**option, "properties": {**option["properties"], "arguments": arguments}}
        return option

    if "anyOf" in schema:
        return {**schema, "anyOf": [loosen(option) for option in schema["anyOf"]]}
    return loosen(schema)  # type: ignore[no-any-return]


def _is_call_schema(option: Any) -> bool:
    return isinstance(option, dict) and "arguments" in option.get("properties", {})


def _gbnf(one: dict[str, Any], call: dict[str, Any] | None) -> str:
    from llama_cpp import llama_grammar

    untyped: Any = llama_grammar.SchemaConverter
    converter = untyped(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    one_rule = converter.visit(converter.resolve_refs(one, "one"), "one")
    if call is None:
        return f"{converter.format_grammar()}\nroot ::= {one_rule}"
    call_rule = converter.visit(converter.resolve_refs(call, "call"), "call")
    more = MAX_CALLS_PER_STEP - 1
    root = f'root ::= {one_rule} | {call_rule} ("\\n" {call_rule}){{1,{more}}}'
    return f"{converter.format_grammar()}\n{root}"


def _without_patterns(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_patterns(v) for k, v in node.items() if k != "pattern"}
    if isinstance(node, list):
        return [_without_patterns(item) for item in node]
    return node


def _usable_cpus() -> int:
    """The CPUs this process may run on (``taskset``, cgroup cpusets), not all the machine's:
    llama.cpp threads beyond them only wait on each other."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
