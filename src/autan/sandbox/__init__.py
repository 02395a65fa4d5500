"""Run model-written Python in an isolated process (bubblewrap, else Landlock + seccomp, and
resource limits).

``run_python(code)`` returns a ``SandboxResult``; ``SandboxLimits`` bounds a run;
``python_tool()`` offers the same to agents as a tool; ``available()`` says which isolation can
run here. Where no sandbox can be made, ``SandboxUnavailable`` is raised unless
``allow_unsandboxed=True``.
"""

from __future__ import annotations

from autan.errors import SandboxUnavailable
from autan.sandbox._isolation import available
from autan.sandbox._limits import SandboxLimits
from autan.sandbox._result import SandboxResult
from autan.sandbox._run import run_python
from autan.sandbox._session import CodeSession, ToolRequest
from autan.sandbox._tool import python_tool

__all__ = [
    "CodeSession",
    "SandboxLimits",
    "SandboxResult",
    "SandboxUnavailable",
    "ToolRequest",
    "available",
    "python_tool",
    "run_python",
]
