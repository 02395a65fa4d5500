"""The house rules that keep the code readable: imports go downwards only (the import-linter
contracts in pyproject.toml), no function over 60 lines and no file over 500 (package, tests and
benchmarks), no import cycles."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "autan"
MAX_FUNCTION_LINES = 60
MAX_FILE_LINES = 500


def python_files() -> list[Path]:
    """The project's own Python: the package, its tests and its benchmarks (not their venvs)."""
    folders = (SOURCE, ROOT / "tests", ROOT / "benchmarks")
    found = (path for folder in folders for path in folder.rglob("*.py"))
    return sorted(p for p in found if not {".venvs", "results"} & set(p.parts))


def test_the_layer_contracts_hold() -> None:
    command = shutil.which("lint-imports")
    if command is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    done = subprocess.run(
        [command, "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_no_file_is_over_500_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in python_files()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    }
    assert long == {}


def test_no_function_is_over_60_lines() -> None:
    long = {}
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = length
    assert long == {}


def test_no_import_cycles() -> None:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("autan", cache_dir=None)
    cycles = [
        (module, other)
        for module in sorted(graph.modules)
        for other in sorted(graph.find_modules_directly_imported_by(module))
        if other != module
        and graph.find_shortest_chain(importer=other, imported=module) is not None
    ]
    assert cycles == []
