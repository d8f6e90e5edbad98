"""Export a validated package to Parquet, a one-file JSON Data Package and SQLite.

Everything is derived from the Table Schemas through `kuril_data.dataset.arrow`: column types, SQL DDL,
keys, indexes, full-text columns and descriptions. No code path is written per table. Output is
deterministic (same input and build date, same bytes) and written atomically: it is built in a
temporary folder beside the destination and moved into place only when every step succeeded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kuril_data.dataset.arrow import arrow_schema, python_values, to_arrow
from kuril_data.errors import DataError, KurilDataError
from kuril_data.io import git
from kuril_data.io.read import Table
from kuril_data.io.transaction import install, staging
from kuril_data.model import dates
from kuril_data.model.dates import EARLIEST, LATEST
from kuril_data.model.package import Field, Package, Resource, safe_member
from kuril_data.model.types import FIELD_TYPES
from kuril_data.project import project
from kuril_data.report import Report
from kuril_data.validate import Checked, check

FORMATS = ("parquet", "json", "sqlite")
ARTIFACT = "kuril-data"
PARQUET_DIR = "parquet"
JSON_FILE = f"{ARTIFACT}.json"
SQLITE_FILE = f"{ARTIFACT}.sqlite"
DATASETTE_FILE = "metadata.json"
OUTPUTS = {"parquet": (PARQUET_DIR,), "json": (JSON_FILE,), "sqlite": (SQLITE_FILE, DATASETTE_FILE)}

# Declared once: string fields with these names are indexed for full-text search (FTS5). The
# trigram tokenizer finds substrings in any script, Thai included (which has no spaces between words).
FTS_FIELDS = ("text", "title", "summary", "evidence")
FTS_TOKENIZE = "trigram"
FTS_SUFFIX = "_fts"
MAX_STAMP = 253402300799  # 9999-12-31T23:59:59Z, the last second a build date can name
FTS_BUILD_HASHSIZE = 64 * 2**20  # bytes of FTS5's term buffer while the index is built (default 1 MiB)
METADATA_TABLE = "_metadata"
# Source checksums for the metadata table: (resource, file field, checksum field).
CHECKSUMS = ("sources", "path", "sha256")
# Convenience views for the common questions. Each is checked against the schema when built.
VIEWS: dict[str, tuple[str, str]] = {
    "quotations_with_speakers": (
        "Every quotation with its speaker's name, its language and the titles of its document, event and source.",
        """SELECT q.quotation_id, q.text, q.language, q.speaker_id, a.name AS speaker_name,
       q.date, q.date_earliest, q.date_latest, q.document_id, d.title AS document_title,
       q.event_id, e.title AS event_title, q.source_id, s.title AS source_title, q.locator,
       q.translation_of
FROM quotations AS q
LEFT JOIN actors AS a ON a.actor_id = q.speaker_id
LEFT JOIN documents AS d ON d.document_id = q.document_id
LEFT JOIN events AS e ON e.event_id = q.event_id
LEFT JOIN sources AS s ON s.source_id = q.source_id""",
    ),
    "events_with_actors_and_places": (
        "Every event with its place, its actors (name and role) and the places it concerns, '; '-separated.",
        """SELECT e.event_id, e.title, e.kind, e.date, e.date_earliest, e.date_latest, e.summary,
       e.document_id, e.place_id, p.name AS place_name,
       (SELECT group_concat(x, '; ') FROM (
           SELECT a.name || ' (' || ea.role || ')' AS x FROM event_actors AS ea
           JOIN actors AS a ON a.actor_id = ea.actor_id
           WHERE ea.event_id = e.event_id ORDER BY a.name, ea.role)) AS actors,
       (SELECT group_concat(x, '; ') FROM (
           SELECT pl.name AS x FROM event_places AS ep
           JOIN places AS pl ON pl.place_id = ep.place_id
           WHERE ep.event_id = e.event_id ORDER BY pl.name)) AS places
