"""Keys and links from the schemas: unique fields, primary keys, foreign keys, exactly-one-of."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from kuril_data.io.read import Table
from kuril_data.model.package import ForeignKey, Schema
from kuril_data.model.text import is_nfc, nfc
from kuril_data.model.types import FIELD_TYPES
from kuril_data.report import Problem
from kuril_data.validate.checks.base import Check, Chunked, Context, Message, Rows, View, row_list, threads


def typed(schema: Schema, names: tuple[str, ...]) -> list[Callable[[str], Any]] | None:
    """Per key field, the function giving the value a key compares as (NFC text, or the typed value
    of an integer, number, boolean, year or date: `7`, `07` and `+7` are one integer, as export's
    UNIQUE and load() see them); None when every field is a string."""
    types = [schema.field(n).type if n in schema.names else "string" for n in names]
    if all(t == "string" for t in types):
        return None
    return [nfc if t == "string" else _typed_value(t) for t in types]


def _typed_value(ftype: str) -> Callable[[str], Any]:
    kind = FIELD_TYPES[ftype]

    def value(text: str) -> Any:
        # a cell not of the type is reported as a type-error and compared as its text
        return (ftype, kind.value(text)) if kind.problem(text) is None else text
    return value


def rows_of(ctx: Context, table: Table, key: str, values: Sequence[str]) -> list[int | None]:
    """For each value, the row of its last occurrence in column `key` of `table` (None: absent):
    what `{v: i for i, v in enumerate(column)}` finds. An Arrow-read table is searched with Arrow,
    so no Python list or dict of a whole large column is built (or held) for a few lookups; a
    list-read one through a dict made once per run."""
    if table.arrow_read:
        if not len(values):
            return []
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v

        # The column probed against the few values (no hash table of the whole column is built).
        wanted = sorted(set(values))
        which = pc.index_in(table.array(key), value_set=lit.strings(wanted))
        hits = v.rows(pc.is_valid(which))
        last = dict(zip(which.take(hits).to_pylist(), hits.to_pylist(), strict=True))  # a later row overwrites
        at = {value: last.get(n) for n, value in enumerate(wanted)}
        return [at[value] for value in values]
    index = ctx.memo(("rows", table.file, key), lambda: {x: i for i, x in enumerate(table.column(key))})
    return [index.get(x) for x in values]


def lookup(ctx: Context, table: Table, key: str, name: str, values: list[str]) -> dict[str, str | None]:
    """`name` by `key` for each of `values` (the last row of a key, as a dict of the rows; None:
    no row), read for these values only."""
    return dict(zip(values, values_at(table, name, rows_of(ctx, table, key, values)), strict=True))


def present(table: Table, name: str, values: Sequence[str]) -> set[str]:
    """Those of `values` that column `name` of `table` holds (the column probed, no set of it made)."""
    if not table.arrow_read:
        return set(values) & set(table.column(name))
    import pyarrow.compute as pc

    from kuril_data.model import arrow_lit as lit

    column = table.array(name)
    return set(pc.unique(column.filter(pc.is_in(column, value_set=lit.strings(sorted(set(values)))))).to_pylist())


def values_at(table: Table, name: str, rows: Sequence[int | None]) -> list[str | None]:
    """The values of column `name` in `rows` (None where the row is None)."""
    got = iter(table.take(name, [r for r in rows if r is not None]))
    return [next(got) if r is not None else None for r in rows]


class KeyUnit(NamedTuple):
    table: Table
    key: tuple[str, ...]


class _Duplicates(Check):
    """A key whose value (after NFC) repeats an earlier row's; rows with an empty part have no key."""

    DUPLICATE: Message

    def judge(self, ctx: Context, unit: KeyUnit, view: View) -> Iterator[Problem]:
        table, key = unit
        first: dict[tuple[Any, ...], int] = {}
        cols = [view.column(k) for k in key]
        label = ", ".join(key)
        convert = typed(table.resource.schema, key)
        for i, line in enumerate(view.lines):
            raw = tuple(c[i] for c in cols)
            if not all(raw):
                continue  # empty key parts are reported as required
            value = tuple(nfc(v) for v in raw) if convert is None else tuple(
                f(v) for f, v in zip(convert, raw, strict=True))
            if value in first:
                after = " (the same typed value)" if convert is not None else (
                    "" if all(is_nfc(v) for v in raw) else " (after NFC)")
                yield self.DUPLICATE(table, line, label, value="/".join(raw), first=first[value],
                                     after=after, key=label)
            else:
                first[value] = line

    def find(self, ctx: Context, unit: KeyUnit) -> Rows:
        """Every row whose key occurs more than once: the first occurrences included. A typed key
        (`7` and `07`) is judged on every row."""
        if typed(unit.table.resource.schema, unit.key) is not None:
            return list(range(unit.table.num_rows))
        return _repeats(ctx, *unit)


