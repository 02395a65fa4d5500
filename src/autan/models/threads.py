"""How many compute threads a model built here may use: the one owner of that decision.

Compute threads beyond the CPUs they can have only wait on each other (llama.cpp's threads
spin at every barrier), so a model gets the CPUs this process may run on (its affinity:
``taskset``, a cgroup cpuset, or the CPUs a batch pinned its worker process to), and at most
the share given to the code that builds it (``cpu_share``: a batch's threads in one process, or
a Ray actor, whose CPUs Ray counts but does not pin). The count is taken when the model is
built (``LlamaModel`` reads it in its constructor), so a share set around building an agent
holds for its model however late it loads.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar

_share: ContextVar[int | None] = ContextVar("autan_cpu_share", default=None)


def usable_cpus() -> frozenset[int]:
    """The CPUs this process (this thread, on Linux) may run on; all of them elsewhere."""
    try:
        return frozenset(os.sched_getaffinity(0)) or frozenset({0})
    except AttributeError:  # not on Linux
        return frozenset(range(os.cpu_count() or 1))


def model_threads() -> int:
    """The compute threads a model built now may use: its usable CPUs, at most its share."""
    cpus = len(usable_cpus())
    share = _share.get()
    return cpus if share is None else max(1, min(cpus, share))


@contextlib.contextmanager
def cpu_share(threads: int) -> Iterator[None]:
    """Models built inside use at most ``threads`` compute threads (this thread or task only:
    a context variable, so threads of one process each keep their own share)."""
    token = _share.set(max(1, threads))
    try:
        yield
    finally:
        _share.reset(token)
