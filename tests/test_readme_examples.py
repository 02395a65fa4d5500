"""Every ```python block of README.md runs, each as its own test, so the examples cannot rot."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"
FENCE = "```"
API_KEY = re.compile(r"\b[A-Z][A-Z0-9_]*_API_KEY\b")
URL_HOST = re.compile(r"\bhttps?://\[?([^/\s:'\"\]]+)")
EMBEDDED_AGENT = re.compile(r"Agent\((\)|model=\"local\")")
AGENT_RUN = re.compile(r"\.(a?run|stream|resume)\(")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line of the opening fence, source)`` for every block fenced as ```python."""
    blocks: list[tuple[int, str]] = []
    lines = text.splitlines()
    start: int | None = None
    for number, line in enumerate(lines, start=1):
        if start is None and line.startswith(FENCE + "python"):
            start = number
        elif start is not None and line.startswith(FENCE):
            blocks.append((start, "\n".join(lines[start : number - 1]) + "\n"))
            start = None
    return blocks


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def outside_need(source: str) -> str | None:
    """Why the block cannot run on this machine alone (an API key, a remote server), if it can't."""
    key = API_KEY.search(source)
    if key:
        return f"needs the API key {key.group()}"
    remote = [host for host in URL_HOST.findall(source) if not _is_loopback(host)]
    if remote:
        return f"needs the network service at {remote[0]}"
    return None


def runs_embedded_model(source: str) -> bool:
    return bool(EMBEDDED_AGENT.search(source) and AGENT_RUN.search(source))


def _param(line: int, source: str) -> object:
    marks: list[pytest.MarkDecorator] = []
    need = outside_need(source)
    if need:
        marks.append(pytest.mark.skip(reason=f"README.md:{line} {need}"))
    if runs_embedded_model(source):
        marks.append(pytest.mark.e2e)
    return pytest.param(line, source, id=str(line), marks=marks)


def _skip_without_sandbox(source: str) -> None:
    if "autan.sandbox" not in source:
        return
    from autan.errors import SandboxUnavailable
    from autan.sandbox import available

    try:
        available()
    except SandboxUnavailable as error:
        pytest.skip(f"no sandbox can run here: {error}")


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_examples() -> None:
    assert BLOCKS, f"no {FENCE}python blocks found in {README}"


@pytest.mark.parametrize(("line", "source"), [_param(*block) for block in BLOCKS])
def test_readme_example(
    line: int, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _skip_without_sandbox(source)
    monkeypatch.chdir(tmp_path)
    code = compile("\n" * line + source, str(README), "exec", dont_inherit=True)
    exec(code, {"__name__": "readme"})


@pytest.mark.e2e
def test_the_library_example_gives_the_right_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """21 °C is 69.8 °F: ``convert`` returns it and the answer must say it (issue 18: greedy
    decoding wrote a second call, ``lookup("CET")``, after ``convert`` and answered ``CET``)."""
    ((line, source),) = [block for block in BLOCKS if "def convert(" in block[1]]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme"}
    exec(compile("\n" * line + source, str(README), "exec", dont_inherit=True), namespace)
    result = namespace["result"]
    called = [e.call.name for e in result.events if type(e).__name__ == "ToolCalled"]  # type: ignore[attr-defined]
    assert called == ["convert"]
    assert "69.8" in str(result.output)  # type: ignore[attr-defined]
