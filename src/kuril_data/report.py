"""Problems found in a package, and the report that collects them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from typing import Literal

Severity = Literal["error", "warning"]
MAX_SHOWN = 1_000  # problems shown by default; the rest are counted (like frictionless' limit_errors)
# The invisible characters no name, title, id or cell may hold (SECURITY.md, "Invisible text"):
# they make two different values look the same, reorder what a terminal or a browser shows
# (bidi controls: U+202E turns "txt.exe" into "exe.txt"), break lines where no line ends (U+2028/9)
# or carry hidden text (tag characters). Inclusive ranges; `kuril_data.model.text.FORBIDDEN` is
# built from them, and every text printed for a terminal, an annotation or Markdown escapes them.
INVISIBLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark (bidi)
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero-width space, (non-)joiner, LRM, RLM
    (0x2028, 0x202E),  # line and paragraph separators, bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated format characters
    (0x2800, 0x2800),  # braille pattern blank
    (0x3164, 0x3164),  # Hangul filler
    (0xFEFF, 0xFEFF),  # zero-width no-break space (BOM)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF9, 0xFFFB),  # interlinear annotation controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE007F),  # tag characters
)


@cache
def _escapes() -> tuple[dict[int, str], dict[int, str]]:
    """The translation tables of `escape_controls` and `json_text`, built on first use (~2,300
    entries: a few ms that a run printing only ASCII need not spend)."""
    # C0 controls, DEL and C1 controls: shown escaped, so no message can drive a terminal.
    controls = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
    c1_json = {c: f"\\u{c:04x}" for c in range(0x80, 0xA0)}  # json.dumps escapes C0 already
    # Lone surrogates (a `\\ud800` escape in JSON) cannot be encoded: shown escaped, never a crash.
    surrogates = {c: f"\\u{c:04x}" for c in range(0xD800, 0xE000)}
    controls.update(surrogates)
    c1_json.update(surrogates)
    controls.update({c: f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"
                     for a, b in INVISIBLE for c in range(a, b + 1)})
    return controls, c1_json


def escape_controls(text: str) -> str:
    """`text` with every control character written as \\xNN (a tab, a newline, an escape) and every
    invisible character (`INVISIBLE`: bidi controls, zero-width characters...) as \\uNNNN."""
    if text.isascii() and text.isprintable():  # no control character, and no invisible one is ASCII
        return text
    return text.translate(_escapes()[0])


def json_text(value: object) -> str:
    """JSON for a terminal: non-ASCII kept, every control character escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return text if text.isascii() else text.translate(_escapes()[1])  # C0 is escaped by json.dumps

