"""BFCL, single turn, for autan and the peer frameworks on the same model, servers and machine.

    PYTHONPATH=src python benchmarks/peers/bfcl_peers.py --data ../shared/bench/bfcl \\
        [--limit 40 --seed 0] [--frameworks LIST] [--servers correct,stock] [--out DIR]

The entries are autan's own sample (``autan bench bfcl --limit N --seed S`` draws the same),
run in an interleaved order (one entry of each category in turn, every framework on an entry
before the next entry), so a stopped run leaves comparable partial results; re-running with the
same ``--out`` resumes. Each peer runs in its own virtual environment (``bfcl_worker.py``)
against a logging proxy (``proxy.py``, one-step mode) in front of either the correct-tools server
(``tool_server.py``) or llama-cpp-python's stock server; the calls scored are those of the first
reply (one reply per entry: later requests get a canned answer). autan runs in this process:
through the same proxy and servers (``openai:MODEL@URL``, default protocol choice) and with its
embedded backend (``local``).
``--report`` only rewrites the tables from the results already in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

from bfcl_report import write_reports  # noqa: E402
from proxy import EntryLog, Proxy  # noqa: E402

from autan.bench import Entry, load_entries  # noqa: E402
from autan.bench._schema import tool_specs  # noqa: E402
from autan.bench._score import score  # noqa: E402
from autan.bench._step import run_entry  # noqa: E402
from autan.bench._validate import call_is_valid  # noqa: E402

PEERS = ("smolagents", "pydantic_ai", "openai_agents", "langgraph", "agno")
SERVERS = ("correct", "stock")
MODEL_ID = "smollm2-135m-instruct"
ANSWER_TOOLS = {"smolagents": "final_answer"}
"""A framework's own answer tool: calling it is answering, not a call to score."""
ENTRY_TIMEOUT = 900.0
MAX_TOKENS = 256
"""The reply budget of a request that sets none, as an autan step's: the same for every row."""
READ_TIMEOUT = 600.0
"""autan waits 120 s for a reply by default; on a loaded machine a 256-token reply from this
model can take longer, and its retries queue behind the abandoned reply, so it gets the 600 s
the OpenAI SDK (every peer's client) waits."""


@dataclass(frozen=True)
class Config:
    framework: str
    server: str  # embedded, correct or stock

    @property
    def name(self) -> str:
        return f"{self.framework}@{self.server}"


def main() -> None:
    args = _arguments()
    entries = interleaved(load_entries(args.data, args.categories, args.limit, args.seed))
    configs = _configs(args.frameworks, args.servers)
    if not args.report:
        run_all(entries, configs, args)
    command = "PYTHONPATH=src python " + shlex.join(
        ["benchmarks/peers/bfcl_peers.py", *_run_args()]
    )
    write_reports(args.out, entries, configs, command, args.benchmarks_md)


def _run_args() -> list[str]:
    """This command line as the run it reports: without ``--report`` and ``--benchmarks-md``."""
    kept, skip = [], False
    for argument in sys.argv[1:]:
        if skip or argument == "--report" or argument.startswith("--benchmarks-md="):
            skip = False
        elif argument == "--benchmarks-md":
            skip = True
        else:
            kept.append(argument)
    return kept


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="BFCL data directory")
    parser.add_argument(
        "--categories",
        type=lambda text: text.split(","),
        default=["simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"],
    )
    parser.add_argument("--limit", type=int, default=40, help="entries per category")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--frameworks", default="autan," + ",".join(PEERS))
    parser.add_argument("--servers", default="embedded,correct,stock")
    parser.add_argument("--out", type=Path, default=Path("bfcl-peers"))
    parser.add_argument("--report", action="store_true", help="only rewrite the tables")
    parser.add_argument(
        "--benchmarks-md", type=Path, default=None, help="write the table into this file"
    )
    return parser.parse_args()


def _configs(frameworks: str, servers: str) -> list[Config]:
    wanted = servers.split(",")
    configs = []
    for server in ("embedded", *SERVERS):
        for framework in frameworks.split(","):
            runs_there = server != "stock" if framework == "autan" else server in SERVERS
            if server in wanted and runs_there:
                configs.append(Config(framework, server))
    return configs