FROM events AS e
LEFT JOIN places AS p ON p.place_id = e.place_id""",
    ),
}
SQLITE_MMAP_BYTES = 2**30  # the checks read the finished file memory-mapped (faster than through the page cache)
# By Arrow type, so the derived date columns (date32, as the date type) get theirs too.
SQL_TYPES: dict[pa.DataType, str] = {t.arrow_type(): t.sqlite for t in FIELD_TYPES.values()}


class Refused(DataError):
    """The package is not fit to export or release (exit 1); `report` holds the problems, if any."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message, report=report)


class ExportError(KurilDataError):
    """The export could not run (exit 2), e.g. SOURCE_DATE_EPOCH is not a number."""


@dataclass(frozen=True)
class ExportResult:
    out: Path
    files: tuple[Path, ...]  # the files written, under `out`, sorted
    version: str
    report: Report  # the validation report (valid; warnings allowed)


def export(path: str | os.PathLike[str], out: str | os.PathLike[str], formats: Iterable[str] = FORMATS, *,
           version: str | None = None) -> ExportResult:
    """Validate the package at `path` and write the chosen formats into the folder `out`.

    Raises Refused when the package does not validate; nothing is written then, nor when any
    step fails. Files of other formats already in `out` are left alone.
    """
    chosen = choose_formats(formats)
    checked = checked_or_refuse(path)
    package = checked.package
    assert package is not None
    out = Path(out)
    stamp = build_timestamp(package)
    with staging(out.parent, out.name) as tmp:
        names = write_exports(checked, tmp, chosen, stamp=stamp, version=version)
        install(tmp, out, names)
    files = sorted(p for name in names for p in _walk(out / name))
    return ExportResult(out, tuple(files), version or package.version, checked.report)


def choose_formats(formats: Iterable[str]) -> tuple[str, ...]:
    chosen: set[str] = set()
    for f in formats:
        if f == "all":
            chosen.update(FORMATS)
        elif f in FORMATS:
            chosen.add(f)
        else:
            raise ValueError(f"unknown export format {f!r} (use {', '.join(FORMATS)} or all)")
    if not chosen:
        raise ValueError("choose at least one export format")
    return tuple(f for f in FORMATS if f in chosen)


def checked_or_refuse(path: str | os.PathLike[str]) -> Checked:
    checked = check(path)
    if checked.package is None or not checked.report.valid:
        raise Refused("the package does not validate; nothing was written", checked.report)
    return checked


def write_exports(checked: Checked, dest: Path, formats: Collection[str], *, stamp: int,
                  version: str | None = None) -> list[str]:
    """Write the chosen formats into the existing folder `dest`; return the top-level names written."""
    try:
        return _write_exports(checked, dest, formats, stamp=stamp, version=version)
    except (OverflowError, pa.ArrowException) as exc:  # a value validation let through that a format cannot hold
        raise ExportError(f"cannot export a value: {type(exc).__name__}: {exc}") from None


def _write_exports(checked: Checked, dest: Path, formats: Collection[str], *, stamp: int,
                   version: str | None = None) -> list[str]:
    package = checked.package
    assert package is not None
    version = version or package.version
    if "parquet" in formats:
        write_parquet(checked, dest / PARQUET_DIR, version)
    if "json" in formats:
        write_json(checked, dest / JSON_FILE, version)
    if "sqlite" in formats:
        try:
            write_sqlite(checked, dest / SQLITE_FILE, version, stamp)
        except sqlite3.Error as exc:  # e.g. "database or disk is full": an ordinary failure, not a bug
            raise ExportError(f"cannot write {SQLITE_FILE}: {exc}") from None
        write_datasette_metadata(package, dest / DATASETTE_FILE, version)
    return [name for f in FORMATS if f in formats for name in OUTPUTS[f]]


# --- Parquet -------------------------------------------------------------------------------------

