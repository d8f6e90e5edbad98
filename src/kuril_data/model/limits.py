"""The caps every reader applies while reading, so hostile input costs little. All configurable.

One `Limits` serves every kind of version (folder, zip, inline JSON, git revision, SQLite file):
sizes are checked before a file is opened or while it is streamed, counts before objects are built.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Caps checked before (or while) parsing. The defaults are far above what the real package needs."""

    max_file_bytes: int = 200_000_000  # one data file (CSV, inline JSON, SQLite file)
    max_cell_bytes: int = 1_000_000
    max_cells_per_row: int = 1_000
    max_rows: int = 5_000_000  # rows of one table; also JSON containers in an inline file
    max_descriptor_bytes: int = 1_000_000  # datapackage.json and every schema file
    max_resources: int = 200
    max_fields: int = 500  # per schema
    max_foreign_keys: int = 100  # per schema
    max_total_bytes: int = 1_000_000_000  # everything unpacked from one zip or git revision
    max_compression_ratio: int = 200  # a zip member above 1 MB unpacked may not grow more than this
    max_seconds: float = 60.0  # SQLite queries of one load (a progress handler aborts them)


DEFAULT_LIMITS = Limits()

__all__ = ["DEFAULT_LIMITS", "Limits"]
