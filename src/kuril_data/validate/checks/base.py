"""What a check is, and the one loop that runs the registry with either engine.

A check declares its messages (code + template, as class attributes), the units it applies to
(a table, a field, a key, a link: found from the schemas), and an exact judgement of the rows of a
unit that writes the problems. Optionally it has a vectorised *finder* (pyarrow.compute) that
names the candidate rows of a unit: it may keep rows that turn out fine, never leave out a row the
judgement would report (or that a reported row's message depends on). The per-row engine judges
every row; the Arrow engine judges only the candidates. Same judgement, same problems.

Bounded memory (`check(hold=False)` with the Arrow engine, see kuril_data.validate): the long-text
columns (cells of 40 bytes or more on average: evidence, quotation texts, accounts, summaries,
descriptions, titles, notes) are not held.
- Judged as read (`judge_as_read`, `Check.block_units`): Cells, whose finder and judgement read
  one row at a time and nothing but the block, judges each block of them while the file is read;
  `streamed` then gives those problems. A block is a table of its own; problems in row order.
- Streamed by re-reading, one block held at a time (`streamed`): Verbatim (its text fields, source
  and locator: it needs the sources table, not read yet), and a Cells unit with more problems than
  the run's cap.
- Spilled columns at some rows (`Table.take`: one pass over the file, only those rows' values
  kept): DateCitation, LinkBasis, RepeatedAccount and RoleDates read citations.evidence (and
  RepeatedAccount source_id and locator) at the rows their citations name.
- Whole columns, held (short: ids, keys, dates, kinds, languages): every other check compares rows
  with rows anywhere in the package (duplicate keys, foreign keys, link cycles, lookups across
  tables, dates against the records they bound), so it needs the whole column at once.
- Asking for a spilled column whole (`Table.array`, `Table.column`, `View.column` of every row)
  still works, but re-reads and holds it for that check: LinkBasis's finder does so for
  event_actors.note and document_actors.note (whether an inferred link has a note). LinkBasis
  reads the evidence of the links not marked inferred CHUNK links at a time, one pass over
  citations.csv per chunk: cheap for the generated packages (every link inferred), slow for a
  package with millions of stated links.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, TypeVar, cast

from kuril_data.io.read import Table
from kuril_data.model.package import Package
from kuril_data.report import Problem, Severity

Engine = Literal["python", "arrow"]
T = TypeVar("T")


@dataclass(frozen=True)
class Message:
    """A problem code and the template of one of its messages: the only place the text is written."""

    code: str
    template: str
    severity: Severity = "error"

    def __call__(self, table: Table, line: int | None, field: str | None, /, **values: object) -> Problem:
        return Problem(table.file, line, field, self.code, self.template.format(**values), self.severity)


# The problems of the streamed units judged as their file was read (`judge_as_read`), by (check,
# file, columns read), in row order; None where there were more than the cap (judged again, re-read).
Judged = dict[tuple[str, str, tuple[str, ...]], "list[Problem] | None"]


@dataclass
class Context:
    package: Package
    tables: dict[str, Table]  # readable tables, by resource name
    sources_dir: Path | None = None
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)
    judged: Judged = field(default_factory=dict, repr=False)

    _locks: dict[tuple[Any, ...], threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def memo(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()` once per key and run: lookups that several checks (or units) share. Checks
        run side by side (see `run`): a second thread asking for a key being computed waits for
        it rather than computing (and holding) it twice. (Memos nest without cycles: a cycle
        would recurse forever in one thread too.)"""
        if key in self._memo:
            return self._memo[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                self._memo[key] = compute()
        return self._memo[key]


# The candidate rows of a unit: sorted row indices, as a list or an Arrow integer array (what the
# finders return: 8 bytes a row, not a Python int object each).
Rows = Any

# A judgement reads its candidates' values this many rows at a time: a run stopped at
# --max-problems builds the values of the rows it reached, not of a million candidates.
CHUNK = 1 << 16


class _Streamed:
    """The candidates of a unit whose column is not held (`Table.spilled`): the check finds and
    judges them block by block as it judges the unit (see `Check.streamed`)."""

    def __len__(self) -> int:
        return 1  # judged, like a non-empty set of candidates

    def __repr__(self) -> str:
        return "STREAMED"


STREAMED: Any = _Streamed()


def row_list(rows: Rows) -> list[int]:
    """Candidate rows as a Python list."""
    return rows if isinstance(rows, list) else rows.to_pylist()


class Chunked(Sequence[T]):
    """A long read-only sequence built CHUNK items at a time, as it is read (iterated or indexed
    in order); only the chunk in use is held."""

    def __init__(self, size: int, make: Callable[[int, int], list[T]]) -> None:
        self._size, self._make = size, make
        self._start, self._chunk = -1, cast(list[T], [])

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[T]:
        for start in range(0, self._size, CHUNK):
            yield from self._make(start, min(self._size, start + CHUNK))

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._size))]
        if i < 0:
            i += self._size
        if not 0 <= i < self._size:
            raise IndexError(i)
        start = i - i % CHUNK
        if start != self._start:
            self._start, self._chunk = start, self._make(start, min(self._size, start + CHUNK))
        return self._chunk[i - start]


