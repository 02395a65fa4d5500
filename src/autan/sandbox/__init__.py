"""Run model-written Python in an isolated process (bubblewrap + resource limits).

``run_python(code)`` returns a ``SandboxResult``; ``SandboxLimits`` bounds a run;
``python_tool()`` offers the same to agents as a tool. Where no sandbox can be made,
``SandboxUnavailable`` is raised unless ``allow_unsandboxed=True``.
"""

from __future__ import annotations

from autan.errors import SandboxUnavailable
from autan.sandbox._limits import SandboxLimits
from autan.sandbox._result import SandboxResult
from autan.sandbox._run import run_python
from autan.sandbox._tool import python_tool

__all__ = ["SandboxLimits", "SandboxResult", "SandboxUnavailable", "python_tool", "run_python"]