def interleaved(entries: list[Entry]) -> list[Entry]:
    """One entry of each category in turn, so any prefix samples every category alike."""
    by_category: dict[str, list[Entry]] = {}
    for entry in entries:
        by_category.setdefault(entry.category, []).append(entry)
    rounds = max((len(group) for group in by_category.values()), default=0)
    return [g[i] for i in range(rounds) for g in by_category.values() if i < len(g)]


def run_all(entries: list[Entry], configs: list[Config], args: argparse.Namespace) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop servers and workers too
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="autan-cache-")  # a fresh probe
    servers = {s: _start_server(s, _free_port(), args.out) for s in SERVERS
               if any(c.server == s for c in configs)}  # fmt: skip
    proxies = {
        s: Proxy(
            f"http://127.0.0.1:{port}", args.out / f"requests-{s}.jsonl", 0, MAX_TOKENS
        ).start()
        for s, (_, port) in servers.items()
    }
    runners: dict[str, Any] = {}
    try:
        for index, entry in enumerate(entries, 1):
            for config in configs:
                path = args.out / config.name / "results.jsonl"
                if entry.id in _done(path):
                    continue
                runner = runners.get(config.name) or _runner(config, proxies, args.out)
                runners[config.name] = runner
                record = runner(entry)
                _append(path, record)
                print(
                    f"[{index}/{len(entries)}] {config.name} {entry.id}: "
                    f"passed={record['passed']} tokens={record['prompt_tokens']} "
                    f"requests={record['model_calls']} {record['seconds']}s"
                    + (f" error={record['error'][:120]!r}" if record.get("error") else ""),
                    flush=True,
                )
    finally:
        for runner in runners.values():
            getattr(runner, "close", lambda: None)()
        for proxy in proxies.values():
            proxy.stop()
        for process, _ in servers.values():
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # uvicorn waits for the reply in progress
        process.kill()
        process.wait()


def _runner(config: Config, proxies: dict[str, Proxy], out: Path) -> Any:
    if config.framework == "autan":
        return AutanRunner(config, proxies.get(config.server))
    return PeerRunner(config, proxies[config.server], out)


def _start_server(server: str, port: int, out: Path) -> tuple[subprocess.Popen[bytes], int]:
    from autan.models.embedded import default_gguf_path

    gguf = str(default_gguf_path())
    threads = str(os.cpu_count() or 1)
    if server == "correct":
        command = [sys.executable, str(HERE / "tool_server.py"), "--port", str(port),
                   "--model", gguf, "--name", MODEL_ID]  # fmt: skip
    else:  # as a user starts it, with the same context size and threads as the correct one
        command = [sys.executable, "-m", "llama_cpp.server", "--model", gguf,
                   "--port", str(port), "--n_ctx", "8192",
                   "--n_threads", threads, "--n_threads_batch", threads]  # fmt: skip
    log = (out / f"server-{server}.log").open("ab")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    _wait_until_up(f"http://127.0.0.1:{port}/v1/models", process)
    return process, port


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bfcl_peers: server exited with {process.returncode} ({url})")
        try:
            with urllib.request.urlopen(url, timeout=5):
                time.sleep(1)
                if process.poll() is None:  # ours answered, not another server on the port
                    return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"bfcl_peers: server not up after 180 s ({url})")


class AutanRunner:
    """autan's own BFCL step (``autan.bench``): embedded, or through a proxy with the default
    protocol choice (the probe runs once, before the first entry, and is not counted)."""

    def __init__(self, config: Config, proxy: Proxy | None) -> None:
        from autan.models import load_model

        self.proxy = proxy
        spec = "local" if proxy is None else f"openai:{MODEL_ID}@{proxy.base_url}"
        self.model = load_model(spec)
        if proxy is not None:  # the peers' OpenAI SDK waits 600 s for a reply; autan alike
            self.model._timeouts = (10.0, READ_TIMEOUT)  # type: ignore[attr-defined]
        getattr(self.model, "_load", lambda: None)()  # load the weights before the clock runs
        if proxy is not None:
            proxy.begin(f"{config.name}/probe", one_step=False)
            self.protocol = self.model.tool_protocol  # type: ignore[attr-defined]
            proxy.finish()
        self.config = config

    def __call__(self, entry: Entry) -> dict[str, Any]:
        if self.proxy is not None:
            self.proxy.begin(f"{self.config.name}/{entry.id}", one_step=True)
        record, error = run_entry(self.model, entry)
        record["error"] = error
        if self.proxy is not None:
            log = self.proxy.finish()
            record["model_calls"] = log.model_requests
            record["prompt_tokens"] = log.prompt_tokens
            record["completion_tokens"] = log.completion_tokens
            error = error or "; ".join(log.errors) or None
            record["error"] = error
        record["passed"] = record["passed"] and not error  # errors count as failures
        record["first_prompt_tokens"] = record["prompt_tokens"]
        return record


