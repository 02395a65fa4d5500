"""Test fixtures. A network kill switch: any connection that is not loopback fails the test."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from sandbox_kinds import KINDS, use_sandbox

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkAccessError(RuntimeError):
    """A test tried to reach beyond this machine."""


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family == socket.AF_UNIX:
        return
    host = address[0] if isinstance(address, tuple) else address
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        if host == "localhost":
            return
    raise NetworkAccessError(f"test tried to connect to {address!r}; only loopback is allowed")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture(autouse=True)
def _journal_in_a_temporary_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``autan run`` journals by default: keep the journals of tests out of the user's home."""
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path_factory.mktemp("autan_home")))


@pytest.fixture(params=KINDS)
def sandbox_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs the test once per sandbox kind (bubblewrap, Landlock + seccomp) that works here."""
    kind: str = request.param
    use_sandbox(kind, monkeypatch)
    return kind
