"""The rules of the data conventions: dates carry their structured bounds, a date's evidence names
a date, every actor/place/document is referred to, commentary is not filed as a document's text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kuril_data import validate
from kuril_data.model.dates import has_date_expression, stated_dates


def _edit(pkg: Path, table: str, edit) -> None:  # type: ignore[no-untyped-def]
    path = pkg / "data" / f"{table}.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    fields = list(rows[0]) if rows else next(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows = edit(rows) or rows
    out = io.StringIO()
    writer = csv.DictWriter(out, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _found(pkg: Path, code: str) -> list[tuple[str, int | None, str | None, str]]:
    return [(p.file, p.line, p.field, p.message) for p in validate(pkg).problems if p.code == code]


def _event(event_id: str, date: str, part_of: str = "", kind: str = "meeting", document: str = "") -> dict[str, str]:
    return {"event_id": event_id, "title": "A part", "kind": kind, "date": date, "date_basis": "bounded",
            "date_citation_id": "", "summary": "", "document_id": document, "place_id": "", "part_of": part_of,
            "note": ""}


def _cite(event_id: str) -> dict[str, str]:
    return {"citation_id": f"e-{event_id}", "event_id": event_id, "document_id": "", "actor_id": "",
            "place_id": "", "source_id": "src-en", "locator": "line 3", "evidence": "signed in Moscow"}


@pytest.mark.parametrize(("date", "how"), [("1956", "starts before"), ("1956-10-19/..", "ends after"),
                                           ("../1956-10-19", "starts before")])
def test_part_vaguer_than_its_whole(valid_package: Path, date: str, how: str) -> None:
    """An event `part_of` another may not reach past the other's dates (open ends included)."""
    part = _event("ceremony", date, "joint-declaration-signing-1956-10-19")
    _edit(valid_package, "events", lambda rows: rows.append(part))
    _edit(valid_package, "citations", lambda rows: rows.append(_cite("ceremony")))
    [(file, line, field, message)] = _found(valid_package, "date-vaguer-than-bounds")
    assert (file, line, field) == ("data/events.csv", 4, "date")
    assert message.startswith(f"date {date} {how} 1956-10-19 (the date of 'joint-declaration-signing-1956-10-19'")


def test_part_within_its_whole_is_fine_and_one_outside_is_a_date_order(valid_package: Path) -> None:
    """A part inside the whole passes; a part wholly outside contradicts it (date-order, not vagueness)."""
    _edit(valid_package, "events", lambda rows: rows.extend([
        _event("inside", "1956-10-19", "joint-declaration-signing-1956-10-19"),
        _event("outside", "1957", "joint-declaration-signing-1956-10-19")]))
    _edit(valid_package, "citations", lambda rows: rows.extend([_cite("inside"), _cite("outside")]))
    assert _found(valid_package, "date-vaguer-than-bounds") == []
    assert [(line, message) for _, line, _, message in _found(valid_package, "date-order")] == [
        (5, "date 1957 lies outside 1956-10-19, the date of the event it is part of "
            "('joint-declaration-signing-1956-10-19')")]


def test_reply_and_its_dispatch_not_before_what_they_answer(valid_package: Path) -> None:
    """A reply dated by its year only, and the event sending it, reach before the letter answered."""
    def docs(rows: list[dict[str, str]]) -> None:
        rows.append({"document_id": "reply-1956", "title": "Reply", "kind": "letter", "date": "1956",
                     "summary": "", "in_reply_to": "joint-declaration-1956", "place_id": "", "note": ""})
    _edit(valid_package, "documents", docs)
    _edit(valid_package, "citations", lambda rows: rows.extend([
        {**_cite("x"), "citation_id": "d-reply", "event_id": "", "document_id": "reply-1956"}, _cite("sending")]))
    _edit(valid_package, "events", lambda rows: rows.append(_event("sending", "1956", kind="dispatch",
                                                                   document="reply-1956")))
    found = {(file, line) for file, line, _, _ in _found(valid_package, "date-vaguer-than-bounds")}
    assert found == {("data/documents.csv", 3), ("data/events.csv", 4)}


def test_interval_carrying_the_bound_passes(valid_package: Path) -> None:
    """The fix the message asks for: the reply dated from the answered day to the end of the year."""
    _edit(valid_package, "documents", lambda rows: rows.append(
        {"document_id": "reply-1956", "title": "Reply", "kind": "letter", "date": "1956-10-19/1956",
         "summary": "", "in_reply_to": "joint-declaration-1956", "place_id": "", "note": ""}))
    _edit(valid_package, "citations", lambda rows: rows.append(
        {**_cite("x"), "citation_id": "d-reply", "event_id": "", "document_id": "reply-1956"}))
    assert _found(valid_package, "date-vaguer-than-bounds") == []


@pytest.mark.parametrize(("text", "dated"), [
    ("On May 14, the bilateral Fisheries Convention", True), ("the ministers may meet", False),
    ("invented in the 1950s and 1960s", True), ("Deklarację ratyfikowano 7 grudnia 1956 r.", True),
    ("มีนาคม", True), ("ในปี 2499", True), ("signed in Moscow", False), ("mają", False)])
def test_date_expression(text: str, dated: bool) -> None:
    """Years (Gregorian, Buddhist Era, decades) and month names in en/pl/th; 'may' the verb is no month."""
    assert has_date_expression(text) is dated