class PeerRunner:
    """One peer framework in its own virtual environment, fed one entry at a time."""

    def __init__(self, config: Config, proxy: Proxy, out: Path) -> None:
        self.config, self.proxy = config, proxy
        python = REPO / "benchmarks" / ".venvs" / config.framework / "bin" / "python"
        if not python.exists():
            raise SystemExit(f"bfcl_peers: {python} is missing; run benchmarks/peers/install.sh")
        self.command = [str(python), str(HERE / "bfcl_worker.py"), config.framework]
        self.stderr = (out / config.name / "worker.log").open("ab") if _mkdir(out / config.name) \
            else None  # fmt: skip
        self.process = self._start()

    def _start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            text=True, bufsize=1,
        )  # fmt: skip

    def __call__(self, entry: Entry) -> dict[str, Any]:
        specs, names = tool_specs(entry.functions)
        request = {
            "task": task_text(entry),
            "tools": [{"name": s.name, "description": s.description, "parameters": s.parameters}
                      for s in specs],
            "base_url": self.proxy.base_url,
            "model": MODEL_ID,
        }  # fmt: skip
        self.proxy.begin(f"{self.config.name}/{entry.id}", one_step=True)
        started = time.perf_counter()
        reply = self._ask(request)
        wall = time.perf_counter() - started
        log = self.proxy.finish()
        return peer_record(entry, self.config.framework, specs, names, reply, log, wall)

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            line = _read_line(self.process, ENTRY_TIMEOUT)
        except (OSError, TimeoutError) as error:
            self.process.kill()
            self.process.wait()
            self.process = self._start()
            return {"answer": None, "error": f"worker: {type(error).__name__} {error}"}
        if not line:
            code = self.process.wait()
            self.process = self._start()
            return {"answer": None, "error": f"worker exited with {code}"}
        reply: dict[str, Any] = json.loads(line)
        return reply

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _mkdir(path: Path) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return True


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    import select

    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise TimeoutError(f"no answer in {timeout:.0f} s")
    return process.stdout.readline()


def task_text(entry: Entry) -> str:
    """The entry's conversation as one task: its turns' texts, in order."""
    return "\n\n".join(str(turn.get("content", "")) for turn in entry.messages)


def peer_record(
    entry: Entry,
    framework: str,
    specs: Any,
    names: dict[str, str],
    reply: dict[str, Any],
    log: EntryLog,
    wall: float,
) -> dict[str, Any]:
    """The result line of one peer entry: the first step's calls scored with autan's scorer."""
    answer_tool = ANSWER_TOOLS.get(framework)
    offered = {spec.name for spec in specs}
    raw = [c for c in log.first_calls or [] if c["name"] != answer_tool or c["name"] in offered]
    calls = [{"name": names.get(c["name"], c["name"]), "arguments": c["arguments"]} for c in raw]
    valid = all(
        isinstance(c["arguments"], dict) and call_is_valid(c["name"], c["arguments"], specs)
        for c in raw
    )
    errors = [*log.errors, *([reply["error"]] if reply.get("error") else [])]
    failed_before_calls = bool(errors) and log.first_calls is None
    scorable = [c if isinstance(c["arguments"], dict) else {**c, "arguments": {}} for c in calls]
    return {
        "id": entry.id,
        "category": entry.category,
        "calls": calls,
        "passed": score(entry, scorable).passed and not failed_before_calls,
        "valid": valid,
        "prompt_tokens": log.prompt_tokens,
        "completion_tokens": log.completion_tokens,
        "first_prompt_tokens": log.first_prompt_tokens,
        "model_calls": log.model_requests,
        "canned_requests": log.canned,
        "seconds": reply.get("seconds") or round(wall, 4),
        "wall_seconds": round(wall, 4),
        "error": "; ".join(errors)[:1000] or None,
    }


def _done(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    return {json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()}


def _append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
