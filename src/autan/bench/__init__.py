"""The benchmark harness: BFCL entries, their tools as autan ToolSpecs, and BFCL's AST scoring.

Nothing here is imported by ``import autan``; ``autan bench`` loads it on use.
"""

from __future__ import annotations

from autan.bench._data import Entry, available_categories, load_entries
from autan.bench._gsm8k import load_questions, run_question, system_prompt_tokens
from autan.bench._plot import can_plot, write_plot
from autan.bench._report import summarise, write_summary
from autan.bench._results import read_results
from autan.bench._runner import RunOne, run_bench
from autan.bench._schema import tool_specs
from autan.bench._score import score
from autan.bench._step import run_entry

__all__ = [
    "Entry",
    "RunOne",
    "available_categories",
    "can_plot",
    "load_entries",
    "load_questions",
    "read_results",
    "run_bench",
    "run_entry",
    "run_question",
    "score",
    "summarise",
    "system_prompt_tokens",
    "tool_specs",
    "write_plot",
    "write_summary",
]
