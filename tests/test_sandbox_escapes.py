"""The escape corpus (``sandbox_escapes.py``): every payload is blocked.

Before the payloads run, the host plants canaries: a secret in a world-readable file outside the
workspace, one in the home directory, one in this process's environment; a TCP listener on
127.0.0.1 and one on the machine's own address, a UDP socket, an abstract and a path Unix
socket; and a list of host paths no payload may create. A payload passes when the secret is in
none of its output, no target exists, no listener saw anything, no process of the sandbox is
left 1.5 s after the run (its processes: those of its PID namespace and session, which seccomp
keeps it in, started during the run), the host grew by less than 50 MB, and a resource bomb
ended within its timeout + 1 s. Each payload runs with a read-write host workspace holding two
symlinks the host planted (to the canary, and to a target).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import pytest

from autan.sandbox import SandboxLimits, SandboxResult, run_python
from autan.sandbox._confined import namespaces_available
from sandbox_escapes import PAYLOADS, PRELUDE, Payload

LIMITS = SandboxLimits(
    timeout=1.5,
    cpu_seconds=1,
    memory_mb=256,
    processes=16,
    file_size_mb=8,
    open_files=32,
    output_bytes=65536,
    workspace_mb=16,
)
TOKEN = f"CANARY-{secrets.token_hex(12)}"
ENV_NAME = "AUTAN_ESCAPE_CANARY"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Tree:
    """The processes of one sandbox run: its PID namespace, its session there, its time span
    (``CLOCK_BOOTTIME`` seconds). The session and the namespace cannot be left: seccomp denies
    setsid, setpgid and unshare."""

    namespace: str
    session: int
    started: float
    ended: float

    def holds(self, namespace: str, session: int, started: float) -> bool:
        tick = 1 / CLOCK_TICKS  # start times are in clock ticks
        during = self.started - tick <= started <= self.ended + tick
        return (namespace, session) == (self.namespace, self.session) and during


@dataclass
class Host:
    values: dict[str, str]
    canary_file: Path
    targets: list[Path]
    sockets: dict[str, socket.socket] = field(default_factory=dict)


def _listen(family: int, kind: int, address: object) -> socket.socket:
    sock = socket.socket(family, kind)
    sock.bind(address)
    if kind == socket.SOCK_STREAM:
        sock.listen()
    sock.setblocking(False)
    return sock


def _lan_ip() -> str:
    done = subprocess.run(
        ["ip", "-4", "-o", "addr", "show", "scope", "global"],
        capture_output=True,
        text=True,
        check=False,
    )
    words = done.stdout.split()
    return words[words.index("inet") + 1].split("/")[0] if "inet" in words else "127.0.0.1"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    outside = tmp_path_factory.mktemp("outside")
    outside.chmod(0o777)
    canary_file = outside / "canary.txt"
    canary_file.write_text(TOKEN)
    canary_file.chmod(0o644)
    home_canary = Path.home() / f".autan-escape-canary-{secrets.token_hex(4)}"
    home_canary.write_text(TOKEN)
    name_link = Path("/tmp") / f"autan-escape-link-{secrets.token_hex(4)}"
    name_link.symlink_to(f"/nonexistent/{TOKEN}")
    pwned = f"autan-pwned-{secrets.token_hex(4)}"
    project = Path(__file__).resolve().parents[1]
    places = [outside, Path("/usr"), Path(sys.prefix), Path.home(), project, Path("/tmp")]
    places += [Path("/etc"), Path("/usr/bin"), Path("/usr/lib")]
    lan_ip = _lan_ip()
    sockets = {
        "tcp": _listen(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 0)),
        "lan": _listen(socket.AF_INET, socket.SOCK_STREAM, (lan_ip, 0)),
        "udp": _listen(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", 0)),
        "abstract": _listen(socket.AF_UNIX, socket.SOCK_STREAM, f"\0autan-{pwned}"),
        "unix": _listen(socket.AF_UNIX, socket.SOCK_STREAM, str(outside / "sock")),
    }
    values = {
        "canary_file": str(canary_file),
        "home_canary": str(home_canary),
        "name_link": str(name_link),
        "canary_env": ENV_NAME,
        "outside": str(outside),
        "pwned": pwned,
        "venv": sys.prefix,
        "home": str(Path.home()),
        "project": str(project),
        "host_pid": str(os.getpid()),
        "port": str(sockets["tcp"].getsockname()[1]),
        "lan_ip": lan_ip,
        "lan_port": str(sockets["lan"].getsockname()[1]),
        "udp_port": str(sockets["udp"].getsockname()[1]),
        "abstract": f"autan-{pwned}",
        "unix_path": str(outside / "sock"),
    }
    os.environ[ENV_NAME] = TOKEN
    try:
        yield Host(values, canary_file, [place / pwned for place in places], sockets)
    finally:
        del os.environ[ENV_NAME]
        home_canary.unlink()
        name_link.unlink()
        for sock in sockets.values():
            sock.close()
        for target in places:
            (target / pwned).unlink(missing_ok=True)


@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.id for p in PAYLOADS])
def test_payload_is_blocked(
    payload: Payload, host: Host, tmp_path: Path, sandbox_kind: str
) -> None:
    if payload.names and sandbox_kind == "landlock" and not namespaces_available():
        pytest.skip("names: Landlock without a root of its own lets them be learned (documented)")
    workspace = _workspace(tmp_path, host)
    code = Template(PRELUDE + payload.code).safe_substitute(host.values)
    if sandbox_kind == "landlock":  # no private mount: the workspace is where it is
        code = code.replace("/workspace", str(workspace))
    before = _rss_mb()
    started = time.monotonic()
    done, tree = _run(code, workspace)
    elapsed = time.monotonic() - started
    assert done.isolation == sandbox_kind
    _assert_nothing_leaked(done)
    _assert_no_effect_on_the_host(host)
    assert _survivors(tree, within=1.5) == []
    assert _rss_mb() - before < 50
    if payload.bomb:
        assert elapsed < LIMITS.timeout + 1.0
        assert len(done.stdout) <= LIMITS.output_bytes


def test_control_a_canary_inside_the_workspace_is_seen(
    host: Host, tmp_path: Path, sandbox_kind: str
) -> None:
    """The checks can fail: the same canary, copied into the workspace, is read and printed."""
    workspace = _workspace(tmp_path, host)
    shutil.copy(host.canary_file, workspace / "inside.txt")
    done = run_python("print(open('inside.txt').read())", limits=LIMITS, workspace=workspace)
    assert TOKEN in done.stdout


def test_a_process_of_nobody_outside_the_sandbox_is_no_survivor(
    tmp_path: Path, host: Host, sandbox_kind: str
) -> None:
    """A process of the sandbox's user that the sandbox did not start is not its survivor; the
    same check does find a process in the tree it is given."""
    as_nobody = {"user": 65534, "group": 65534, "extra_groups": []} if os.geteuid() == 0 else {}
    with subprocess.Popen(["sleep", "60"], start_new_session=True, **as_nobody) as other:
        try:
            _, tree = _run(PRELUDE + "while True: pass", _workspace(tmp_path, host))
            assert _survivors(tree, within=0) == []
            own = Tree(os.readlink("/proc/self/ns/pid"), other.pid, 0.0, tree.ended)
            assert _survivors(own, within=0) == [other.pid]
        finally:
            other.kill()


def test_the_tree_holds_the_sandbox_while_it_runs(
    tmp_path: Path, host: Host, sandbox_kind: str
) -> None:
    """The survivor check cannot pass for want of seeing: the processes seen during a run that
    its tree holds include its runner, and none of this test's own processes."""
    seen: dict[int, tuple[str, int, float] | None] = {}
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(_run, PRELUDE + "time.sleep(1.0)", _workspace(tmp_path, host))
        time.sleep(0.6)
        seen = {pid: _identity(pid) for pid in _pids()}
        done, tree = running.result()
    held = [pid for pid, identity in seen.items() if identity and tree.holds(*identity)]
    assert held, done.stderr
    assert os.getpid() not in held
    assert _survivors(tree, within=1.5) == []


