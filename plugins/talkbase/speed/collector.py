"""When Python's cycle collector runs during a build: loading and rendering a project make millions of small
objects that stay alive until the end, which the collector would walk again and again and could not free."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused(keep: bool = False) -> Iterator[None]:
    """No cycle collection inside (it took a third of the time at 1000 episodes). With `keep` (what is made
    lives as long as the process or the build does) the objects are frozen before it resumes, so the
    collector does not walk them even once; `release` hands them back."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        gc.enable()


def release() -> None:
    """What earlier `collector_paused(keep=True)` froze may be collected again (after each build when serving)."""
    gc.unfreeze()


def before_exit() -> None:
    """Python's last cycle collection at exit would walk every loaded episode once more for nothing (a large part
    of a `talkbase validate`: benchmarks/README.md); frozen objects are still freed, just not walked."""
    gc.freeze()
