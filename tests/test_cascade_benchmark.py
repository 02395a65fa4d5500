"""``benchmarks/cascade.py``: its report names the decoding tier 1 ran under, as each record
keeps it (the default decoding is not greedy)."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from autan.models.decoding import parse_decode
from autan.models.llama import LlamaModel
from autan.testing import ScriptedModel
from bench_modules import BENCH, load


@pytest.fixture(scope="module")
def cascade() -> ModuleType:
    return load("cascade_benchmark", BENCH / "cascade.py")


def record(**extra: object) -> dict[str, object]:
    return {
        "set": "multi-step",
        "id": "ms-0",
        "tier1_correct": False,
        "tier1_outcome": "escalated",
        "tier1_reason": "verifier",
        "tier1_seconds": 1.0,
        "escalated": True,
        "verifier": "grounded",
        "tier1_verdicts": {"failures_only": True},
        "tier1_verdicts_names": ["failures_only"],
        "cascade_correct": True,
        "cascade_cost_usd": 0.0001,
        "cascade_seconds": 1.1,
        "oracle_correct": True,
        "oracle_cost_usd": 0.0001,
        "oracle_seconds": 0.01,
        **extra,
    }


def test_a_record_names_the_embedded_model_s_decoding(cascade: ModuleType) -> None:
    embedded = LlamaModel(Path("unused.gguf"), "local")  # loads on first use, never here
    assert cascade.decoding(embedded) == (",".join(parse_decode(None)) or "greedy")
    greedy = LlamaModel(Path("unused.gguf"), "local", decode="greedy")
    assert cascade.decoding(greedy) == "greedy"
    assert cascade.decoding(ScriptedModel(["x"])) == "greedy"


def test_the_report_says_which_decoding_tier_1_ran_under(
    cascade: ModuleType, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    rows = [record(tier1_decode="another-call,relevance"), record(id="ms-1")]
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    shown = cascade.report(out)
    assert (
        "| tier 1 alone (embedded SmolLM2-135M, decoding another-call,relevance / not recorded) |"
        in shown
    )
    assert "greedy" not in shown
