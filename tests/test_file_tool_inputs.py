"""The file tools on what a workspace may hold besides text: FIFOs, huge sparse files, names
that are not UTF-8. Each answer is an observation the model reads, promptly and in bounded
memory, and text that the journal and the terminal can write."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autan import Agent
from autan.store import SQLiteStore
from autan.testing import ScriptedModel
from autan.tools import _beneath
from autan.tools.files import MAX_READ_CHARS, Workspace, file_tools

PROMPTLY = 10.0  # seconds: a hang fails the test instead of the suite
SPARSE_BYTES = 2 * 1024**3


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


def tools_for(root: Path) -> dict[str, Callable[..., str]]:
    return {t.name: t.function for t in file_tools(Workspace(root))}


def outcome(call: Callable[[], str]) -> str:
    """What the call returned, or ``error: ...`` as the model would read it."""
    try:
        return call()
    except Exception as error:
        return f"error: {type(error).__name__}: {error}"


def within(seconds: float, call: Callable[[], str]) -> str | None:
    """``outcome(call)``, or None when it is still running after ``seconds``."""
    answers: list[str] = []
    thread = threading.Thread(target=lambda: answers.append(outcome(call)), daemon=True)
    thread.start()
    thread.join(seconds)
    return answers[0] if answers else None


@contextlib.contextmanager
def fifo(path: Path) -> Iterator[Path]:
    """A FIFO at ``path``; at the end a call blocked opening it (the old tools) is let go."""
    os.mkfifo(path)
    try:
        yield path
    finally:
        for flags in (os.O_RDONLY | os.O_NONBLOCK, os.O_WRONLY | os.O_NONBLOCK):
            with contextlib.suppress(OSError):
                os.close(os.open(path, flags))


@pytest.mark.parametrize("tool", ["read_file", "write_file"])
def test_a_fifo_is_refused_at_once_instead_of_hanging(workspace: Path, tool: str) -> None:
    tools = tools_for(workspace)
    arguments = ("pipe",) if tool == "read_file" else ("pipe", "text")
    with fifo(workspace / "pipe"):
        answer = within(PROMPTLY, lambda: tools[tool](*arguments))
    assert answer is not None, f"{tool} on a FIFO still blocked after {PROMPTLY} s"
    assert answer.startswith("error: NotRegularFileError")
    assert "not a regular file" in answer


def test_a_fifo_read_is_an_observation_in_a_run(workspace: Path) -> None:
    model = ScriptedModel([("read_file", {"path": "pipe"}), "it is a pipe"])
    agent = Agent(model, tools=file_tools(Workspace(workspace)))
    with fifo(workspace / "pipe"):
        answer = within(PROMPTLY, lambda: agent.run("read the pipe").output)
    assert answer == "it is a pipe"
    assert "not a regular file" in model.requests[1].messages[-1].content


@pytest.mark.parametrize("name", ["sub", "."])
def test_a_directory_is_not_read_as_a_file(workspace: Path, name: str) -> None:
    (workspace / "sub").mkdir()
    answer = outcome(lambda: tools_for(workspace)["read_file"](name))
    assert answer.startswith("error: NotRegularFileError")
    assert "list_dir" in answer


def test_a_huge_sparse_file_is_read_only_as_far_as_it_is_returned(workspace: Path) -> None:
    with (workspace / "sparse.bin").open("wb") as sparse:
        sparse.truncate(SPARSE_BYTES)
    read_file = tools_for(workspace)["read_file"]
    before = _bytes_read()
    tracemalloc.start()
    try:
        text = read_file("sparse.bin")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert text == "\0" * MAX_READ_CHARS  # the same answer as ever
    assert _bytes_read() - before < 1024**2  # the old tool read all 2 GB
    assert peak < 64 * 1024**2  # and held it twice over (4 GB)


def _bytes_read() -> int:
    """Bytes this process has taken in ``read`` calls (``rchar`` of ``/proc/self/io``)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.mark.parametrize(
    "content",
    [
        b"plain ascii " * 10_000,
        "é".encode() * 50_000,
        "😀".encode() * 30_000,
        b"\xff" * 100_000,
        b"ab\xe2\x82" * 30_000,
        b"short",
    ],
)
def test_a_read_returns_what_decoding_the_whole_file_returned(
    workspace: Path, content: bytes
) -> None:
    (workspace / "f.bin").write_bytes(content)
    expected = content.decode("utf-8", errors="replace")[:MAX_READ_CHARS]
    assert tools_for(workspace)["read_file"]("f.bin") == expected


def test_a_name_that_is_not_utf8_is_listed_as_writable_text(workspace: Path) -> None:
    with open(os.path.join(os.fsencode(workspace), b"\xff\xfe.txt"), "w") as planted:
        planted.write("x")
    listing = tools_for(workspace)["list_dir"]()
    assert listing == "\\xff\\xfe.txt"
    listing.encode("utf-8")


def test_a_write_to_a_name_that_is_not_utf8_answers_in_writable_text(workspace: Path) -> None:
    answer = tools_for(workspace)["write_file"]("\udcff.txt", "x")  # as os.fsdecode(b"\xff.txt")
    assert answer == "wrote 1 characters to \\xff.txt"
    assert os.listdir(os.fsencode(workspace)) == [b"\xff.txt"]


def test_a_listing_with_such_a_name_goes_through_a_journaled_run(
    workspace: Path, tmp_path: Path
) -> None:
    with open(os.path.join(os.fsencode(workspace), b"\xff\xfe.txt"), "w") as planted:
        planted.write("x")
    model = ScriptedModel([("list_dir", {"path": "."}), "listed"])
    with SQLiteStore(tmp_path / "journal.sqlite3") as store:
        agent = Agent(model, tools=file_tools(Workspace(workspace)), store=store)
        result = agent.run("list the workspace")
        assert result.run_id is not None
        journaled = [json.dumps(event.to_dict()) for event in store.load(result.run_id)]
    assert result.output == "listed"
    observation = model.requests[1].messages[-1].content
    assert "\\xff\\xfe.txt" in observation
    json.dumps(observation, ensure_ascii=False).encode("utf-8")
    assert any(json.dumps("\\xff\\xfe.txt")[1:-1] in event for event in journaled)


@pytest.mark.parametrize("resolution", [True, False], ids=["openat2", "walk"])
def test_a_nul_in_a_path_names_no_file(
    workspace: Path, resolution: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the file named by what comes before it (what a C string would name)."""
    monkeypatch.setattr(_beneath, "use_openat2", resolution)
    (workspace / "notes.txt").write_text("secret of the prefix")
    tools = tools_for(workspace)
    assert outcome(lambda: tools["read_file"]("notes.txt\0.png")).startswith("error:")
    assert outcome(lambda: tools["write_file"]("notes.txt\0.png", "x")).startswith("error:")
    assert (workspace / "notes.txt").read_text() == "secret of the prefix"
