"""How much may one sandboxed snippet use?"""

from __future__ import annotations

from dataclasses import dataclass

from autan.errors import ConfigurationError


@dataclass(frozen=True)
class SandboxLimits:
    """Bounds for one run. Every run gets all of them, sandboxed or not.

    ``timeout`` is wall-clock seconds (the whole process tree is killed after it); the others
    become ``setrlimit`` bounds: CPU seconds, address space, processes (counted for the sandbox's
    user: as root, a uid of the run's own), the largest file it may write, open files, and the
    bytes of stdout/stderr kept (a run that prints more is killed). As root, ``memory_mb`` (with
    twice ``workspace_mb`` and 64 MB for the kernel and launcher) is also the limit of the run's
    memory cgroup, where the host has a writable one. ``workspace_mb`` bounds a fresh workspace
    (not a directory the caller gives): a tmpfs sized in bytes and inodes under bubblewrap and
    under Landlock as root; otherwise a directory the host watches.
    """

    timeout: float = 10.0
    cpu_seconds: int = 10
    memory_mb: int = 512
    processes: int = 32
    file_size_mb: int = 16
    open_files: int = 64
    output_bytes: int = 1_000_000
    workspace_mb: int = 64

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value <= 0:
                raise ConfigurationError(f"sandbox limit {name} must be positive, got {value}")
