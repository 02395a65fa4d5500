"""Everyday tasks a newcomer gives ``autan run`` with the built-in tools (issue 18).

Kinds: ``fact``, ``greeting``, ``definition``, ``french`` (no tool needed), ``words``
(arithmetic said in words), ``read``, ``list``, ``write`` (files in a fresh workspace), ``two_step``
(two tool calls). An answer is correct when it holds one of ``accept`` as a whole word (case
ignored); a ``write`` task when the file holds ``written``'s text. The split is fixed: a task is
in the report half when the first byte of the SHA-256 of its prompt is odd, else in the tuning
half; change no prompt to move a task.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

NO_TOOL_KINDS = frozenset({"fact", "greeting", "definition", "french"})


@dataclass(frozen=True)
class Everyday:
    kind: str
    prompt: str
    accept: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    written: tuple[str, str] | None = None

    @property
    def half(self) -> str:
        return "report" if hashlib.sha256(self.prompt.encode()).digest()[0] % 2 else "tuning"

    @property
    def needs_tool(self) -> bool:
        return self.kind not in NO_TOOL_KINDS


def _t(kind: str, prompt: str, *accept: str, **extra: object) -> Everyday:
    return Everyday(kind, prompt, accept, **extra)  # type: ignore[arg-type]


_NOTES = "buy milk\ncall the bank\nwater the plants\n"
_PLANETS = "Mercury\nVenus\nEarth\nMars\n"

TASKS: list[Everyday] = [
    _t("fact", "What is the capital of France?", "Paris"),
    _t("fact", "What is the capital of Italy?", "Rome"),
    _t("fact", "What is the capital of Japan?", "Tokyo"),
    _t("fact", "What is the capital of Germany?", "Berlin"),
    _t("fact", "How many days are in a week?", "7", "seven"),
    _t("fact", "How many legs does a spider have?", "8", "eight"),
    _t("fact", "What color is the sky on a clear day?", "blue"),
    _t("fact", "What color is grass?", "green"),
    _t("fact", "Is ice hot or cold?", "cold"),
    _t("fact", "What do bees make?", "honey"),
    _t("fact", "Which animal says moo?", "cow", "cows"),
    _t("fact", "What is the largest ocean on Earth?", "Pacific"),
    _t("fact", "How many months are in a year?", "12", "twelve"),
    _t("fact", "What planet do we live on?", "Earth"),
    _t("greeting", "Say hello in one short sentence.", "hello", "hi"),
    _t("greeting", "Hi! How are you?", "good", "fine", "well", "great", "hello", "hi"),
    _t("greeting", "Good morning!", "morning", "hello", "hi"),
    _t("greeting", "Thank you for your help.", "welcome", "pleasure", "glad"),
    _t("greeting", "Please greet me politely.", "hello", "hi", "good", "greetings"),
    _t("definition", "What is a noun? Answer in one sentence.", "word", "person", "thing"),
    _t("definition", "What is water made of?", "hydrogen", "oxygen", "H2O"),
    _t("definition", "What is a triangle?", "three", "3", "sides", "shape"),
    _t("definition", "What is a dog?", "animal", "pet", "mammal"),
    _t("definition", "What does a thermometer measure?", "temperature"),
    _t("definition", "What is the opposite of hot?", "cold"),
    _t("french", "Translate 'hello' into French.", "bonjour", "salut"),
    _t("french", "What is 'thank you' in French?", "merci"),
    _t("french", "How do you say 'cat' in French?", "chat"),
    _t("french", "Translate 'yes' into French.", "oui"),
    _t("french", "What is the French word for 'water'?", "eau"),
    _t("words", "What is twelve plus thirty?", "42", "forty-two"),
    _t("words", "What is seven times eight?", "56", "fifty-six"),
    _t("words", "How much is one hundred minus one?", "99", "ninety-nine"),
    _t("words", "What is nine times nine?", "81", "eighty-one"),
    _t("words", "What is twenty divided by four?", "5", "five"),
    _t("words", "What do you get if you add 15 and 27?", "42"),
    _t("words", "Multiply 6 by 7.", "42"),
    _t("words", "What is half of 50?", "25", "twenty-five"),
    _t("words", "Subtract 8 from 20.", "12", "twelve"),
    _t("words", "What is three squared?", "9", "nine"),
    _t(
        "read",
        "Read notes.txt and tell me its second line.",
        "call the bank",
        files={"notes.txt": _NOTES},
    ),
    _t("read", "What is written in motto.txt?", "carpe diem", files={"motto.txt": "carpe diem\n"}),
    _t(
        "read", "Read the file code.txt and tell me the code.", "7319", files={"code.txt": "7319\n"}
    ),
    _t("read", "What is in the file name.txt?", "Alice", files={"name.txt": "Alice\n"}),
    _t("read", "Show me the contents of todo.txt.", "laundry", files={"todo.txt": "laundry\n"}),
    _t(
        "read",
        "Which planet is listed third in planets.txt?",
        "Earth",
        files={"planets.txt": _PLANETS},
    ),
    _t(
        "list",
        "Which files are in the current directory?",
        "report.md",
        files={"report.md": "# r\n"},
    ),
    _t("list", "List the files in the workspace.", "data.csv", files={"data.csv": "a,b\n"}),
    _t("list", "What files do I have here?", "photo.txt", files={"photo.txt": "x\n"}),
    _t(
        "list",
        "Is there a file called budget.txt here?",
        "yes",
        "budget.txt",
        files={"budget.txt": "1\n"},
    ),
    _t(
        "list",
        "How many files are in this folder?",
        "2",
        "two",
        files={"a.txt": "a\n", "b.txt": "b\n"},
    ),
    _t("write", "Write the text done to the file status.txt.", written=("status.txt", "done")),
    _t("write", "Create a file hello.txt containing hi.", written=("hello.txt", "hi")),
    _t("write", "Save the word banana in fruit.txt.", written=("fruit.txt", "banana")),
    _t("write", "Put the number 42 in answer.txt.", written=("answer.txt", "42")),
    _t("write", "Write ok into result.txt.", written=("result.txt", "ok")),
    _t(
        "two_step",
        "Read price.txt and add 5 to the number in it.",
        "25",
        files={"price.txt": "20\n"},
    ),
    _t(
        "two_step",
        "Read a.txt and write its content to b.txt.",
        written=("b.txt", "lemon"),
        files={"a.txt": "lemon\n"},
    ),
    _t("two_step", "What is 6 * 7? Write the result to out.txt.", written=("out.txt", "42")),
    _t("two_step", "Read n.txt and multiply the number by 3.", "30", files={"n.txt": "10\n"}),
    _t("two_step", "List the files, then read the only one.", "kiwi", files={"only.txt": "kiwi\n"}),
    _t(
        "two_step",
        "Read x.txt and y.txt and add the two numbers.",
        "7",
        files={"x.txt": "3\n", "y.txt": "4\n"},
    ),
    _t("two_step", "Compute 100 - 58 and save it in diff.txt.", written=("diff.txt", "42")),
]