def write_parquet(checked: Checked, folder: Path, version: str) -> None:
    """One zstd-compressed file per table, typed from the schema, descriptions in the metadata."""
    assert checked.package is not None
    folder.mkdir()
    for resource in checked.package.resources:
        table = to_arrow(checked.tables[resource.name], version)
        fields = [{"name": f.name, "type": str(f.type), "description": _description(f)} for f in table.schema]
        meta = {**(table.schema.metadata or {}), b"fields": json.dumps(fields, ensure_ascii=False).encode()}
        pq.write_table(table.replace_schema_metadata(meta), folder / f"{resource.name}.parquet",
                       compression="zstd", compression_level=9)


def _description(field: pa.Field) -> str:
    return (field.metadata or {}).get(b"description", b"").decode("utf-8")


# --- JSON ----------------------------------------------------------------------------------------

FILE_KEYS = ("path", "format", "mediatype", "encoding", "bytes", "hash", "dialect", "compression")


def data_package(checked: Checked, version: str) -> dict[str, Any]:
    """The package as one Data Package descriptor: every schema and every table inline."""
    tables = checked.tables
    return _descriptor(checked, version, lambda resource: _json_rows(tables[resource.name]))


def _descriptor(checked: Checked, version: str, data: Callable[[Resource], Any]) -> dict[str, Any]:
    package = checked.package
    assert package is not None
    descriptor = {k: v for k, v in package.descriptor.items() if k not in ("profile", "$schema")}
    descriptor["version"] = version
    raw_resources = {r["name"]: r for r in package.descriptor["resources"]}
    resources = []
    for resource in package.resources:
        raw = {k: v for k, v in raw_resources[resource.name].items() if k not in FILE_KEYS}
        raw["schema"] = _raw_schema(package, resource)
        raw["data"] = data(resource)
        resources.append(raw)
    descriptor["resources"] = resources
    return descriptor


def _json_rows(table: Table) -> list[dict[str, Any]]:
    fields = table.resource.schema.fields
    names = [f.name for f in fields]
    columns = [python_values(table.column(f.name), f) for f in fields]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def write_json(checked: Checked, target: Path, version: str) -> None:
    """The one-file Data Package: `data_package(...)` as indented JSON, dates as ISO text."""
    with target.open("w", encoding="utf-8", newline="\n") as f:
        json.dump(data_package(checked, version), f, ensure_ascii=False, indent=2, default=_iso_date)
        f.write("\n")


def _raw_schema(package: Package, resource: Resource) -> dict[str, Any]:
    file, why = safe_member(package.root, resource.schema_path)
    if file is None:
        raise ExportError(f"{resource.schema_path}: {why}")
    raw = json.loads(file.read_text(encoding="utf-8"))
    return {k: v for k, v in raw.items() if k not in ("profile", "$schema")}


def _iso_date(value: Any) -> str:
    """`json.dump`'s fallback: dates as ISO text; anything else is a bug, not data."""
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# --- SQLite --------------------------------------------------------------------------------------

def view_tables(sql: str) -> set[str]:
    """The tables a view reads (every name after FROM or JOIN)."""
    return set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)\b", sql))


def quote(name: str, known: Collection[str]) -> str:
    """Quote an SQL identifier, refusing any name that is not in `known` (taken from the schema)."""
    if name not in known or "\x00" in name:
        raise ExportError(f"identifier {name!r} is not in the schema")
    return '"' + name.replace('"', '""') + '"'


def fts_fields(resource: Resource) -> list[str]:
    return [f.name for f in resource.schema.fields if f.type == "string" and f.name in FTS_FIELDS]