def test_the_corpus_has_at_least_80_payloads() -> None:
    assert len(PAYLOADS) >= 80
    assert len({p.id for p in PAYLOADS}) == len(PAYLOADS)


def _workspace(tmp_path: Path, host: Host) -> Path:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    workspace.chmod(0o777)
    (workspace / "host-link").symlink_to(host.canary_file)
    (workspace / "host-link-out").symlink_to(host.targets[0])
    return workspace


def _assert_nothing_leaked(done: SandboxResult) -> None:
    seen = done.stdout + done.stderr + json.dumps(done.result) + str(done.error)
    assert TOKEN not in seen
    assert os.environ[ENV_NAME] == TOKEN


def _assert_no_effect_on_the_host(host: Host) -> None:
    assert [target for target in host.targets if os.path.lexists(target)] == []
    for name in ("tcp", "lan", "abstract", "unix"):
        with pytest.raises(BlockingIOError):
            host.sockets[name].accept()
    with pytest.raises(BlockingIOError):
        host.sockets["udp"].recv(100)


def _run(code: str, workspace: Path) -> tuple[SandboxResult, Tree]:
    """Run ``code`` (which starts with the prelude): its result, and where its processes are."""
    started = time.clock_gettime(time.CLOCK_BOOTTIME)
    done = run_python(code, limits=LIMITS, workspace=workspace, writable=True)
    ended = time.clock_gettime(time.CLOCK_BOOTTIME)
    first = done.stdout.split("\n", 1)[0].split()
    assert first[:1] == ["prelude-ok"], done.stderr  # the payload did run
    return done, Tree(first[1], int(first[2]), started, ended)


def _survivors(tree: Tree, within: float) -> list[int]:
    deadline = time.monotonic() + within
    while True:
        left = [pid for pid in _pids() if _is_in(tree, pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _is_in(tree: Tree, pid: int) -> bool:
    identity = _identity(pid)
    return identity is not None and tree.holds(*identity)


def _identity(pid: int) -> tuple[str, int, float] | None:
    """A live process's PID namespace, session there and start time; None if it is gone."""
    try:
        namespace = os.readlink(f"/proc/{pid}/ns/pid")
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    if fields["State"].split()[0] in ("Z", "X"):
        return None  # dead, waiting for its reaper
    session = int(fields["NSsid"].split()[-1])  # as seen in its own namespace
    return namespace, session, int(stat.rsplit(")", 1)[1].split()[19]) / CLOCK_TICKS


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
