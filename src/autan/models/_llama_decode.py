"""A tools step decoded part by part (``--decode``): call or answer, which tool, its arguments,
another call or the end; each choice by ``decoding``'s rules over llama.cpp's scores, each
part generated under its own grammar. Without a strategy for a choice, the choice is what
greedy decoding under the whole grammar would take (the most likely next token).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from autan.messages import ToolSpec
from autan.models import decoding
from autan.models._llama_grammar import (
    arguments_grammar,
    calls_grammar,
    grammar,
    text_grammar,
    value_grammar,
)
from autan.models._llama_scores import LlamaScores
from autan.protocols import CallFormat, JsonOutput, OutputConstraint
from autan.protocols.answer_bounds import fitted_value
from autan.protocols.constrained import MAX_CALLS_PER_STEP

Generate = Callable[[list[int], Any], tuple[str, str]]
"""Generate after these tokens under this grammar (within ``Budget.left`` tokens): the text
and the finish reason."""


@dataclass
class Budget:
    """A step's completion tokens: what each generated part spent, and what is left."""

    total: int
    spent: list[int] = field(default_factory=list)
    given_back: int = 0
    """Tokens generated, then given back (a cut part ``refit`` replaced): no part of the reply,
    but generated all the same, so counted in the step's completion tokens."""

    def left(self) -> int:
        return max(self.total - sum(self.spent), 1)

    def left_without_last(self) -> int:
        """What would be left if the last part were given back (``refit``)."""
        return max(self.total - sum(self.spent[:-1]), 1)

    def give_back_last(self) -> None:
        self.given_back += self.spent.pop()


class StepDecoder:
    """One step: ``decode(prompt)`` gives the reply's text and finish reason."""

    def __init__(
        self,
        llama: Any,
        allowed: OutputConstraint,
        tools: tuple[ToolSpec, ...],
        strategies: tuple[str, ...],
        generate: Generate,
        budget: Budget,
        first: tuple[OutputConstraint, tuple[str, ...]] | None = None,
    ) -> None:
        self._llama = llama
        self._allowed = allowed
        self._line = allowed.line if isinstance(allowed, JsonOutput) else None
        self._tools = {spec.name: spec for spec in tools}
        self._first, self._first_names = first or (allowed, tuple(self._tools))
        """The first value's constraint and tools: ``allowed``'s, or fewer (``best-fit``)."""
        self._first_line = self._first.line if isinstance(self._first, JsonOutput) else None
        self._use = frozenset(strategies)
        self._generate = generate
        self._budget = budget
        self._bound = "bounded" in self._use

    def decode(self, prompt: list[int]) -> tuple[str, str]:
        allowed = self._allowed
        if not isinstance(allowed, JsonOutput) or allowed.calls is None or not self._tools:
            return self._generate(prompt, grammar(allowed, self._bound))
        form = allowed.calls
        if not allowed.text_answer:
            return self._json_step(prompt, allowed, form)
        if not self._decide(prompt, form):
            return self._generate(prompt, text_grammar())
        return self._calls(prompt, form)

    def _json_step(
        self, prompt: list[int], allowed: JsonOutput, form: CallFormat
    ) -> tuple[str, str]:
        """The JSON answer kept: one value of the step's schema (a call or the answer), then,
        if it was a call and the step allows several, more calls as ``another-call`` decides."""
        opening = self._first if isinstance(self._first, JsonOutput) else allowed
        call = opening.line or opening.schema  # a cut value that opened a call is refit as one

        def one_value(schema: dict[str, Any]) -> Any:
            return value_grammar(replace(opening, schema=schema), self._bound)

        def refit(part: tuple[str, str]) -> tuple[str, str]:
            return self._refit(prompt, part, call, one_value) if form.is_call(part[0]) else part

        if "another-call" not in self._use or allowed.line is None:
            return refit(self._generate(prompt, grammar(opening, self._bound)))
        first, finish = refit(self._generate(prompt, one_value(opening.schema)))
        if finish == "length" or not form.is_call(first):
            return first, finish
        return self._more_calls(prompt, first, form)

    def _refit(
        self,
        here: list[int],
        part: tuple[str, str],
        schema: dict[str, Any],
        grammar_of: Callable[[dict[str, Any]], Any],
        reserve: int = 0,
    ) -> tuple[str, str]:
        """``part`` (a text and its finish reason), or, where it ran to the token limit and
        ``refit`` is on, generated again in its place under ``schema`` fitted to the tokens it
        had, less ``reserve`` (``answer_bounds.fitted_value``): a value that fits is not cut."""
        if part[1] != "length" or "refit" not in self._use:
            return part
        fitted = fitted_value(schema, self._budget.left_without_last() - reserve)
        if fitted is schema:
            return part  # no bound makes it fit (an open object, a pattern): the cut stands
        self._budget.give_back_last()
        return self._generate(here, grammar_of(fitted))

    def _decide(self, prompt: list[int], form: CallFormat) -> bool:
        scores = LlamaScores(self._llama, prompt)
        try:
            if "likelihood" in self._use:
                return decoding.should_call(scores, form)
            return scores.top_text().startswith(form.starts[0])
        finally:
            scores.release()

    def _calls(self, prompt: list[int], form: CallFormat) -> tuple[str, str]:
        if "function-first" not in self._use and "another-call" not in self._use:
            return self._generate(prompt, self._calls_grammar())
        first, finish = self._one_call(prompt, "", form)
        if finish == "length":
            return first, finish
        return self._more_calls(prompt, first, form)

    def _more_calls(self, prompt: list[int], text: str, form: CallFormat) -> tuple[str, str]:
        """``text`` (the reply's calls so far), then each further call ``_more`` asks for."""
        finish = "stop"
        for _ in range(MAX_CALLS_PER_STEP - 1):
            if not self._more(prompt, text, form):
                break
            head = text + form.separator
            call, finish = self._one_call(prompt, head, form)
            text = head + call
            if finish == "length":
                break
        return text, finish

    def _one_call(self, prompt: list[int], head: str, form: CallFormat) -> tuple[str, str]:
        here = prompt + self._tokens(head)
        line = (self._line if head else self._first_line) or {}
        if "function-first" not in self._use:

            def call_line(schema: dict[str, Any]) -> Any:
                return calls_grammar(schema, self._bound, 1)

            return self._refit(here, self._generate(here, call_line(line)), line, call_line)
        names = list(self._tools) if head else list(self._first_names)
        scores = LlamaScores(self._llama, here)
        try:
            name = decoding.rank_tools(scores, form, names)[0]
        finally:
            scores.release()
        opening = form.opening(name)
        parameters = self._tools[name].parameters

        def arguments(schema: dict[str, Any]) -> Any:
            return arguments_grammar(schema, form.closing, self._bound)

        after = here + self._tokens(opening)
        cut = self._generate(after, arguments(parameters))
        out, finish = self._refit(after, cut, parameters, arguments, len(form.closing))
        return opening + out, finish

    def _more(self, prompt: list[int], text: str, form: CallFormat) -> bool:
        scores = LlamaScores(self._llama, prompt + self._tokens(text))
        try:
            if "another-call" in self._use:
                return decoding.another_call(scores, form)
            return scores.top_text().startswith(form.separator)
        finally:
            scores.release()

    def _calls_grammar(self) -> Any:
        return calls_grammar(self._first_line or {}, self._bound, MAX_CALLS_PER_STEP)

    def _tokens(self, text: str) -> list[int]:
        if not text:
            return []
        return list(self._llama.tokenize(text.encode(), add_bos=False, special=False))
