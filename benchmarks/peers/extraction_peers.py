"""Typed extraction: autan's ``output_type`` against pydantic-ai's, on the same model and server.

    PYTHONPATH=src python benchmarks/peers/extraction_peers.py [--out DIR] [--minutes 8] \\
        [--frameworks autan_embedded,autan,pydantic_ai] [--limit 50] [--report]

The fifty texts of ``benchmarks/extraction_tasks.py``, each extracted into a ``Person`` by:

- ``autan_embedded``: ``Agent(load_model("local"), output_type=Person)``, the answer decoded under
  the grammar of ``{"result": <Person's schema>}``;
- ``autan``: the same agent on ``openai:MODEL@URL``, the correct-tools server
  (``tool_server.py``) through a request counter, autan's default protocol choice (its probe);
- ``pydantic_ai``: ``Agent(OpenAIChatModel(...), output_type=Person)`` in its own virtual
  environment (``install.sh pydantic_ai``), through the same counter and server, with its
  default output mode (a final-result tool) and retries (``extraction_worker.py``).

Interleaved (every framework on a text before the next text) and resumable: each row is appended
to ``DIR/rows.jsonl`` as it finishes and rows already there are skipped, so the run goes in
chunks of ``--minutes`` (no new text starts after that; run it under the model lock, again until
every row is in). ``--report`` only prints the table from the rows. Tokens are the server's
``usage`` (for the embedded model, its own counts); seconds depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bfcl_peers import MODEL_ID, _free_port, _read_line, _start_server, _stop  # noqa: E402
from frameworks import environment_for, python_for  # noqa: E402
from request_counter import RequestCounter  # noqa: E402

from extraction import INSTRUCTIONS, fields_right, run_one  # noqa: E402
from extraction_tasks import TASKS, Person  # noqa: E402

FRAMEWORKS = ("autan_embedded", "autan", "pydantic_ai")
TASK_TIMEOUT = 300.0


def main() -> None:
    args = _arguments()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows_path = out / "rows.jsonl"
    if not args.report:
        frameworks = [f for f in args.frameworks.split(",") if f]
        run_chunk(frameworks, args.limit, args.minutes * 60, rows_path, out)
    print(report(_rows(rows_path)))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/extraction-peers")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--limit", type=int, default=len(TASKS))
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--report", action="store_true")
    return parser.parse_args()


def run_chunk(
    frameworks: list[str], limit: int, seconds: float, rows_path: Path, out: Path
) -> None:
    started = time.monotonic()
    done = {(row["framework"], row["index"]) for row in _rows(rows_path)}
    todo = [(i, f) for i in range(limit) for f in frameworks if (f, i) not in done]
    if not todo:
        return
    server = counter = None
    if any(f != "autan_embedded" for _, f in todo):
        server, port = _start_server("correct", _free_port(), out)
        counter = RequestCounter(f"http://127.0.0.1:{port}/v1")
    runners = {f: _runner(f, counter, out) for f in frameworks}
    try:
        for index, framework in todo:
            if time.monotonic() - started > seconds:
                print(f"extraction_peers: stopped after {seconds / 60:.0f} min", file=sys.stderr)
                return
            row = runners[framework](index)
            _append(rows_path, {"framework": framework, "index": index, **row})
    finally:
        for runner in runners.values():
            getattr(runner, "close", lambda: None)()
        if counter is not None:
            counter.close()
        if server is not None:
            _stop(server)


def _runner(framework: str, counter: RequestCounter | None, out: Path) -> Any:
    if framework == "autan_embedded":
        return AutanRunner("local", None)
    assert counter is not None
    if framework == "autan":
        return AutanRunner(f"openai:{MODEL_ID}@{counter.base_url}", counter)
    return PeerRunner(framework, counter, out)


class AutanRunner:
    """autan in this process, on the embedded model or through the counter."""

    def __init__(self, spec: str, counter: RequestCounter | None) -> None:
        from autan import Agent, load_model

        self.counter = counter
        self.agent = Agent(load_model(spec), instructions=INSTRUCTIONS, output_type=Person)
        if counter is not None:  # the probe of a server (once) is no text's request
            counter.label = "autan:probe"
            getattr(self.agent.model, "tool_protocol", None)

    def __call__(self, index: int) -> dict[str, Any]:
        label = f"autan:{index}"
        if self.counter is not None:
            self.counter.label = label
        row = run_one(self.agent, TASKS[index])
        if self.counter is not None:
            row.update(_counted(self.counter, label))
        return row


class PeerRunner:
    """A peer's worker (``extraction_worker.py``) in the peer's interpreter, one task at a time."""

    def __init__(self, framework: str, counter: RequestCounter, out: Path) -> None:
        self.framework, self.counter = framework, counter
        self.stderr = (out / f"worker-{framework}.log").open("a")
        self.process = self._start()

    def _start(self) -> subprocess.Popen[str]:
        command = [python_for(self.framework), str(HERE / "extraction_worker.py")]
        return subprocess.Popen(
            [*command, self.counter.base_url, MODEL_ID],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=environment_for(self.framework),
        )

    def __call__(self, index: int) -> dict[str, Any]:
        label = f"{self.framework}:{index}"
        self.counter.label = label
        assert self.process.stdin is not None
        self.process.stdin.write(f"{index}\n")
        self.process.stdin.flush()
        try:
            row: dict[str, Any] = json.loads(_read_line(self.process, TASK_TIMEOUT))
        except (TimeoutError, ValueError) as error:
            self.close()
            self.counter.wait_idle(TASK_TIMEOUT)
            self.process = self._start()
            row = {"output": None, "error": f"worker: {error}", "rejected": 0, "seconds": None}
        output = row["output"]
        expected = TASKS[index].expected
        row["fields"] = fields_right(Person.model_validate(output), expected) if output else {}
        row["text"] = TASKS[index].text
        return {**row, **_counted(self.counter, label)}

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _counted(counter: RequestCounter, label: str) -> dict[str, Any]:
    records = counter.of(label)
    return {
        "model_calls": len(records),
        "prompt_tokens": sum(r.prompt_tokens or 0 for r in records),
        "completion_tokens": sum(r.completion_tokens or 0 for r in records),
    }


def report(rows: list[dict[str, Any]]) -> str:
    """The comparison as a Markdown table, one line per framework."""
    lines = [
        "| framework | texts | answered (a valid `Person`) | invalid outputs reaching the user "
        "| answers rejected and retried | runs ended by retries | fields right | all 5 right "
        "| model calls | prompt tokens | completion tokens | seconds (sum) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    by_framework = {f: [r for r in rows if r["framework"] == f] for f in FRAMEWORKS}
    lines += [_line(f, mine) for f, mine in by_framework.items() if mine]
    lines += ["", "| framework | " + " | ".join(Person.model_fields) + " |"]
    lines.append("| --- |" + " --- |" * len(Person.model_fields))
    for framework, mine in by_framework.items():
        if mine:
            right = [sum(bool(r["fields"].get(f)) for r in mine) for f in Person.model_fields]
            lines.append(f"| {framework} | " + " | ".join(f"{n}/{len(mine)}" for n in right) + " |")
    return "\n".join(lines)


def _line(framework: str, rows: list[dict[str, Any]]) -> str:
    answered = [r for r in rows if r["output"] is not None and r["error"] is None]
    invalid = sum(not _is_person(r["output"]) for r in answered)
    fields = sum(sum(r["fields"].values()) for r in answered)
    cells = [
        framework,
        len(rows),
        len(answered),
        invalid,
        sum(r["rejected"] for r in rows),
        sum(r["error"] is not None for r in rows),
        f"{fields}/{5 * len(rows)}",
        sum(bool(r["fields"]) and all(r["fields"].values()) for r in answered),
        sum(r.get("model_calls") or 0 for r in rows),
        sum(r.get("prompt_tokens") or 0 for r in rows),
        sum(r.get("completion_tokens") or 0 for r in rows),
        round(sum(r["seconds"] or 0 for r in rows), 1),
    ]
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _is_person(output: Any) -> bool:
    try:
        Person.model_validate(output)
    except ValueError:
        return False
    return True


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _append(path: Path, row: dict[str, Any]) -> None:
    with path.open("a") as rows:
        rows.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
