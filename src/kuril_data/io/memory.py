"""How the kuril-data command's own process allocates memory for a large package.

Left as they are, Arrow's allocator (mimalloc in the wheels) and glibc's malloc keep much of what
the reader and the checks free: glibc's threshold for serving a block from a mapping of its own
rises with every large block freed, so freed blocks stay in its arenas. At 1 M rows that was
~100 MB of a ~400 MB peak. The command owns its process, so on Linux with glibc it chooses:

- Arrow's jemalloc (ARROW_DEFAULT_MEMORY_POOL=jemalloc, set before pyarrow is imported: Arrow reads
  it once, and `pyarrow.set_memory_pool` would leave Arrow's own C++ allocations where they were),
  handing freed pages back after 10 ms (its default is 1 s);
- when the Arrow reader starts, glibc's malloc serving every block of 256 KiB or more (the reader's
  buffer, Python's and numpy's large objects) from a mapping of its own (M_MMAP_THRESHOLD, which
  also stops the threshold rising), so such a block goes back when it is freed.

Measured at 1 M rows (benchmarks/README.md): 285 MB and 1.31 s; Arrow's system allocator with the
same threshold gave 255 MB but 1.53 s (every fresh page is zeroed), mimalloc ~410 MB.

The library never changes a process's allocators (`kuril_data.validate()` in a notebook leaves
the user's pandas as it was): only `kuril_data.cli.main` calls `own_process`. A user who sets
ARROW_DEFAULT_MEMORY_POOL (to anything) keeps the allocators that says; nothing is tuned.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Any

POOL = "ARROW_DEFAULT_MEMORY_POOL"
DECAY_MS = 10  # jemalloc hands freed pages back after this long (1 ms: no less memory, no faster)
MMAP_THRESHOLD = 256 << 10  # at 1 MB, Arrow's parse chunks (~1 MB) stay in malloc's arenas: ~70 MB more
_M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>

_owned = False
_tuned = False
_lock = threading.Lock()  # tables are read side by side: every reader waits until it is done


def own_process() -> None:
    """The command's process: choose Arrow's jemalloc (before pyarrow is imported) and let the
    Arrow reader tune it and malloc (`tune`). Only on Linux with glibc, only when the user has not
    chosen an allocator."""
    global _owned
    if os.environ.get(POOL) or "pyarrow" in sys.modules or not _glibc():
        return
    os.environ[POOL] = "jemalloc"
    _owned = True


def tune(pa: Any) -> None:
    """Before the Arrow reader's first block: in the command's own process (`own_process`), set
    glibc's mmap threshold and jemalloc's decay. Done once (a few ms: it imports ctypes), a no-op
    otherwise."""
    global _tuned
    if _tuned or not _owned:
        return
    with _lock:
        if not _tuned:
            import ctypes

            with contextlib.suppress(OSError, AttributeError):  # no mallopt after all: the default stays
                ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            if pa.default_memory_pool().backend_name == "jemalloc":
                pa.jemalloc_set_decay_ms(DECAY_MS)
            _tuned = True


def _glibc() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError):
        return False
