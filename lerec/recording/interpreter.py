"""The Python interpreter set up for a control loop that must not stall while worker threads run.

Two settings, both restored when the session ends:

- the GIL switch interval drops to 0.5 ms: an encoder worker doing Python-side work gives the loop back its
  turn within that, not the default 5 ms;
- the objects that exist once the session is open (modules, codecs, cameras) are collected once and then
  frozen out of the garbage collector: a full collection otherwise walks all of them, ~40 ms during which
  the loop cannot tick and the save cannot write.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator

GIL_SWITCH_INTERVAL_S = 0.0005
# Objects already frozen when lerec was imported are not a caller's freeze: CPython 3.12 starts with a few hundred.
FROZEN_AT_IMPORT = gc.get_freeze_count()


@contextlib.contextmanager
def short_gil_switch() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, GIL_SWITCH_INTERVAL_S))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Collect, then keep every object alive now out of later collections; undone on exit unless the caller
    had frozen objects of its own before (then what it froze stays frozen)."""
    already_frozen = gc.get_freeze_count() > FROZEN_AT_IMPORT
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        if not already_frozen:
            gc.unfreeze()
