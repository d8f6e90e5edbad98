"""Read one CSV resource strictly: bytes → checked text → header and columns with line numbers.

One reader for every consumer (validate, fmt, export, load). It never guesses an encoding,
never reads past a limit, and records where every row starts so problems can name the line.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import struct
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kuril_data.model.limits import DEFAULT_LIMITS, Limits
from kuril_data.model.package import Package, Resource
from kuril_data.report import Problem

__all__ = ["DEFAULT_LIMITS", "Limits", "Table", "parse_bytes", "read_table"]




class LazyColumns(Mapping[str, list[str]]):
    """Arrow string columns that become lists of str only when a consumer asks for one."""

    def __init__(self, arrays: dict[str, Any]) -> None:
        self._arrays = arrays
        self._lists: dict[str, list[str]] = {}

    def __getitem__(self, name: str) -> list[str]:
        if name not in self._lists:
            self._lists[name] = self._arrays[name].to_pylist()
        return self._lists[name]

    def __contains__(self, name: object) -> bool:
        return name in self._arrays

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)


@dataclass
class Table:
    """The raw text of one resource: header, string columns ('' for empty) and row start lines.

    `columns[name]` is a list of str; tables read by the Arrow reader keep Arrow arrays
    (`array(name)`) and make lists only on demand. `lines[i]` is the line row i starts on.
    """

    resource: Resource
    file: str
    header: list[str] = field(default_factory=list)
    columns: Mapping[str, list[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    readable: bool = True  # False when the file could not be decoded or parsed at all
    _lines: list[int] | None = field(default_factory=list, repr=False)
    _num_rows: int = field(default=0, repr=False)
    _arrays: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def lines(self) -> list[int]:
        if self._lines is None:  # Arrow-read: one physical line per row, after the header
            self._lines = list(range(2, self._num_rows + 2))
        return self._lines

    @lines.setter
    def lines(self, value: list[int]) -> None:
        self._lines = value
        self._num_rows = len(value)

    def line(self, i: int) -> int:
        """The line row i starts on, without building the whole list."""
        return self._lines[i] if self._lines is not None else i + 2

    @property
    def arrow_read(self) -> bool:
        """Read by the Arrow reader: its columns are Arrow arrays, lists only when asked for."""
        return isinstance(self.columns, LazyColumns)

    @property
    def num_rows(self) -> int:
        return self._num_rows

    def column(self, name: str) -> list[str]:
        return self.columns.get(name) or [""] * self.num_rows

    def array(self, name: str) -> Any:
        """Column `name` as an Arrow string array ('' for a column the file lacks)."""
        if name not in self._arrays:
            from kuril_data.model.arrow_lit import strings  # not pa.array: that imports pandas

            values = self.columns[name] if name in self.columns else [""] * self.num_rows
            self._arrays[name] = strings(values)
        array = self._arrays[name]
        if getattr(array, "num_chunks", 1) != 1:  # as parsed: made contiguous at first use (see _parse_arrow)
            array = self._arrays[name] = array.combine_chunks()
        elif hasattr(array, "num_chunks"):
            array = self._arrays[name] = array.chunk(0)
        return array

    def take(self, name: str, rows: list[int]) -> list[str]:
        """The values of column `name` in the given rows ('' where the file lacks the column)."""
        if name in self._arrays:
            from kuril_data.model.arrow_lit import ints

            return self.array(name).take(ints(rows)).to_pylist() if rows else []
        column = self.column(name)
        return [column[i] for i in rows]

    def rows(self) -> list[dict[str, str]]:
        names = list(self.columns)
        cols = [self.columns[n] for n in names]
        return [dict(zip(names, vals, strict=True)) for vals in zip(*cols, strict=True)] \
            if names else [{} for _ in self.lines]


def read_table(package: Package, resource: Resource, limits: Limits = DEFAULT_LIMITS, *,
               arrow: bool = False) -> Table:
    """Read one resource. With `arrow`, a well-formed file is parsed by Arrow (see `_parse_arrow`)."""
    table = Table(resource, resource.path)
    path = package.file(resource)
    if not path.is_file():
        why = "is not a regular file" if path.exists() else "does not exist"
        return _fail(table, Problem(table.file, None, None, "file-missing", f"the data file {why}"))
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        return _fail(table, Problem(table.file, None, None, "file-too-large",
                                    f"file is {size} bytes; the limit is {limits.max_file_bytes}"))
    # Could hold too many rows: count them streaming, before reading the file. Rows are at most
    # lines, so a file with fewer line ends than the limit allows is cleared by C-speed counting
    # of 1 MB chunks; only a file with that many lines is scanned quote by quote.
    if size > limits.max_rows and _count_lines(path) > limits.max_rows:
        line = _stream_line_past_max_rows(path, limits)
        if line is not None:
            return _fail(table, Problem(table.file, line, None, "too-many-rows",
                                        f"more than {limits.max_rows} rows; the file is not checked further"))
    table = parse_bytes(table, path.read_bytes(), limits, arrow=arrow)
    for name in table._arrays:  # the file's bytes are freed by now: the copies cost ~40 MB less at 1 M rows
        table.array(name)
    return table


def parse_bytes(table: Table, raw: bytes, limits: Limits = DEFAULT_LIMITS, *, arrow: bool = False) -> Table:
    f = table.file
    if raw.count(b"\n") > limits.max_rows + 1:  # more lines than rows allowed: count rows before building any
        line = _line_past_max_rows(raw, limits)
        if line is not None:
            return _fail(table, Problem(f, line, None, "too-many-rows",
                                        f"more than {limits.max_rows} rows; the file is not checked further"))
    if arrow and _parse_arrow(table, raw, limits):
        return table
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


_QUOTED = re.compile(rb'"[^"]*"')  # a quoted cell, or one of the halves of a doubled quote inside it
# One CSV cell as RFC 4180 writes it: quoted (quotes doubled, no line break inside) or bare.
_CELL = r'(?:"(?:[^"\n]|"")*"|[^",\n]*)'


def _parse_arrow(table: Table, raw: bytes, limits: Limits) -> bool:
    """Parse a strictly well-formed file with Arrow's CSV reader; False (nothing done) otherwise.

    Taken only when the result is certainly what the Python reader gives: no BOM, no CR, the
    header exactly the schema's names, valid UTF-8, and every line exactly as many RFC 4180
    cells as the header (checked with one RE2 match over the whole body, because Arrow's parser
    is lenient: it reads `"x"y` as `xy` and accepts unbalanced quotes), within the limits and with
    no blank row. Row i is then line i + 2. Anything else goes to the Python reader, which
    locates the problem.
    """
    names = table.resource.schema.names
    width = len(names)
    if not raw or width < 2 or width > limits.max_cells_per_row or len(raw) >= 2**31 \
            or raw.startswith(b"\xef\xbb\xbf") or b"\r" in raw:
        return False
    end = raw.find(b"\n")
    header = (raw if end < 0 else raw[:end]).decode("utf-8", "replace")
    if header != ",".join(names):
        return False
    start = len(raw) if end < 0 else end + 1
    rows = raw.count(b"\n", start) + (0 if raw.endswith(b"\n") or start == len(raw) else 1)
    if rows > limits.max_rows:
        return False
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    from kuril_data.model.arrow_lit import lit

    nothing = lit("")  # literals and arrays are built without pa.scalar / pa.array (see arrow_lit)
    _jemalloc(pa)
    data = pa.py_buffer(raw)
    row = f"{_CELL}(?:,{_CELL}){{{width - 1}}}"
    # The body as one binary value (no copy). RE2 reads it as UTF-8; an invalid byte matches a
    # negated class like any character, and read_csv refuses it below (check_utf8, as strict
    # as Python's decoder), so the file then goes to the Python reader all the same.
    body = pa.Array.from_buffers(pa.binary(), 1, [None, pa.py_buffer(struct.pack("<ii", start, len(raw))), data])
    # The check runs in a second thread while Arrow parses (both release the GIL); the parse
    # is used only if the check passes.
    from concurrent.futures import ThreadPoolExecutor  # here: it imports logging (~7 ms of a cold start)

    with ThreadPoolExecutor(1) as pool:
        gate = pool.submit(pc.match_substring_regex, body, r"\A(?:" + row + r"\n)*(?:" + row + r")?\z")
        try:
            parsed = _read_csv(pa, pcsv, data.slice(start), names)
        except (pa.ArrowException, ValueError):
            parsed = None
        well_formed = gate.result()[0].as_py()
    del body
    if parsed is None or not well_formed:
        return False
    if parsed.num_rows != rows:
        return False
    if rows:
        blank = None
        for name in names:
            col = parsed.column(name)
            if pc.max(pc.binary_length(col)).as_py() > limits.max_cell_bytes:
                return False
            empty = pc.equal(col, nothing)
            blank = empty if blank is None else pc.and_(blank, empty)
        if pc.any(blank).as_py():
            return False
    table.header = list(names)
    # Each column is made one contiguous array (take, hash and regex kernels are faster on them)
    # by Table.array, one column at a time: read_table does it once the file's bytes are freed.
    table._arrays = dict(zip(names, parsed.columns, strict=True))
    del parsed
    table.columns = LazyColumns(table._arrays)
    table._lines, table._num_rows = None, rows
    return True


def _read_csv(pa: Any, pcsv: Any, body: Any, names: list[str]) -> Any:
    return pcsv.read_csv(
        pa.BufferReader(body),
        read_options=pcsv.ReadOptions(column_names=names, block_size=1 << 20),
        parse_options=pcsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                            strings_can_be_null=False, quoted_strings_can_be_null=False,
                                            check_utf8=True))


def _jemalloc(pa: Any) -> None:
    """Use jemalloc for Arrow unless ARROW_DEFAULT_MEMORY_POOL chooses: it hands freed memory
    back sooner than mimalloc, which keeps the peak of a large validation ~100 MB lower; with a
    1 ms decay (default 1 s), memory freed by one worker thread is not held in its arena while
    another allocates (~25 MB less at 1 M rows; 0 ms saves ~90 MB but costs ~0.3 s)."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or pa.default_memory_pool().backend_name == "jemalloc":
        return
    with contextlib.suppress(NotImplementedError):  # a pyarrow built without jemalloc
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(1)


