"""The multi-step task set of the peer comparison: its tools and its answer checker."""

from __future__ import annotations

import re

import pytest

from bench_modules import PEERS, load

tasks = load("tasks", PEERS / "tasks.py")
TASK = {task.prompt: task for task in tasks.TASKS}


@pytest.mark.parametrize(
    ("prompt", "answer", "correct"),
    [
        ("What is the weather in Paris?", "Paris: 18 °C, light rain", True),
        ("What is the weather in Paris?", "It is 18°C.", True),
        ("What is the weather in Paris?", "from 2°C to 10°C (36.6°F to 18°F)", False),
        ("What is the weather in Paris?", "Expect some rain.", False),
        ("What is 37 * 91?", "37 * 91 = 3367", True),
        ("What is 37 * 91?", "3,367", True),
        ("What is 37 * 91?", "33670", False),
        ("What is 37 * 91?", "13,367", False),
        ("What is 100 / 8?", "12.50", True),
        ("What is 100 / 8?", "112.5", False),
        ("What is 48 / 6?", "The answer is 8.", True),
        ("What is 48 / 6?", "8.0", True),
        ("What is 48 / 6?", "18", False),
        ("What is 48 / 6?", "8.5", False),
        ("What is 48 / 6?", "8,000", False),
        ("What is the current temperature in Oslo?", "4 degrees Celsius", True),
        ("What is the current temperature in Oslo?", "-4 °C", False),
        ("What is the temperature in Tokyo in degrees Celsius?", "23C", True),
        ("What is the temperature in Tokyo in degrees Celsius?", "23 °F", False),
        ("What is the weather like in Oslo?", "Snow.", True),
        ("What is the weather like in Oslo?", "It is snowing", False),
        ("What is 48 / 6?", None, False),
    ],
)
def test_answer_checker(prompt: str, answer: str | None, correct: bool) -> None:
    assert tasks.is_correct(TASK[prompt], answer) is correct


def test_every_task_is_solved_by_its_tool_output() -> None:
    outputs = [tasks.get_weather(city) for city in tasks.WEATHER]
    arithmetic = [re.search(r"[\d(][\d\s+\-*/()]*[\d)]", t.prompt) for t in tasks.TASKS]
    outputs += [tasks.calculator(found.group()) for found in arithmetic if found]
    unsolved = [t.prompt for t in tasks.TASKS if not any(tasks.is_correct(t, o) for o in outputs)]
    assert unsolved == []
    assert len(tasks.TASKS) >= 20


def test_tools_are_deterministic_and_safe() -> None:
    assert tasks.calculator("(12 + 8) * 3") == "60"
    assert tasks.calculator("100 / 8") == "12.5"
    assert tasks.calculator("__import__('os')").startswith("error")
    assert tasks.calculator("2 ** 100000").startswith("error")
    assert tasks.get_weather(" tokyo ") == "Tokyo: 23 °C, sunny"
    assert "Known cities" in tasks.get_weather("Atlantis")
