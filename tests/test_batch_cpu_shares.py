"""A batch's workers each get their share of the CPUs: worker processes are pinned to disjoint
CPUs, threads and Ray actors get a count, and the embedded model sizes its llama.cpp threads
from that (``models.threads``), so N workers never run more compute threads than CPUs."""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from autan.batching import BatchTask
from autan.batching._batch import dispatch
from autan.batching._cpus import ray_share, shares
from autan.models.llama import LlamaModel
from autan.models.threads import cpu_share, model_threads, usable_cpus
from batch_agents import CpuProbe

CPUS = usable_cpus()
needs_two_cpus = pytest.mark.skipif(len(CPUS) < 2, reason="needs two usable CPUs")


def test_cpus_are_split_into_contiguous_runs_of_nearly_equal_size() -> None:
    assert shares([0, 1, 2, 3], 2) == [{0, 1}, {2, 3}]
    assert shares([0, 1, 2], 2) == [{0, 1}, {2}]
    assert shares([9, 2, 7, 5], 3) == [{2, 5}, {7}, {9}]
    assert shares(range(8), 1) == [set(range(8))]


def test_more_workers_than_cpus_take_one_cpu_each_in_turn() -> None:
    assert shares([0, 1], 3) == [{0}, {1}, {0}]
    assert shares([4], 2) == [{4}, {4}]


def test_no_cpus_or_no_workers_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot share 0 CPUs among 2 workers"):
        shares([], 2)
    with pytest.raises(ValueError, match="cannot share 2 CPUs among 0 workers"):
        shares([0, 1], 0)


def test_a_ray_actor_takes_an_equal_share_that_fits_the_smallest_node() -> None:
    assert ray_share([2.0], 2) == 1
    assert ray_share([16.0, 16.0], 2) == 16
    assert ray_share([16.0, 16.0], 4) == 8
    assert ray_share([4.0, 16.0], 2) == 4
    assert ray_share([2.0, 1.0], 2) == 1
    assert ray_share([8.0], 3) == 2
    assert ray_share([64.0], 200) == 1
    assert ray_share([0.0, 2.0], 1) == 2  # a node without CPUs holds no actor
    assert ray_share([], 2) == 1


def test_a_model_takes_its_usable_cpus_or_its_share_when_smaller() -> None:
    assert model_threads() == len(CPUS)
    with cpu_share(1):
        assert model_threads() == 1
        with cpu_share(len(CPUS) + 8):
            assert model_threads() == len(CPUS)
        assert model_threads() == 1
    assert model_threads() == len(CPUS)


def test_the_embedded_model_takes_the_share_it_was_built_in() -> None:
    with cpu_share(1):
        model = LlamaModel(Path("unloaded.gguf"), "probe")
    assert model.n_threads == 1  # however late it loads
    assert LlamaModel(Path("unloaded.gguf"), "probe").n_threads == len(CPUS)


def test_a_share_holds_in_its_own_thread_only() -> None:
    seen: list[int] = []
    with cpu_share(1):
        other = threading.Thread(target=lambda: seen.append(model_threads()))
        other.start()
        other.join()
    assert seen == [len(CPUS)]


def probe(workers: int, threads: int, ray: str | None = None) -> list[dict[str, Any]]:
    jobs = [(BatchTask(f"t{n}", "probe"), f"run-{n}") for n in range(6)]
    found: list[dict[str, Any]] = []
    dispatch(jobs, CpuProbe(delay=0.5), workers, threads, ray, found.append)
    assert len(found) == len(jobs)
    assert not any("error" in line for line in found), found
    return found


@needs_two_cpus
def test_each_worker_process_is_pinned_to_its_own_cpus_and_sizes_its_model_by_them() -> None:
    by_process: dict[int, set[tuple[int, ...]]] = defaultdict(set)
    for line in probe(workers=2, threads=1):
        assert line["model_threads"] == len(line["cpus"])
        by_process[line["pid"]].add(tuple(line["cpus"]))
    assert len(by_process) == 2, "both worker processes should have run tasks"
    pinned = [set(cpus) for (cpus,) in by_process.values()]
    assert sorted(pinned, key=min) == shares(CPUS, 2)
    assert os.sched_getaffinity(0) == CPUS  # the batch process itself is not pinned


@needs_two_cpus
def test_each_thread_of_a_batch_sizes_its_model_by_its_share() -> None:
    lines = probe(workers=1, threads=2)
    assert {line["pid"] for line in lines} == {os.getpid()}
    assert {line["model_threads"] for line in lines} == {len(s) for s in shares(CPUS, 2)}


@needs_two_cpus
def test_each_ray_actor_sizes_its_model_by_the_cpus_it_reserved_at_the_batch_niceness(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("ray")
    here = Path(__file__).parent
    paths = [str(here.parent / "src"), str(here), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    lines = probe(workers=2, threads=1, ray="auto")
    assert {line["model_threads"] for line in lines} == {ray_share([len(CPUS)], 2)}
    assert len({line["pid"] for line in lines}) == 2
    assert {line["niceness"] for line in lines} == {os.nice(0)}  # not Ray's 15 steps lower
