"""The sandbox kinds a test can run under, and how to select one (or skip when it cannot run)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from autan.errors import SandboxUnavailable

KINDS = ["bubblewrap", "landlock"]
SYSTEM_PYTHON = Path("/usr/bin/python3")


def use_sandbox(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every run of this test use ``kind``; skip the test where it cannot run here."""
    monkeypatch.setenv("AUTAN_SANDBOX", kind)
    if kind == "bubblewrap":
        if shutil.which("bwrap") is None:
            pytest.skip("bubblewrap not installed")
        return
    from autan.sandbox._confined import check_confinement

    try:
        check_confinement()
        return
    except SandboxUnavailable as error:
        problem = str(error)
    # As root the code runs as nobody, who cannot read an interpreter under /root (pyenv).
    if os.geteuid() == 0 and SYSTEM_PYTHON.exists():
        monkeypatch.setenv("AUTAN_SANDBOX_PYTHON", str(SYSTEM_PYTHON))
        try:
            check_confinement()
            return
        except SandboxUnavailable as error:
            problem = str(error)
    pytest.skip(problem)


def no_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither kind can run: no bwrap, and a kernel without Landlock."""
    from autan.sandbox import _bwrap, _confined, _landlock

    monkeypatch.setattr(_bwrap.shutil, "which", lambda name: None)
    monkeypatch.setattr(_landlock, "abi_version", lambda: 0)
    _confined._probe.cache_clear()  # the real answer may be cached; the next test re-probes
    monkeypatch.setattr(_confined, "_probe", _confined._probe.__wrapped__)


def without_namespaces(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Landlock fallback as where root may not make namespaces (or autan is not root): a
    fresh workspace on the host's disk, watched by the host."""
    from autan.sandbox import _confined, _isolation

    monkeypatch.setattr(_confined, "namespaces_available", lambda: False)
    monkeypatch.setattr(_isolation, "namespaces_available", lambda: False)
