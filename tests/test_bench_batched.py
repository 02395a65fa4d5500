"""``autan bench`` through the batch machinery: worker processes and Ray actors give the same
records as one worker in this process; each worker makes its model once."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from autan.bench import load_questions, run_bench, run_question
from autan.cli import main
from bench_models import MakeDoubling

QUESTIONS = 12


def write_questions(path: Path) -> Path:
    lines = [
        {"question": f"What is twice {n * 7 + 3}?", "answer": f"... #### {(n * 7 + 3) * 2}"}
        for n in range(QUESTIONS)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def bench(tmp_path: Path, name: str, workers: int, ray: str | None = None) -> list[Any]:
    questions = load_questions(write_questions(tmp_path / "questions.jsonl"))
    pids = tmp_path / f"{name}.pids"
    records, errors = run_bench(
        questions,
        MakeDoubling(str(pids)),
        tmp_path / name,
        workers,
        run_one=functools.partial(run_question, actions="tools"),
        ray=ray,
    )
    assert errors == []
    return records


def without_seconds(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def makers(tmp_path: Path, name: str) -> list[int]:
    return [int(pid) for pid in (tmp_path / f"{name}.pids").read_text().split()]


def test_two_worker_processes_give_the_serial_records(tmp_path: Path) -> None:
    serial = bench(tmp_path, "serial", 1)
    assert len(serial) == QUESTIONS
    assert all(r["passed"] for r in serial)
    assert makers(tmp_path, "serial") == [os.getpid()]  # one model, made here
    parallel = bench(tmp_path, "parallel", 2)
    assert without_seconds(parallel) == without_seconds(serial)
    pids = makers(tmp_path, "parallel")
    assert len(pids) == 2
    assert os.getpid() not in pids
    written = (tmp_path / "parallel" / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["id"] for line in written) == sorted(r["id"] for r in serial)


@pytest.fixture
def worker_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ray's workers import ``bench_models``: give them the tests' and src's paths."""
    here = Path(__file__).parent
    paths = [str(here.parent / "src"), str(here), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))


@pytest.mark.usefixtures("worker_path")
def test_ray_actors_give_the_serial_records(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    serial = bench(tmp_path, "serial", 1)
    on_ray = bench(tmp_path, "ray", 2, ray="auto")
    assert without_seconds(on_ray) == without_seconds(serial)
    assert len(makers(tmp_path, "ray")) == 2


def test_an_unreachable_ray_address_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_questions(tmp_path / "questions.jsonl")
    status = main(["bench", "gsm8k", "--data", str(data), "--model", "local", "--out",
                   str(tmp_path / "out"), "--ray", "127.0.0.1:9"])  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    assert "cannot reach the Ray cluster at 127.0.0.1:9" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "results.jsonl").exists()
