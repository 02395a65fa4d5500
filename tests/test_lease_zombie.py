"""A lease whose holder has exited but was never reaped (a zombie) is stale at once: a batch
killed with SIGKILL leaves its workers so until an init reaps them."""

from __future__ import annotations

import os
import time

from autan.store import Holder


def test_a_zombie_holder_is_gone() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        time.sleep(0.2)  # exited, not reaped: os.kill(pid, 0) still succeeds
        os.kill(pid, 0)
        here = Holder.this_process()
        assert Holder(pid, here.host, here.machine).is_gone()
        assert not here.is_gone()
    finally:
        os.waitpid(pid, 0)
