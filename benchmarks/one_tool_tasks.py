"""Simple one-tool tasks for measuring whether an agent finishes with a correct answer.

Each task is solved by one call of a built-in tool. ``expected`` must appear in the final answer
as a whole number or word; ``files`` are created in a fresh workspace before the run;
``written`` checks a file the agent must write.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Task:
    prompt: str
    expected: str
    files: dict[str, str] = field(default_factory=dict)
    written: tuple[str, str] | None = None


README_TASK = Task("What is 37 * 91?", "3367")

TASKS: list[Task] = [
    README_TASK,
    Task("What is 125 + 389?", "514"),
    Task("Compute 1024 / 16.", "64"),
    Task("What is 999 - 123?", "876"),
    Task("What is 15 * 15?", "225"),
    Task("What is 2 ** 16?", "65536"),
    Task("What is 7 * 8 * 9?", "504"),
    Task("Calculate 4567 + 1234.", "5801"),
    Task("What is 100 / 8?", "12.5"),
    Task("What is (12 + 8) * 3?", "60"),
    Task("What is 81 % 7?", "4"),
    Task("How much is 250 times 4?", "1000"),
    Task("What is 12345 - 6789?", "5556"),
    Task("What is 64 * 64?", "4096"),
    Task("Add 17 and 29.", "46"),
    Task("What is 3 * 3 * 3 * 3?", "81"),
    Task(
        "Read the file code.txt and tell me the code.",
        "4821",
        files={"code.txt": "4821"},
    ),
    Task(
        "What is written in greeting.txt?",
        "bonjour",
        files={"greeting.txt": "bonjour"},
    ),
    Task(
        "List the files in the workspace directory.",
        "report.md",
        files={"report.md": "# report"},
    ),
    Task(
        "Write the text done to the file status.txt.",
        "",
        written=("status.txt", "done"),
    ),
    Task("What is 48 / 6?", "8"),
]
