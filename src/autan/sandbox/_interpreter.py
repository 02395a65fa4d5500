"""Which Python runs the sandboxed code, and which directories must the sandbox show for it?

The host's own interpreter, unless ``AUTAN_SANDBOX_PYTHON`` names another (the sandbox's
runner needs only the standard library). When autan runs as root the code runs as ``nobody``,
who must be able to read the interpreter: a Python under ``/root`` (pyenv, say) is not, and
``AUTAN_SANDBOX_PYTHON=/usr/bin/python3`` is the way out.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from autan.errors import ConfigurationError


def sandbox_python() -> str:
    chosen = os.environ.get("AUTAN_SANDBOX_PYTHON")
    if not chosen:
        return sys.executable
    found = chosen if os.path.isabs(chosen) else shutil.which(chosen)
    if found is None or not os.path.isfile(found) or not os.access(found, os.X_OK):
        raise ConfigurationError(f"AUTAN_SANDBOX_PYTHON is not an executable: {chosen}")
    return os.path.abspath(found)


def python_prefixes() -> list[str]:
    """The directories the interpreters (the host's, its venv, the sandbox's) live in, outside
    /usr."""
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for executable in {sys.executable, sandbox_python()}:
        candidates.add(str(Path(os.path.realpath(executable)).parent.parent))
    return sorted(c for c in candidates if not c.startswith("/usr/") and c != "/usr")
