"""Import cost of autan from two source trees, measured interleaved in one run.

    python benchmarks/import_compare.py BASELINE_SRC [CANDIDATE_SRC] [--repeat 30]

Each sample is a fresh interpreter running one statement with ``PYTHONPATH`` set to one tree;
the trees alternate sample by sample so that machine load hits both alike. Prints medians (ms)
and the candidate / baseline ratio for each statement, next to a bare interpreter.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

STATEMENTS = ("pass", "import autan", "from autan import Agent, tool")


def sample(source: Path, statement: str) -> float:
    environment = {**os.environ, "PYTHONPATH": str(source)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], env=environment, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path)
    parser.add_argument(
        "candidate", type=Path, nargs="?", default=Path(__file__).parents[1] / "src"
    )
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    for statement in STATEMENTS:
        times: dict[str, list[float]] = {"baseline": [], "candidate": []}
        for _ in range(args.repeat):
            times["baseline"].append(sample(args.baseline, statement))
            times["candidate"].append(sample(args.candidate, statement))
        base, cand = (statistics.median(times[k]) * 1000 for k in ("baseline", "candidate"))
        print(f"{statement!r:34} baseline {base:6.1f} ms  candidate {cand:6.1f} ms  "
              f"ratio {cand / base:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