_DUPLICATE = "{value!r} duplicates line {first}{after}; {key} must be unique"


class Unique(_Duplicates):
    DUPLICATE = Message("unique", _DUPLICATE)

    def units(self, ctx: Context) -> Iterable[KeyUnit]:
        for table in ctx.tables.values():
            schema = table.resource.schema
            for field in schema.fields:
                if field.constraints.get("unique") and field.name in table.columns \
                        and (field.name,) != schema.primary_key:
                    yield KeyUnit(table, (field.name,))


class PrimaryKey(_Duplicates):
    DUPLICATE = Message("primary-key", _DUPLICATE)

    def units(self, ctx: Context) -> Iterable[KeyUnit]:
        for table in ctx.tables.values():
            key = table.resource.schema.primary_key
            if key and all(k in table.columns for k in key):
                yield KeyUnit(table, key)


class LinkUnit(NamedTuple):
    table: Table
    fk: ForeignKey
    target: Table


class ForeignKeys(Check):
    MISSING = Message("foreign-key", '"{value}" is not found in {resource} ({reference})')

    def units(self, ctx: Context) -> Iterable[LinkUnit]:
        for table in ctx.tables.values():
            for fk in table.resource.schema.foreign_keys:
                target = ctx.tables.get(fk.resource)
                if target is None or not all(f in table.columns for f in fk.fields):
                    continue  # an unreadable target is reported on its own
                if target.num_rows and not all(f in target.columns for f in fk.reference):
                    continue  # the target's header is wrong: reported on its own
                yield LinkUnit(table, fk, target)

    def judge(self, ctx: Context, unit: LinkUnit, view: View) -> Iterator[Problem]:
        table, fk, _ = unit
        cols = [view.column(f) for f in fk.fields]
        missing = self._missing(ctx, unit, view)
        for i, line in enumerate(view.lines):
            value = tuple(c[i] for c in cols)
            if any(value) and missing(i, value):  # an empty optional link is no link
                yield self.MISSING(table, line, ",".join(fk.fields), value="/".join(value),
                                   resource=fk.resource, reference="/".join(fk.reference))

    def _missing(self, ctx: Context, unit: LinkUnit, view: View) -> Callable[[int, tuple[str, ...]], bool]:
        """Whether the link of the view's row i (holding `value`) finds no target row."""
        table, fk, target = unit
        convert = typed(target.resource.schema, fk.reference)  # a link matches its target's typed value
        if convert is None and len(fk.fields) == 1 and view.rows is not None and table.arrow_read:
            # A finder's candidates of a text link: the finder's index says, no set of every key is made.
            from kuril_data.model import arrow_lit as lit
            from kuril_data.validate.checks import vector as v

            index, rows = v.link_index(ctx, table, fk.fields[0], target, fk.reference[0]), view.rows
            found = Chunked(len(rows), lambda a, b: index.take(lit.ints(row_list(rows[a:b]))).is_valid().to_pylist())
            return lambda i, value: not found[i]
        known: list[set[tuple[Any, ...]]] = []  # made at the first link looked up

        def missing(i: int, value: tuple[str, ...]) -> bool:
            if not known:
                known.append(ctx.memo(("keys", target.file, fk.reference), lambda: _key_set(target, fk.reference)))
            return (value if convert is None else tuple(f(v) for f, v in zip(convert, value, strict=True))) \
                not in known[0]
        return missing

    def find_all(self, ctx: Context, units: list[LinkUnit]) -> list[Rows | None]:
        """Rows with a link whose value is not in the target column (`vector.link_index`, links
        side by side); composite keys are judged in full."""
        from concurrent.futures import ThreadPoolExecutor

        import pyarrow.compute as pc

        from kuril_data.validate.checks import vector as v

        def find(unit: LinkUnit) -> Rows | None:
            table, fk, target = unit
            if len(fk.fields) != 1:
                return None
            where = v.link_index(ctx, table, fk.fields[0], target, fk.reference[0])
            return v.rows(pc.and_(v.filled(table.array(fk.fields[0])), pc.is_null(where)))

        with ThreadPoolExecutor(threads()) as pool:
            return list(pool.map(find, units))


