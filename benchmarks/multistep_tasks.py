"""The multi-step set, 100+ tasks (issue 18): the peers' 20, two-tool chains, files, no tool.

Kinds: ``one_tool`` (the 20 tasks of ``peers/tasks.py``, first and in their order, so the peer
tables stay comparable; peers keep running those 20 alone), ``chain`` (two tool calls: a weather
lookup, then arithmetic on its value, or two lookups and a difference), ``file`` (read, list or
write in a fresh workspace holding ``files``), ``no_tool`` (facts and greetings: a tool call is not
needed). Each task names the tools it is offered (``tools``): ``get_weather`` and ``calculator``
from ``peers/tasks.py``, ``list_dir``, ``read_file``, ``write_file`` from
``autan.tools.builtin``'s file tools.

A task is correct when its answer holds one of ``expected`` (regular expressions built with
``peers/tasks.py``'s ``number``, ``celsius``, ``word``: numbers as whole tokens) and, for a task
with ``written``, when that file exists and its content, stripped, is that text (case ignored).
The split is fixed: a task is in the report half when the first byte of the SHA-256 of its
prompt is odd, else in the tuning half; change no prompt to move a task.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))

import tasks as peer_tasks
from tasks import WEATHER, celsius, number, word

WEATHER_TOOLS = ("get_weather", "calculator")
FILE_TOOLS = ("list_dir", "read_file", "write_file")
ALL_TOOLS = WEATHER_TOOLS + FILE_TOOLS
KINDS = ("one_tool", "chain", "file", "no_tool")


@dataclass(frozen=True)
class MultiTask:
    kind: str
    prompt: str
    expected: tuple[str, ...]
    """Regular expressions (case ignored); the answer must hold one (none: only ``written``)."""
    tools: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    written: tuple[str, str] | None = None
    """(file name, content): the file the run must leave in the workspace."""

    @property
    def half(self) -> str:
        return "report" if hashlib.sha256(self.prompt.encode()).digest()[0] % 2 else "tuning"


def is_correct(task: MultiTask, answer: str | None, workspace: Path | None = None) -> bool:
    if task.written is not None:
        name, content = task.written
        target = (workspace or Path(".")) / name
        if not target.is_file() or target.read_text().strip().lower() != content.lower():
            return False
    if not task.expected:
        return task.written is not None
    return bool(answer) and any(
        re.search(pattern, answer or "", re.IGNORECASE) for pattern in task.expected
    )


def _c(city: str) -> int:
    return WEATHER[city.lower()][0]


def _f(city: str) -> str:
    """The Fahrenheit value of a city's temperature, as the calculator prints it."""
    value = _c(city) * 9 / 5 + 32
    return str(int(value)) if value.is_integer() else str(round(value, 1))


def _chain(prompt: str, *expected: str) -> MultiTask:
    return MultiTask("chain", prompt, expected, WEATHER_TOOLS)


def _file(
    prompt: str,
    *expected: str,
    files: dict[str, str] | None = None,
    written: tuple[str, str] | None = None,
    tools: tuple[str, ...] = FILE_TOOLS,
) -> MultiTask:
    return MultiTask("file", prompt, expected, tools, files or {}, written)


def _none(prompt: str, *accept: str) -> MultiTask:
    return MultiTask("no_tool", prompt, tuple(word(a) for a in accept), ALL_TOOLS)


ONE_TOOL = [
    MultiTask("one_tool", task.prompt, task.expected, WEATHER_TOOLS) for task in peer_tasks.TASKS
]

