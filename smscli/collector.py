"""The cyclic garbage collector held off while a command builds or churns through many objects
that hold no cycles (a batch's plan, a report's answers): its passes over them cost up to a
fifth of the work's CPU and find next to nothing. gc.collect still works while it is held off,
so a long-running caller can collect at moments of its choosing."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused(*, freeze_built: bool = False) -> Iterator[None]:
    """No automatic collection inside. freeze_built: what was built inside lives on (a
    batch's plan lives until the job ends), so where start-up was frozen (the console script,
    smscli.entry; never in tests) it is frozen too, instead of being rescanned later only to
    be found alive. A collector already disabled by the caller is left alone."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if freeze_built and gc.get_freeze_count():
            gc.freeze()
        gc.enable()
