"""Each worker of a batch gets its share of the CPUs, so N workers never run more compute
threads than there are CPUs (two llama.cpp contexts that each take every CPU spin against each
other at every barrier, and two workers ran slower than one).

- Worker processes on this machine are pinned (``sched_setaffinity``) to disjoint CPUs: the
  batch knows every CPU its workers may use, pinning keeps all of a worker's threads (its
  Python code between tokens too) off the others' CPUs, and a model sizes itself from the
  affinity (``models.threads``), whatever backend or library it is.
- Threads of one process and Ray actors get a count instead (``models.threads.cpu_share``):
  threads share the process's CPUs, and Ray's CPUs are a count of a node's, not named CPUs the
  driver could pin an actor to without colliding with another batch's actors on that node.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


def shares(cpus: Iterable[int], workers: int) -> list[frozenset[int]]:
    """``cpus`` split among ``workers``: contiguous runs whose sizes differ by at most one.
    With more workers than CPUs each gets one CPU, in turn (they must then share)."""
    ordered = sorted(cpus)
    if not ordered or workers < 1:
        raise ValueError(f"cannot share {len(ordered)} CPUs among {workers} workers")
    if workers >= len(ordered):
        return [frozenset({ordered[n % len(ordered)]}) for n in range(workers)]
    size, extra = divmod(len(ordered), workers)
    found, start = [], 0
    for n in range(workers):
        end = start + size + (n < extra)
        found.append(frozenset(ordered[start:end]))
        start = end
    return found


def ray_share(node_cpus: Iterable[float], actors: int) -> int:
    """The CPUs of each of ``actors`` Ray actors: an equal share of the cluster's CPUs, and no
    more than the smallest node has (an actor asking for more could be placed on no node)."""
    sizes = [int(cpus) for cpus in node_cpus if cpus >= 1]
    if not sizes or actors < 1:
        return 1
    return max(1, min(min(sizes), sum(sizes) // actors))


def pin(cpus: frozenset[int]) -> None:
    """Run this process (its calling thread, and every thread it starts later) on ``cpus``."""
    try:
        if cpus != frozenset(os.sched_getaffinity(0)):
            os.sched_setaffinity(0, cpus)
    except AttributeError:  # not on Linux: no pinning, the model takes every CPU
        return
