"""Which isolation a run gets: bubblewrap, else Landlock + seccomp, else a refusal or the loud
opt-out; what the Landlock sandbox does that bubblewrap did by itself."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autan.errors import ConfigurationError, SandboxUnavailable
from autan.sandbox import SandboxLimits, _bwrap, run_python
from autan.sandbox._confined import namespaces_available
from autan.sandbox._session import CodeSession
from sandbox_kinds import no_sandbox, use_sandbox, without_namespaces

FAST = SandboxLimits(timeout=3, cpu_seconds=2, memory_mb=256)


def test_without_any_sandbox_it_refuses_naming_both(monkeypatch: pytest.MonkeyPatch) -> None:
    no_sandbox(monkeypatch)
    with pytest.raises(SandboxUnavailable, match=r"bubblewrap.*Landlock.*allow_unsandboxed"):
        run_python("print(1)")


def test_without_any_sandbox_the_loud_opt_out_runs_with_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_sandbox(monkeypatch)
    done = run_python(
        "import resource\nresult = resource.getrlimit(resource.RLIMIT_CPU)[0]",
        limits=FAST,
        allow_unsandboxed=True,
    )
    assert (done.result, done.isolation) == (2, "none")


def test_without_bubblewrap_landlock_takes_over(monkeypatch: pytest.MonkeyPatch) -> None:
    use_sandbox("landlock", monkeypatch)  # skips where Landlock cannot run
    monkeypatch.delenv("AUTAN_SANDBOX")
    monkeypatch.setattr(_bwrap.shutil, "which", lambda name: None)
    done = run_python("result = 6 * 7", limits=FAST)
    assert (done.result, done.isolation) == (42, "landlock")


def test_insisting_on_bubblewrap_does_not_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTAN_SANDBOX", "bubblewrap")
    monkeypatch.setattr(_bwrap.shutil, "which", lambda name: None)
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        run_python("print(1)")


@pytest.mark.parametrize(
    ("name", "value"), [("AUTAN_SANDBOX", "docker"), ("AUTAN_SANDBOX_PYTHON", "/no/python")]
)
def test_bad_settings_are_configuration_errors(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        run_python("print(1)")


@pytest.fixture
def own_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary directory of this test's own, where the host makes its workspaces
    (``tempfile.tempdir``); and, meanwhile, another run's workspace in the shared ``/tmp``, as
    a sandbox running at the same time makes: only this test's own are counted."""
    folder = Path(tempfile.mkdtemp(prefix="autan-test-tmp-"))
    folder.chmod(0o711)  # the run's own user passes through to its workspace
    other = tempfile.mkdtemp(prefix="autan-sandbox-")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    try:
        yield folder
    finally:
        os.rmdir(other)
        shutil.rmtree(folder, ignore_errors=True)


def _sandbox_dirs(folder: Path) -> set[str]:
    return {name for name in os.listdir(folder) if name.startswith("autan-sandbox-")}


