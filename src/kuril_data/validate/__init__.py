"""The one door: read any version of the package once, run every rule over it, and return one
result, `Checked` (the version read, its package and tables, and the Report with the statement of
what the verbatim checks ran against). Every command and library function that reads a package
comes through `check`; `validate` is its public face returning only the Report. Only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from kuril_data.errors import Refused
from kuril_data.io.read import DEFAULT_LIMITS, Limits, Table, read_table
from kuril_data.io.sources import coverage
from kuril_data.io.versions import Kind, Spec, Version, open_version
from kuril_data.model.package import Package, Resource, read_package
from kuril_data.report import Problem, Report, escape_controls, json_text
from kuril_data.validate.checks import REGISTRY, Context, Engine, run
from kuril_data.validate.checks.base import judge_as_read

__all__ = ["ARROW_MIN_BYTES", "SERIAL_MIN_BYTES", "SPILL_CELL_BYTES", "Checked", "Refused", "check", "data_bytes",
           "gather", "read_tables", "validate"]

# From this many bytes of data on, tables are read with Arrow and the checks' finders narrow the
# rows to judge (checks/); below it judging every row is faster, as it need not import pyarrow (~0.4 s).
ARROW_MIN_BYTES = 4_000_000
# A run that need not keep its tables (`check(..., hold=False)`: validate) with the Arrow engine
# does not hold the columns whose cells average SPILL_CELL_BYTES or more (free text: evidence,
# quotation texts, accounts, summaries, notes): the checks that read them row by row judge each
# block as the file is read (`checks.base.judge_as_read`: Cells), and any other reader re-reads
# them from the file (io.read.Table.blocks): at 1 M rows (160 MB) ~100 MB less, no slower. On more
# than SERIAL_MIN_BYTES of data the checks also run one at a time (two side by side hold both
# working sets: ~250 MB more at 10 M rows).
SERIAL_MIN_BYTES = 400_000_000
SPILL_CELL_BYTES = 40
READ_THREADS = 2  # tables read side by side: more gains nothing on the parser, and holds more blocks at once


@dataclass(frozen=True)
class Checked:
    """One version read once and validated: what every command builds on (see `check`)."""

    label: str  # the version as the user named it
    kind: Kind
    package: Package | None  # None when not even the descriptor and schemas could be read
    tables: dict[str, Table]  # every readable table, read once
    report: Report  # with `verbatim`: what the verbatim checks ran against
    stamp: str | None = None  # the version a SQLite file says it holds

    @property
    def name(self) -> str | None:
        return self.package.name if self.package is not None else None

    @property
    def version(self) -> str | None:
        return self.package.version if self.package is not None else None

    def require(self) -> Package:
        """The package, when it validates; else Refused (exit 1) carrying the report."""
        if self.package is None or not self.report.valid:
            raise Refused("the package does not validate; nothing was written", self.report)
        return self.package

    def header(self) -> str:
        what = f"{self.name} {self.version}" if self.package is not None else "no readable package"
        return escape_controls(f"checked {what} from {self.label} ({self.kind})")

    def to_dict(self, limit: int | None = None) -> dict[str, object]:
        return {"package": {"name": self.name, "version": self.version, "source": self.label, "kind": self.kind},
                **self.report.to_dict(limit)}

    def render(self, fmt: str, limit: int | None = None) -> str:
        """text (the header line, then the report), json or github; at most `limit` problems shown."""
        if fmt == "json":
            return json_text(self.to_dict(limit))
        if fmt == "text":
            return f"{self.header()}\n{self.report.to_text(limit)}"
        return self.report.render(fmt, limit)


def check(spec: Spec = ".", *, sources: Spec | None = None, limits: Limits = DEFAULT_LIMITS,
          repo: Spec | None = None, engine: Engine | None = None, max_problems: int | None = None,
          rules: bool = True, bare_git: bool = False, hold: bool = True) -> Checked:
    """Read the version `spec` once and validate it: a package folder or its datapackage.json, a
    release zip, an inline kuril-data.json, a kuril-data.sqlite file or `git:REV` (see
    `kuril_data.io.versions.open_version`, which raises VersionError when there is nothing to read).
    The folder of a temporary version is gone on return; the tables (in memory) stay usable.

    With `sources`, a folder holding the source text files, quotations, evidence excerpts and names
    are checked verbatim against them; the report says whether they ran and against which files.

    `engine` picks how the registry's checks run: every row judged ("python"), or only the rows
    their vectorised finders keep ("arrow"); the judgements, so the problems, are the same. By
    default Arrow is used from ARROW_MIN_BYTES of data on.

    `max_problems` stops the checks once that many problems are held (see `gather`): the report
    is then marked incomplete (`Report.complete`), its verdict still exact. Writers need every
    problem and leave it None.

    With `hold=False` the caller needs only the report (validate): with the Arrow engine the package
    is then validated in bounded memory (its long-text columns are judged by the row-local checks as
    they are read, and re-read from the files by any other check that reads them; a file that
    changes meanwhile raises FileChanged, exit 2), the lists of values the checks ask a table for
    are made per request, not kept, and the returned tables are not for reading.

    With `rules=False` the version is only read (descriptor, schemas, every table, with the same
    limits) and the report holds what reading found: what `diff` compares, valid or not. With
    `bare_git`, a spec that is no path is tried as a git revision (see `open_version`).
    """
    with open_version(spec, repo=repo, limits=limits, bare_git=bare_git) as version:
        return _check(version, Path(sources) if sources is not None else None, limits, engine, max_problems,
                      rules, hold)


def validate(path: Spec = ".", *, sources: Spec | None = None, limits: Limits = DEFAULT_LIMITS) -> Report:
    """Validate the package at `path` (any version `check` reads) and return its Report.

    With `sources`, a folder holding the source text files, quotations, evidence excerpts and
    names are checked verbatim against them and the files' SHA-256 against the sources table.
    The report states whether the verbatim checks ran and against which files (`Report.verbatim`).
    Raises VersionError when there is no package at `path` at all.
    """
    return check(path, sources=sources, limits=limits, hold=False).report


def _check(version: Version, sources: Path | None, limits: Limits, engine: Engine | None,
           max_problems: int | None, rules: bool = True, hold: bool = True) -> Checked:
    package, problems = read_package(version.root, limits)
    if package is None:
        report = Report.of(problems, verbatim=coverage(None, sources))
        return Checked(version.label, version.kind, None, {}, report, version.stamp)
    size = data_bytes(package)
    if engine is None:
        engine = "arrow" if size >= ARROW_MIN_BYTES else "python"
    bounded = not hold and rules and engine == "arrow"
    visit, judged = judge_as_read(REGISTRY, package, sources, max_problems) if bounded else (None, {})
    tables, read_problems = read_tables(package, limits, arrow=engine == "arrow",
                                        spill=SPILL_CELL_BYTES if bounded else None, keep_lists=hold, visit=visit)
    problems += read_problems
    if not rules:
        return Checked(version.label, version.kind, package, tables, Report.of(problems), version.stamp)
    ctx = Context(package, tables, sources, judged=judged)
    workers = 1 if bounded and size > SERIAL_MIN_BYTES else None
    complete = True
    if max_problems is None:
        problems.extend(run(ctx, engine, workers=workers))
    else:
        complete = gather(run(ctx, engine, lazy=True, workers=workers), problems, max_problems)
    # The statement of what the verbatim checks ran against: made here, once.
    verbatim = coverage(tables.get("sources"), sources)
    if verbatim.ran and not complete:  # the checks stopped at the cap, maybe before these
        verbatim = replace(verbatim, ran=False, stopped=True)
    report = Report.of(problems, complete=complete, verbatim=verbatim)
    return Checked(version.label, version.kind, package, tables, report, version.stamp)


def read_tables(package: Package, limits: Limits = DEFAULT_LIMITS, *, arrow: bool = False,
                spill: int | None = None, block_bytes: int | None = None, keep_lists: bool = True,
                visit: Callable[[Table], None] | None = None) -> tuple[dict[str, Table], list[Problem]]:
    """Read every resource once; return the readable tables and the problems found reading, in the
    order of the resources. With `arrow`, two tables are read side by side (Arrow's parser and
    regex release the GIL), the largest first. `spill`, `block_bytes`, `keep_lists`, `visit`: see
    `read_table` (`visit` is called from the reading threads)."""
    def read(resource: Resource) -> Table:
        return read_table(package, resource, limits, arrow=arrow, spill=spill, block_bytes=block_bytes,
                          keep_lists=keep_lists, visit=visit)

    resources = list(package.resources)
    if arrow and len(resources) > 1:
        from concurrent.futures import ThreadPoolExecutor  # here: it imports logging (~7 ms of a cold start)

        sizes = {r.name: _size(package.file(r)) for r in resources}
        with ThreadPoolExecutor(READ_THREADS) as pool:
            started = {r.name: pool.submit(read, r) for r in sorted(resources, key=lambda r: -sizes[r.name])}
            read_all = [started[r.name].result() for r in resources]
    else:
        read_all = [read(r) for r in resources]
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for resource, table in zip(resources, read_all, strict=True):
        problems += table.problems
        if table.readable:
            tables[resource.name] = table
    return tables, problems


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def data_bytes(package: Package) -> int:
    """The total size of the package's data files (those that are regular files)."""
    total = 0
    for resource in package.resources:
        path = package.file(resource)
        if path.is_file():
            total += path.stat().st_size
    return total


def gather(found: Iterator[Problem], problems: list[Problem], cap: int) -> bool:
    """Append the problems `found` to `problems` until `cap` are held; True when none was left out.

    Past the cap the checks run on only while the verdict is open: the first error found then is
    kept (so "at least one more" is true, and so is "not valid") and the checks stop; warnings past
    the cap are dropped. So a million bad rows cost the first `cap` problems, not a million.
    """
    errors = any(p.severity == "error" for p in problems)
    complete = True
    try:
        for problem in found:
            if len(problems) < cap:
                problems.append(problem)
                errors = errors or problem.severity == "error"
                continue
            complete = False
            if errors or problem.severity == "error":
                problems.append(problem)
                return False
    finally:
        close = getattr(found, "close", None)
        if close is not None:
            close()  # the checks' generators stop here, not at garbage collection
    return complete
