"""GSM8K: grade-school maths questions run through an ``Agent``, scored on the last number.

The gold answer is the number after ``####``; the agent's answer is the last number in its
final output; they pass when equal as numbers (``1,000`` = ``1000.0``). Tools mode offers the
``calculator`` tool; code mode offers none (Python does the arithmetic).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autan.bench._data import choose, json_lines
from autan.errors import AutanError, ConfigurationError, RunError
from autan.models.base import Model

if TYPE_CHECKING:
    from autan.result import RunResult

RESULT_KEYS = (
    "id",
    "category",
    "passed",
    "answer",
    "expected",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "model_calls",
    "tool_calls",
    "seconds",
)
MAX_STEPS = 4
"""Steps per question: a tool or code step or two, then the answer."""
INSTRUCTIONS = "Solve the maths problem. Give the final answer as a number."

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    expected: str


def load_questions(path: Path, limit: int | None = None, seed: int | None = None) -> list[Question]:
    """The questions of a GSM8K JSON-lines file (``question``, ``answer`` with ``#### N``), ids
    ``gsm8k-<line>``; ``limit`` of them: the first ones, or a sample drawn with ``seed``."""
    if not path.is_file():
        raise ConfigurationError(f"--data {str(path)!r} is not a file")
    questions = []
    for index, record in enumerate(json_lines(path)):
        gold = str(record.get("answer", "")).rsplit("####", 1)
        expected = last_number(gold[-1]) if len(gold) == 2 else None
        if not isinstance(record.get("question"), str) or expected is None:
            raise ConfigurationError(f"{path}: line {index + 1} is not a GSM8K record")
        questions.append(Question(f"gsm8k-{index}", record["question"], expected))
    return choose(questions, limit, seed)


def last_number(text: str) -> str | None:
    """The last number written in ``text``, without thousands separators."""
    found = _NUMBER.findall(text)
    return found[-1].replace(",", "").rstrip(".") if found else None


def same_number(answer: str | None, expected: str) -> bool:
    if answer is None:
        return False
    try:
        return Decimal(answer) == Decimal(expected)
    except InvalidOperation:
        return False


def run_question(
    model: Model, question: Question, actions: str
) -> tuple[dict[str, Any], str | None]:
    """The result record of one question, and the run's error if it ended without an answer."""
    from autan.agent import Agent
    from autan.limits import Limits
    from autan.tools.calculator import calculator

    code = actions == "code"
    agent = Agent(
        model,
        [] if code else [calculator],
        instructions=INSTRUCTIONS,
        limits=Limits(max_steps=MAX_STEPS),
        actions="code" if code else "tools",
    )
    started = time.perf_counter()
    error = None
    try:
        result = agent.run(question.question)
    except RunError as failure:
        if failure.result is None:
            raise
        result, error = failure.result, f"{type(failure).__name__}: {failure}"
    except AutanError as failure:
        return _record(question, actions, None, None, time.perf_counter() - started), str(failure)
    return _record(question, actions, result, result.output, time.perf_counter() - started), error


def _record(
    question: Question, actions: str, result: RunResult | None, output: str | None, seconds: float
) -> dict[str, Any]:
    answer = last_number(output) if output else None
    usage = result.usage if result is not None else None
    return {
        "id": question.id,
        "category": f"gsm8k-{actions}",
        "passed": same_number(answer, question.expected),
        "answer": answer,
        "expected": question.expected,
        "prompt_tokens": usage.prompt_tokens if usage else 0,
        "completion_tokens": usage.completion_tokens if usage else 0,
        "cached_tokens": usage.cached_tokens if usage else 0,
        "model_calls": result.model_calls if result is not None else 0,
        "tool_calls": result.tool_calls if result is not None else 0,
        "seconds": round(seconds, 4),
    }


def system_prompt_tokens(model: Model, actions: str) -> int | None:
    """Tokens of the system text the embedded model reads at every step (as its protocol
    renders it); ``None`` for other models (their tokenizers are not here)."""
    from autan.models.llama import LlamaModel
    from autan.protocols import CODE
    from autan.tools.calculator import calculator

    if not isinstance(model, LlamaModel):
        return None
    if actions == "code":
        return model.count_tokens(CODE.system_block(INSTRUCTIONS, ()))
    return model.count_tokens(model.protocol.system_block(INSTRUCTIONS, (calculator.spec,)))
