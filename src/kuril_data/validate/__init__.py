"""The one door: read any version of the package, run every rule over it and collect the problems
into a Report. Only reads."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from kuril_data.io.read import DEFAULT_LIMITS, Limits, Table, read_table
from kuril_data.io.sources import coverage
from kuril_data.io.versions import Kind, Spec, Version, open_version
from kuril_data.model.package import Package, read_package
from kuril_data.report import Problem, Report, escape_controls, json_text
from kuril_data.validate.checks import Context, Engine, run

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
    checked = check(path, sources=sources, limits=limits)
    folder = Path(sources) if sources is not None else None
    return replace(checked.report, verbatim=coverage(checked.tables.get("sources"), folder))


@dataclass(frozen=True)
class Validated:
    """The report of one version, with which package and version it was."""

    label: str
    kind: Kind
    name: str | None
    version: str | None
    report: Report

    def header(self) -> str:
        what = f"{self.name} {self.version}" if self.name is not None else "no readable package"
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


def check_version(spec: Spec = ".", *, sources: Spec | None = None, limits: Limits = DEFAULT_LIMITS,
                  repo: Spec | None = None, max_problems: int | None = None) -> tuple[Version, Checked]:
    """Open any version and validate it. The folder of a temporary version is gone on return; the
    tables read (in memory) stay usable."""
    with open_version(spec, repo=repo, limits=limits) as version:
        return version, check(version.root, sources=sources, limits=limits, max_problems=max_problems)


def validate_version(spec: Spec = ".", *, sources: Spec | None = None, limits: Limits = DEFAULT_LIMITS,
                     repo: Spec | None = None, max_problems: int | None = None) -> Validated:
    """Validate any kind of version (see `open_version`); `git:REV` names a revision explicitly.
    The report states whether the verbatim checks ran and against which files (`Report.verbatim`);
    with `max_problems` the checks stop once that many problems are held (`validate.check`)."""
    version, checked = check_version(spec, sources=sources, limits=limits, repo=repo, max_problems=max_problems)
    folder = Path(sources) if sources is not None else None
    verbatim = coverage(checked.tables.get("sources"), folder)
    if verbatim.ran and not checked.report.complete:  # the checks stopped at the cap, maybe before these
        verbatim = replace(verbatim, ran=False, stopped=True)
    report = replace(checked.report, verbatim=verbatim)
    package = checked.package
    if package is None:
        return Validated(version.label, version.kind, None, None, report)
    return Validated(version.label, version.kind, package.name, package.version, report)
