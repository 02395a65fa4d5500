"""Host names the code was not given do not exist for it (issue 14): under bubblewrap, and under
the Landlock fallback as root, whose launcher enters a root of its own (``_minimal_root``).
``stat`` of a canary file, ``readlink`` of a canary link, and ``stat`` of each name the host
has at ``/`` and in ``/etc`` find only what the interpreter needs. Landlock without
namespaces (not root) cannot hide names: that gap is pinned too, as docs/security.md says."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autan.sandbox import SandboxLimits, run_python
from autan.sandbox._confined import namespaces_available
from sandbox_kinds import use_sandbox, without_namespaces

LIMITS = SandboxLimits(timeout=10, cpu_seconds=5, memory_mb=256)
NEEDED_IN_ETC = {"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime"}
"""What the dynamic loader and the clock read: all a root of the sandbox's own has in /etc."""

PROBE = """
import json, os
asked = json.loads(ASKED)

def seen(path):
    try:
        os.stat(path, follow_symlinks=False)
        return True
    except OSError:
        return False

def link(path):
    try:
        return os.readlink(path)
    except OSError as error:
        return type(error).__name__

result = {
    "canary": seen(asked["canary"]),
    "canary_folder": seen(asked["folder"]),
    "link": link(asked["link"]),
    "top": sorted(name for name in asked["top"] if seen("/" + name)),
    "etc": sorted(name for name in asked["etc"] if seen("/etc/" + name)),
}
"""


@pytest.fixture
def canary() -> Iterator[Path]:
    """A folder in the host's shared /tmp (mode 0755) with a file and a link in it, which
    any user of the host may ``stat``."""
    folder = Path(tempfile.mkdtemp(prefix="autan-canary-", dir="/tmp"))
    folder.chmod(0o755)
    (folder / "secret.txt").write_text("canary")
    (folder / "secret.txt").chmod(0o644)
    (folder / "link").symlink_to(folder / "secret.txt")
    yield folder
    shutil.rmtree(folder)


def _probe(folder: Path) -> dict[str, object]:
    asked = {
        "canary": str(folder / "secret.txt"),
        "folder": str(folder),
        "link": str(folder / "link"),
        "top": sorted(os.listdir("/")),
        "etc": sorted(os.listdir("/etc")),
    }
    done = run_python(f"ASKED = {json.dumps(json.dumps(asked))}\n{PROBE}", limits=LIMITS)
    assert isinstance(done.result, dict), done.stderr
    return done.result


def _hiding(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sandbox(kind, monkeypatch)
    if kind == "landlock" and not namespaces_available():
        pytest.skip("a root of its own needs the launcher's mount namespace (root)")


@pytest.mark.parametrize("kind", ["bubblewrap", "landlock"])
def test_a_canary_file_and_link_do_not_exist_inside(
    kind: str, canary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hiding(kind, monkeypatch)
    seen = _probe(canary)
    assert seen["canary"] is False
    assert seen["canary_folder"] is False
    assert seen["link"] == "FileNotFoundError"


@pytest.mark.parametrize("kind", ["bubblewrap", "landlock"])
def test_only_what_the_interpreter_needs_is_there(
    kind: str, canary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of the host's names at ``/``, only the system's, the interpreter's and the sandbox's
    own (``/proc``, ``/dev``, ``/tmp``, the workspace) are there; of ``/etc``'s, only the
    loader's and the clock's."""
    _hiding(kind, monkeypatch)
    from autan.sandbox._confined import _SYSTEM
    from autan.sandbox._interpreter import python_paths

    given = {path.split("/")[1] for path in [*_SYSTEM, *python_paths()]}
    seen = _probe(canary)
    host_only = set(os.listdir("/")) - given - {"proc", "dev", "tmp", "workspace"}
    assert host_only, "this host has no names outside the sandbox's: nothing to check"
    assert set(seen["top"]) & host_only == set()  # type: ignore[arg-type]
    assert set(seen["etc"]) <= NEEDED_IN_ETC  # type: ignore[arg-type]


def test_landlock_without_namespaces_still_shows_host_names(
    canary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented gap (docs/security.md, 'What each kind isolates'): Landlock decides
    what may be opened, not what may be named; without root no root of its own is made."""
    use_sandbox("landlock", monkeypatch)
    without_namespaces(monkeypatch)
    seen = _probe(canary)
    assert seen["canary"] is True
    assert seen["link"] == str(canary / "secret.txt")
