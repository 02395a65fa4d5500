"""The file tools against a workspace that changes under them (time of check, time of use).

Code that shares the workspace (``python_tool`` with ``writable=True``, calls running at once)
swaps a directory, or a file, for a symbolic link to the host while a file tool works on a
path through it. A process stands in for that code (a thread would wait on the GIL and hardly
race): it exchanges the real entry and the link (``renameat2(RENAME_EXCHANGE)``, so the path
always exists) as fast as it can, while the tool is called a few hundred times. No write may
land in the host directory, no read or listing may show what is there. Each test runs with
``openat2`` and with the descriptor walk.
"""

from __future__ import annotations

import itertools
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Template

import pytest

from autan.tools import _beneath
from autan.tools.files import Workspace, file_tools

CANARY = f"HOST-CANARY-{secrets.token_hex(8)}"
CANARY_NAME = f"host-only-{secrets.token_hex(4)}.txt"
CALLS = 400
SANDBOX_CALLS = 2000  # a process in a sandbox, on a busy machine, races less often
SECONDS = 10.0


@pytest.fixture(params=["openat2", "walk"])
def resolution(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(_beneath, "use_openat2", request.param == "openat2")
    return str(request.param)


@dataclass
class Scene:
    workspace: Path
    host: Path
    tools: dict[str, Callable[..., str]]


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    workspace, host = tmp_path / "workspace", tmp_path / "host"
    workspace.mkdir()
    host.mkdir()
    (host / "secret.txt").write_text(CANARY)
    (host / CANARY_NAME).write_text(CANARY)
    (workspace / "d").mkdir()
    (workspace / "d" / "secret.txt").write_text("inside")
    (workspace / "d.link").symlink_to(host)
    (workspace / "secret.txt").write_text("inside")
    (workspace / "secret.txt.link").symlink_to(host / "secret.txt")
    tools = {t.name: t.function for t in file_tools(Workspace(workspace))}
    return Scene(workspace, host, tools)


FLIPPER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
entry, link = (os.fsencode(name) for name in sys.argv[1:])
print("flipping", flush=True)
while True:
    if libc.renameat2(-100, entry, -100, link, 2) != 0:  # RENAME_EXCHANGE
        sys.exit(f"renameat2: {os.strerror(ctypes.get_errno())}")
"""


@pytest.fixture
def flipping(scene: Scene) -> Iterator[Callable[[str], None]]:
    """Start a process that swaps ``workspace/name`` and ``workspace/name.link`` (atomically,
    so the name always exists) as fast as it can, until the test ends."""
    flippers: list[subprocess.Popen[str]] = []

    def start(name: str) -> None:
        entry, link = scene.workspace / name, scene.workspace / f"{name}.link"
        command = [sys.executable, "-c", FLIPPER, str(entry), str(link)]
        flipper = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        flippers.append(flipper)
        assert flipper.stdout is not None
        assert flipper.stdout.readline() == "flipping\n"

    yield start
    for flipper in flippers:
        flipper.kill()
        flipper.wait(timeout=5)
        assert flipper.returncode == -signal.SIGKILL  # it flipped until the end


@dataclass
class Tally:
    done: int = 0
    refused: int = 0

    def raced(self) -> bool:
        """Some calls met the real entry and some the link: the swap did race them."""
        return self.done > 0 and self.refused > 0


def hammer(call: Callable[[], str], escaped: Callable[[str], bool], calls: int = CALLS) -> Tally:
    """Call ``call`` ``calls`` times, and on until the swap has raced it both ways, for at most
    SECONDS; fail at the first call that escaped."""
    tally, deadline = Tally(), time.monotonic() + SECONDS
    for number in itertools.count(1):
        try:
            output = call()
        except (OSError, ValueError) as error:  # the refusals the model reads
            output = f"error: {error}"
            tally.refused += 1
        else:
            tally.done += 1
        assert not escaped(output), f"escaped the workspace at call {number}: {output[:80]}"
        if (number >= calls and tally.raced()) or time.monotonic() > deadline:
            break
    return tally


def test_a_write_through_a_swapped_directory_never_lands_outside(
    scene: Scene, flipping: Callable[[str], None], resolution: str
) -> None:
    flipping("d")
    planted = scene.host / "planted.txt"
    tally = hammer(
        lambda: scene.tools["write_file"]("d/planted.txt", "pwned"),
        lambda output: planted.exists(),
    )
    assert tally.raced(), tally


def test_a_read_of_a_swapped_file_never_returns_the_host_file(
    scene: Scene, flipping: Callable[[str], None], resolution: str
) -> None:
    flipping("secret.txt")
    tally = hammer(lambda: scene.tools["read_file"]("secret.txt"), lambda out: CANARY in out)
    assert tally.raced(), tally


def test_a_read_through_a_swapped_directory_never_returns_the_host_file(
    scene: Scene, flipping: Callable[[str], None], resolution: str
) -> None:
    flipping("d")
    tally = hammer(lambda: scene.tools["read_file"]("d/secret.txt"), lambda out: CANARY in out)
    assert tally.raced(), tally


def test_a_listing_of_a_swapped_directory_never_shows_the_host_directory(
    scene: Scene, flipping: Callable[[str], None], resolution: str
) -> None:
    flipping("d")
    tally = hammer(lambda: scene.tools["list_dir"]("d"), lambda out: CANARY_NAME in out)
    assert tally.raced(), tally


def test_the_quota_walk_never_counts_a_host_directory_swapped_in(
    scene: Scene, flipping: Callable[[str], None]
) -> None:
    """The Landlock fallback's quota walk (``disk_usage``) opens each directory relative to its
    parent with ``O_NOFOLLOW`` too: a host directory swapped in is never measured."""
    from autan.sandbox._workspace_quota import disk_usage

    (scene.host / "big.bin").write_bytes(secrets.token_bytes(4 * 1024**2))
    flipping("d")
    deadline = time.monotonic() + SECONDS
    for _ in range(CALLS):
        assert disk_usage(scene.workspace) < 1024**2
        if time.monotonic() > deadline:
            break


SANDBOX_FLIPPER = r"""
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
os.symlink("$host", "d.link")
open("flipping", "w").close()
flips, deadline = 0, time.monotonic() + $seconds
while not os.path.exists("stop") and time.monotonic() < deadline:
    for _ in range(100):
        flips += libc.renameat2(-100, b"d", -100, b"d.link", 2) == 0
print("flips", flips)
"""


def test_code_in_the_sandbox_swapping_a_directory_cannot_steer_the_file_tools(
    scene: Scene, sandbox_kind: str
) -> None:
    """The attack as it came: model-written code in ``run_python`` with the workspace writable
    swaps ``d`` for a link to the host while the host runs the file tools on ``d/...``."""
    from autan.sandbox import SandboxLimits, SandboxResult, run_python

    (scene.workspace / "d.link").unlink()  # the code makes its own
    for folder in (scene.workspace, scene.workspace / "d"):
        folder.chmod(0o777)  # the code may run as nobody
    code = Template(SANDBOX_FLIPPER).substitute(host=scene.host, seconds=SECONDS)
    limits = SandboxLimits(timeout=SECONDS + 5, cpu_seconds=int(SECONDS) + 5)
    done: list[SandboxResult] = []
    sandbox = threading.Thread(
        target=lambda: done.append(
            run_python(code, limits=limits, workspace=scene.workspace, writable=True)
        )
    )
    sandbox.start()
    try:
        _wait_for(scene.workspace / "flipping", sandbox)
        planted = scene.host / "planted.txt"
        writes = hammer(
            lambda: scene.tools["write_file"]("d/planted.txt", "pwned"),
            lambda output: planted.exists(),
            SANDBOX_CALLS,
        )
        reads = hammer(
            lambda: scene.tools["read_file"]("d/secret.txt"),
            lambda output: CANARY in output,
            SANDBOX_CALLS,
        )
    finally:
        (scene.workspace / "stop").touch()
        sandbox.join(SECONDS + 10)
    assert done[0].isolation == sandbox_kind
    assert done[0].stdout.startswith("flips "), done[0].stderr
    assert writes.raced(), writes
    assert reads.raced(), reads


def _wait_for(marker: Path, sandbox: threading.Thread) -> None:
    deadline = time.monotonic() + SECONDS
    while not marker.exists():
        assert sandbox.is_alive(), "the sandbox ended before it started flipping"
        assert time.monotonic() < deadline, "the sandbox never started flipping"
        time.sleep(0.01)
