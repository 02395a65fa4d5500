"""The everyday set's checker (benchmarks/everyday.py): an accepted answer is a whole word or
number of the reply. No model."""

from __future__ import annotations

from bench_modules import BENCH, load

load("everyday_tasks", BENCH / "everyday_tasks.py")
everyday = load("everyday", BENCH / "everyday.py")
TASKS = {task.prompt: task for task in everyday.TASKS}


def test_a_number_is_accepted_whole_not_inside_a_decimal() -> None:
    quarter = TASKS["What is twenty divided by four?"]
    assert everyday.correct(quarter, "Twenty divided by four is 5.", None)
    assert everyday.correct(quarter, "It is five", None)
    assert not everyday.correct(quarter, "The result of 2 / 4 is 0.5.", None)
    assert not everyday.correct(quarter, "5.5", None)
    assert not everyday.correct(quarter, "25", None)


def test_a_word_is_accepted_whole() -> None:
    ocean = TASKS["What is the largest ocean on Earth?"]
    assert everyday.correct(ocean, "The Pacific Ocean.", None)
    assert not everyday.correct(ocean, "Pacifica", None)