class View:
    """The rows of one table a judgement looks at: all of them, or a finder's candidates (in order)."""

    def __init__(self, table: Table, rows: Rows | None) -> None:
        self.table = table
        self.rows = rows
        self._taken: dict[str, Sequence[str]] = {}

    def column(self, name: str) -> Sequence[str]:
        """The values of column `name` in these rows ('' where the file lacks the column)."""
        if self.rows is None:
            return self.table.column(name)
        if name not in self._taken:
            rows, table = self.rows, self.table
            self._taken[name] = Chunked(len(rows), lambda a, b: table.take(name, row_list(rows[a:b])))
        return self._taken[name]

    @property
    def lines(self) -> Sequence[int]:
        if self.rows is None:
            return self.table.lines
        rows, table = self.rows, self.table
        return Chunked(len(rows), lambda a, b: [table.line(i) for i in row_list(rows[a:b])])


class Unit(Protocol):
    """What a check applies to (a field, a key, a link...): a NamedTuple whose `table` holds the rows judged."""

    @property
    def table(self) -> Table: ...


class Check:
    """One rule. Subclasses set Message class attributes and define `units` and `judge`;
    `find` (vectorised, Arrow) is optional."""

    messages: ClassVar[tuple[Message, ...]] = ()

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.messages = tuple(v for v in vars(cls).values() if isinstance(v, Message))

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def codes(self) -> set[str]:
        return {m.code for m in self.messages}

    def units(self, ctx: Context) -> Iterable[Unit]:
        raise NotImplementedError

    def judge(self, ctx: Context, unit: Any, view: View) -> Iterator[Problem]:
        raise NotImplementedError

    # A finder: the candidate rows of one unit, as sorted row indices (Rows). None: this check has none.
    find: Callable[[Context, Any], Rows] | None = None

    def block_units(self, part: Table) -> Iterable[tuple[Any, Sequence[str]]]:
        """For a row-local check that `streamed`s spilled columns and needs nothing but the block to
        judge them: its units in `part` (a block holding only spilled columns) and the columns each
        reads, judged as the file is read (`judge_as_read`). None by default."""
        return ()

    def find_all(self, ctx: Context, units: list[Any]) -> list[Rows | None]:
        """The candidates of every unit; the finders run side by side (Arrow kernels release the GIL)."""
        if self.find is None:
            return [None] * len(units)
        find = self.find
        if len(units) < 2:
            return [find(ctx, u) for u in units]
        from concurrent.futures import ThreadPoolExecutor  # here: it imports logging (~7 ms)

        with ThreadPoolExecutor(threads()) as pool:
            return list(pool.map(lambda u: find(ctx, u), units))


def streamed(check: Check, ctx: Context, unit: Any, names: Sequence[str], rows: Rows | None) -> Iterator[Problem]:
    """Judge a unit of a row-local check (its finder and judgement read only columns `names` of the
    unit's table, row by row) block by block, when one is not held: each block is a table
    of its own (rows from 0, the table's lines and file) with a context of its own (the finder's
    memos about this table are the block's; those about nothing or other tables, e.g. the source
    texts, are shared), so only one block's values are held. Same problems, in row order.
    `rows`: STREAMED (find the candidates of each block) or None (judge every row)."""
    file = unit.table.file
    judged = ctx.judged.get((check.name, file, tuple(names)))
    if judged is not None:  # judged as the file was read: the same problems, no second pass
        yield from judged
        return
    shared = {key: value for key, value in ctx._memo.items() if file not in key}
    for part in unit.table.blocks(*names):
        sub, local = Context(ctx.package, ctx.tables, ctx.sources_dir, dict(shared)), unit._replace(table=part)
        found = check.find(sub, local) if rows is STREAMED and check.find is not None else None
        if found is None or len(found):
            yield from check.judge(sub, local, View(part, found))


