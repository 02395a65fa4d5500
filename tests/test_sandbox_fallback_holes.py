"""The holes found in the Landlock + seccomp fallback (issue 14), under both isolation kinds.

Each test is an attack as filed: a child that closed its descriptors and kept writing after the
run, a snippet that closed every descriptor and slept, SysV shared memory and POSIX message
queues left behind, other processes of the sandbox's user reniced, pinned or ``prlimit``-ed,
another run's workspace made unreadable, a tree too deep to remove, memory parked in memfds
passed in ``SCM_RIGHTS`` messages, a flood of empty files, inotify on ``/tmp``, ``fallocate``
past the quota.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autan.sandbox import SandboxLimits, run_python
from autan.sandbox._bwrap import tmpfs_inodes
from autan.sandbox._confined import namespaces_available, remove_workspace
from autan.sandbox._session import CodeSession, ToolRequest
from sandbox_kinds import use_sandbox, without_namespaces

LIMITS = SandboxLimits(timeout=4, cpu_seconds=4, memory_mb=256, workspace_mb=8)
ROOT = os.geteuid() == 0
libc = ctypes.CDLL(None, use_errno=True)


def _shared_workspace(tmp_path: Path) -> Path:
    tmp_path.chmod(0o777)
    return tmp_path


def test_a_child_that_closed_its_descriptors_dies_with_the_run(
    tmp_path: Path, sandbox_kind: str
) -> None:
    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.closerange(0, 1024)\n"
        "    for i in range(200):\n"
        "        with open('beat', 'a') as f: f.write('x')\n"
        "        time.sleep(0.02)\n"
        "    os._exit(0)\n"
        "time.sleep(0.2)\n"
        "result = 'parent done'"
    )
    workspace = _shared_workspace(tmp_path)
    done = run_python(code, limits=LIMITS, workspace=workspace, writable=True)
    assert done.result == "parent done", done.stderr
    size = (workspace / "beat").stat().st_size
    time.sleep(0.5)
    assert (workspace / "beat").stat().st_size == size


def test_code_that_closed_every_descriptor_and_sleeps_times_out(sandbox_kind: str) -> None:
    limits = SandboxLimits(timeout=1.0, cpu_seconds=5)
    started = time.monotonic()
    done = run_python("import os, time\nos.closerange(0, 4096)\ntime.sleep(8)", limits=limits)
    assert time.monotonic() - started < 3.0
    assert (done.timed_out, done.killed, done.error) == (True, True, "timeout")


def test_without_a_pidfd_the_wall_clock_still_holds(
    sandbox_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autan.sandbox import _process

    monkeypatch.setattr(_process, "_pidfd", lambda pid: None)  # Linux before 5.3
    started = time.monotonic()
    done = run_python(
        "import os, time\nos.closerange(0, 4096)\ntime.sleep(8)",
        limits=SandboxLimits(timeout=1.0, cpu_seconds=5),
    )
    assert time.monotonic() - started < 3.0
    assert done.timed_out
    assert run_python("result = 7", limits=LIMITS).result == 7


def test_sysv_shared_memory_and_message_queues_do_not_outlive_the_run(sandbox_kind: str) -> None:
    key, queue = 0x41550000 + secrets.randbelow(0xFFFF), f"/autan-{secrets.token_hex(4)}"
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        f"print('shm', libc.shmget({key}, 1 << 20, 0o1666))\n"
        "libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]\n"
        f"print('mq', libc.mq_open({queue.encode()!r}, os.O_CREAT | os.O_RDWR, 0o666, None))\n"
    )
    done = run_python(code, limits=LIMITS)
    assert "shm" in done.stdout, done.stderr
    try:
        assert f"{key} " not in _sysv_keys()
        assert _host_queue_exists(queue) is False
    finally:  # what main left behind must not stay on this machine
        segment = libc.shmget(key, 0, 0)
        if segment >= 0:
            libc.shmctl(segment, 0, None)  # IPC_RMID
        libc.mq_unlink(queue.encode())


def _sysv_keys() -> str:
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return "".join(line.split()[0] + " " for line in lines)


def _host_queue_exists(name: str) -> bool:
    libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int]
    fd = libc.mq_open(name.encode(), os.O_RDONLY)
    if fd >= 0:
        libc.mq_close(fd)
    return fd >= 0


@pytest.mark.skipif(not ROOT, reason="the sandbox runs as a user of its own only under root")
def test_the_code_cannot_retune_a_process_of_nobody_on_the_host(sandbox_kind: str) -> None:
    nobody = {"user": 65534, "group": 65534, "extra_groups": []}
    with subprocess.Popen(["sleep", "30"], start_new_session=True, **nobody) as other:
        try:
            before = _tuning(other.pid)
            code = (
                "import os, resource\n"
                f"pid = {other.pid}\n"
                "for name, attack in [\n"
                "    ('nice', lambda: os.setpriority(os.PRIO_PROCESS, pid, 19)),\n"
                "    ('nice-user', lambda: os.setpriority(os.PRIO_USER, 65534, 19)),\n"
                "    ('prlimit', lambda: resource.prlimit(pid, resource.RLIMIT_NOFILE, (3, 3))),\n"
                "    ('pin', lambda: os.sched_setaffinity(pid, {0})),\n"
                "]:\n"
                "    try:\n"
                "        attack(); print('DONE', name)\n"
                "    except OSError as error:\n"
                "        print('refused', name, error)\n"
            )
            done = run_python(code, limits=LIMITS)
            assert done.stdout.count("refused") == 4, done.stdout + done.stderr
            assert _tuning(other.pid) == before
        finally:
            other.kill()


def _tuning(pid: int) -> tuple[int, str, set[int]]:
    priority = os.getpriority(os.PRIO_PROCESS, pid)
    limits = Path(f"/proc/{pid}/limits").read_text()
    return priority, limits, os.sched_getaffinity(pid)


@pytest.mark.skipif(not ROOT, reason="the sandbox runs as a user of its own only under root")
def test_a_run_cannot_lock_another_run_out_of_its_workspace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_sandbox("landlock", monkeypatch)
    first = "where(os.getcwd())\nopen('after', 'w').write('b')\nresult = sorted(os.listdir('.'))"
    session = CodeSession("import os\nopen('mark', 'w').write('a')\n" + first, {"where": ["path"]})
    try:
        request = session.start()
        assert isinstance(request, ToolRequest), request
        path = request.arguments["path"]
        attack = f"import os\ntry:\n    os.chmod({path!r}, 0)\n    print('DONE')\n"
        attack += "except OSError as error:\n    print('refused', error)"
        second = run_python(attack, limits=LIMITS)
        outcome = session.reply("ok", False)
    finally:
        session.close()
    assert "refused" in second.stdout, second.stdout + second.stderr
    assert getattr(outcome, "result", None) == ["after", "mark"], outcome


@pytest.mark.parametrize("namespaces", [True, False], ids=["namespaces", "no-namespaces"])
def test_a_deep_tree_in_a_fresh_landlock_workspace_is_removed(
    namespaces: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_sandbox("landlock", monkeypatch)
    if not namespaces:
        without_namespaces(monkeypatch)
    elif not namespaces_available():
        pytest.skip("this host makes no namespaces for the Landlock launcher")
    code = (
        "import os\nprint(os.getcwd())\n"
        "for i in range(1500):\n    os.mkdir('d'); os.chdir('d')\n"
        "os.chmod('.', 0)\nresult = 'deep'"
    )
    done = run_python(code, limits=SandboxLimits(timeout=10, cpu_seconds=10, workspace_mb=64))
    assert done.result == "deep" or done.error == "workspace limit", done
    workspace = done.stdout.split("\n", 1)[0]
    assert workspace.startswith("/")
    assert not os.path.exists(workspace)


def test_a_deep_tree_with_locked_directories_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "workspace"
    folder.mkdir()
    (folder / "link").symlink_to(tmp_path)
    current = os.open(folder, os.O_RDONLY)
    for _ in range(1500):  # os.makedirs would recurse too deep
        os.mkdir("d", dir_fd=current)
        deeper = os.open("d", os.O_RDONLY, dir_fd=current)
        os.close(current)
        current = deeper
    os.close(os.open("file", os.O_CREAT | os.O_WRONLY, dir_fd=current))
    os.close(current)
    (folder / "d" / "d").chmod(0)
    try:
        remove_workspace(folder)
        assert not folder.exists()
        assert tmp_path.exists()
    finally:  # a tree this deep would break pytest's own clean-up (shutil.rmtree recurses)
        subprocess.run(["chmod", "-R", "u+rwx", str(folder)], capture_output=True, check=False)
        subprocess.run(["rm", "-rf", str(folder)], check=False)


MEMFD_PARKING = (
    "import os, socket\n"
    "a, b = socket.socketpair()\n"
    "held, chunk = 0, b'x' * (1 << 20)\n"
    "try:\n"
    "    for i in range(100):\n"
    "        fd = os.memfd_create('m')\n"
    "        for _ in range(8):\n"
    "            os.write(fd, chunk)\n"
    "        socket.send_fds(a, [b'.'], [fd])\n"
    "        os.close(fd)\n"
    "        held += 8\n"
    "except OSError as error:\n"
    "    print('stopped', error)\n"
    "result = held"
)


def test_memory_parked_in_memfds_in_flight_is_bounded(sandbox_kind: str) -> None:
    limits = SandboxLimits(timeout=10, cpu_seconds=10, memory_mb=64)
    done = run_python(MEMFD_PARKING, limits=limits)
    assert done.has_result, done.stderr
    assert done.result <= limits.memory_mb


def test_a_flood_of_empty_files_is_bounded_in_inodes(sandbox_kind: str) -> None:
    code = (
        "n = 0\ntry:\n    while n < 100_000:\n        open(f'f{n}', 'w').close(); n += 1\n"
        "except OSError as error:\n    print(error)\nresult = n"
    )
    limits = SandboxLimits(timeout=20, cpu_seconds=20, workspace_mb=4)
    done = run_python(code, limits=limits)
    if done.error == "workspace limit":  # Landlock without namespaces: the host saw it
        assert sandbox_kind == "landlock"
        assert not namespaces_available()
        return
    assert done.has_result, done.stderr
    assert done.result < tmpfs_inodes(limits.workspace_mb)
    assert "No space left on device" in done.stdout


def test_no_inotify_on_host_directories(sandbox_kind: str) -> None:
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "fd = libc.inotify_init1(0)\n"
        "print('watching' if fd >= 0 and libc.inotify_add_watch(fd, b'/tmp', 0x100) >= 0 "
        "else 'refused')"
    )
    done = run_python(code, limits=LIMITS)
    assert done.stdout.strip() == "refused", done.stdout + done.stderr


def test_fallocate_cannot_pass_the_quota_of_a_fresh_workspace(sandbox_kind: str) -> None:
    if sandbox_kind == "landlock" and not namespaces_available():
        pytest.skip("without a mount namespace the host watches the workspace instead")
    code = (
        "import os\nallocated = 0\n"
        "for i in range(8):\n"
        "    fd = os.open(f'big{i}', os.O_CREAT | os.O_WRONLY)\n"
        "    try:\n"
        "        os.posix_fallocate(fd, 0, 4 << 20); allocated += 4\n"
        "    except OSError as error:\n"
        "        print(error)\n"
        "result = allocated"
    )
    limits = SandboxLimits(timeout=10, cpu_seconds=10, workspace_mb=8, file_size_mb=64)
    done = run_python(code, limits=limits)
    assert done.has_result, done.stderr
    assert done.result <= limits.workspace_mb


def test_as_the_host_user_the_filter_denies_changing_host_files_by_path(tmp_path: Path) -> None:
    """Landlock does not cover a file's mode, owner, times or attributes: where the code runs
    as the host's own user (no root), the launcher's filter takes those calls away by path."""
    target = tmp_path / "host-file"
    target.write_text("x")
    target.chmod(0o644)
    code = (
        "import os, sys\nfrom autan.sandbox._seccomp import load_filter\n"
        "load_filter(same_user=True)\n"
        f"fd = os.open({str(target)!r}, os.O_RDONLY); os.fchmod(fd, 0o644)\n"
        "for attack in (lambda p: os.chmod(p, 0), lambda p: os.utime(p, (0, 0)),\n"
        "               lambda p: os.setxattr(p, 'user.x', b'1')):\n"
        "    try:\n        attack(sys.argv[1]); print('DONE')\n"
        "    except OSError as error:\n        print('refused', error.errno)\n"
    )
    src = str(Path(__file__).resolve().parents[1] / "src")
    done = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": src},
    )  # fmt: skip
    assert done.stdout.split() == ["refused", "1"] * 3, done.stderr
    assert target.stat().st_mode & 0o777 == 0o644


def test_landlock_without_root_warns_once_what_it_does_not_isolate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from autan.sandbox import _isolation

    use_sandbox("landlock", monkeypatch)
    monkeypatch.setattr(_isolation, "running_as_root", lambda: False)
    _isolation._warn_running_as_the_host_user.cache_clear()
    with pytest.warns(RuntimeWarning, match="Landlock without root"):
        done = run_python("result = 1", limits=LIMITS)
    assert done.result == 1


@pytest.mark.e2e
def test_the_embedded_model_s_code_runs_under_landlock_in_namespaces_of_its_own(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Code mode keeps working under the fallback as it now is (as root: PID 1 of its own
    namespaces, a uid of its own): the embedded model's blocks run and end."""
    import json

    from autan.cli import main

    use_sandbox("landlock", monkeypatch)
    status = main(["run", "--no-store", "--json", "--actions", "code", "--max-steps", "2",
                   "What is 37 * 91?"])  # fmt: skip
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()][1:-1]
    finished = [event for event in events if event["type"] == "code_finished"]
    assert status in (0, 1)
    assert finished
    assert not any("confine" in str(event.get("error")) for event in finished), finished
    assert all(event["seconds"] > 0 for event in finished)


def test_the_cli_shows_that_warning_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import warnings

    from autan.cli.display import show_warnings_as_lines

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        show_warnings_as_lines()
        warnings.warn("Landlock without root runs the code as your own user", stacklevel=1)
    assert capsys.readouterr().err == (
        "autan: warning: Landlock without root runs the code as your own user\n"
    )
