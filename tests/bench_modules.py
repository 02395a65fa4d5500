"""Loading a benchmark script as a module, for the tests of benchmarks/ (not a package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
PEERS = BENCH / "peers"


def load(name: str, path: Path) -> ModuleType:
    """The module in ``path``, registered as ``name`` in ``sys.modules`` (so its own imports of
    it, and dataclasses, resolve)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
