"""Many runs at once: a batch of tasks on worker processes, threads, or a Ray cluster.

``batch(tasks, out, ...)`` (also ``autan.batch``) runs each task as a journaled run and appends
one line per finished task to ``out/results.jsonl``; called again with the same ``out`` it skips
finished tasks and resumes the rest from their journals. See docs/scaling.md.
"""

from __future__ import annotations

from autan.batching._batch import BuiltinAgent, batch, dispatch
from autan.batching._in_flight import InFlightLimited, limited
from autan.batching._results import ResultLine, Status
from autan.batching._summary import BatchSummary
from autan.batching._tasks import BadLine, BatchTask, parse_tasks, read_tasks
from autan.batching._work import AgentFactory, Performer, Setup, Worker, WorkerSetup, run_id_for

__all__ = [
    "AgentFactory",
    "BadLine",
    "BatchSummary",
    "BatchTask",
    "BuiltinAgent",
    "InFlightLimited",
    "Performer",
    "ResultLine",
    "Setup",
    "Status",
    "Worker",
    "WorkerSetup",
    "batch",
    "dispatch",
    "limited",
    "parse_tasks",
    "read_tasks",
    "run_id_for",
]
