"""Decoding strategies of the embedded backend (``--decode``), and their decision logic.

The default (``--decode default``, or no flag) is ``DEFAULT_DECODE``: main's prompt and grammar,
byte for byte (tests/test_greedy_identity.py), decoded greedily except where a strategy of
``DEFAULT_DECODE`` decides; ``--decode greedy`` is main's decoding, one greedy generation under
the step's whole grammar. Greedy decoding lets the first token decide everything: whether
to call at all, which tool, whether to call again. Each strategy replaces one such token by a
comparison of log-probabilities over the shared, cached prompt (``Scores``, from llama.cpp's KV
cache):

- ``text-answer``: the reply format asks for the answer in plain words
  (``constrained.TEXT_REPLY_FORMAT``) and the grammar takes plain text that does not begin like
  a call, instead of ``{"result": "TEXT"}``. ``likelihood`` and ``function-first`` decode a
  step part by part around that text branch, so each of them brings ``text-answer`` with it.

- ``likelihood``: call or answer? The mass of the tokens that open a call against the mass of
  every other first token, with a margin (chosen on calibration data, BENCHMARKS.md).
- ``function-first``: which tool? Each offered name ranked by log P(the call's opening with
  that name); then only that tool's arguments are decoded, under that tool's grammar alone.
- ``another-call``: after each call, one more call (a new line opening a call) against the end
  of the reply, instead of the grammar's greedy path (parallel calls). Greedy compares the
  newline with the end, and a newline the model meant for prose becomes, under the grammar, a
  second call the task never asked for (the README's ``lookup("CET")`` after ``convert``).
  Works with the JSON answer as well as with ``text-answer``; on by default.
- ``relevance``: when no offered tool shares a content word with the task
  (``protocols.relevance``, lexical, no model), the step is asked as plain chat, no tools shown
  and no grammar, so a question that needs no tool gets the answer the model gives in plain
  chat, not a copied ``TEXT`` placeholder or an invented call. On by default.
- ``grounded``: a path parameter (its name says ``path`` or ``file``) takes, in the grammar
  only, one of the paths the task names (``notes.txt``, ``docs/``; a folder's parameter only
  the folders among them), and where none fits, a path with a default is left out (the tool
  uses ``"."``): the model neither invents ``read_file.txt`` nor ``current_dir``, nor lists
  ``motto.txt`` as a directory.
- ``best-fit``: the first call of a turn names one of the tools that share the most content
  words with the task (``protocols.relevance.best_fitting``, ties kept; all of them when none
  shares a word), in the grammar only: the prompt still shows every tool, and a later call of
  the same reply (parallel calls) or of a later step may name any. Among several offered
  functions SmolLM2-135M often calls the wrong one (BFCL ``multiple``), or ``calculator`` for
  "What is in the file name.txt?".
- ``bounded``: strings and arrays a tool did not bound get a bound in the grammar (arguments
  are still validated against the tool's own schema), so a value that never closes stops early.
- ``refit``: a call that ran to the step's token limit, which would be cut before it closes
  and so be an invalid call, is generated again in its place, once, under its call schema with
  every free string and array given one shared bound so that its longest value fits the tokens
  it had (``protocols.answer_bounds.fitted_value``, as typed answers are fitted; a value of any
  type narrowed to a string, numbers to 6 decimals): the second call closes, right or wrong. A
  schema no bound makes fit (an open object, a pattern) keeps the cut. Costs one more
  generation, only on such steps.
- ``chat-answer``: when a step after a tool result answers (a text answer, not a typed one), the
  answer is asked again as plain chat, no tools and no grammar, in one user turn: the task, then
  each call of the turn with what it returned (``answer_turn``). Under the
  grammar, after a result, SmolLM2-135M copies the nearest line of the observation (the
  untrusted-data note, or ``"is_dst": false`` as ``True``); asked as a question about the
  result, it answers from it (BENCHMARKS.md, issue 18). The chat answer is taken unless the
  grammar's answer quotes what the tools returned and the chat answer does not
  (``takes_chat_answer``): then the grammar's answer stands. No tool is
  offered in that turn, so the result's text cannot start a call there; chat markers stay
  defused.

Pure: the decisions take a ``Scores`` and do no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from autan.errors import ConfigurationError
from autan.messages import Message, ModelRequest, ToolCall, ToolSpec
from autan.protocols import CallFormat, JsonOutput, OutputConstraint
from autan.protocols.relevance import best_fitting, fitting
from autan.protocols.untrusted import defuse_markers

TEXT_ANSWER = "text-answer"
RELEVANCE = "relevance"
GROUNDED = "grounded"
CHAT_ANSWER = "chat-answer"
BEST_FIT = "best-fit"
REFIT = "refit"
STRATEGIES = (
    TEXT_ANSWER,
    "likelihood",
    "function-first",
    "another-call",
    "bounded",
    RELEVANCE,
    GROUNDED,
    CHAT_ANSWER,
    BEST_FIT,
    REFIT,
)
ANOTHER_CALL = "another-call"
NEEDS_TEXT_ANSWER = frozenset({"likelihood", "function-first"})
DEFAULT_DECODE: tuple[str, ...] = (ANOTHER_CALL, RELEVANCE, GROUNDED, CHAT_ANSWER, REFIT)
"""What ``--decode default`` (and no flag) means: the strategies that keep main's prompt and
decide one thing each where greedy went wrong, measured on the everyday set, the multi-step set
and ``finishing.py`` against session 5's default, ``another-call,relevance`` (BENCHMARKS.md,
issue 18); ``refit`` acts only on a call that would otherwise be cut, an invalid call. The
others stay opt-in: under ``likelihood`` the README example answers 21 without calling
``convert``; under ``best-fit`` the MCP time server's ``convert_time`` outranks
``get_current_time`` for "Get the current time in the Asia/Tokyo timezone." (its parameters'
description gives ``Asia/Tokyo`` as an example), and the run fails."""
GREEDY = "greedy"
ALL = "all"

CALL_MARGIN = 7.92
"""Call when log P(a call opens) + margin > log P(anything else opens). SmolLM2-135M rarely
puts much mass on the call's first token even where a call is right (log-odds -4 to -10): the
margin that decides best on the calibration data (the everyday tuning half and 42 entries of
BFCL's calibration half, ``benchmarks/calibrate_decode.py``: 58 of 68 right) is 7.92."""
MORE_MARGIN = 0.0
"""Call again when log P(another call opens) > log P(the reply ends) + margin."""
STRING_BOUND = 200
ARRAY_BOUND = 8


class Scores(Protocol):
    """Log-probabilities of continuations of one prompt."""

    def score(self, texts: Sequence[str]) -> list[float]:
        """log P(text | prompt) for each text."""
        ...

    def end_logprob(self, text: str) -> float:
        """log P(the reply ends right after ``text``)."""
        ...


def parse_decode(option: str | None) -> tuple[str, ...]:
    """The strategies an option names: ``default`` (or ``None``): ``DEFAULT_DECODE``; ``greedy``:
    none (main's decoding); ``all``:
    every one of ``STRATEGIES``; or a comma-separated list of them (``likelihood``,
    ``function-first`` bring ``text-answer`` with them)."""
    text = (option or "default").strip()
    if text == "default":
        return DEFAULT_DECODE
    if text == GREEDY:
        return ()
    if text == ALL:
        return STRATEGIES
    names = set(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(name for name in names if name not in STRATEGIES)
    if unknown or not names:
        accepted = ", ".join(("default", GREEDY, ALL, *STRATEGIES))
        raise ConfigurationError(
            f"unknown decoding strategy {', '.join(unknown) or text!r}; accepted: {accepted} "
            "(several joined by commas)"
        )
    if names & NEEDS_TEXT_ANSWER:
        names.add(TEXT_ANSWER)
    return tuple(name for name in STRATEGIES if name in names)


def names_strategies(option: str | None) -> bool:
    """Whether ``option`` asks for strategies beyond the default (servers take none)."""
    return (option or "default").strip() not in ("default", GREEDY)


def relevant(request: ModelRequest, strategies: tuple[str, ...]) -> ModelRequest:
    """``request`` as the ``relevance`` strategy asks it: without its tools when the task (the
    last user turn) shares no content word with any of them, before any call of that turn;
    as it is otherwise (and for ``required`` or ``none``)."""
    if RELEVANCE not in strategies or request.tool_choice != "auto" or not request.tools:
        return request
    start = _last_user(request.messages)
    if start is None or _called(request.messages[start:]):
        return request
    if fitting(request.messages[start].content, request.tools):
        return request
    return replace(request, tools=())


def first_call_tools(request: ModelRequest, strategies: tuple[str, ...]) -> tuple[ToolSpec, ...]:
    """The tools this step's first call may name: under ``best-fit``, before this turn's first
    call, those that share the most content words with the task (all where none shares any);
    every offered tool otherwise."""
    start = _last_user(request.messages)
    if BEST_FIT not in strategies or start is None or _called(request.messages[start:]):
        return request.tools
    return best_fitting(request.messages[start].content, request.tools) or request.tools


def _called(turn: Sequence[Message]) -> bool:
    return any(message.tool_calls for message in turn)


_PATH_NAME = re.compile(r"(?:^|_)(?:file_?)?(?:path|file|filename)(?:$|_)", re.IGNORECASE)
_NAMED_PATH = re.compile(
    r"(?<![\w/.-])(?:[\w-]+/)*[\w-]+(?:\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5}|/)(?![\w/])"
)


def ground(
    allowed: OutputConstraint, request: ModelRequest, strategies: tuple[str, ...]
) -> OutputConstraint:
    """``allowed`` with its path parameters grounded in the task (``grounded``), if asked."""
    if GROUNDED not in strategies or not isinstance(allowed, JsonOutput) or allowed.line is None:
        return allowed
    paths = task_paths(_task(request.messages))
    line = grounded(allowed.line, paths)
    return replace(allowed, schema=grounded(allowed.schema, paths), line=line)


def answer_turn(messages: tuple[Message, ...]) -> str | None:
    """The one user turn ``chat-answer`` asks the answer in: the task, then each call of this
    turn with what it returned (the result last, nearest the answer: asked after it once more,
    the task is what SmolLM2-135M copies); ``None`` when no tool has returned in this turn."""
    start = _last_user(messages)
    if start is None:
        return None
    turn = messages[start + 1 :]
    calls = {call.id: call for message in turn for call in message.tool_calls}
    results = [_returned(m, calls.get(m.tool_call_id or "")) for m in turn if m.role == "tool"]
    results = list(dict.fromkeys(results))  # a repeated call shown once
    if not results:
        return None
    task = messages[start].content.strip()
    return "\n\n".join([task, *results])


def takes_chat_answer(chat: str, grammar_answer: str, messages: tuple[Message, ...]) -> bool:
    """Whether ``chat-answer`` takes the chat answer over the grammar's: unless it is empty, or
    the grammar's answer quotes a result (``quotes_a_result``) and the chat answer does not.
    Free of the grammar SmolLM2-135M may "compute" 37 * 91 itself (2947) where the grammar's
    answer read the calculator's 3367; but where neither quotes, the grammar's answer is the
    untrusted-data note or the ``TEXT`` placeholder copied, never better than the chat's."""
    if not chat.strip():
        return False
    return quotes_a_result(chat, messages) or not quotes_a_result(grammar_answer, messages)


def quotes_a_result(answer: str, messages: tuple[Message, ...]) -> bool:
    """Whether ``answer`` holds, word for word, something a tool returned in this turn that the
    task and the calls did not already say: a line of a result, or a value of a JSON result
    (``Asia/Tokyo`` of the time server's result does not count where the task named it)."""
    text = answer.casefold()
    return any(_whole(value).search(text) for value in _new_values(messages))


def _whole(value: str) -> re.Pattern[str]:
    """``value`` standing whole in a text: not inside a longer word or number (the
    calculator's ``4`` is not quoted by "81 * 7 = 547", nor ``5`` by "0.5")."""
    return re.compile(rf"(?<![\w.]){re.escape(value)}(?![\w]|[.,]\d)")


def _new_values(messages: tuple[Message, ...]) -> list[str]:
    start = _last_user(messages)
    if start is None:
        return []
    turn = messages[start:]
    said = " ".join(
        [turn[0].content]
        + [json.dumps(c.arguments, ensure_ascii=False) for m in turn for c in m.tool_calls]
    ).casefold()
    values: list[str] = []
    for message in turn:
        if message.role == "tool":
            values += [line.strip() for line in message.content.splitlines()]
            values += _json_scalars(message.content)
    return [value.casefold() for value in values if value and value.casefold() not in said]


def _last_user(messages: tuple[Message, ...]) -> int | None:
    """The index of the last user turn: where this turn's task stands."""
    return next((i for i in reversed(range(len(messages))) if messages[i].role == "user"), None)


def _json_scalars(text: str) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    found: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += item.values()
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str | int | float) and not isinstance(item, bool) and str(item):
            found.append(str(item))
    return found


def _returned(result: Message, call: ToolCall | None) -> str:
    """A result as the chat turn shows it: a JSON object's fields as ``key: value`` lines,
    which name what they hold; any other result after the call that returned it. Shown the
    time server's JSON after ``get_current_time(timezone='Asia/Tokyo') returned:``,
    SmolLM2-135M explained Python's ``datetime`` module at 12 of 12 instants of a day; shown
    the lines alone, it quoted the time at 12 of 12 (``benchmarks/time_answer_probe.py``)."""
    fields = _object_fields(result.content)
    if fields is not None:
        return defuse_markers(fields)
    arguments = ", ".join(f"{k}={v!r}" for k, v in (call.arguments if call else {}).items())
    name = call.name if call else (result.name or "a tool")
    return f"{name}({arguments}) returned:\n{defuse_markers(result.content.strip())}"


def _object_fields(text: str) -> str | None:
    """``text``'s fields, one ``key: value`` line each, where it is a JSON object (a nested
    value as compact JSON); else ``None``."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not data:
        return None
    shown = (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in data.values())
    return "\n".join(f"{key}: {value}" for key, value in zip(data, shown, strict=True))


def _task(messages: tuple[Message, ...]) -> str:
    """The last user turn's text."""
    return next((m.content for m in reversed(messages) if m.role == "user"), "")


def task_paths(task: str) -> list[str]:
    """The paths a task names: ``notes.txt``, ``src/a.py``, ``docs/``, in order, once each."""
    return list(dict.fromkeys(_NAMED_PATH.findall(task)))


def grounded(schema: Any, paths: Sequence[str]) -> Any:
    """``schema`` (a step's, for the grammar only) with each string parameter named like a path
    held to ``paths`` (a folder's parameter to the folders among them: ``docs/``), or, if none
    fits and it has a default, left out."""
    if isinstance(schema, list):
        return [grounded(item, paths) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: grounded(value, paths) for key, value in schema.items()}
    properties = out.get("properties")
    if not isinstance(properties, dict):
        return out
    required = set(out.get("required", ()))
    kept = {}
    for name, value in properties.items():
        if not (
            _PATH_NAME.search(name) and isinstance(value, dict) and value.get("type") == "string"
        ):
            kept[name] = value
        elif fits := _fitting_paths(name, value, paths):
            kept[name] = {"type": "string", "enum": fits}
        elif "default" not in value or name in required:
            kept[name] = value
    return {**out, "properties": kept}


_FOLDER = re.compile(r"\b(?:dir|directory|folder)\b", re.IGNORECASE)


def _fitting_paths(name: str, parameter: dict[str, Any], paths: Sequence[str]) -> list[str]:
    """The task's paths a path parameter may take: a folder's parameter (its name or description
    says directory or folder) only the folders (``docs/``); any other, every path."""
    described = f"{name.replace('_', ' ')} {parameter.get('description', '')}"
    if _FOLDER.search(described):
        return [path for path in paths if path.endswith("/")]
    return list(paths)


def should_call(scores: Scores, form: CallFormat, margin: float = CALL_MARGIN) -> bool:
    """Whether a call opens the reply, by the mass of its first tokens against all others."""
    return call_log_odds(scores, form) + margin > 0


def call_log_odds(scores: Scores, form: CallFormat) -> float:
    """log P(a call opens the reply) - log P(anything else does)."""
    call = _log_sum(scores.score(form.starts))
    return call - _log_one_minus(call)


def rank_tools(scores: Scores, form: CallFormat, names: Sequence[str]) -> list[str]:
    """The offered names, most likely first: log P(the call's opening naming each)."""
    logprobs = scores.score([form.opening(name) for name in names])
    order = sorted(range(len(names)), key=lambda index: -logprobs[index])
    return [names[index] for index in order]


def another_call(scores: Scores, form: CallFormat, margin: float = MORE_MARGIN) -> bool:
    """At the end of a call (``scores`` continue the reply so far): whether one more call
    follows, against the reply ending there."""
    more = _log_sum(scores.score([form.separator + start for start in form.starts]))
    return more > scores.end_logprob("") + margin


def bounded(schema: Any) -> Any:
    """``schema`` with a ``maxLength`` on every free string and a ``maxItems`` on every array
    that has none (for the grammar only)."""
    if isinstance(schema, list):
        return [bounded(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: bounded(value) for key, value in schema.items()}
    kind = out.get("type")
    free = "enum" not in out and "const" not in out and "pattern" not in out
    if kind == "string" and free and "maxLength" not in out:
        out["maxLength"] = STRING_BOUND
    if kind == "array" and "maxItems" not in out:
        out["maxItems"] = ARRAY_BOUND
    return out


def _log_sum(values: Sequence[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(value - top) for value in values))


def _log_one_minus(logprob: float) -> float:
    mass = min(math.exp(logprob), 1.0 - 1e-12)
    return math.log1p(-mass)