def _key_set(target: Table, reference: tuple[str, ...]) -> set[tuple[Any, ...]]:
    """The keys of `target` in `reference`, typed as `typed` says (texts for string fields)."""
    rows = zip(*(target.column(f) for f in reference), strict=True)
    convert = typed(target.resource.schema, reference)
    if convert is None:
        return set(rows)
    return {tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in rows}


def link_rows(ctx: Context, table: Table, name: str, target: Table, column: str) -> Any:
    """For each row of `table`, the row of `target` whose `column` holds the row's `name`: the
    LAST such row (what a dict made from target's rows finds), null where there is none. An
    Arrow int array (4 or 8 bytes a row), made once per run."""
    from kuril_data.validate.checks import vector as v

    distinct = v.distinct(ctx, target, column)
    if distinct:  # the first row holding a value is the last
        return v.link_index(ctx, table, name, target, column)
    return ctx.memo(("link-rows", table.file, name, target.file, column),
                    lambda: v.last_index(table.array(name), target.array(column), distinct))


class OneOfUnit(NamedTuple):
    table: Table
    names: tuple[str, ...]


class ExactlyOneOf(Check):
    NOT_ONE = Message("exactly-one-of", "exactly one of {names} must be filled (got {got})")

    def units(self, ctx: Context) -> Iterable[OneOfUnit]:
        for table in ctx.tables.values():
            names = tuple(n for n in table.resource.schema.exactly_one_of if n in table.columns)
            if names:
                yield OneOfUnit(table, names)

    def judge(self, ctx: Context, unit: OneOfUnit, view: View) -> Iterator[Problem]:
        table, names = unit
        cols = {n: view.column(n) for n in names}
        for i, line in enumerate(view.lines):
            got = [n for n in names if cols[n][i]]
            if len(got) != 1:
                yield self.NOT_ONE(table, line, None, names=", ".join(names), got=", ".join(got) or "none")

    def find(self, ctx: Context, unit: OneOfUnit) -> Rows:
        import pyarrow as pa
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v

        count = None
        for n in unit.names:
            one = v.filled(unit.table.array(n)).cast(pa.int8())
            count = one if count is None else pc.add(count, one)
        return v.rows(pc.not_equal(count, lit.lit(1).cast(pa.int8())))


# ---------------------------------------------------------------- finder helpers


def _nfc_column(ctx: Context, table: Table, name: str) -> Any:
    """The column with every value Python would change under NFC replaced by its NFC form."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from kuril_data.model import arrow_lit as lit
    from kuril_data.model.patterns import plain
    from kuril_data.validate.checks import vector as v

    array = table.array(name)
    pattern = table.resource.schema.field(name).constraints.get("pattern")
    if isinstance(pattern, str) and plain(pattern):  # mostly ASCII ids: only non-ASCII values can change
        rows = row_list(v.rows(pc.invert(pc.string_is_ascii(array))))
    else:
        rows = row_list(v.rows(v.suspects(ctx, table, name)))
    changed = [(i, nfc(x)) for i, x in zip(rows, table.take(name, rows), strict=True) if not is_nfc(x)]
    if not changed:
        return array
    mask = pc.is_in(lit.ints(range(len(array))), value_set=lit.ints([i for i, _ in changed]))
    flat = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    return pc.replace_with_mask(flat, mask, lit.strings([x for _, x in changed]))


def _repeats(ctx: Context, table: Table, key: tuple[str, ...]) -> Rows:
    """The rows whose key (after NFC; none where a part is empty) occurs more than once."""
    import pyarrow.compute as pc

    from kuril_data.model import arrow_lit as lit
    from kuril_data.validate.checks import vector as v

    values = [_nfc_column(ctx, table, k) for k in key]
    if len(key) == 1 and values[0] is table.array(key[0]) and v.distinct(ctx, table, key[0]):
        return []  # every value different (the distinctness other checks' lookups share), none changed by NFC
    codes, size = v.group_codes(*values, distinct_at=table.num_rows)  # equal codes <=> equal keys
    if size == table.num_rows:
        return []  # every key different
    empty = None
    for value in values:
        empty = v.any_of(empty, pc.invert(v.filled(value)))
    if table.num_rows and pc.any(empty).as_py():
        codes = pc.if_else(empty, lit.lit(None).cast(codes.type), codes)  # an empty part: no key
    return v.rows(v.repeated(codes))