def write_sqlite(checked: Checked, target: Path, version: str, stamp: int) -> None:
    """Build the SQLite database: STRICT tables, keys, indexes, FTS5, views and a metadata table."""
    package = checked.package
    assert package is not None
    tables = [r.name for r in package.resources]
    derived = [*VIEWS, METADATA_TABLE, *(r.name + FTS_SUFFIX for r in package.resources if fts_fields(r))]
    clash = sorted(set(derived) & set(tables))
    if clash:
        raise ExportError(f"resource name(s) {', '.join(clash)} clash with names the SQLite export uses")
    names = tables + derived
    ddl = {r.name: table_ddl(package, r, version) for r in package.resources}
    db = sqlite3.connect(target, isolation_level=None)
    try:
        db.execute("PRAGMA page_size = 4096")
        # A new file in a staging folder, moved into place only once complete: no journal or fsync
        # needed while it is built. Keys are checked all at once by foreign_key_check at the end.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("BEGIN")
        for resource in package.resources:
            db.execute(ddl[resource.name][0])
            _insert(db, checked.tables[resource.name], names)
        for resource in package.resources:  # indexes after the rows: one sort, not a B-tree insert per row
            for sql in ddl[resource.name][1:]:
                db.execute(sql)
        for sql in _metadata_sql(names):
            db.execute(sql)
        db.executemany(f"INSERT INTO {quote(METADATA_TABLE, names)} (key, value) VALUES (?, ?)",
                       metadata_rows(checked, version, stamp))
        for view, (_, sql) in VIEWS.items():
            if not view_tables(sql) <= {r.name for r in package.resources}:
                continue  # a package without the kuril-data tables gets no kuril-data views
            db.execute(f"CREATE VIEW {quote(view, names)} AS\n{sql}")
            try:
                db.execute(f"SELECT * FROM {quote(view, names)} LIMIT 0")
            except sqlite3.OperationalError:  # a column it reads is not in this package (an optional one dropped)
                db.execute(f"DROP VIEW {quote(view, names)}")
        for resource in package.resources:
            cols = fts_fields(resource)
            if cols:
                fts = quote(resource.name + FTS_SUFFIX, names)
                known = resource.schema.names
                # Double quotes: Datasette recognises an external-content FTS table only by content="…".
                content = quote(resource.name, tables)
                db.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5("
                           f"{', '.join(quote(c, known) for c in cols)}, content={content}, "
                           f"content_rowid='rowid', tokenize='{FTS_TOKENIZE}')")
                # A larger in-memory term buffer while building: fewer segments to merge, same index.
                db.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('hashsize', {FTS_BUILD_HASHSIZE})")
                db.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
                db.execute(f"INSERT INTO {fts} ({fts}) VALUES ('optimize')")
                # ... and not kept: the file's FTS5 configuration stays the default.
                config = quote(resource.name + FTS_SUFFIX + "_config", [resource.name + FTS_SUFFIX + "_config"])
                db.execute(f"DELETE FROM {config} WHERE k = 'hashsize'")
        db.execute("COMMIT")
    finally:
        db.close()
    # Both checks read the finished file; each on its own connection, so they can run side by side.
    with ThreadPoolExecutor(1) as pool:
        foreign = pool.submit(_pragma, target, "foreign_key_check")
        integrity = _pragma(target, "integrity_check")
        problems = foreign.result()
    if problems or integrity != [("ok",)]:
        raise ExportError(f"SQLite checks failed: {problems or integrity}")


def _pragma(target: Path, pragma: str) -> list[Any]:
    db = sqlite3.connect(target)
    try:
        db.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        return db.execute(f"PRAGMA {pragma}").fetchall()
    finally:
        db.close()


