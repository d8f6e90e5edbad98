"""Read one CSV resource strictly: bytes → checked text → header and columns with line numbers.

One reader for every consumer (validate, fmt, export, load). It never guesses an encoding,
never reads past a limit, and records where every row starts so problems can name the line.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kuril_data.errors import KurilDataError
from kuril_data.io import memory
from kuril_data.model.limits import DEFAULT_LIMITS, Limits
from kuril_data.model.package import Package, Resource
from kuril_data.report import Problem

__all__ = ["BLOCK_BYTES", "DEFAULT_LIMITS", "FileChanged", "Limits", "Table", "parse_bytes", "read_table"]


# The Arrow reader parses a file this many bytes at a time (cut after a line end): only one block's
# raw bytes are held, and a spilled column is re-read block by block (see `Table.blocks`).
BLOCK_BYTES = 32 << 20


class LazyColumns(Mapping[str, list[str]]):
    """Arrow string columns that become lists of str only when a consumer asks for one."""

    def __init__(self, table: Table) -> None:
        # A weak reference: a cycle table <-> columns would keep a block's arrays until the
        # garbage collector runs (at 10 M rows, GBs of re-read blocks).
        self._ref = weakref.ref(table)
        self._lists: dict[str, list[str]] = {}

    @property
    def _table(self) -> Table:
        table = self._ref()
        assert table is not None, "the columns of a table outlive it"
        return table

    def __getitem__(self, name: str) -> list[str]:
        if name not in self._lists:
            if name not in self._table.header:
                raise KeyError(name)
            values = self._table.array(name).to_pylist()
            if self._table.spilled(name) or not self._table.keep_lists:
                return values  # not kept: the column is not held, or the caller holds what it needs
            self._lists[name] = values
        return self._lists[name]

    def __contains__(self, name: object) -> bool:
        return name in self._table.header

    def __iter__(self) -> Iterator[str]:
        return iter(self._table.header)

    def __len__(self) -> int:
        return len(self._table.header)


class FileChanged(KurilDataError):
    """A data file changed while it was being validated (its spilled columns are re-read): exit 2."""


@dataclass(frozen=True)
class Blocks:
    """Where the Arrow reader found the blocks of a file: enough to re-read a column of it, and to
    notice that the file changed since (size, modification time, rows of each block)."""

    path: Path
    size: int
    mtime_ns: int
    names: tuple[str, ...]
    layout: tuple[tuple[int, int, int, int], ...]  # (byte offset, byte length, first row, rows) per block

    def read(self, file: str, names: list[str], rows: Iterable[int] | None = None
             ) -> Iterator[tuple[int, dict[str, Any]]]:
        """(first row, {name: the block's column}) of columns `names` for each block in order, from
        one pass over the file; with `rows` (sorted), only the blocks holding one of them.
        FileChanged if the file is not what was read."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        wanted = iter(rows) if rows is not None else None
        row = next(wanted, None) if wanted is not None else 0
        self._same(file)
        with open(self.path, "rb") as f:
            for offset, length, first, count in self.layout:
                if row is None:
                    break
                if wanted is not None and row >= first + count:
                    continue
                f.seek(offset)
                raw = f.read(length)
                try:
                    parsed = _read_csv(pa, pcsv, pa.py_buffer(raw), list(self.names), include=names)
                except (pa.ArrowException, ValueError):
                    parsed = None
                if len(raw) != length or parsed is None or parsed.num_rows != count:
                    raise self._changed(file)
                del raw
                columns = [parsed.column(name) for name in names]
                del parsed
                yield first, {name: c.chunk(0) if c.num_chunks == 1 else c.combine_chunks()
                              for name, c in zip(names, columns, strict=True)}
                while wanted is not None and row is not None and row < first + count:
                    row = next(wanted, None)
        self._same(file)

    def _same(self, file: str) -> None:
        try:
            stat = self.path.stat()
        except OSError:
            raise self._changed(file) from None
        if (stat.st_size, stat.st_mtime_ns) != (self.size, self.mtime_ns):
            raise self._changed(file)

    def _changed(self, file: str) -> FileChanged:
        return FileChanged(f"{file}: the file changed while it was being validated; validate it again")


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
    _blocks: Blocks | None = field(default=None, repr=False)  # where to re-read the spilled columns
    _spilled: frozenset[str] = field(default=frozenset(), repr=False)  # columns not held (see read_table)
    _first_row: int = field(default=0, repr=False)  # a block of a table (`blocks`): its first row there
    # Whether `columns` keeps the lists it makes (an Arrow-read table): a run that keeps nothing
    # (validate) builds them per request; at 1 M rows the kept lists cost ~80 MB of its peak.
    keep_lists: bool = field(default=True, repr=False)

    @property
    def lines(self) -> Sequence[int]:
        if self._lines is None:  # Arrow-read: one physical line per row, after the header (no list kept)
            return range(self._first_row + 2, self._first_row + self._num_rows + 2)
        return self._lines

    @lines.setter
    def lines(self, value: list[int]) -> None:
        self._lines = value
        self._num_rows = len(value)

    def line(self, i: int) -> int:
        """The line row i starts on, without building the whole list."""
        return self._lines[i] if self._lines is not None else self._first_row + i + 2

    @property
    def arrow_read(self) -> bool:
        """Read by the Arrow reader: its columns are Arrow arrays, lists only when asked for."""
        return isinstance(self.columns, LazyColumns)

    @property
    def num_rows(self) -> int:
        return self._num_rows

    def column(self, name: str) -> list[str]:
        return self.columns.get(name) or [""] * self.num_rows

    def spilled(self, name: str) -> bool:
        """Whether column `name` is not held but re-read from the file when asked for (see read_table)."""
        return name in self._spilled

    def blocks(self, *names: str) -> Iterator[Table]:
        """The table block by block, each holding only columns `names`: the spilled ones re-read
        (one pass over the file, one block held at a time), the held ones sliced (no copy); when
        none is spilled, one block: this table. A block's rows are numbered from 0, its lines are
        the table's (`line`), its file the table's."""
        spilled = [name for name in names if self.spilled(name)]
        if not spilled:
            yield self
            return
        assert self._blocks is not None
        for first, arrays in self._blocks.read(self.file, spilled):
            count = len(arrays[spilled[0]])
            for name in names:
                if name not in arrays:
                    arrays[name] = self.array(name).slice(first, count)
            yield self._part({name: arrays[name] for name in names}, first, count)

    def _part(self, arrays: dict[str, Any], first: int, count: int) -> Table:
        """A block of this table: rows `first` to `first + count` of the columns `arrays`."""
        part = Table(self.resource, self.file, list(arrays), _lines=None, _num_rows=count, _arrays=arrays,
                     _first_row=first, keep_lists=False)
        part.columns = LazyColumns(part)
        return part

    def array(self, name: str) -> Any:
        """Column `name` as an Arrow string array ('' for a column the file lacks). A spilled column
        is re-read whole, and not kept: a check that needs it whole holds it for as long as it does."""
        if self.spilled(name):
            assert self._blocks is not None
            from kuril_data.model.arrow_lit import strings

            parts = [arrays[name] for _, arrays in self._blocks.read(self.file, [name])]
            import pyarrow as pa

            return pa.concat_arrays(parts) if parts else strings([])
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
        """The values of column `name` in the given rows ('' where the file lacks the column). From a
        spilled column, only the blocks holding those rows are re-read, in one pass."""
        if self.spilled(name):
            return self._take_spilled(name, rows)
        if name in self._arrays:
            from kuril_data.model.arrow_lit import ints

            return self.array(name).take(ints(rows)).to_pylist() if rows else []
        column = self.column(name)
        return [column[i] for i in rows]

    def _take_spilled(self, name: str, rows: list[int]) -> list[str]:
        from kuril_data.model.arrow_lit import ints

        assert self._blocks is not None
        order = sorted(set(rows))
        found: dict[int, str] = {}
        k = 0
        for first, arrays in self._blocks.read(self.file, [name], order):
            array = arrays[name]
            end = k
            while end < len(order) and order[end] < first + len(array):
                end += 1
            local = [r - first for r in order[k:end]]
            found.update(zip(order[k:end], array.take(ints(local)).to_pylist(), strict=True))
            k = end
        return [found[r] for r in rows]

    def rows(self) -> list[dict[str, str]]:
        names = list(self.columns)
        cols = [self.columns[n] for n in names]
        return [dict(zip(names, vals, strict=True)) for vals in zip(*cols, strict=True)] \
            if names else [{} for _ in self.lines]


def read_table(package: Package, resource: Resource, limits: Limits = DEFAULT_LIMITS, *,
               arrow: bool = False, block_bytes: int | None = None, spill: int | None = None,
               keep_lists: bool = True, visit: Callable[[Table], None] | None = None) -> Table:
    """Read one resource. With `arrow`, a well-formed file is parsed by Arrow block by block (see
    `_read_blocks`); any other file by the Python reader, which locates its problems.

    `spill`: the columns whose cells take at least this many bytes on average (in the first block)
    of a file of more than one block are not held but re-read from the file when asked for
    (`Table.blocks`, `Table.take`): what validating a package larger than memory's comfort needs.
    None: every column is held. `keep_lists`: see Table.keep_lists.

    `visit` (with `spill`): called with each block of the spilled columns as it is read (a table of
    its own: `Table.blocks`), so a check that reads them row by row judges them in the one pass
    (see `validate.checks.base.judge_as_read`); files of one block spill too. A file that the Arrow
    reader gives up on part way is read whole by the Python reader: nothing is spilled then.
    """
    table = Table(resource, resource.path, keep_lists=keep_lists)
    path = package.file(resource)
    if not path.is_file():
        why = "is not a regular file" if path.exists() else "does not exist"
        return _fail(table, Problem(table.file, None, None, "file-missing", f"the data file {why}"))
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        return _fail(table, Problem(table.file, None, None, "file-too-large",
                                    f"file is {size} bytes; the limit is {limits.max_file_bytes}"))
    block_bytes = block_bytes or BLOCK_BYTES
    if size <= block_bytes and visit is None:
        spill = None  # a file of one block: held, what re-reading it would hold anyway
    if arrow and size and _read_blocks(table, path, limits, block_bytes, spill, visit):
        return table
    # Could hold too many rows: count them streaming, before reading the file. Rows are at most
    # lines, so a file with fewer line ends than the limit allows is cleared by C-speed counting
    # of 1 MB chunks; only a file with that many lines is scanned quote by quote.
    if size > limits.max_rows and _count_lines(path) > limits.max_rows:
        line = _stream_line_past_max_rows(path, limits)
        if line is not None:
            return _fail(table, Problem(table.file, line, None, "too-many-rows",
                                        f"more than {limits.max_rows} rows; the file is not checked further"))
    # Not well-formed for Arrow (or a row limit passed): the Python reader locates the problems.
    return parse_bytes(table, path.read_bytes(), limits)


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
    memory.tune(pa)
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
    table.columns = LazyColumns(table)
    table._lines, table._num_rows = None, rows
    return True


def _read_csv(pa: Any, pcsv: Any, body: Any, names: list[str], *, threads: bool = True,
              include: list[str] | None = None) -> Any:
    """Parse CSV text (no header) into string columns, 1 MB at a time: with `threads`, on Arrow's
    threads; else in this thread (two files are read side by side). (One parse of a whole 32 MB
    block took three times as long: its buffers outgrow and are copied, page by fresh page.)"""
    return pcsv.read_csv(
        pa.BufferReader(body),
        read_options=pcsv.ReadOptions(column_names=names, block_size=1 << 20, use_threads=threads),
        parse_options=pcsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(include or names, pa.string()),
                                            include_columns=include or [],
                                            strings_can_be_null=False, quoted_strings_can_be_null=False,
                                            check_utf8=True))


def _gate(width: int) -> str:
    """An RE2 regex matching a body of lines that are each exactly `width` RFC 4180 cells (quoted
    cells without line breaks): then one line is one row. Arrow's parser is lenient (it reads
    `"x"y` as `xy` and accepts unbalanced quotes), so nothing else is handed to it."""
    row = f"{_CELL}(?:,{_CELL}){{{width - 1}}}"
    return r"\A(?:" + row + r"\n)*(?:" + row + r")?\z"


def _read_blocks(table: Table, path: Path, limits: Limits, block_bytes: int, spill: int | None,
                 visit: Callable[[Table], None] | None = None) -> bool:
    """Read a strictly well-formed file with Arrow, `block_bytes` at a time; False (nothing done)
    otherwise, and the Python reader locates the problem.

    Taken only when the result is certainly what the Python reader gives: the first line exactly
    the schema's names (so no BOM), no CR, valid UTF-8 (check_utf8, as strict as Python's
    decoder), every line of every block as many RFC 4180 cells as the header (`_gate`), within the
    limits and with no blank row. Row i is then line i + 2, and a block cut after a line end is cut
    between rows. Only one block's bytes are held at a time; each column is built from its blocks'
    parts once (one part: no copy). With `spill`, the long-text columns are not kept (`Blocks`);
    `visit` sees each block of them (see `read_table`).
    """
    names = table.resource.schema.names
    width = len(names)
    if width < 2 or width > limits.max_cells_per_row:
        return False
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    from kuril_data.model.arrow_lit import lit, strings

    nothing = lit("")  # literals and arrays are built without pa.scalar / pa.array (see arrow_lit)
    memory.tune(pa)
    gate = _gate(width)
    head = ",".join(names).encode("utf-8")
    stat = path.stat()
    parts: dict[str, list[Any]] = {name: [] for name in names}
    spilled: set[str] = set()
    layout: list[tuple[int, int, int, int]] = []
    rows = 0
    # Reused for every block (no file is read into more than it needs); doubled only for a line
    # longer than it.
    buffer = bytearray(max(1, min(block_bytes, stat.st_size - len(head))))
    with open(path, "rb") as f:
        first = f.read(len(head) + 1)
        if first != head + b"\n" and not (first == head and not f.read(1)):
            return False
        offset, held = len(first), 0  # held: the part line carried at the buffer's start
        while True:
            with memoryview(buffer) as view:
                fresh = f.readinto(view[held:])
            total = held + fresh
            if not total:
                break
            cut = total if not fresh else buffer.rfind(b"\n", 0, total) + 1
            if not cut:  # no line end yet: a line longer than the buffer
                if total == len(buffer):
                    buffer.extend(bytes(len(buffer)))
                held = total
                continue
            count = buffer.count(b"\n", 0, cut) + (buffer[cut - 1] != 0x0A)
            rows += count
            if rows > limits.max_rows or buffer.find(b"\r", 0, cut) >= 0:
                return False
            with memoryview(buffer) as view:
                data = pa.py_buffer(view[:cut])  # the block, not copied
                body = pa.Array.from_buffers(pa.binary(), 1, [None, pa.py_buffer(struct.pack("<ii", 0, cut)), data])
                ok = pc.match_substring_regex(body, gate)[0].as_py()
                del body
                try:
                    parsed = _read_csv(pa, pcsv, data, names, threads=False) if ok else None
                except (pa.ArrowException, ValueError):
                    parsed = None
                del data
            if parsed is None or parsed.num_rows != count:
                return False
            blank = None  # the rows empty in every column so far (indices): a blank row is empty in all
            for name in names:
                col = parsed.column(name)
                # No cell is longer than all of the column's characters: measured only when those could be.
                if _text_bytes(col) > limits.max_cell_bytes \
                        and pc.max(pc.binary_length(col)).as_py() > limits.max_cell_bytes:
                    return False
                if blank is None:
                    blank = pc.indices_nonzero(pc.equal(col, nothing).combine_chunks())
                elif len(blank):
                    blank = blank.filter(pc.equal(col.take(blank), nothing).combine_chunks())
                if spill is not None and not layout and count and _text_bytes(col) / count >= spill:
                    spilled.add(name)  # decided on the first block
                if name not in spilled:
                    parts[name].extend(col.chunks)
            if blank is not None and len(blank):
                return False
            if spilled and visit is not None:
                visit(table._part({name: parsed.column(name) for name in names if name in spilled},
                                  rows - count, count))
            layout.append((offset, cut, rows - count, count))
            offset += cut
            del parsed
            buffer[:total - cut] = buffer[cut:total]  # the part line after the block, moved to the start
            held = total - cut
    del buffer
    table.header = list(names)
    for name in names:  # one column at a time: a column of several parts is copied once, its parts freed
        got = parts.pop(name)
        if name not in spilled:
            table._arrays[name] = got[0] if len(got) == 1 else (pa.concat_arrays(got) if got else strings([]))
        del got
    if spilled:
        table._blocks = Blocks(path, stat.st_size, stat.st_mtime_ns, tuple(names), tuple(layout))
        table._spilled = frozenset(spilled)
    table.columns = LazyColumns(table)
    table._lines, table._num_rows = None, rows
    return True


def _text_bytes(col: Any) -> int:
    """The bytes of a string array's values (its offsets' span), without reading the values."""
    if hasattr(col, "chunks"):
        return sum(_text_bytes(c) for c in col.chunks)
    if not len(col):
        return 0
    offsets = memoryview(col.buffers()[1]).cast("i")
    return offsets[col.offset + len(col)] - offsets[col.offset]


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