# Every problem code, with what it means. Stable: tools and CI annotations key on these.
CODES: dict[str, str] = {
    "descriptor-error": "datapackage.json is not valid JSON or not a valid Data Package",
    "schema-error": "a Table Schema file is missing, not valid JSON or not a valid Table Schema",
    "unsafe-path": "a path leaves the package folder, is absolute, a URL or a symbolic link",
    "file-missing": "a resource's data file does not exist",
    "file-too-large": "a data file is larger than the configured limit",
    "empty-file": "a data file is empty or has no header row",
    "bom": "a data file starts with a byte-order mark",
    "encoding-error": "a data file is not valid UTF-8",
    "line-ending": "a data file has CR or CRLF line ends instead of LF",
    "csv-syntax": "malformed CSV quoting",
    "cell-too-large": "a cell is larger than the configured limit",
    "too-many-cells": "a row has more cells than the configured limit",
    "too-many-rows": "a file has more rows than the configured limit",
    "header-mismatch": "the header row differs from the schema's field names",
    "blank-row": "a row with no values",
    "extra-cell": "a row has more cells than the header",
    "missing-cell": "a row has fewer cells than the header",
    "required": "a required cell is empty",
    "whitespace": "a cell has white space at its start or end",
    "control-character": "a cell holds a control or invisible character",
    "combining-run": "a cell has more than 30 combining marks in a row (Unicode's stream-safe limit)",
    "not-nfc": "a cell is not in Unicode NFC form",
    "type-error": "a cell is not of the field's type",
    "enum": "a cell is not one of the allowed values",
    "pattern": "a cell does not match the field's pattern",
    "length": "a cell is shorter or longer than allowed",
    "range": "a number is below the minimum or above the maximum",
    "edtf": "a date is not a valid EDTF string",
    "interval-order": "a date interval ends before it starts",
    "language-tag": "a language is not a valid BCP 47 tag",
    "formula-like": "a cell starts like a spreadsheet formula (warning)",
    "unique": "a value that must be unique is repeated",
    "primary-key": "a primary key is repeated",
    "foreign-key": "a link points at a record that does not exist",
    "exactly-one-of": "a citation must point at exactly one record",
    "cycle": "self-links (part_of, member_of, in_reply_to, translation_of) loop",
    "translation-language": "a translation is in the same language as what it translates",
    "citation-mismatch": "a link row's citation cites none of the records it links",
    "uncited": "a record has no citation",
    "language-mismatch": "a quotation's language differs from its source's",
    "date-order": "dates contradict each other (ratified before signed, reply before original)",
    "lone-account": "a disagreement has fewer than two accounts",
    "date-vaguer-than-bounds": "a date is vaguer than bounds structured fields state (part_of, signed document, reply)",
    "undated-date-citation": "the citation given as evidence of an event's date contains no date expression (warning)",
    "unreferenced": "an actor, place or document that no other record refers to (warning)",
    "unsafe-text": "descriptor or schema text (a title, description, name, licence...) holds a lone surrogate "
                   "or a control character",
    "field-name": "a field name repeats another without regard to case, or is one SQLite reserves (rowid, oid, "
                  "_rowid_)",
    "reserved-path": "a resource name or a data or schema path collides with a file of the release or of the site",
    "output-field": "a table the outputs read lacks a field they rely on, or types it otherwise (events.kind, "
                    "citations.locator...)",
    "date-range": "a date reaches past 9998-12-31, beyond what the timeline (and Python dates) can hold",
    "unsafe-id": "a record id that names a file (its site page) is not one safe file name, or differs from "
                 "another only in case",
    "official-text-source": "a quotation taken from an article (not an official source) is filed as official-text",
    "unnamed-participant": "an actor link whose excerpt does not name the actor and is not marked inferred (warning)",
    "inferred-without-note": "an actor link marked inferred without the reasoning in note",
    "repeated-account": "a disagreement cites the same passage twice as two accounts (warning)",
    "role-date-unsupported": "a role's date reaches past the dates its citation's passage supports (warning)",
    "commentary-with-origin": "a commentary quotation names a document as its origin instead of in about_document_id",
    "source-missing": "a source file is not in the --sources folder",
    "source-checksum": "a source file's SHA-256 differs from the sources table",
    "locator-range": "a locator points outside its source file",
    "not-in-source": "a quotation, evidence excerpt or name is not found verbatim in its source",
    "not-at-locator": "a quotation, evidence excerpt or name is in its source, but not at its locator",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One problem: a stable kebab-case code, where it is, and a plain-language message."""

    file: str
    line: int | None
    field: str | None
    code: str
    message: str
    severity: Severity = "error"

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown problem code {self.code!r}")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def to_text(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        tag = "" if self.severity == "error" else "warning: "
        return escape_controls(f"{where}: {tag}{what} [{self.code}]")

    def to_github(self) -> str:
        props = [f"file={_escape_property(self.file)}"]
        if self.line is not None:
            props.append(f"line={self.line}")
        props.append(f"title={_escape_property(self.code)}")
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"::{self.severity} {','.join(props)}::{_escape_data(what)}"


def _escape_data(text: str) -> str:
    # GitHub workflow-command escaping, so a message can never end or forge an annotation; other
    # control characters are shown escaped.
    return escape_controls(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True)
class Verbatim:
    """Whether the verbatim checks ran, and against which source files: stated by every validation."""

    ran: bool
    folder: str | None
    checked: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    # Checking stopped at --max-problems, perhaps before the verbatim checks: `ran` is then False.
    stopped: bool = False

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"ran": self.ran, "folder": self.folder, "checked": list(self.checked),
                                  "missing": list(self.missing)}
        return {**out, "stopped": True} if self.stopped else out

    def to_text(self) -> str:
        """The statement, control characters escaped (the folder and file names are the user's)."""
        return escape_controls(self._statement())

    def _statement(self) -> str:
        if self.stopped:
            return (f"verbatim checks NOT (all) run: checking stopped at --max-problems before every check ran "
                    f"(source texts in {self.folder}); quotations, evidence and names may not have been compared "
                    "with their sources")
        if not self.ran:
            if self.folder is None:
                why = "no source texts given"
            elif self.missing:
                why = f"none of the {len(self.missing)} source file(s) is in {self.folder}"
            else:
                why = "no readable sources table lists a source file"
            return (f"verbatim checks NOT run: {why} (pass --sources DIR, set KURIL_DATA_SOURCES, "
                    "or run `kuril-data sources fetch`); quotations, evidence and names were not compared "
                    "with their sources")
        total = len(self.checked) + len(self.missing)
        count = f"{len(self.checked)} of {total}" if self.missing else str(total)
        text = f"verbatim checks ran against {count} source file(s) in {self.folder}: {', '.join(self.checked)}"
        return text + (f"; missing: {', '.join(self.missing)}" if self.missing else "")


@dataclass(frozen=True)
class Report:
    """The outcome of validating one package: every problem, in a stable order."""

    problems: tuple[Problem, ...]
    # What the verbatim checks ran against; set by `validate`, which always states it (None elsewhere).
    verbatim: Verbatim | None = None
    # False when validation stopped at --max-problems: the counts are then lower bounds ("at least");
    # the verdict (`valid`) is exact either way.
    complete: bool = True

    @classmethod
    def of(cls, problems: Iterable[Problem], verbatim: Verbatim | None = None, *, complete: bool = True) -> Report:
        return cls(tuple(sorted(set(problems), key=_sort_key)), verbatim, complete)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def valid(self) -> bool:
        return not self.errors

    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def to_dict(self, limit: int | None = None) -> dict[str, object]:
        """The report as data; with `limit`, only the first `limit` problems, the rest counted in
        "more" (the stats always count them all)."""
        shown = self.problems if limit is None else self.problems[:limit]
        out: dict[str, object] = {
            "valid": self.valid,
            "stats": {"errors": len(self.errors), "warnings": len(self.warnings)},
            "problems": [p.to_dict() for p in shown],
        }
        if len(shown) < len(self.problems):
            out["more"] = len(self.problems) - len(shown)
        if not self.complete:
            out["complete"] = False  # stopped at the cap: "more" and "stats" are lower bounds
            out["more"] = max(len(self.problems) - len(shown), 1)
        if self.verbatim is not None:
            out["verbatim"] = {**self.verbatim.to_dict(), "statement": self.verbatim.to_text()}
        return out

    def to_json(self, limit: int | None = None) -> str:
        return json_text(self.to_dict(limit))

    def to_text(self, limit: int | None = None) -> str:
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [p.to_text() for p in shown]
        if len(shown) < len(self.problems) or not self.complete:
            lines.append(self._more(len(self.problems) - len(shown)))
        if self.verbatim is not None:
            lines.append(self.verbatim.to_text())
        least = "" if self.complete else "at least "
        if self.valid:
            lines.append(f"valid ({least}{len(self.warnings)} warning(s))" if self.warnings else "valid")
        else:
            lines.append(f"{least}{len(self.errors)} error(s), {least}{len(self.warnings)} warning(s)")
        return "\n".join(lines)

    def to_github(self, limit: int | None = None) -> str:
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [p.to_github() for p in shown]
        if len(shown) < len(self.problems) or not self.complete:
            lines.append(f"::warning title=kuril-data::{_escape_data(self._more(len(self.problems) - len(shown)))}")
        if self.verbatim is not None:
            level = "notice" if self.verbatim.ran else "warning"
            lines.append(f"::{level} title=verbatim checks::{_escape_data(self.verbatim.to_text())}")
        return "\n".join(lines)

    def render(self, fmt: str, limit: int | None = None) -> str:
        return {"text": self.to_text, "json": self.to_json, "github": self.to_github}[fmt](limit)

    def _more(self, n: int) -> str:
        """The line that counts the problems not shown: exactly, or as a lower bound when checking stopped."""
        if self.complete:
            return f"… and {n} more problem(s) not shown (raise --max-problems, or 0 for all)"
        return (f"… and at least {max(n, 1)} more problem(s) not shown: checking stopped at --max-problems "
                "(raise it, or 0 for all)")


def _sort_key(p: Problem) -> tuple[str, int, str, str, str]:
    return (p.file, p.line or 0, p.field or "", p.code, p.message)
