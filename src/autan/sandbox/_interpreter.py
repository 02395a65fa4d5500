"""Which Python runs the sandboxed code, and which directories must the sandbox show for it?

The host's own interpreter, unless ``AUTAN_SANDBOX_PYTHON`` names another (the sandbox's
runner needs only the standard library). When autan runs as root the code runs as a uid of
the run's own, which must be able to read the interpreter: a Python under ``/root`` (pyenv,
say) is not, and ``AUTAN_SANDBOX_PYTHON=/usr/bin/python3`` is the way out.
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


def python_paths() -> list[str]:
    """What the interpreters (the host's, its venv's, the sandbox's) need outside ``/usr``:
    each executable with the links leading to it, and each prefix's ``lib``, ``lib64`` and
    ``pyvenv.cfg``. Not whole prefixes: for a Python in ``~/.local`` that would show
    ``~/.local/share``."""
    paths: set[str] = set()
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for executable in {sys.executable, sandbox_python()}:
        chain = _link_chain(executable)
        paths.update(chain)
        prefixes.add(str(Path(chain[-1]).parent.parent))
    for prefix in prefixes:
        for name in ("lib", "lib64", "pyvenv.cfg"):
            candidate = os.path.join(prefix, name)
            if os.path.lexists(candidate):
                paths.add(candidate)
    return sorted(path for path in paths if not (path + "/").startswith("/usr/"))


def _link_chain(path: str) -> list[str]:
    """``path``, every link it leads through, and where it ends."""
    chain = [os.path.abspath(path)]
    while os.path.islink(chain[-1]) and len(chain) < 40:
        target = os.readlink(chain[-1])
        chain.append(os.path.normpath(os.path.join(os.path.dirname(chain[-1]), target)))
    real = os.path.realpath(path)
    return chain if chain[-1] == real else [*chain, real]
