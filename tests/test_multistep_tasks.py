"""The multi-step set of 100+ tasks (benchmarks/multistep_tasks.py): split, tools, checkers."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from bench_modules import BENCH, load

ms = load("multistep_tasks", BENCH / "multistep_tasks.py")
peers = sys.modules["tasks"]
TASK = {task.prompt: task for task in ms.TASKS}


def test_at_least_100_tasks_with_the_peers_20_first_in_order() -> None:
    assert len(ms.TASKS) >= 100
    assert len(TASK) == len(ms.TASKS), "prompts are unique"
    assert [t.prompt for t in ms.TASKS[:20]] == [t.prompt for t in peers.TASKS]
    assert [t.expected for t in ms.TASKS[:20]] == [t.expected for t in peers.TASKS]
    assert {t.kind for t in ms.TASKS[20:]} == {"chain", "file", "no_tool"}
    assert sum(t.kind != "one_tool" for t in ms.TASKS) >= 80


def test_split_is_the_prompts_sha256_first_byte() -> None:
    for task in ms.TASKS:
        odd = hashlib.sha256(task.prompt.encode()).digest()[0] % 2 == 1
        assert task.half == ("report" if odd else "tuning")
    assert ms.select("all") == ms.TASKS
    assert len(ms.select("tuning")) + len(ms.select("report")) == len(ms.TASKS)
    for kind in ms.KINDS:
        halves = {t.half for t in ms.TASKS if t.kind == kind}
        assert halves == {"tuning", "report"}, kind
    assert TASK["What is the weather in Paris?"].half == "report"
    assert TASK["Compute 1024 / 16."].half == "tuning"


def test_every_task_names_known_tools_and_can_be_checked() -> None:
    for task in ms.TASKS:
        assert task.tools, task.prompt
        assert set(task.tools) <= set(ms.ALL_TOOLS), task.prompt
        assert task.expected or task.written is not None, task.prompt
        if task.written is not None or task.files:
            assert set(task.tools) & set(ms.FILE_TOOLS), task.prompt


@pytest.mark.parametrize(
    ("prompt", "right", "wrong"),
    [
        ("How much warmer is Cairo than Oslo?", "Cairo is 30 degrees warmer.", "It is 300 warmer."),
        ("How much warmer is Cairo than Oslo?", "30.0", "34 °C and 4 °C"),
        ("What is the temperature in Paris in Fahrenheit?", "It is 64.4 °F.", "64 °F"),
        ("What is the temperature in Paris in Fahrenheit?", "64.40", "64.45"),
        ("What is the average temperature of Cairo and Oslo?", "19", "19.5"),
        ("What is the temperature in Tokyo squared?", "529", "23"),
        ("Read pin.txt and tell me the PIN.", "The PIN is 4821.", "48210"),
        ("How many files are in the current directory?", "There are three.", "13 files"),
        ("What is the capital of Spain?", "Madrid.", "Barcelona"),
        ("How many hours are in a day?", "twenty-four", "240"),
        ("What is the plural of mouse?", "mice", "mouses"),
        ("Read city.txt and tell me the weather in that city.", "Cairo: 34 °C, clear", "34 °F"),
    ],
)
def test_answers_are_checked_as_whole_tokens(prompt: str, right: str, wrong: str) -> None:
    task = TASK[prompt]
    assert ms.is_correct(task, right)
    assert not ms.is_correct(task, wrong)
    assert not ms.is_correct(task, None)


def test_chain_answers_follow_the_weather_table() -> None:
    cairo, oslo = peers.WEATHER["cairo"][0], peers.WEATHER["oslo"][0]
    assert ms.is_correct(TASK["How much warmer is Cairo than Oslo?"], str(cairo - oslo))
    fahrenheit = peers.calculator(f"{peers.WEATHER['tokyo'][0]} * 9 / 5 + 32")
    assert ms.is_correct(TASK["Convert the temperature in Tokyo to Fahrenheit."], fahrenheit)
    for task in ms.TASKS:
        if task.kind == "chain":
            assert task.tools == ms.WEATHER_TOOLS


def test_written_files_must_hold_the_text(tmp_path: Path) -> None:
    task = TASK["Write the word apple to the file fruit.txt."]
    assert not ms.is_correct(task, "Done.", tmp_path)
    (tmp_path / "fruit.txt").write_text("an apple\n")
    assert not ms.is_correct(task, "Done.", tmp_path)
    (tmp_path / "fruit.txt").write_text("Apple\n")
    assert ms.is_correct(task, None, tmp_path)
    weather = TASK["Look up the weather in Tokyo and write the temperature to tokyo.txt."]
    (tmp_path / "tokyo.txt").write_text("23\n")
    assert ms.is_correct(weather, "", tmp_path)
    (tmp_path / "tokyo.txt").write_text("Tokyo: 23 °C, sunny")
    assert not ms.is_correct(weather, "", tmp_path)
