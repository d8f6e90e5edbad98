"""Run every rule over a package and collect the problems into a Report. Only reads."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .checks import Context, Engine, run
from .package import Package, read_package
from .read import DEFAULT_LIMITS, Limits, Table, read_table
from .report import Problem, Report

# From this many bytes of data on, tables are read with Arrow and the checks' finders narrow the
# rows to judge (checks/); below it judging every row is faster, as it need not import pyarrow (~0.4 s).
ARROW_MIN_BYTES = 4_000_000


def read_tables(package: Package, limits: Limits = DEFAULT_LIMITS, *, arrow: bool = False
                ) -> tuple[dict[str, Table], list[Problem]]:
    """Read every resource once; return the readable tables and the problems found reading."""
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for resource in package.resources:
        table = read_table(package, resource, limits, arrow=arrow)
        problems += table.problems
        if table.readable:
            tables[resource.name] = table
    return tables, problems


@dataclass(frozen=True)
class Checked:
    """A package read once and validated: what export, release and load build on."""

    package: Package | None
    tables: dict[str, Table]
    report: Report


def data_bytes(package: Package) -> int:
    """The total size of the package's data files (those that are regular files)."""
    total = 0
    for resource in package.resources:
        path = package.file(resource)
        if path.is_file():
            total += path.stat().st_size
    return total


def check(path: str | os.PathLike[str] = ".", *, sources: str | os.PathLike[str] | None = None,
          limits: Limits = DEFAULT_LIMITS, engine: Engine | None = None,
          max_problems: int | None = None) -> Checked:
    """Read and validate the package at `path`; see `validate`.

    `engine` picks how the registry's checks run: every row judged ("python"), or only the rows
    their vectorised finders keep ("arrow"); the judgements, so the problems, are the same. By
    default Arrow is used from ARROW_MIN_BYTES of data on.

    `max_problems` stops the checks once that many problems are held (see `gather`): the report
    is then marked incomplete (`Report.complete`), its verdict still exact. Export, release and
    load need every problem and leave it None.
    """
    package, problems = read_package(path, limits)
    if package is None:
        return Checked(None, {}, Report.of(problems))
    if engine is None:
        engine = "arrow" if data_bytes(package) >= ARROW_MIN_BYTES else "python"
    tables, read_problems = read_tables(package, limits, arrow=engine == "arrow")
    problems += read_problems
    ctx = Context(package, tables, Path(sources) if sources is not None else None)
    if max_problems is None:
        problems.extend(run(ctx, engine))
        return Checked(package, tables, Report.of(problems))
    complete = gather(run(ctx, engine, lazy=True), problems, max_problems)
    return Checked(package, tables, Report.of(problems, complete=complete))


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


def validate(path: str | os.PathLike[str] = ".", *, sources: str | os.PathLike[str] | None = None,
             limits: Limits = DEFAULT_LIMITS) -> Report:
    """Validate the package at `path` (a folder or its datapackage.json).

    With `sources`, a folder holding the source text files, quotations, evidence excerpts and
    names are checked verbatim against them and the files' SHA-256 against the sources table.
    The report states whether the verbatim checks ran and against which files (`Report.verbatim`).
    Raises PackageError when there is no package at `path` at all.
    """
    from dataclasses import replace

    from .sources import coverage

    checked = check(path, sources=sources, limits=limits)
    folder = Path(sources) if sources is not None else None
    return replace(checked.report, verbatim=coverage(checked.tables.get("sources"), folder))