def table_ddl(package: Package, resource: Resource, version: str | None = None) -> list[str]:
    """CREATE TABLE (STRICT, keys declared) plus an index on every foreign key, from the schema."""
    schema = resource.schema
    aschema = arrow_schema(resource, version)
    cols = aschema.names
    tables = [r.name for r in package.resources]
    table = quote(resource.name, tables)
    lines = []
    for f in aschema:
        col = f"{quote(f.name, cols)} {SQL_TYPES[f.type]}"
        if not f.nullable or f.name in schema.primary_key:
            col += " NOT NULL"
        if f.type == pa.bool_():
            col += f" CHECK ({quote(f.name, cols)} IN (0, 1))"
        lines.append(col)
    if schema.primary_key:
        lines.append(f"PRIMARY KEY ({_cols(schema.primary_key, cols)})")
    sql = []
    for i, fk in enumerate(schema.foreign_keys):
        parent = package.resource(fk.resource or resource.name)
        assert parent is not None  # the package validated
        lines.append(f"FOREIGN KEY ({_cols(fk.fields, cols)}) REFERENCES {quote(parent.name, tables)} "
                     f"({_cols(fk.reference, parent.schema.names)}) DEFERRABLE INITIALLY DEFERRED")
        index = f"{resource.name}__fk{i}__{'_'.join(fk.fields)}"
        sql.append(f"CREATE INDEX {quote(index, [index])} ON {table} ({_cols(fk.fields, cols)})")
        if tuple(fk.reference) != parent.schema.primary_key:  # SQLite needs a unique parent key
            unique = f"{parent.name}__unique__{'_'.join(fk.reference)}"
            sql.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {quote(unique, [unique])} ON "
                       f"{quote(parent.name, tables)} ({_cols(fk.reference, parent.schema.names)})")
    create = f"CREATE TABLE {table} (\n  " + ",\n  ".join(lines) + "\n) STRICT"
    return [create, *sql]


def _cols(names: Iterable[str], known: Collection[str]) -> str:
    return ", ".join(quote(n, known) for n in names)


def _insert(db: sqlite3.Connection, table: Table, names: list[str]) -> None:
    """Insert the rows straight from the raw columns; only typed and derived columns are converted."""
    fields = table.resource.schema.fields
    cols = [f.name for f in fields] + [f.name + suffix for f in fields if f.edtf for suffix in (EARLIEST, LATEST)]
    values = [python_values(table.column(f.name), f) if f.type == "string" else _sql_values(table.column(f.name), f)
              for f in fields]
    for f, column in zip(fields, list(values), strict=True):
        if f.edtf:
            values += _sql_ranges(column if f.type == "string" else table.column(f.name))
    sql = (f"INSERT INTO {quote(table.resource.name, names)} ({_cols(cols, cols)}) "
           f"VALUES ({', '.join('?' for _ in cols)})")
    db.executemany(sql, zip(*values, strict=True) if values else ())


def _sql_values(values: list[str], field: Field) -> list[Any]:
    """One raw column of a typed field as SQLite values: NULL for empty, booleans 0/1, dates ISO text."""
    typed = python_values(values, field)
    if field.type in ("boolean", "date"):
        return [_sql_value(v) for v in typed]
    return typed


def _sql_ranges(values: list[Any]) -> tuple[list[str | None], list[str | None]]:
    """The `_earliest` and `_latest` columns of an EDTF column as ISO text, parsed once per distinct value."""
    iso = {}
    for v in set(values):
        r = dates.date_range(v) if v else None
        iso[v] = (_sql_value(r.earliest) if r else None, _sql_value(r.latest) if r else None)
    pairs = [iso[v] for v in values]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value.isoformat() if isinstance(value, dt.date) else value


def _metadata_sql(names: list[str]) -> list[str]:
    return [f"CREATE TABLE {quote(METADATA_TABLE, names)} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT"]


def metadata_rows(checked: Checked, version: str, stamp: int) -> list[tuple[str, str]]:
    """Version, build date, and the SHA-256 of every source file as the sources table gives it."""
    package = checked.package
    assert package is not None
    rows = [("name", package.name), ("version", version), ("build_date", iso_timestamp(stamp))]
    table_name, file_field, sum_field = CHECKSUMS
    table = checked.tables.get(table_name)
    if table is not None and {file_field, sum_field} <= set(table.columns):
        pairs = zip(table.column(file_field), table.column(sum_field), strict=True)
        rows += sorted((f"sha256:{file}", digest) for file, digest in pairs if file and digest)
    return rows