def test_date_citation_must_cite_its_event(valid_package: Path) -> None:
    """A date citation of another record is a citation mismatch."""
    def point(rows: list[dict[str, str]]) -> None:
        rows[1]["date_citation_id"] = "e-ratification-src-en-l6"
    _edit(valid_package, "events", point)
    assert [(line, field) for _, line, field, _ in _found(valid_package, "citation-mismatch")] == [
        (3, "date_citation_id")]


def test_referred_to_through_a_disagreement_counts(valid_package: Path) -> None:
    """A place whose citation is an account of a disagreement is referred to; its own names are not enough."""
    _edit(valid_package, "places", lambda rows: rows.append(
        {"place_id": "tokyo", "name": "Tokyo", "kind": "city", "part_of": "", "part_of_citation_id": "",
         "description": ""}))
    _edit(valid_package, "citations", lambda rows: rows.append(
        {**_cite("x"), "citation_id": "p-tokyo", "event_id": "", "place_id": "tokyo"}))
    _edit(valid_package, "place_names", lambda rows: rows.append(
        {"place_id": "tokyo", "source_id": "src-en", "name": "Moscow", "locator": "line 3"}))
    assert [record for _, _, _, record in _found(valid_package, "unreferenced")] == [
        "'tokyo' is referred to by no other record; link it where the sources do"]
    _edit(valid_package, "disagreement_accounts", lambda rows: rows.append(
        {"disagreement_id": rows[0]["disagreement_id"], "citation_id": "p-tokyo", "account": "Says Tokyo."}))
    assert _found(valid_package, "unreferenced") == []


def test_self_reference_is_no_reference_and_unreadable_tables_give_no_verdict(valid_package: Path) -> None:
    """A place part of itself is still unreferenced (and a cycle); with a table unreadable there is no verdict."""
    _edit(valid_package, "places", lambda rows: rows.append(
        {"place_id": "tokyo", "name": "Tokyo", "kind": "city", "part_of": "tokyo", "part_of_citation_id": "",
         "description": ""}))
    _edit(valid_package, "citations", lambda rows: rows.append(
        {**_cite("x"), "citation_id": "p-tokyo", "event_id": "", "place_id": "tokyo"}))
    assert len(_found(valid_package, "unreferenced")) == 1
    (valid_package / "data" / "event_places.csv").write_bytes(b"")
    assert _found(valid_package, "unreferenced") == []


def test_commentary_about_a_document_is_fine(valid_package: Path) -> None:
    """Commentary names the document it talks about in about_document_id: no problem."""
    def about(rows: list[dict[str, str]]) -> None:
        rows[0].update(voice="commentary", about_document_id="joint-declaration-1956")
    _edit(valid_package, "quotations", about)
    assert validate(valid_package).problems == ()


@pytest.mark.parametrize(("text", "found"), [
    ("issued on January 29, 1946 by", ["1946-01-29"]),
    ("in a note in October 1955, and in 1956", ["1955-10", "1956"]),
    ("on January 27 the minister", []),  # a day and month without a year state no date
    ("พ.ศ. 2499", []),  # a Buddhist-Era year is not a Gregorian one
])
def test_stated_dates(text: str, found: list[str]) -> None:
    assert stated_dates(text) == found


def _role(date: str, note: str = "", citation: str = "a-gromyko-src-en-l5") -> dict[str, str]:
    return {"actor_id": "gromyko", "role": "Minister", "organization_id": "", "date": date,
            "citation_id": citation, "basis": "stated", "note": note}


def test_role_date_within_its_excerpt_passes_and_an_open_end_is_not_compared(valid_package: Path) -> None:
    """The excerpt of the fixture role says 'in 1951': 1951 and 1951/.. pass, 1951/1952 does not."""
    _edit(valid_package, "actor_roles", lambda rows: rows.extend([_role("1951/.."), _role("1951/1952")]))
    # the primary key is (actor, role, citation): give the extra rows their own citations
    _edit(valid_package, "actor_roles", lambda rows: [
        {**r, "role": f"{r['role']} {i}"} for i, r in enumerate(rows)])
    found = _found(valid_package, "role-date-unsupported")
    assert [(line, m.split(",")[0]) for _, line, _, m in found] == [(4, "role date 1951/1952 ends after 1951-12-31")]


def test_role_date_bounded_by_events_at_its_line_or_at_lines_its_note_names(valid_package: Path) -> None:
    """A role cited at line 1 has nothing dated there; the signing cited at line 3 supports it only when
    the note names that line; a date past that signing is reported."""
    cite = {"citation_id": "a-gromyko-src-en-l1", "event_id": "", "document_id": "", "actor_id": "gromyko",
            "place_id": "", "source_id": "src-en", "locator": "line 1", "evidence": "Fixture article"}
    _edit(valid_package, "citations", lambda rows: rows.append(cite))
    roles = [_role("1956-10-19", "", "a-gromyko-src-en-l1")]
    _edit(valid_package, "actor_roles", lambda rows: [roles[0]])
    [(_, line, field, message)] = _found(valid_package, "role-date-unsupported")
    assert (line, field) == (2, "date") and "rests on nothing dated" in message
    _edit(valid_package, "actor_roles", lambda rows: [_role("1956-10-19", "At the signing (line 3).",
                                                            "a-gromyko-src-en-l1")])
    assert _found(valid_package, "role-date-unsupported") == []
    _edit(valid_package, "actor_roles", lambda rows: [_role("1956-10", "At the signing (line 3).",
                                                            "a-gromyko-src-en-l1")])
    [(_, _, _, message)] = _found(valid_package, "role-date-unsupported")
    assert message.startswith("role date 1956-10 starts before 1956-10-19")
