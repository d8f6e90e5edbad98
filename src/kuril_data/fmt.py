"""Canonical CSV: UTF-8 without BOM, LF, minimal RFC 4180 quoting, schema column order, rows
sorted by primary key, NFC text. Formatting never changes or drops a value: a file it cannot
rewrite losslessly (undecodable, malformed, cells that fit no column) is refused, not guessed at.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field

from kuril_data.io.atomic import write_atomic
from kuril_data.io.read import DEFAULT_LIMITS, Limits, Table, parse_bytes, read_table
from kuril_data.model.package import Package, Resource, read_package
from kuril_data.model.text import is_nfc, nfc  # bounded work per cell (see there)
from kuril_data.report import Problem

_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
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


def canonical_rows(table: Table) -> list[list[str]]:
    """The rows of a table read without refusal problems, in NFC and sorted by primary key."""
    names = table.resource.schema.names
    key = table.resource.schema.primary_key or tuple(names)
    rows = [[nfc(v) for v in row]
            for row in zip(*(table.columns[n] for n in names), strict=True)] if table.num_rows else []
    positions = [names.index(k) for k in key]
    rows.sort(key=lambda r: [r[p] for p in positions])
    return rows


def csv_line(row: list[str]) -> str:
    """One row in minimal RFC 4180 form: a cell is quoted when it holds a comma, a quote, CR or LF.

    Written here rather than by `csv.writer`, which on Python 3.11/3.12 leaves a bare CR unquoted
    (so the row would split when read back)."""
    if row == [""]:
        return '""\n'  # as csv.writer: a lone empty cell is quoted, or the line would be blank
    return ",".join('"' + v.replace('"', '""') + '"' if _NEEDS_QUOTES.search(v) else v for v in row) + "\n"


def canonical_bytes(table: Table) -> bytes:
    """The canonical CSV bytes of a table read without refusal problems."""
    out = io.StringIO()
    out.write(csv_line(table.resource.schema.names))
    for row in canonical_rows(table):
        out.write(csv_line(row))
    return out.getvalue().encode("utf-8")


def _proof(table: Table, new: bytes, limits: Limits) -> Problem | None:
    """Read `new` back with the strict reader and compare every value with what was meant to be
    written; a problem (and the file left alone) unless they are all equal."""
    back = parse_bytes(Table(table.resource, table.file), new, limits)
    names = table.resource.schema.names
    expected = canonical_rows(table)
    if back.readable and back.header == names and back.num_rows == len(expected):
        got = zip(*(back.column(n) for n in names), strict=True) if names else iter(())
        mismatch = next((i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if list(a) != b), None)
        if mismatch is None:
            return None
        where = f"row {mismatch + 1}"
    else:
        where = "the row count or the header"
    return Problem(table.file, None, None, "csv-syntax",
                   f"fmt could not write this file without changing {where} when read back; left untouched")


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
    package, problems = read_package(path, limits)
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
    wrong = _proof(table, new, limits)
    if wrong is not None:
        result.problems = [wrong]
        return result
    result.changed = True
    result.reasons = _reasons(raw, table, new)
    if not check:
        write_atomic(path, new, mode=path.stat().st_mode & 0o777)
    return result