def _line_past_max_rows(raw: bytes, limits: Limits) -> int | None:
    """The line of the first row past the limit, counted without building rows or copying the file:
    record ends are the line ends outside quoted cells (RFC 4180). None when the rows fit."""
    allowed = limits.max_rows + 1  # records, the header included
    ends = physical = 0  # record ends so far; line ends so far, inside quoted cells too
    for start, end, inside in _segments(raw):
        n = raw.count(b"\n", start, end)
        if ends + n > allowed or (ends + n == allowed and not (end == len(raw) and raw.endswith(b"\n"))):
            return physical + (allowed - ends) + 1  # the row after the allowed-th record end starts there
        ends += n
        physical += n + inside
    return None


def _count_lines(path: Any, chunk: int = 1 << 20) -> int:
    """The number of line ends in the file, read in chunks (one bytes.count per chunk)."""
    n = 0
    with open(path, "rb") as f:
        while data := f.read(chunk):
            n += data.count(b"\n")
    return n


def _stream_line_past_max_rows(path: Any, limits: Limits, chunk: int = 1 << 20) -> int | None:
    """As `_line_past_max_rows`, reading the file in chunks (a quote toggles 'inside a quoted cell')."""
    allowed = limits.max_rows + 1
    ends = physical = 0
    inside = False
    pending: int | None = None  # the line of a row past the limit, if anything follows its start
    with open(path, "rb") as f:
        while data := f.read(chunk):
            for i, part in enumerate(data.split(b'"')):
                if i:
                    inside = not inside
                if pending is not None and (part or i):
                    return pending
                n = part.count(b"\n")
                if not inside and ends + n >= allowed:
                    line = physical + (allowed - ends) + 1
                    if ends + n > allowed or not part.endswith(b"\n"):
                        return line
                    pending = line
                physical += n
                if not inside:
                    ends += n
    return None


def _segments(raw: bytes) -> Iterator[tuple[int, int, int]]:
    """(start, end) of each stretch outside quoted cells, with the line ends in the quoted cell after it."""
    pos = 0
    for m in _QUOTED.finditer(raw):
        yield pos, m.start(), raw.count(b"\n", m.start(), m.end())
        pos = m.end()
    yield pos, len(raw), 0


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
    dupes = sorted(n for n, count in Counter(header).items() if count > 1)
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