# Datasette, declared once and applied to every table by what its schema says: the first of these
# fields labels a row wherever a foreign key points at it; enum and language fields are facets; the
# first EDTF date sorts the table (by its earliest day).
LABEL_FIELDS = ("title", "name", "subject", "text", "evidence")
# Canned queries for the questions people ask most, each kept only when the package has its tables.
QUERIES: dict[str, tuple[str, str, str]] = {
    "disagreements_with_evidence": (
        "Every disagreement with its evidence",
        "Each disagreement between sources, with every account of it, the verbatim evidence, the source and "
        "the locator.",
        """SELECT d.disagreement_id, d.kind, d.subject, da.account, c.evidence, s.title AS source_title,
       s.language AS source_language, c.locator, c.citation_id
FROM disagreements AS d
JOIN disagreement_accounts AS da ON da.disagreement_id = d.disagreement_id
JOIN citations AS c ON c.citation_id = da.citation_id
JOIN sources AS s ON s.source_id = c.source_id
ORDER BY d.disagreement_id, s.source_id, c.citation_id""",
    ),
    "quotations_of_speaker": (
        "All quotations of one speaker, in every language",
        "Type an actor id (such as gromyko-andrei) or part of a name; translations of one quotation are "
        "listed together.",
        """SELECT coalesce(q.translation_of, q.quotation_id) AS quotation_group, q.quotation_id, q.language, q.text,
       a.name AS speaker_name, q.speaker_id, s.title AS source_title, q.locator, q.date
FROM quotations AS q
JOIN actors AS a ON a.actor_id = q.speaker_id
LEFT JOIN sources AS s ON s.source_id = q.source_id
WHERE q.speaker_id = :speaker OR a.name LIKE '%' || :speaker || '%'
ORDER BY quotation_group, q.language, q.quotation_id""",
    ),
}
YEAR_QUERY = "in_year"
EVIDENCE_QUERY = "evidence_for_record"
EVIDENCE = ("citations", "source_id", "sources")  # (the citations table, its key to the source, the sources)


def label_field(resource: Resource) -> str | None:
    names = resource.schema.names
    return next((n for n in LABEL_FIELDS if n in names), None)


def year_query(package: Package) -> str | None:
    """Every dated record whose date range meets the year :year, from every table with a label, a
    one-field key and an EDTF date (derived from the schemas, so a new dated table joins by itself)."""
    parts = []
    for resource in package.resources:
        dated = [f.name for f in resource.schema.fields if f.edtf]
        label = label_field(resource)
        if not dated or not label or len(resource.schema.primary_key) != 1:
            continue
        names = [*resource.schema.names, dated[0] + EARLIEST, dated[0] + LATEST]
        date, early, late = (quote(n, names) for n in (dated[0], dated[0] + EARLIEST, dated[0] + LATEST))
        table = "'" + resource.name.replace("'", "''") + "'"
        parts.append(f"SELECT {table} AS record_table, {quote(resource.schema.primary_key[0], names)} AS record_id, "
                     f"{quote(label, names)} AS label, {date} AS date, {early} AS date_earliest, "
                     f"{late} AS date_latest\nFROM {quote(resource.name, [resource.name])}\n"
                     f"WHERE {early} <= :year || '-12-31' AND {late} >= :year || '-01-01'")
    if not parts:
        return None
    return "\nUNION ALL\n".join(parts) + "\nORDER BY date_earliest, date_latest, record_table, record_id"


def evidence_query(package: Package) -> str | None:
    """Every citation of one record, typed as :record, with its source's title: the record may be in any
    of the citations table's one-field keys other than the source's (read from its schema)."""
    table, source_key, sources = EVIDENCE
    resource, parent = package.resource(table), package.resource(sources)
    if resource is None or parent is None or "title" not in parent.schema.names or len(parent.schema.primary_key) != 1:
        return None
    names = resource.schema.names
    targets = [fk.fields[0] for fk in resource.schema.foreign_keys
               if len(fk.fields) == 1 and fk.fields[0] != source_key]
    if not targets or source_key not in names or len(resource.schema.primary_key) != 1:
        return None
    where = " OR ".join(f"c.{quote(t, names)} = :record" for t in targets)
    source_pk = quote(parent.schema.primary_key[0], parent.schema.names)
    return (f"SELECT c.*, s.\"title\" AS source_title\nFROM {quote(table, [table])} AS c\n"
            f"LEFT JOIN {quote(sources, [sources])} AS s ON s.{source_pk} = c.{quote(source_key, names)}\n"
            f"WHERE {where}\nORDER BY c.{quote(resource.schema.primary_key[0], names)}")


