"""SQLite: STRICT tables with their keys, an index on every foreign key, FTS5 full-text search,
convenience views and a metadata table, all derived from the schemas and written from the typed
dataset (`kuril_data.dataset`). No code path is written per table."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kuril_data.dataset import Dataset, TypedTable, columns_of
from kuril_data.errors import ExportError
from kuril_data.model.dates import EARLIEST, LATEST
from kuril_data.model.layout import METADATA_TABLE
from kuril_data.model.package import Package, Resource


def iso_timestamp(stamp: int) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Declared once: string fields with these names are indexed for full-text search (FTS5). The
# trigram tokenizer finds substrings in any script, Thai included (which has no spaces between words).
FTS_FIELDS = ("text", "title", "summary", "evidence", "name", "subject", "description")
FTS_TOKENIZE = "trigram"
FTS_SUFFIX = "_fts"
FTS_BUILD_HASHSIZE = 64 * 2**20  # bytes of FTS5's term buffer while the index is built (default 1 MiB)
# Source checksums for the metadata table: (resource, file field, checksum field).
SOURCE_CHECKSUMS = ("sources", "path", "sha256")
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
# A dated table's first EDTF date gets a generated column to sort by: its earliest day, else (an
# open start such as `../1951-09`) its latest, so open starts sort where they end, not first.
SORT_SUFFIX = "_sort"
SQLITE_MMAP_BYTES = 2**30  # the checks read the finished file memory-mapped (faster than through the page cache)


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


def write_sqlite(data: Dataset, target: Path, version: str, stamp: int) -> None:
    """Build the SQLite database: STRICT tables, keys, indexes, FTS5, views and a metadata table."""
    package = data.package
    tables = [r.name for r in package.resources]
    derived = [*VIEWS, METADATA_TABLE, *(r.name + FTS_SUFFIX for r in package.resources if fts_fields(r))]
    clash = sorted(set(derived) & set(tables))
    if clash:
        raise ExportError(f"resource name(s) {', '.join(clash)} clash with names the SQLite export uses")
    names = tables + derived
    ddl = {r.name: table_ddl(package, r) for r in package.resources}
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
            _insert(db, data.table(resource.name), names)
        for resource in package.resources:  # indexes after the rows: one sort, not a B-tree insert per row
            for sql in ddl[resource.name][1:]:
                db.execute(sql)
        for sql in _metadata_sql(names):
            db.execute(sql)
        db.executemany(f"INSERT INTO {quote(METADATA_TABLE, names)} (key, value) VALUES (?, ?)",
                       metadata_rows(data, version, stamp))
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


def table_ddl(package: Package, resource: Resource) -> list[str]:
    """CREATE TABLE (STRICT, keys declared) plus an index on every foreign key, from the schema."""
    schema = resource.schema
    columns = columns_of(resource)
    cols = [c.name for c in columns]
    tables = [r.name for r in package.resources]
    table = quote(resource.name, tables)
    lines = []
    for c in columns:
        col = f"{quote(c.name, cols)} {c.type.sqlite}"
        if not c.nullable or c.name in schema.primary_key:
            col += " NOT NULL"
        if c.type.name == "boolean":
            col += f" CHECK ({quote(c.name, cols)} IN (0, 1))"
        lines.append(col)
    dated = next((f.name for f in schema.fields if f.edtf), None)
    if dated and dated + EARLIEST in cols and dated + LATEST in cols and dated + SORT_SUFFIX not in cols:
        early, late = quote(dated + EARLIEST, cols), quote(dated + LATEST, cols)
        lines.append(f'{quote(dated + SORT_SUFFIX, [dated + SORT_SUFFIX])} TEXT GENERATED ALWAYS AS '
                     f"(coalesce({early}, {late})) VIRTUAL")
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


def _insert(db: sqlite3.Connection, table: TypedTable, names: list[str]) -> None:
    """Insert the typed rows; booleans as 0/1 and dates as ISO text (SQLite has neither type)."""
    cols = table.names
    values = [[_sql_value(v) for v in column] if c.type.name in ("boolean", "date") else column
              for c, column in zip(table.columns, table.values, strict=True)]
    sql = (f"INSERT INTO {quote(table.resource.name, names)} ({_cols(cols, cols)}) "
           f"VALUES ({', '.join('?' for _ in cols)})")
    db.executemany(sql, zip(*values, strict=True) if values else ())


def _sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value.isoformat() if isinstance(value, dt.date) else value


def _metadata_sql(names: list[str]) -> list[str]:
    return [f"CREATE TABLE {quote(METADATA_TABLE, names)} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT"]


def metadata_rows(data: Dataset, version: str, stamp: int) -> list[tuple[str, str]]:
    """Version, build date, and the SHA-256 of every source file as the sources table gives it."""
    package = data.package
    rows = [("name", package.name), ("version", version), ("build_date", iso_timestamp(stamp))]
    table_name, file_field, sum_field = SOURCE_CHECKSUMS
    resource = package.resource(table_name)
    if resource is not None and {file_field, sum_field} <= set(resource.schema.names):
        table = data.table(table_name)
        pairs = zip(table.column(file_field), table.column(sum_field), strict=True)
        rows += sorted((f"sha256:{file}", digest) for file, digest in pairs if file and digest)
    return rows
