"""The multi-step measure: every framework runs the task set to completion with its defaults.

    python benchmarks/peers/multistep.py --server http://127.0.0.1:8080/v1 --out DIR
        [--frameworks autan,autan_embedded,smolagents,...] [--tasks 0-19] [--timeout 300]

Each (task, framework) runs in a fresh process of the framework's own interpreter
(``multistep_worker.py``), through a counting proxy in front of the server, so that per task we
get: a correct answer or not (``tasks.is_correct``), model requests and total prompt tokens
(the server's ``usage``), and wall time. ``autan_embedded`` runs autan on the embedded model in
its own process (its counts come from its ``RunResult``). A worker still running after
``--timeout`` seconds is killed and its task counted as failed, "timed out". Tasks run in
order, every framework on a task before the next task, and each row is appended to
``DIR/results.jsonl`` as it finishes; a rerun with the same ``--out`` skips finished rows.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from frameworks import PEERS, environment_for, python_for
from multistep_report import write_summary
from request_counter import RequestCounter
from tasks import TASKS, is_correct

WORKER = Path(__file__).resolve().parent / "multistep_worker.py"
DEFAULT_FRAMEWORKS = ["autan", "autan_constrained", "autan_embedded", *PEERS]


def task_indices(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def run_worker(
    framework: str, base_url: str, model: str, index: int, timeout: float, log: Path
) -> tuple[dict[str, Any], bool]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out, log.open("w") as sink:
        command = [
            python_for(framework),
            str(WORKER),
            framework,
            base_url,
            model,
            str(index),
            out.name,
        ]
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=sink,
            env=environment_for(framework),
            start_new_session=True,
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return {"answer": None, "error": "timed out", "seconds": timeout}, True
        text = Path(out.name).read_text()
    if not text:
        tail = log.read_text()[-300:]
        return {"answer": None, "error": f"worker exited {process.returncode}: {tail}"}, False
    return json.loads(text), False


def run_one(
    counter: RequestCounter, framework: str, model: str, index: int, timeout: float, logs: Path
) -> dict[str, Any]:
    label = f"{framework}#{index}"
    counter.label = label
    base_url = "" if framework == "autan_embedded" else counter.base_url
    log = logs / f"{framework}-{index:02d}.log"
    report, timed_out = run_worker(framework, base_url, model, index, timeout, log)
    counter.wait_idle(600)
    counter.label = ""
    records = counter.of(label)
    task = TASKS[index]
    row = {
        "framework": framework,
        "task": index,
        "prompt": task.prompt,
        "answer": report.get("answer"),
        "correct": is_correct(task, report.get("answer")),
        "error": report.get("error"),
        "timed_out": timed_out,
        "requests": len(records),
        "prompt_tokens": sum(r.prompt_tokens or 0 for r in records),
        "first_request_prompt_tokens": records[0].prompt_tokens if records else None,
        "seconds": report.get("seconds"),
    }
    if framework == "autan_embedded":
        row["requests"] = report.get("model_calls", 0)
        row["prompt_tokens"] = report.get("prompt_tokens", 0)
    return row


def probe_autan(counter: RequestCounter, model: str) -> str:
    """autan probes a server's tool protocol once and caches it; done here, outside the tasks."""
    counter.label = "autan#probe"
    spec = f"openai:{model}@{counter.base_url}"
    code = f"from autan import load_model; print(load_model({spec!r}).tool_protocol)"
    done = subprocess.run(
        [python_for("autan"), "-c", code],
        capture_output=True,
        text=True,
        env=environment_for("autan"),
        check=True,
    )
    counter.wait_idle(600)
    return done.stdout.strip()


def finished(results: Path) -> set[tuple[str, int]]:
    if not results.exists():
        return set()
    rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    return {(row["framework"], row["task"]) for row in rows}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--server", required=True, help="base URL of the correct-tools server")
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--frameworks", default=",".join(DEFAULT_FRAMEWORKS))
    parser.add_argument("--tasks", default=f"0-{len(TASKS) - 1}")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "logs").mkdir(exist_ok=True)
    os.environ["XDG_CACHE_HOME"] = str(args.out / "cache")
    frameworks = args.frameworks.split(",")
    results = args.out / "results.jsonl"
    done = finished(results)
    counter = RequestCounter(args.server)
    meta = {"server": args.server, "model": args.model, "timeout_s": args.timeout}
    if "autan" in frameworks:
        meta["autan_tool_protocol"] = probe_autan(counter, args.model)
        meta["autan_probe_requests"] = len(counter.of("autan#probe"))
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1))
    for index in task_indices(args.tasks):
        for framework in frameworks:
            if (framework, index) in done:
                continue
            row = run_one(counter, framework, args.model, index, args.timeout, args.out / "logs")
            with results.open("a") as sink:
                sink.write(json.dumps(row) + "\n")
            mark = "ok " if row["correct"] else "BAD"
            print(
                f"{time.strftime('%H:%M:%S')} {mark} {framework:>15} #{index:<2} "
                f"req={row['requests']:<3} tok={row['prompt_tokens']:<7} {row['seconds']}s "
                f"{(row['answer'] or row['error'] or '')[:70]!r}",
                flush=True,
            )
    counter.close()
    write_summary(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
