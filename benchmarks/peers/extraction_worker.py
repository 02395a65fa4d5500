"""pydantic-ai's ``output_type`` on the extraction texts, in pydantic-ai's own interpreter.

    benchmarks/.venvs/pydantic_ai/bin/python extraction_worker.py BASE_URL MODEL

Reads one task index per line on stdin and writes one JSON line per task on stdout: the output
(the validated ``Person`` as JSON, or null), the error that ended the run, and how many answers
failed validation (those sent back to the model; every reply when the retries ran out).
The agent is built as pydantic-ai's docs show for a local OpenAI-compatible server, with its
default output mode (a final-result tool) and its default retries. Imports nothing of autan.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extraction_tasks import TASKS, Person

INSTRUCTIONS = "Extract the person described in the text."


def make_agent(base_url: str, model: str) -> Any:
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    provider = OpenAIProvider(base_url=base_url, api_key="not-needed")
    chat = OpenAIChatModel(model, provider=provider)
    return Agent(chat, output_type=Person, instructions=INSTRUCTIONS)


def run_one(agent: Any, index: int) -> dict[str, Any]:
    from pydantic_ai import capture_run_messages

    started = time.perf_counter()
    output, error = None, None
    with capture_run_messages() as messages:
        try:
            output = agent.run_sync(TASKS[index].text).output.model_dump(mode="json")
        except Exception as failure:  # every way pydantic-ai's run ends is a result here
            error = f"{type(failure).__name__}: {failure}"[:300]
    parts = [part for message in messages for part in getattr(message, "parts", ())]
    retried = [part for part in parts if _retried(part)]
    replies = sum(type(message).__name__ == "ModelResponse" for message in messages)
    ended_by_retries = error is not None and "output retries" in error
    return {
        "output": output,
        "error": error,
        "rejected": replies if ended_by_retries else len(retried),
        "first_rejection": str(retried[0].content)[:300] if retried else None,
        "seconds": round(time.perf_counter() - started, 3),
    }


def _retried(part: Any) -> bool:
    """A validation failure sent back to the model: a ``RetryPromptPart``, or (pydantic-ai
    2.x) a tool return whose ``outcome`` is ``retried``."""
    from pydantic_ai.messages import RetryPromptPart

    return isinstance(part, RetryPromptPart) or getattr(part, "outcome", None) == "retried"


def main(base_url: str, model: str) -> int:
    agent = make_agent(base_url, model)
    for line in sys.stdin:
        print(json.dumps(run_one(agent, int(line))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