def datasette_metadata(package: Package, version: str) -> dict[str, Any]:
    """Datasette metadata from the schemas: descriptions, full-text search, facets, labels, sorting,
    the metadata table hidden, and the canned queries."""
    tables: dict[str, Any] = {}
    for resource in package.resources:
        aschema = arrow_schema(resource, version)
        config: dict[str, Any] = {
            "description": resource.description or resource.schema.description,
            "columns": {f.name: _description(f) for f in aschema},
        }
        if fts_fields(resource):
            config["fts_table"] = resource.name + FTS_SUFFIX
            config["fts_pk"] = "rowid"
        facets = [f.name for f in resource.schema.fields if "enum" in f.constraints or f.language]
        if facets:
            config["facets"] = facets
        label = label_field(resource)
        if label:
            config["label_column"] = label
        dated = [f.name for f in resource.schema.fields if f.edtf]
        if dated:
            config["sort"] = dated[0] + EARLIEST
        tables[resource.name] = config
    present = {r.name for r in package.resources}
    for view, (description, sql) in VIEWS.items():
        if view_tables(sql) <= present:
            tables[view] = {"description": description}
    tables[METADATA_TABLE] = {"description": "Package name, version, build date and source file checksums.",
                              "hidden": True}
    queries: dict[str, Any] = {}
    for name, (title, description, sql) in QUERIES.items():
        if view_tables(sql) <= present:
            queries[name] = {"title": title, "description": description, "sql": sql}
    in_year = year_query(package)
    if in_year:
        queries[YEAR_QUERY] = {"title": "Everything that happened in a given year",
                               "description": "Every dated record whose date can fall in the year typed (e.g. "
                                              "1956), from the earliest.", "sql": in_year}
    evidence = evidence_query(package)
    if evidence:
        queries[EVIDENCE_QUERY] = {"title": "The evidence for one record",
                                   "description": "Type the id of an event, document, actor or place (e.g. "
                                                  "joint-declaration-1956): every citation of it, with its source, "
                                                  "locator and verbatim evidence.", "sql": evidence}
    licenses = package.descriptor.get("licenses") or [{}]
    return {
        "title": package.descriptor.get("title", package.name),
        "description": package.descriptor.get("description", ""),
        "license": licenses[0].get("name", ""),
        "license_url": licenses[0].get("path", ""),
        "source_url": package.descriptor.get("homepage") or project().homepage,
        "databases": {ARTIFACT: {"source": f"{package.name} {version}", "tables": tables, "queries": queries}},
    }


def write_datasette_metadata(package: Package, target: Path, version: str) -> None:
    """Datasette's metadata.json (see `datasette_metadata`)."""
    meta = datasette_metadata(package, version)
    target.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")


# --- build date ------------------------------------------------------

def build_timestamp(package: Package) -> int:
    """SOURCE_DATE_EPOCH, else the last git commit's date, else the newest input file's mtime."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        try:
            stamp = int(env)
        except ValueError:
            raise ExportError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {env!r}") from None
        if not 0 <= stamp <= MAX_STAMP:
            raise ExportError(f"SOURCE_DATE_EPOCH must be from 0 to {MAX_STAMP} (9999-12-31), not {env!r}")
        return stamp
    committed = git.last_commit_time(package.root)
    if committed is not None and 0 <= committed <= MAX_STAMP:
        return committed
    rels = {"datapackage.json"} | {r.path for r in package.resources} | {r.schema_path for r in package.resources}
    return max(int((package.root / rel).stat().st_mtime) for rel in rels)


def iso_timestamp(stamp: int) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _walk(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
