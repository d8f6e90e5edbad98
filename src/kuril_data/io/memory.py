"""How the kuril-data command's own process allocates memory for a large package.

Arrow's default allocators (mimalloc, jemalloc) and glibc's malloc, whose threshold for giving a
large block back to the system rises as blocks are freed, keep memory that the reader and the
checks have freed: at 1 M rows ~100 MB of a ~420 MB peak. The command owns its process, so on
Linux with glibc it asks for memory that goes back as soon as it is freed: Arrow's system
allocator (ARROW_DEFAULT_MEMORY_POOL=system, set before pyarrow is imported: Arrow reads it once,
and `pyarrow.set_memory_pool` would leave Arrow's own C++ allocations on the default), and, when
the Arrow reader starts, glibc's malloc serving every block of 256 KiB or more from a mapping of
its own (M_MMAP_THRESHOLD, which also stops the threshold rising). That costs ~0.2 s of system
time at 1 M rows (fresh pages are zeroed) and takes ~100 MB off its peak (benchmarks/README.md).

The library never changes a process's allocators (`kuril_data.validate()` in a notebook leaves
the user's pandas as it was): only `kuril_data.cli.main` calls `own_process`. A user who sets
ARROW_DEFAULT_MEMORY_POOL (to anything) keeps the allocators that says; nothing is tuned.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

MMAP_THRESHOLD = 256 << 10  # 1 MB: Arrow's parse chunks (~1 MB) stay in malloc's arenas, ~100 MB more
_M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>
POOL = "ARROW_DEFAULT_MEMORY_POOL"

_owned = False
_tuned = False
_lock = threading.Lock()  # tables are read side by side: every reader waits until it is done


def own_process() -> None:
    """The command's process: choose Arrow's system allocator (before pyarrow is imported) and let
    the Arrow reader set malloc's threshold (`tune`). Only on Linux with glibc, only when the user
    has not chosen an allocator."""
    global _owned
    if os.environ.get(POOL) or "pyarrow" in sys.modules or not _glibc():
        return
    os.environ[POOL] = "system"
    _owned = True


def tune() -> None:
    """Before the Arrow reader's first block: in the command's own process (`own_process`), set
    glibc's mmap threshold. Done once (a few ms: it imports ctypes), a no-op otherwise."""
    global _tuned
    if _tuned or not _owned:
        return
    with _lock:
        if not _tuned:
            import ctypes

            with contextlib.suppress(OSError, AttributeError):  # no mallopt after all: the default stays
                ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            _tuned = True


def _glibc() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError):
        return False