def judge_as_read(checks: Iterable[Check], package: Package, sources_dir: Path | None, cap: int | None
                  ) -> tuple[Callable[[Table], None], Judged]:
    """A reader's `visit` (io.read.read_table) and what it finds: each block of spilled columns is
    judged by the checks that have `block_units`, as `streamed` would judge it (the block a table
    and a context of its own), and the problems are kept by unit in row order, for `streamed` to
    give: a spilled column is read once. A unit with more than `cap` + 1 problems keeps None
    instead, and is judged again by re-reading when the run reaches it: a run stopped at
    --max-problems holds at most that many of each unit (past the cap a run still looks for an
    error among warnings, so a unit is never given short)."""
    from itertools import islice

    streaming = [c for c in checks if type(c).block_units is not Check.block_units]
    judged: Judged = {}

    def visit(part: Table) -> None:
        ctx = Context(package, {}, sources_dir)
        for check in streaming:
            for unit, names in check.block_units(part):
                key = (check.name, part.file, tuple(names))
                kept = judged.setdefault(key, [])
                if kept is None:
                    continue
                found = check.find(ctx, unit) if check.find is not None else None
                if found is None or len(found):
                    problems = check.judge(ctx, unit, View(part, found))
                    kept.extend(problems if cap is None else islice(problems, cap + 2 - len(kept)))
                if cap is not None and len(kept) > cap + 1:  # some left out: never given short
                    judged[key] = None
    return visit, judged


def threads() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(4, cores))


def run(checks: Iterable[Check], ctx: Context, engine: Engine = "python", *, lazy: bool = False,
        workers: int | None = None) -> Iterator[Problem]:
    """Every problem the checks find, in the order of `checks`. Only the Arrow engine uses the finders.

    The Arrow engine uses `workers` threads (default `threads()`); the finders' kernels release
    the GIL, so Arrow work overlaps judging, and the problems come in the order of `checks`, as
    from a single thread:
    - not `lazy`: the checks run side by side, each check's problems collected whole;
    - `lazy` (a run that may stop early, at --max-problems): checks are judged one after another
      in this thread, while the candidates of the next `workers - 1` checks are found (index
      arrays, 8 bytes a row); a stopped run never judges, so never builds the values of, a check
      it did not reach.
    """
    if engine == "arrow":
        for table in ctx.tables.values():
            for name in table.resource.schema.names:
                if not table.spilled(name):  # a spilled column is read block by block (see Table.blocks)
                    table.array(name)  # made here, not in the finders' threads
    checks = list(checks)
    workers = threads() if workers is None else workers
    if engine != "arrow" or workers < 2 or len(checks) < 2:
        for check in checks:
            yield from _judged(check, ctx, *_found(check, ctx, engine, lazy))
        return
    from concurrent.futures import ThreadPoolExecutor  # here: it imports logging (~7 ms)

    with ThreadPoolExecutor(workers) as pool:
        if not lazy:
            judged = [pool.submit(_all_problems, c, ctx, engine) for c in checks]
            try:
                for future in judged:
                    yield from future.result()
            finally:
                for future in judged:
                    future.cancel()
            return
        found = [pool.submit(_found, c, ctx, engine) for c in checks[:workers - 1]]
        try:
            for i, check in enumerate(checks):
                if i + workers - 1 < len(checks):
                    found.append(pool.submit(_found, checks[i + workers - 1], ctx, engine))
                yield from _judged(check, ctx, *found[i].result())
        finally:
            for pending in found:
                pending.cancel()


def _all_problems(check: Check, ctx: Context, engine: Engine) -> list[Problem]:
    return list(_judged(check, ctx, *_found(check, ctx, engine)))


def _found(check: Check, ctx: Context, engine: Engine, lazy: bool = False
           ) -> tuple[list[Any], Iterable[Rows | None]]:
    """The units of a check and the candidates of each (None: judge every row). `lazy`: found one
    unit at a time, as the judging reaches it."""
    units = list(check.units(ctx))
    if engine != "arrow":
        return units, [None] * len(units)
    if lazy and check.find is not None and type(check).find_all is Check.find_all:
        find = check.find
        return units, (find(ctx, u) for u in units)
    return units, check.find_all(ctx, units)


def _judged(check: Check, ctx: Context, units: list[Any], candidates: Iterable[Rows | None]) -> Iterator[Problem]:
    for unit, rows in zip(units, candidates, strict=True):
        if rows is None or len(rows):
            yield from check.judge(ctx, unit, View(unit.table, rows))
