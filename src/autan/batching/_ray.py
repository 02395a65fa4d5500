"""A batch on Ray: a pool of actors, each actor a ``Worker`` holding its agent and loaded model.

``ray`` (``autan[ray]``) is imported here only. An actor that dies is restarted (up to
``max_restarts`` times) and the task it held is retried on it until it runs or the actor is dead
for good (``max_task_retries=-1``: a fixed count is spent in seconds while the cluster has not
yet seen a lost node die, and the task then failed though its actor came back): Ray delivers a
task at least once. The journal makes that exactly once where it matters: the retry
finds the run in the shared store and resumes it, recorded model replies and tool results are
replayed, and a call that had started is run again only for an idempotent tool, with the same
idempotency key. So the store must be one every node reaches: PostgreSQL across machines, a
SQLite file only when every actor is on this machine.

Each actor reserves an equal share of the cluster's CPUs (``_cpus.ray_share``) and its model
uses that many threads; actors are spread across nodes.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

from autan.batching._cpus import ray_share
from autan.batching._local import Job, OnResult, built, perform_on
from autan.batching._work import Setup
from autan.errors import ConfigurationError
from autan.models.threads import cpu_share, usable_cpus

LOCAL = "auto"
"""``--ray auto``: start a Ray instance on this machine for the batch."""


def run_on_ray(
    jobs: Iterable[Job],
    setup: Setup,
    actors: int,
    address: str,
    on_result: OnResult,
    max_restarts: int = 3,
) -> None:
    """Run the jobs on ``actors`` Ray actors; joins the cluster at ``address`` (or ``auto``)."""
    ray = _connect(address, actors)
    share = ray_share((node["Resources"].get("CPU", 0) for node in _alive(ray)), actors)
    remote = ray.remote(
        num_cpus=share,
        max_restarts=max_restarts,
        max_task_retries=-1,
        scheduling_strategy="SPREAD",  # across nodes: one node's death takes the fewest actors
    )(RayWorker)
    workers = [remote.remote(setup, share) for _ in range(actors)]
    try:
        _dispatch(ray, setup, list(workers), list(jobs), on_result)
    finally:
        for worker in workers:
            ray.kill(worker)
        if address == LOCAL:
            ray.shutdown()


def _dispatch(
    ray: Any, setup: Setup, idle: list[Any], jobs: list[Job], on_result: OnResult
) -> None:
    """One task per actor at a time. An actor Ray gave up on (its restarts spent) leaves the
    pool and its task is reported as an ``error``; the others go on."""
    from ray.exceptions import RayActorError, RayError

    jobs.reverse()
    running: dict[Any, tuple[Job, Any]] = {}
    while jobs or running:
        while idle and jobs:
            job, actor = jobs.pop(), idle.pop()
            running[actor.perform.remote(job)] = (job, actor)
        if not running:  # every actor is gone
            for job in reversed(jobs):
                on_result(setup.failed(job[0].id, "no Ray actor is left"))
            return
        (ready,), _ = ray.wait(list(running), num_returns=1)
        job, actor = running.pop(ready)
        try:
            line = ray.get(ready)
        except RayActorError as problem:  # the actor is gone for good
            line = setup.failed(job[0].id, f"its Ray actor died: {problem}")
        except RayError as problem:
            line = setup.failed(job[0].id, f"on Ray: {problem}")
            idle.append(actor)
        else:
            idle.append(actor)
        on_result(line)


class RayWorker:
    """The actor: a ``Worker`` built when the actor starts (and again when Ray restarts it),
    whose model takes the actor's ``cpus`` (Ray reserves them, but does not pin the actor)."""

    def __init__(self, setup: Setup, cpus: int) -> None:
        with cpu_share(cpus):
            self.worker = built(setup)

    def perform(self, job: Job) -> Any:
        return perform_on(self.worker, job)


def _connect(address: str, actors: int) -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigurationError("--ray needs Ray: pip install 'autan[ray]'") from None
    if address == LOCAL:
        ray.init(
            num_cpus=max(actors, len(usable_cpus())),
            include_dashboard=False,
            log_to_driver=False,
            _node_ip_address="127.0.0.1",  # a local instance listens on loopback only
            # Ray starts its workers 15 niceness steps below its raylet, which yields them to
            # every other process; a local instance's actors are this batch's work, so they
            # run at the batch process's own niceness.
            _system_config={"worker_niceness": 0},
        )
        return ray
    check_reachable(address)
    try:
        ray.init(address=address, log_to_driver=False)
    except (ConnectionError, RuntimeError) as problem:
        raise ConfigurationError(f"cannot join the Ray cluster at {address}: {problem}") from None
    return ray


def _alive(ray: Any) -> list[dict[str, Any]]:
    return [node for node in ray.nodes() if node.get("Alive")]


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail in seconds, with one line, where Ray would retry an unreachable address for long."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigurationError(f"a Ray address is HOST:PORT or auto, not {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as problem:
        raise ConfigurationError(f"cannot reach the Ray cluster at {address}: {problem}") from None