def test_landlock_workspace_is_fresh_private_and_removed(
    own_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_sandbox("landlock", monkeypatch)
    code = (
        "import os\nopen('a.txt', 'w').write('x')\nos.makedirs('locked/inner')\n"
        "open('locked/inner/b', 'w').write('y')\nos.chmod('locked', 0)\n"
        "same = os.getcwd() == os.environ['HOME'] == os.environ['TMPDIR']\n"
        "result = [same, sorted(os.listdir('.'))]"
    )
    first = run_python(code, limits=FAST)
    assert first.result == [True, ["a.txt", "locked"]], first.stderr
    second = run_python("import os\nresult = os.listdir('.')", limits=FAST)
    assert second.result == []
    assert _sandbox_dirs(own_tmp) == set()


def test_landlock_code_session_removes_its_workspace_even_unstarted(
    own_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_sandbox("landlock", monkeypatch)
    session = CodeSession("result = 1", {}, limits=FAST)
    assert len(_sandbox_dirs(own_tmp)) == 1
    session.close()
    assert _sandbox_dirs(own_tmp) == set()


@pytest.mark.parametrize(
    "code",
    [
        "import socket\nsocket.socket(socket.AF_UNIX)",
        "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "import os\nos.setsid()",
        "import os\nos.setpgid(0, 0)",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "if libc.unshare(0x10000000) != 0 and ctypes.get_errno() == 1:\n"
        "    raise PermissionError('unshare(CLONE_NEWUSER)')",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "if libc.syscall(425, 8, None) < 0 and ctypes.get_errno() == 1:\n"
        "    raise PermissionError('io_uring_setup')",
    ],
    ids=["unix-socket", "udp-socket", "setsid", "setpgid", "unshare", "io-uring"],
)
def test_the_seccomp_filter_denies(code: str, sandbox_kind: str) -> None:
    done = run_python(code, limits=FAST)
    assert done.exit_code == 1, done.stdout
    assert "PermissionError" in done.stderr


@pytest.mark.parametrize(
    "code",
    [
        "open('/proc/self/status').read()",
        "open('/etc/hostname').read()",
        "import os; os.listdir('/')",
    ],
    ids=["proc", "etc", "root-listing"],
)
def test_landlock_denies_reading_beyond_the_system(
    code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Denied by Landlock; or, in a root of its own (as root), not there at all."""
    use_sandbox("landlock", monkeypatch)
    done = run_python(code, limits=FAST)
    assert done.exit_code == 1
    assert "PermissionError" in done.stderr or (
        namespaces_available() and "FileNotFoundError" in done.stderr
    )


def test_landlock_confinement_failure_fails_closed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A launcher that cannot confine itself runs nothing: the snippet never starts."""
    use_sandbox("landlock", monkeypatch)
    marker = tmp_path / "ran"
    tmp_path.chmod(0o777)
    from autan.sandbox import _confined

    monkeypatch.setattr(_confined, "_SYSTEM", [*_confined._SYSTEM, "/nonexistent\0bad"])
    done = run_python(f"open({str(marker)!r}, 'w').write('x')", limits=FAST, workspace=tmp_path)
    assert done.exit_code == 126
    assert "cannot confine" in done.stderr
    assert not marker.exists()


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")
def test_bubblewrap_result_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    use_sandbox("bubblewrap", monkeypatch)
    assert run_python("result = 1", limits=FAST).isolation == "bubblewrap"


FILL = (
    "import os\n"
    "for i in range(64):\n"
    "    with open(f'fill{i}', 'wb') as f: f.write(os.urandom(2**20))\n"
    "result = 'wrote 64 MB'"
)
SMALL_DISK = SandboxLimits(timeout=20, file_size_mb=2, workspace_mb=8)


def test_a_fresh_workspace_is_bounded_in_both_kinds(sandbox_kind: str) -> None:
    """bubblewrap's tmpfs says "no space" to the code, and so does the Landlock launcher's
    where it makes a mount namespace (as root); else the Landlock host kills it."""
    done = run_python(FILL, limits=SMALL_DISK)
    assert done.result is None
    if sandbox_kind == "landlock" and not namespaces_available():
        assert (done.error, done.killed, done.timed_out) == ("workspace limit", True, False)
    else:
        assert "No space left on device" in done.stderr


def test_a_fresh_landlock_workspace_on_disk_is_watched(monkeypatch: pytest.MonkeyPatch) -> None:
    use_sandbox("landlock", monkeypatch)
    without_namespaces(monkeypatch)
    done = run_python(FILL, limits=SMALL_DISK)
    assert (done.result, done.error, done.killed, done.timed_out) == (
        None, "workspace limit", True, False,
    )  # fmt: skip


def test_the_landlock_quota_sees_into_hidden_directories(monkeypatch: pytest.MonkeyPatch) -> None:
    use_sandbox("landlock", monkeypatch)
    without_namespaces(monkeypatch)
    code = (
        "import os\nos.makedirs('a/b')\nos.chmod('a/b', 0o300); os.chmod('a', 0o100)\n"
        "for i in range(64):\n"
        "    with open(f'a/b/fill{i}', 'wb') as f: f.write(os.urandom(2**20))\n"
        "result = 'hid 64 MB'"
    )
    done = run_python(code, limits=SMALL_DISK)
    assert (done.result, done.error) == (None, "workspace limit")


def test_what_is_written_after_the_last_look_still_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    use_sandbox("landlock", monkeypatch)
    without_namespaces(monkeypatch)
    code = "with open('big', 'wb') as f: f.write(b'x' * 2**20 * 12)\nresult = 'quick'"
    done = run_python(code, limits=SandboxLimits(file_size_mb=16, workspace_mb=8))
    assert (done.result, done.has_result, done.error) == (None, False, "workspace limit")


def test_a_given_workspace_is_not_held_to_the_quota(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_sandbox("landlock", monkeypatch)
    tmp_path.chmod(0o777)
    done = run_python(
        FILL.replace("64", "12"), limits=SMALL_DISK, workspace=tmp_path, writable=True
    )
    assert (done.result, done.error) == ("wrote 12 MB", None)


def test_only_what_the_interpreter_needs_of_its_prefix_is_shown(
    sandbox_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python whose prefix also holds other things (``~/.local``: ``share``, say) shows the
    sandbox its ``lib`` but not the rest."""
    import sys
    import tempfile

    prefix = Path(tempfile.mkdtemp(prefix="autan-prefix-"))
    try:
        prefix.chmod(0o755)
        for folder in ("lib", "share"):
            (prefix / folder).mkdir(mode=0o755)
        (prefix / "lib" / "shown.txt").write_text("lib is shown")
        (prefix / "share" / "secret.txt").write_text("TOKEN-IN-SHARE")
        for path in prefix.rglob("*.txt"):
            path.chmod(0o644)
        monkeypatch.setattr(sys, "prefix", str(prefix))
        code = (
            f"print(open({str(prefix / 'lib' / 'shown.txt')!r}).read())\n"
            f"print(open({str(prefix / 'share' / 'secret.txt')!r}).read())"
        )
        done = run_python(code, limits=FAST)
    finally:
        shutil.rmtree(prefix)
    assert "lib is shown" in done.stdout
    assert "TOKEN-IN-SHARE" not in done.stdout + done.stderr
    denied_only = sandbox_kind == "landlock" and not namespaces_available()  # names stay
    assert ("PermissionError" if denied_only else "FileNotFoundError") in done.stderr
