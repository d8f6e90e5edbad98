"""Read one CSV resource strictly: bytes → checked text → header and columns with line numbers.

One reader for every consumer (validate, fmt, export, load). It never guesses an encoding,
never reads past a limit, and records where every row starts so problems can name the line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from .package import Package, Resource
from .report import Problem


@dataclass(frozen=True)
class Limits:
    """Caps checked before (or while) parsing, so hostile input costs little. All configurable."""

    max_file_bytes: int = 200_000_000
    max_cell_bytes: int = 1_000_000
    max_cells_per_row: int = 1_000
    max_rows: int = 5_000_000


DEFAULT_LIMITS = Limits()


@dataclass
class Table:
    """The raw text of one resource: header, string columns ('' for empty) and row start lines."""

    resource: Resource
    file: str
    header: list[str] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    readable: bool = True  # False when the file could not be decoded or parsed at all

    @property
    def num_rows(self) -> int:
        return len(self.lines)

    def column(self, name: str) -> list[str]:
        return self.columns.get(name) or [""] * self.num_rows

    def rows(self) -> list[dict[str, str]]:
        names = list(self.columns)
        return [dict(zip(names, vals, strict=True)) for vals in zip(*self.columns.values(), strict=True)] \
            if names else [{} for _ in self.lines]


def read_table(package: Package, resource: Resource, limits: Limits = DEFAULT_LIMITS) -> Table:
    table = Table(resource, resource.path)
    path = package.file(resource)
    if not path.is_file():
        why = "is not a regular file" if path.exists() else "does not exist"
        return _fail(table, Problem(table.file, None, None, "file-missing", f"the data file {why}"))
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        return _fail(table, Problem(table.file, None, None, "file-too-large",
                                    f"file is {size} bytes; the limit is {limits.max_file_bytes}"))
    return parse_bytes(table, path.read_bytes(), limits)


def parse_bytes(table: Table, raw: bytes, limits: Limits = DEFAULT_LIMITS) -> Table:
    f = table.file
    if not raw:
        # An empty file is read as a table with no rows, so links into it are still checked.
        table.problems.append(Problem(f, None, None, "empty-file", "the file is empty; it needs at least a header row"))
        return table
    if raw.startswith(b"\xef\xbb\xbf"):
        table.problems.append(Problem(f, 1, None, "bom", "the file starts with a byte-order mark (BOM); "
                                      "save as UTF-8 without BOM"))
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return _fail(table, Problem(f, line, None, "encoding-error",
                                    f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start} "
                                    f"(column {col}); the file must be saved as UTF-8"))
    _check_line_ends(table, text)
    _parse_csv(table, text, limits)
    return table


def _check_line_ends(table: Table, text: str) -> None:
    cr = text.find("\r")
    if cr < 0:
        return
    line = text.count("\n", 0, cr) + 1
    kind = "CRLF (Windows)" if text.startswith("\r\n", cr) else "bare CR (old Mac)"
    mixed = "\n" in text.replace("\r\n", "") if kind.startswith("CRLF") else "\n" in text
    msg = f"{kind} line end; lines must end with LF only" + (" (line ends are mixed)" if mixed else "")
    table.problems.append(Problem(table.file, line, None, "line-ending", msg))


def _parse_csv(table: Table, text: str, limits: Limits) -> None:
    f = table.file
    old_limit = csv.field_size_limit()
    csv.field_size_limit(limits.max_cell_bytes)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        rows: list[list[str]] = []
        lines: list[int] = []
        start = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                table.problems.append(_csv_problem(f, start, reader.line_num, str(exc), limits))
                table.readable = False
                return
            if len(row) > limits.max_cells_per_row:
                table.problems.append(Problem(f, start, None, "too-many-cells",
                                              f"row has {len(row)} cells; the limit is {limits.max_cells_per_row}"))
                if not rows:  # the header itself: nothing after it can be matched to columns
                    table.readable = False
                    return
                row = row[: limits.max_cells_per_row]
            rows.append(row)
            lines.append(start)
            start = reader.line_num + 1
            if len(rows) > limits.max_rows + 1:  # + 1 for the header
                table.problems.append(Problem(f, lines[-1], None, "too-many-rows",
                                              f"more than {limits.max_rows} rows; the file is not checked further"))
                table.readable = False
                return
    finally:
        csv.field_size_limit(old_limit)
    if not rows:
        table.problems.append(Problem(f, None, None, "empty-file", "the file has no header row"))
        return
    _split_header(table, rows, lines)


def _csv_problem(f: str, start: int, now: int, msg: str, limits: Limits) -> Problem:
    if "field larger than field limit" in msg:
        return Problem(f, start, None, "cell-too-large",
                       f"a cell is larger than {limits.max_cell_bytes} characters; the rest of the file is not read")
    if "unexpected end of data" in msg:
        return Problem(f, start, None, "csv-syntax",
                       "a quoted cell starting on this line is never closed (unbalanced quote)")
    if "expected after '\"'" in msg:
        return Problem(f, now, None, "csv-syntax",
                       "stray quote inside a quoted cell; double a quote inside quotes (\"\")")
    return Problem(f, now, None, "csv-syntax", f"malformed CSV: {msg}")


def _split_header(table: Table, rows: list[list[str]], lines: list[int]) -> None:
    f = table.file
    header, body, body_lines = rows[0], rows[1:], lines[1:]
    table.header = header
    expected = table.resource.schema.names
    if header != expected:
        table.problems.append(Problem(f, 1, None, "header-mismatch", _header_message(header, expected)))
    width = len(header)
    index = {name: i for i, name in reversed(list(enumerate(header)))}
    keep: list[list[str]] = []
    keep_lines: list[int] = []
    for row, line in zip(body, body_lines, strict=True):
        if not row or all(c == "" for c in row):
            table.problems.append(Problem(f, line, None, "blank-row", "the row is blank; remove it"))
            continue
        if len(row) > width:
            extra = len(row) - width
            table.problems.append(Problem(f, line, None, "extra-cell",
                                          f"row has {len(row)} cells, the header has {width} ({extra} extra)"))
            row = row[:width]
        elif len(row) < width:
            missing = header[len(row):]
            table.problems.append(Problem(f, line, missing[0] if len(missing) == 1 else None, "missing-cell",
                                          f"row has {len(row)} cells, the header has {width} "
                                          f"(missing: {_some(missing)})"))
            row = row + [""] * (width - len(row))
        keep.append(row)
        keep_lines.append(line)
    table.lines = keep_lines
    cols = list(zip(*keep, strict=True)) if keep else [()] * width
    table.columns = {name: list(cols[index[name]]) for name in expected if name in index}


def _some(names: list[str], limit: int = 5) -> str:
    """A few names for a message; a hostile header may have thousands."""
    shown = ", ".join(repr(n[:40]) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _header_message(header: list[str], expected: list[str]) -> str:
    wanted, present = set(expected), set(header)
    missing = [n for n in expected if n not in present]
    extra = [n for n in header if n not in wanted]
    seen: set[str] = set()
    dupes = sorted({n for n in header if n in seen or seen.add(n)})
    parts = []
    if missing:
        parts.append(f"missing column(s) {_some(missing)}")
    if extra:
        parts.append(f"unknown column(s) {_some(extra)}")
    if dupes:
        parts.append(f"duplicate column(s) {_some(dupes)}")
    if not parts:
        parts.append("columns are out of order")
    return "header does not match the schema: " + "; ".join(parts) + f" (expected: {','.join(expected)})"


def _fail(table: Table, problem: Problem) -> Table:
    table.problems.append(problem)
    table.readable = False
    return table