CHAINS = [
    _chain("How much warmer is Cairo than Oslo?", number(str(_c("cairo") - _c("oslo")))),
    _chain("How much warmer is Tokyo than London?", number(str(_c("tokyo") - _c("london")))),
    _chain("How much colder is Oslo than Paris?", number(str(_c("paris") - _c("oslo")))),
    _chain("How much warmer is Sydney than Lima?", number(str(_c("sydney") - _c("lima")))),
    _chain("How much colder is London than Cairo?", number(str(_c("cairo") - _c("london")))),
    _chain(
        "What is the temperature difference between Paris and Tokyo?",
        number(str(_c("tokyo") - _c("paris"))),
    ),
    _chain(
        "What is the difference in degrees between Sydney and Oslo?",
        number(str(_c("sydney") - _c("oslo"))),
    ),
    _chain(
        "What is the sum of the temperatures in Paris and London?",
        number(str(_c("paris") + _c("london"))),
    ),
    _chain(
        "Add the temperatures of Tokyo and Lima together.", number(str(_c("tokyo") + _c("lima")))
    ),
    _chain(
        "What is the average temperature of Cairo and Oslo?",
        number(str((_c("cairo") + _c("oslo")) // 2)),
    ),
    _chain("What is the temperature in Paris in Fahrenheit?", number(_f("paris"))),
    _chain("Convert the temperature in Tokyo to Fahrenheit.", number(_f("tokyo"))),
    _chain("How warm is Cairo in degrees Fahrenheit?", number(_f("cairo"))),
    _chain("What is the Oslo temperature in Fahrenheit?", number(_f("oslo"))),
    _chain("Give me the temperature in Sydney in Fahrenheit.", number(_f("sydney"))),
    _chain("What is London's temperature in Fahrenheit?", number(_f("london"))),
    _chain("How warm is Lima in Fahrenheit?", number(_f("lima"))),
    _chain("What is the temperature in Paris plus 10?", number(str(_c("paris") + 10))),
    _chain("What is the temperature in London minus 5?", number(str(_c("london") - 5))),
    _chain("What is twice the temperature in Oslo?", number(str(2 * _c("oslo")))),
    _chain("What is three times the temperature in London?", number(str(3 * _c("london")))),
    _chain("What is the temperature in Cairo divided by 2?", number(str(_c("cairo") // 2))),
    _chain("What is the temperature in Tokyo squared?", number(str(_c("tokyo") ** 2))),
    _chain(
        "If it gets 7 degrees warmer in Lima, what will the temperature be?",
        number(str(_c("lima") + 7)),
    ),
    _chain(
        "If Sydney cools down by 9 degrees, how warm will it be?", number(str(_c("sydney") - 9))
    ),
    _chain(
        "What is the temperature in Kelvin in Paris? Add 273 to the Celsius value.",
        number(str(_c("paris") + 273)),
    ),
    _chain(
        "What is the temperature in Oslo in Kelvin? Add 273 to the Celsius value.",
        number(str(_c("oslo") + 273)),
    ),
    _chain("How many degrees below 30 is the temperature in Tokyo?", number(str(30 - _c("tokyo")))),
    _chain(
        "How many degrees above zero is it in London, multiplied by 4?",
        number(str(4 * _c("london"))),
    ),
    _chain(
        "What is the combined temperature of Cairo, Oslo and Lima?",
        number(str(_c("cairo") + _c("oslo") + _c("lima"))),
    ),
]

_NOTES = "buy milk\ncall the bank\nwater the plants\n"
_PLANETS = "Mercury\nVenus\nEarth\nMars\n"
_TEAM = "Ada\nGrace\nLinus\n"

FILES = [
    _file(
        "Read notes.txt and tell me its first line.", word("buy milk"), files={"notes.txt": _NOTES}
    ),
    _file(
        "Read notes.txt and tell me its last line.",
        word("water the plants"),
        files={"notes.txt": _NOTES},
    ),
    _file(
        "What does greeting.txt say?",
        word("good evening"),
        files={"greeting.txt": "good evening\n"},
    ),
    _file("Read pin.txt and tell me the PIN.", number("4821"), files={"pin.txt": "4821\n"}),
    _file("What is the city named in city.txt?", word("Lisbon"), files={"city.txt": "Lisbon\n"}),
    _file("Read color.txt. Which color is in it?", word("purple"), files={"color.txt": "purple\n"}),
    _file(
        "Which planet comes second in planets.txt?", word("Venus"), files={"planets.txt": _PLANETS}
    ),
    _file("Who is the second person in team.txt?", word("Grace"), files={"team.txt": _TEAM}),
    _file(
        "Read the file password.txt and tell me what it says.",
        word("swordfish"),
        files={"password.txt": "swordfish\n"},
    ),
    _file("What number is stored in count.txt?", number("17"), files={"count.txt": "17\n"}),
    _file(
        "List the files in this folder.",
        word("invoice.pdf"),
        files={"invoice.pdf": "%PDF\n"},
    ),
    _file(
        "What files are in the workspace?",
        word("recipe.md"),
        files={"recipe.md": "# soup\n"},
    ),
    _file(
        "Is there a file called config.yaml here?",
        word("yes"),
        word("config.yaml"),
        files={"config.yaml": "a: 1\n"},
    ),
    _file(
        "How many files are in the current directory?",
        number("3"),
        word("three"),
        files={"one.txt": "1\n", "two.txt": "2\n", "three.txt": "3\n"},
    ),
    _file(
        "Which file in this folder has the .csv extension?",
        word("sales.csv"),
        files={"sales.csv": "a,b\n", "readme.txt": "hi\n"},
    ),
    _file("Write the word apple to the file fruit.txt.", written=("fruit.txt", "apple")),
    _file("Create a file named greeting.txt containing hello.", written=("greeting.txt", "hello")),
    _file("Save the number 7 in lucky.txt.", written=("lucky.txt", "7")),
    _file("Write yes into answer.txt.", written=("answer.txt", "yes")),
    _file("Put the text finished in log.txt.", written=("log.txt", "finished")),
    _file(
        "Read source.txt and write the same text to copy.txt.",
        files={"source.txt": "orange\n"},
        written=("copy.txt", "orange"),
    ),
    _file(
        "Read price.txt and tell me the price plus 15.",
        number("45"),
        files={"price.txt": "30\n"},
        tools=("read_file", "calculator"),
    ),
    _file(
        "Read width.txt and multiply the number in it by 4.",
        number("48"),
        files={"width.txt": "12\n"},
        tools=("read_file", "calculator"),
    ),
    _file(
        "What is 9 * 9? Save the result in square.txt.",
        written=("square.txt", "81"),
        tools=("calculator", "write_file"),
    ),
    _file(
        "Look up the weather in Tokyo and write the temperature to tokyo.txt.",
        written=("tokyo.txt", str(_c("tokyo"))),
        tools=("get_weather", "write_file"),
    ),
    _file(
        "Read city.txt and tell me the weather in that city.",
        celsius(_c("cairo")),
        word("clear"),
        files={"city.txt": "Cairo\n"},
        tools=("read_file", "get_weather"),
    ),
]

NO_TOOL = [
    _none("What is the capital of Spain?", "Madrid"),
    _none("What is the capital of England?", "London"),
    _none("What is the capital of Egypt?", "Cairo"),
    _none("How many hours are in a day?", "24", "twenty-four"),
    _none("How many wheels does a bicycle have?", "2", "two"),
    _none("What color is snow?", "white"),
    _none("What color is a banana?", "yellow"),
    _none("Is the sun hot or cold?", "hot"),
    _none("Which animal barks?", "dog", "dogs"),
    _none("What do cows drink?", "water"),
    _none("What is the opposite of up?", "down"),
    _none("How many minutes are in an hour?", "60", "sixty"),
    _none("How many legs does a cat have?", "4", "four"),
    _none("What is frozen water called?", "ice"),
    _none("Which season comes after winter?", "spring"),
    _none("Hello!", "hello", "hi", "hey"),
    _none("Good night!", "night", "goodnight", "sleep", "sweet dreams"),
    _none("Thanks a lot!", "welcome", "pleasure", "glad"),
    _none("Say goodbye to me.", "goodbye", "bye"),
    _none("Hi there, who are you?", "assistant", "AI", "model", "help"),
    _none("What is your favourite greeting? Answer with one word.", "hello", "hi", "hey"),
    _none("Say good morning.", "morning"),
    _none("Is Paris a city or a country?", "city"),
    _none("What language is spoken in France?", "French"),
    _none("What shape is a ball?", "round", "sphere", "circle"),
    _none("What is the plural of mouse?", "mice"),
]

TASKS: list[MultiTask] = ONE_TOOL + CHAINS + FILES + NO_TOOL


def select(half: str) -> list[MultiTask]:
    """``tuning``, ``report`` or ``all``."""
    return [task for task in TASKS if half == "all" or task.half == half]
