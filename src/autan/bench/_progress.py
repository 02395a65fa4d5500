"""A progress bar with an ETA on stderr, hand-written (no dependency).

On a terminal it redraws one line; elsewhere (CI logs) it prints a line every 5 %.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 24


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self.live = self.stream.isatty()
        self._every = max(1, total // 20)

    def advance(self, label: str = "") -> None:
        self.done += 1
        if self.live or self.done % self._every == 0 or self.done == self.total:
            end = "" if self.live and self.done < self.total else "\n"
            print(
                f"\r{self.line(label)}\033[K" if self.live else self.line(label),
                end=end,
                file=self.stream,
                flush=True,
            )

    def line(self, label: str = "") -> str:
        elapsed = time.perf_counter() - self.started
        share = self.done / self.total if self.total else 1.0
        filled = int(WIDTH * share)
        per = elapsed / self.done if self.done else 0.0
        eta = per * (self.total - self.done)
        bar = "#" * filled + "." * (WIDTH - filled)
        return (
            f"[{bar}] {self.done}/{self.total} {share:4.0%} · {per:.2f} s/entry"
            f" · ETA {_clock(eta)} {label}".rstrip()
        )


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
