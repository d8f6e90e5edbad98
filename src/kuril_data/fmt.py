"""Canonical CSV: UTF-8 without BOM, LF, minimal RFC 4180 quoting, schema column order, rows
sorted by primary key, NFC text. Formatting never changes or drops a value: a file it cannot
rewrite losslessly (undecodable, malformed, cells that fit no column) is refused, not guessed at.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .checks.text import is_nfc, nfc  # bounded work per cell (see there)
from .package import Package, Resource, read_package
from .read import DEFAULT_LIMITS, Limits, Table, read_table
from .report import Problem

# Problems after which a lossless rewrite is impossible; everything else fmt can mend.
_REFUSE = {"file-missing", "file-too-large", "empty-file", "encoding-error", "csv-syntax", "cell-too-large",
           "too-many-cells", "too-many-rows", "extra-cell", "missing-cell", "header-mismatch"}


@dataclass
class FileResult:
    file: str
    changed: bool = False
    reasons: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # why the file was left alone


@dataclass
class FormatResult:
    files: list[FileResult]
    problems: list[Problem] = field(default_factory=list)  # descriptor or schema problems

    @property
    def refused(self) -> list[FileResult]:
        return [f for f in self.files if f.problems]

    @property
    def changed(self) -> list[FileResult]:
        return [f for f in self.files if f.changed]


def canonical_bytes(table: Table) -> bytes:
    """The canonical CSV bytes of a table read without refusal problems."""
    names = table.resource.schema.names
    key = table.resource.schema.primary_key or tuple(names)
    rows = [[nfc(v) for v in row]
            for row in zip(*(table.columns[n] for n in names), strict=True)] if table.num_rows else []
    positions = [names.index(k) for k in key]
    rows.sort(key=lambda r: [r[p] for p in positions])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(names)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _reasons(raw: bytes, table: Table, new: bytes) -> list[str]:
    reasons = []
    if raw.startswith(b"\xef\xbb\xbf"):
        reasons.append("starts with a byte-order mark")
    if b"\r" in raw:
        reasons.append("has CR or CRLF line ends")
    if any(p.code == "blank-row" for p in table.problems):
        reasons.append("has blank rows")
    if table.header != table.resource.schema.names:
        reasons.append("columns are not in schema order")
    key = table.resource.schema.primary_key
    if key:
        keys = list(zip(*(table.columns[k] for k in key), strict=True))
        if keys != sorted(keys):
            reasons.append("rows are not sorted by primary key")
    if any(not is_nfc(v) for col in table.columns.values() for v in col):
        reasons.append("text is not in Unicode NFC form")
    if not reasons and raw != new:
        reasons.append("quoting or final line end differs from minimal RFC 4180 form")
    return reasons


def format_package(path: str | os.PathLike[str] = ".", *, check: bool = False,
                   limits: Limits = DEFAULT_LIMITS) -> FormatResult:
    """Rewrite every CSV of the package in canonical form (or, with check, only report)."""
    package, problems = read_package(path)
    if package is None:
        return FormatResult([], problems)
    return FormatResult([_format_one(package, r, check, limits) for r in package.resources], problems)


def _format_one(package: Package, resource: Resource, check: bool, limits: Limits) -> FileResult:
    table = read_table(package, resource, limits)
    result = FileResult(resource.path)
    reordered = sorted(table.header) == sorted(resource.schema.names)  # same columns, other order: mendable
    refusals = [p for p in table.problems
                if p.code in _REFUSE and not (p.code == "header-mismatch" and reordered)]
    if refusals or not table.readable:
        result.problems = refusals or table.problems
        return result
    path = package.file(resource)
    raw = path.read_bytes()
    new = canonical_bytes(table)
    if raw == new:
        return result
    result.changed = True
    result.reasons = _reasons(raw, table, new)
    if not check:
        _atomic_write(path, new)
    return result


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
