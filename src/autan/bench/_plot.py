"""``summary.png``: accuracy per category beside mean prompt tokens per entry. Needs matplotlib
(``pip install 'autan[bench]'``); without it there is no PNG."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from autan.bench._report import ALL


def can_plot() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def write_plot(path: Path, table: dict[str, dict[str, float]], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(table)
    colours = ["#555555" if name == ALL else "#3b75af" for name in names]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    accuracy = [100 * table[name]["accuracy"] for name in names]
    left.barh(names, accuracy, color=colours)
    left.set_xlim(0, 100)
    left.set_xlabel("accuracy (%)")
    for y, value in enumerate(accuracy):
        left.text(value + 1, y, f"{value:.0f}%", va="center")
    tokens = [table[name]["mean_prompt_tokens"] for name in names]
    right.barh(names, tokens, color=colours)
    right.set_xlabel("mean prompt tokens per entry")
    for axis in (left, right):
        axis.invert_yaxis()
    figure.suptitle(title)
    figure.savefig(path, dpi=110)
    plt.close(figure)
