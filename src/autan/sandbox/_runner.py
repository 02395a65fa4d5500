"""The program that runs inside the sandbox (stdlib only; the host passes its source with ``-c``).

It reads its settings as JSON from ``argv[1]`` and the snippet from stdin, applies the resource
limits, bounds the inodes of bubblewrap's tmpfs mounts (as root), drops root to the run's own
uid when the sandbox was started by root, loads the host's seccomp
filter when the settings carry one (under bubblewrap), runs the snippet, and
writes one JSON line ``{"result": ...}`` (or ``{"error": ...}``) to the result pipe. The snippet
sets a result with ``result = value`` or ``final_answer(value)`` (which also ends it).

With ``tools`` in the settings, each named tool is a function of the snippet: a call writes the
JSON line ``{"call": NAME, "arguments": {...}}`` to the result pipe and reads the host's JSON
line ``{"output": TEXT, "is_error": BOOL}`` from the reply pipe. The host validates and runs the
call; an error comes back as a ``ToolError`` exception, an output as its JSON value when it is
JSON, else as text.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sys
import traceback
from typing import Any

_MB = 1024 * 1024
_MISSING = object()


class _FinalAnswer(BaseException):
    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value


def _final_answer(value: object) -> None:
    raise _FinalAnswer(value)


class ToolError(Exception):
    """A tool call the host refused or that failed; the message says why."""


class _Channel:
    def __init__(self, request_fd: int, reply_fd: int) -> None:
        self._request_fd = request_fd
        self._replies = os.fdopen(reply_fd, "rb", buffering=0)

    def call(self, name: str, arguments: dict[str, Any]) -> object:
        line = json.dumps({"call": name, "arguments": arguments}).encode() + b"\n"
        _write_all(self._request_fd, line)
        reply = json.loads(self._read_line())
        output = str(reply["output"])
        if reply["is_error"]:
            raise ToolError(output.removeprefix("error: "))
        try:
            return json.loads(output)
        except ValueError:
            return output

    def _read_line(self) -> bytes:
        pieces: list[bytes] = []
        while True:
            byte = self._replies.read(1)
            if not byte:
                raise SystemExit("autan sandbox: the host closed the tool channel")
            if byte == b"\n":
                return b"".join(pieces)
            pieces.append(byte)


def _tool_function(channel: _Channel, name: str, parameters: list[str]) -> Any:
    def call(*args: object, **kwargs: object) -> object:
        if len(args) > len(parameters):
            raise TypeError(f"{name}() takes {len(parameters)} positional arguments")
        arguments = dict(zip(parameters, args, strict=False))
        for key, value in kwargs.items():
            if key in arguments:
                raise TypeError(f"{name}() got two values for argument {key!r}")
            arguments[key] = value
        return channel.call(name, arguments)

    call.__name__ = call.__qualname__ = name
    return call


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


def _limit(kind: int, value: int) -> None:
    resource.setrlimit(kind, (value, value))


def _apply_limits(limits: dict[str, int]) -> None:
    _limit(resource.RLIMIT_CPU, limits["cpu_seconds"])
    _limit(resource.RLIMIT_AS, limits["memory_mb"] * _MB)
    _limit(resource.RLIMIT_FSIZE, limits["file_size_mb"] * _MB)
    _limit(resource.RLIMIT_NOFILE, limits["open_files"])
    _limit(resource.RLIMIT_NPROC, limits["processes"])
    _limit(resource.RLIMIT_CORE, 0)


def _bound_inodes(remounts: list[list[Any]]) -> None:
    """bubblewrap sizes its tmpfs mounts in bytes only: as root, the runner (holding
    ``CAP_SYS_ADMIN`` until it drops root) remounts each with a bound on its inodes too."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ms_nosuid, ms_nodev, ms_remount = 2, 4, 32
    for path, size, inodes in remounts:
        options = f"size={size},nr_inodes={inodes}".encode()
        flags = ms_remount | ms_nosuid | ms_nodev
        if libc.mount(b"tmpfs", path.encode(), None, flags, options) != 0:
            raise SystemExit(f"autan sandbox: could not bound the inodes of {path}")


def _drop_root(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("autan sandbox: could not drop root")
    _die_with_parent()


def _die_with_parent() -> None:
    """Re-arm bwrap's --die-with-parent: changing uid clears the parent-death signal."""
    import ctypes

    pr_set_pdeathsig = 1
    if ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL) != 0:
        raise SystemExit("autan sandbox: could not set the parent-death signal")


def _load_seccomp(program_base64: str) -> None:
    """Load the host's seccomp filter (classic BPF, 8 bytes an instruction) for good."""
    import base64
    import ctypes

    class _Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    code = base64.b64decode(program_base64)
    buffer = ctypes.create_string_buffer(code, len(code))
    program = _Program(len(code) // 8, ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if (
        libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0
        or libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(program), 0, 0) != 0
    ):
        raise SystemExit("autan sandbox: could not load the seccomp filter")


def _namespace(settings: dict[str, Any]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__main__", "final_answer": _final_answer}
    tools = settings.get("tools")
    if tools:
        channel = _Channel(settings["result_fd"], settings["reply_fd"])
        namespace["ToolError"] = ToolError
        for entry in tools:
            namespace[entry["name"]] = _tool_function(channel, entry["name"], entry["parameters"])
    return namespace


def _execute(source: str, namespace: dict[str, Any]) -> tuple[int, object, bool]:
    """The exit status, the result and whether it came from ``final_answer``."""
    try:
        exec(compile(source, "<snippet>", "exec"), namespace)
    except _FinalAnswer as answer:
        return 0, answer.value, True
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        return code, namespace.get("result", _MISSING), False
    except BaseException as error:
        _print_error(error)
        return 1, _MISSING, False
    return 0, namespace.get("result", _MISSING), False


def _print_error(error: BaseException) -> None:
    """The traceback from the snippet's first frame on: the runner's frames are not its own."""
    frames = error.__traceback__.tb_next if error.__traceback__ else None
    traceback.print_exception(type(error), error, frames)


def _record(value: object, final: bool) -> bytes:
    if value is _MISSING:
        return b"{}\n"
    record: dict[str, object] = {"result": value, "final": True} if final else {"result": value}
    try:
        return json.dumps(record).encode() + b"\n"
    except (TypeError, ValueError) as error:
        return json.dumps({"error": f"result is not JSON-serialisable: {error}"}).encode() + b"\n"


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def main() -> None:
    settings = json.loads(sys.argv[1])
    _apply_limits(settings["limits"])
    _bound_inodes(settings.get("remounts", []))
    if settings["drop_to_uid"] is not None:
        _drop_root(settings["drop_to_uid"])
    if settings.get("seccomp"):
        _load_seccomp(settings["seccomp"])
    source = sys.stdin.read()
    sys.stdin.close()
    runner = os.getpid()
    code, value, final = _execute(source, _namespace(settings))
    _flush()
    if os.getpid() != runner:  # a process the snippet forked: only the runner reports
        os._exit(code & 0xFF)
    _write_all(settings["result_fd"], _record(value, final))
    os._exit(code & 0xFF)


main()
