"""Runs one multi-step task with one framework, in that framework's interpreter.

    PYTHON multistep_worker.py FRAMEWORK BASE_URL MODEL TASK_INDEX OUT_JSON

Standard library only, apart from the framework its adapter imports. The agent is built with the
framework's default limits; the run's answer (or the error that ended it) and its seconds go to
OUT_JSON, since some frameworks print their own logs on stdout. For autan the run's own counts
(model calls, prompt tokens) are written too: the embedded backend has no server to count them.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from frameworks import load_make_agent, tool_defs
from tasks import TASKS, TOOLS


def main(framework: str, base_url: str, model: str, index: str, out: str) -> int:
    make_agent = load_make_agent(framework)
    run = make_agent(tool_defs(TOOLS), base_url, model)
    report: dict[str, object] = {"answer": None, "error": None}
    started = time.perf_counter()
    try:
        report["answer"] = str(run(TASKS[int(index)].prompt))
    except Exception as error:  # every framework's own failure is a result here
        report["error"] = f"{type(error).__name__}: {error}"[:300]
    report["seconds"] = round(time.perf_counter() - started, 3)
    result = getattr(run, "last_result", None)
    if result is not None:
        report["model_calls"] = result.model_calls
        report["prompt_tokens"] = result.usage.prompt_tokens
    Path(out).write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:6]))
