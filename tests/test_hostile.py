"""Hostile and careless input: every case ends in a located, plain-language problem or a clean
pass — never a crash, a guess, a leak, a partial write or a fetch — and the package folder is
byte-for-byte unchanged afterwards."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuril_data.cli import cli

from .conftest import build_package

Mutation = Callable[[Path], None]
SECRET = "root:x:0:0:SECRET-OUTSIDE-LINE"


def _edit(rel: str, old: bytes, new: bytes) -> Mutation:
    def apply(pkg: Path) -> None:
        path = pkg / rel
        data = path.read_bytes()
        assert old in data, (rel, old)
        path.write_bytes(data.replace(old, new, 1))
    return apply


def _write(rel: str, data: bytes) -> Mutation:
    def apply(pkg: Path) -> None:
        (pkg / rel).write_bytes(data)
    return apply


def _descriptor(change: Callable[[dict], None]) -> Mutation:
    def apply(pkg: Path) -> None:
        desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
        change(desc)
        (pkg / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
    return apply


def _resource_path(name: str, value: str) -> Mutation:
    def change(desc: dict) -> None:
        next(r for r in desc["resources"] if r["name"] == name)["path"] = value
    return _descriptor(change)


def _symlink_out(pkg: Path) -> None:
    outside = pkg.parent / "outside.csv"
    outside.write_text(SECRET + "\n", encoding="utf-8")
    target = pkg / "data" / "events.csv"
    target.unlink()
    target.symlink_to(outside)


def _symlinked_folder(pkg: Path) -> None:
    outside = pkg.parent / "outside-data"
    outside.mkdir()
    (outside / "events.csv").write_text(SECRET + "\n", encoding="utf-8")
    (pkg / "data2").symlink_to(outside)
    _resource_path("events", "data2/events.csv")(pkg)


EVENTS = "data/events.csv"
ACTORS = "data/actors.csv"
SIGNING = b"joint-declaration-signing-1956-10-19,Signing"
# (id, mutation, expected code, file, line, exit code)
CASES: list[tuple[str, Mutation, str, str, int | None, int]] = [
    ("bom", _edit(EVENTS, b"event_id", b"\xef\xbb\xbfevent_id"), "bom", EVENTS, 1, 1),
    ("cp1250", _edit(ACTORS, b"A. A. Gromyko", "A. A. Gromyko \u0141\u00f3d\u017a".encode("cp1250")),
     "encoding-error", ACTORS, 2, 1),
    ("latin1-zurich", _edit(ACTORS, b"USSR,state", "Z\u00fcrich,state".encode("latin-1")), "encoding-error", ACTORS, 3, 1),
    ("invalid-utf8-early", _edit(EVENTS, b"event_id", b"\xffevent_id"), "encoding-error", EVENTS, 1, 1),
    ("invalid-utf8-late", _edit(EVENTS, b"moscow,,\n", b"moscow,,\xc3\x28\n"), "encoding-error", EVENTS, 3, 1),
    ("crlf", lambda p: (p / EVENTS).write_bytes((p / EVENTS).read_bytes().replace(b"\n", b"\r\n")),
     "line-ending", EVENTS, 1, 1),
    ("bare-cr", lambda p: (p / EVENTS).write_bytes((p / EVENTS).read_bytes().replace(b"\n", b"\r")),
     "line-ending", EVENTS, 1, 1),
    ("mixed-line-ends", _edit(EVENTS, b"note\n", b"note\r\n"), "line-ending", EVENTS, 1, 1),
    ("unbalanced-quote", _edit(EVENTS, b"Signing of", b'"Signing of'), "csv-syntax", EVENTS, 3, 1),
    ("stray-quote", _edit(EVENTS, b"Signing of the Joint Declaration,", b'"Signing" of the Joint Declaration,'),
     "csv-syntax", EVENTS, 3, 1),
    ("embedded-newline", _edit(EVENTS, b"Signing of the Joint Declaration,", b'"Signing of\nthe Joint Declaration",'), "control-character", EVENTS, 3, 1),
    ("nul-byte", _edit(EVENTS, b"Signing of", b"Signing\x00of"), "control-character", EVENTS, 3, 1),
    ("extra-cells", _edit(EVENTS, b"moscow,,\n", b"moscow,,,x,y\n"), "extra-cell", EVENTS, 3, 1),
    ("missing-cells", _edit(EVENTS, b",moscow,,\n", b"\n"), "missing-cell", EVENTS, 3, 1),
    ("missing-header", _edit(EVENTS, b"event_id,title,kind,date,date_basis,date_citation_id,summary,document_id,place_id,part_of,note\n",
            b""),
     "header-mismatch", EVENTS, 1, 1),
    ("renamed-header", _edit(EVENTS, b"place_id,part_of,note", b"place,part_of,note"), "header-mismatch", EVENTS, 1, 1),
    ("reordered-header", _edit(EVENTS, b"title,kind", b"kind,title"), "header-mismatch", EVENTS, 1, 1),
    ("blank-row", _edit(EVENTS, b"note\n", b"note\n\n"), "blank-row", EVENTS, 2, 1),
    ("space-around-id", _edit(EVENTS, SIGNING, b" " + SIGNING), "whitespace", EVENTS, 3, 1),
    ("nfd-text", _edit(ACTORS, b"A. A. Gromyko", unicodedata.normalize("NFD", "A. A. Gromýko").encode()),
     "not-nfc", ACTORS, 2, 1),
    ("keys-collide-after-nfc", _edit("data/disagreements.csv", b"\n", "\ncaf\u00e9,date,x\ncafe\u0301,date,y\n".encode()),
     "pattern", "data/disagreements.csv", 2, 1),
    ("homoglyph-id", _edit(ACTORS, b"gromyko,A.", "gr\u043emyko,A.".encode()), "pattern", ACTORS, 2, 1),
    ("zero-width-id", _edit(ACTORS, b"gromyko,A.", "grom\u200byko,A.".encode()), "control-character", ACTORS, 2, 1),
    ("bidi-override", _edit(ACTORS, b"A. A. Gromyko", "A. A.\u202eGromyko".encode()), "control-character", ACTORS, 2, 1),
    # The documented invisible set (report.INVISIBLE): refused in names, titles and ids, located.
    ("line-separator-title", _edit(EVENTS, b"Signing of", "Signing\u2028of".encode()), "control-character", EVENTS, 3, 1),
    ("tag-characters-name", _edit(ACTORS, b"A. A. Gromyko", "A. A. Gromyko\U000e0041\U000e0042".encode()),
     "control-character", ACTORS, 2, 1),
    ("hangul-filler-title", _edit(EVENTS, b"Signing of", "Signing\u3164of".encode()), "control-character", EVENTS, 3, 1),
    ("halfwidth-filler-id", _edit(ACTORS, b"gromyko,A.", "gromyko\uffa0,A.".encode()), "control-character", ACTORS, 2, 1),
    ("bidi-isolate-name", _edit(ACTORS, b"A. A. Gromyko", "A. A.\u2067Gromyko".encode()), "control-character", ACTORS, 2, 1),
    ("invisible-only-title", _edit(EVENTS, b",Signing of the Joint Declaration,", ",\u3164,".encode()), "required",
     EVENTS, 3, 1),
    ("zero-width-only-title", _edit(EVENTS, b",Signing of the Joint Declaration,", ",\u200b\u115f,".encode()),
     "required", EVENTS, 3, 1),
    ("bidi-in-descriptor-title", _descriptor(lambda d: d.update(title="kuril\u202edata")), "unsafe-text",
     "datapackage.json", None, 1),
    ("esc-in-descriptor-description", _descriptor(lambda d: d.update(description="x\x1b[2Jy\x7f")), "unsafe-text",
     "datapackage.json", None, 1),
    ("us-spreadsheet-date", _edit(EVENTS, b",1956-10-19,", b",10/19/1956,"), "edtf", EVENTS, 3, 1),
    ("european-date", _edit(EVENTS, b",1956-10-19,", b",19.10.1956,"), "edtf", EVENTS, 3, 1),
    ("impossible-date", _edit(EVENTS, b",1956-10-19,", b",1956-02-30,"), "edtf", EVENTS, 3, 1),
    ("unpadded-date", _edit(EVENTS, b",1956-10-19,", b",1956-1-9,"), "edtf", EVENTS, 3, 1),
    ("formula-equals", _edit(EVENTS, b"Signing of", b"=Signing of"), "formula-like", EVENTS, 3, 0),
    ("formula-at", _edit(EVENTS, b"Signing of", b"@Signing of"), "formula-like", EVENTS, 3, 0),
    ("empty-file", _write(EVENTS, b""), "empty-file", EVENTS, None, 1),
    ("header-only-parent", _write("data/documents.csv",
                                  b"document_id,title,kind,date,summary,in_reply_to,place_id,note\n"),
     "foreign-key", EVENTS, 2, 1),
    ("missing-file", lambda p: (p / EVENTS).unlink(), "file-missing", EVENTS, None, 1),
    ("broken-json", _write("datapackage.json", b'{"name": "x", "resources": [}'), "descriptor-error",
     "datapackage.json", 1, 1),
    ("json-not-object", _write("datapackage.json", b"[1, 2]"), "descriptor-error", "datapackage.json", 1, 1),
    ("deep-json", _write("datapackage.json", b"[" * 100000), "descriptor-error", "datapackage.json", None, 1),
    ("schema-not-json", _write("schemas/events.json", b"{fields"), "schema-error", "schemas/events.json", 1, 1),
    ("dotdot-path", _resource_path("events", "../outside.csv"), "unsafe-path", "datapackage.json", None, 1),
    ("backslash-path", _resource_path("events", "..\\..\\outside.csv"), "unsafe-path", "datapackage.json", None, 1),
    ("absolute-path", _resource_path("events", "/etc/passwd"), "unsafe-path", "datapackage.json", None, 1),
    ("windows-absolute", _resource_path("events", "C:\\Windows\\win.ini"), "unsafe-path", "datapackage.json", None, 1),
    ("file-url", _resource_path("events", "file:///etc/passwd"), "unsafe-path", "datapackage.json", None, 1),
    ("http-url", _resource_path("events", "http://127.0.0.1:9/events.csv"), "unsafe-path", "datapackage.json", None, 1),
    ("https-schema", _descriptor(lambda d: d["resources"][0].update(schema="https://example.org/s.json")),
     "unsafe-path", "datapackage.json", None, 1),
    ("remote-profile", _descriptor(lambda d: d.update(profile="https://example.org/profile.json")), None,
     "", None, 0),
    ("symlinked-file", _symlink_out, "unsafe-path", "datapackage.json", None, 1),
    ("symlinked-folder", _symlinked_folder, "unsafe-path", "datapackage.json", None, 1),
    ("sqlite-reserved-name", _descriptor(lambda d: d["resources"][0].update(name="sqlite_master")),
     "descriptor-error", "datapackage.json", None, 1),
    ("quotation-not-in-source", _edit("data/quotations.csv", b"gross contradiction", b"grave contradiction"),
     "not-in-source", "data/quotations.csv", 2, 1),
    ("ten-mb-cell", _edit(EVENTS, b"Signing of", b"S" * 10_000_000), "cell-too-large", EVENTS, 3, 1),
    ("million-cells", _edit(EVENTS, b"moscow,,\n", b"moscow,," + b"," * 1_000_000 + b"\n"), "too-many-cells",
     EVENTS, 3, 1),
    ("million-column-header", _edit(EVENTS, b"note\n", b"note" + b",x" * 1_000_000 + b"\n"), "too-many-cells",
     EVENTS, 1, 1),
]


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(("name", "mutate", "code", "file", "line", "exit_code"), CASES, ids=[c[0] for c in CASES])
def test_hostile_case(tmp_path: Path, no_network: None, name: str, mutate: Mutation, code: str | None,
                      file: str, line: int | None, exit_code: int) -> None:
    """The case ends in its exact problem code, file and line and exit code; nothing is written,
    no traceback, no network, and no byte of an outside file is echoed."""
    from .conftest import FIXTURE_SOURCES

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    mutate(pkg)
    before = _snapshot(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(pkg), "--format", "json", "--sources", str(FIXTURE_SOURCES)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == exit_code, result.output[:2000]
    assert SECRET not in result.output
    problems = json.loads(result.output)["problems"]
    if code is not None:
        located = [(p["file"], p["line"]) for p in problems if p["code"] == code]
        assert (file, line) in located, problems[:5]
    assert all(len(p["message"]) < 500 for p in problems)
    fmt = runner.invoke(cli, ["fmt", "--check", str(pkg)])
    assert fmt.exception is None or isinstance(fmt.exception, SystemExit), fmt.exception
    assert fmt.exit_code in (0, 1)
    assert SECRET not in fmt.output
    assert _snapshot(tmp_path) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_random_bytes_never_crash(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    """Any bytes as a data file give a report (exit 0 or 1), never a crash, in validate and fmt."""
    pkg = build_package(tmp_path_factory.mktemp("pkg"))
    (pkg / EVENTS).write_bytes(data)
    runner = CliRunner()
    for args in (["validate", str(pkg)], ["fmt", "--check", str(pkg)]):
        result = runner.invoke(cli, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code in (0, 1), (args, result.output)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 10_000), insert=st.binary(min_size=1, max_size=8), delete=st.integers(0, 5))
def test_mutated_csv_never_crashes(tmp_path_factory: pytest.TempPathFactory, cut: int, insert: bytes,
                                   delete: int) -> None:
    """Random edits of a valid CSV give a report (exit 0 or 1) from validate, and fmt either
    rewrites the file losslessly or refuses it untouched."""
    pkg = build_package(tmp_path_factory.mktemp("pkg"))
    path = pkg / EVENTS
    data = path.read_bytes()
    at = cut % (len(data) + 1)
    path.write_bytes(data[:at] + insert + data[at + delete:])
    runner = CliRunner()
    for args in (["validate", str(pkg)], ["fmt", str(pkg)]):
        result = runner.invoke(cli, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code in (0, 1), (args, result.output)


def test_limits_are_configurable(valid_package: Path) -> None:
    """Each cap can be set on the command line and is reported with its value."""
    runner = CliRunner()
    small = runner.invoke(cli, ["validate", str(valid_package), "--max-cell-bytes", "20"])
    assert small.exit_code == 1
    assert "a cell is larger than 20 characters" in small.output
    rows = runner.invoke(cli, ["validate", str(valid_package), "--max-rows", "1"])
    assert "data/events.csv:3: more than 1 rows; the file is not checked further [too-many-rows]" in rows.output
    size = runner.invoke(cli, ["validate", str(valid_package), "--max-file-bytes", "100"])
    assert "data/citations.csv: file is" in size.output and "the limit is 100 [file-too-large]" in size.output
    bad = runner.invoke(cli, ["validate", str(valid_package), "--max-rows", "0"])
    assert bad.exit_code == 2


def test_fifo_is_not_read(valid_package: Path) -> None:
    """A named pipe in place of a data file is refused instead of blocking forever."""
    path = valid_package / EVENTS
    path.unlink()
    os.mkfifo(path)
    result = CliRunner().invoke(cli, ["validate", str(valid_package)])
    assert result.exit_code == 1
    assert "data/events.csv: the data file is not a regular file [file-missing]" in result.output


INVISIBLE_SAMPLES = "\u202e\u2066\u200f\u061c\u2028\u2029\U000e0041\u3164\x1b\x7f"


def test_problem_output_escapes_bidi_and_invisible_characters() -> None:
    """Text and GitHub annotations never carry a raw bidi control or invisible character, wherever
    it sits (file, field, message): each is shown as \\uNNNN."""
    from kuril_data.report import Problem

    p = Problem(f"data/x{INVISIBLE_SAMPLES}.csv", 2, f"f{INVISIBLE_SAMPLES}", "control-character",
                f"m{INVISIBLE_SAMPLES}")
    for out in (p.to_text(), p.to_github()):
        assert not any(c in out for c in INVISIBLE_SAMPLES), out
        assert "\\u202e" in out and "\\U000e0041" in out


def test_every_control_invisible_and_surrogate_character_is_escaped_and_nothing_else() -> None:
    """escape_controls writes each C0/DEL/C1 control as \\xNN and each lone surrogate and listed
    invisible character as \\uNNNN or \\UNNNNNNNN, whether the rest of the text is ASCII or not;
    json_text escapes C1 controls and surrogates (json.dumps escapes C0) and keeps other non-ASCII."""

    from kuril_data.report import INVISIBLE, escape_controls, json_text

    controls = [*range(0x20), 0x7F, *range(0x80, 0xA0)]
    invisible = [c for a, b in INVISIBLE for c in range(a, b + 1)]
    for c in [*controls, *range(0xD800, 0xE000, 97), *invisible]:
        for around in ("ab", "Япония"):
            out = escape_controls(f"{around}{chr(c)}{around}")
            shown = f"\\x{c:02x}" if c in controls else f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"
            assert out == f"{around}{shown}{around}", (hex(c), out)
    kept = "plain ASCII ~!@#$%^&*()_+ and Япония, ภาษาไทย, 日本, e\u0301"
    assert escape_controls(kept) == kept
    assert json_text({"m": f"x\x85y\ud800z\x1b{kept}"}) == f'{{\n  "m": "x\\u0085y\\ud800z\\u001b{kept}"\n}}'
    assert json_text({"m": "ascii \x1b"}) == '{\n  "m": "ascii \\u001b"\n}'


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_diff_escapes_bidi_and_invisible_characters(tmp_path: Path, fmt: str) -> None:
    """`diff` (text and Markdown) prints a changed value holding bidi controls escaped."""
    old = build_package(_mkdir(tmp_path / "old"))
    new = build_package(_mkdir(tmp_path / "new"))
    _edit(EVENTS, b"Signing of", f"Signing{INVISIBLE_SAMPLES}of".encode())(new)
    result = CliRunner().invoke(cli, ["diff", "--format", fmt, str(old), str(new)])
    assert result.exit_code in (0, 1), result.output
    assert "Signing" in result.output
    assert not any(c in result.output for c in INVISIBLE_SAMPLES), result.output
    assert "\\u202e" in result.output


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize("name", ["a onfocus=alert(1) autofocus b", "x\"><script>", "Kind", "kind\u202e", "", "a" * 300])
def test_site_attribute_names_come_from_a_fixed_alphabet(name: str) -> None:
    """A field name never becomes an attribute name as it is: only [a-z0-9-] reach the markup."""
    import re

    from kuril_data.outputs.site.build import attr_name

    assert re.fullmatch(r"[a-z0-9-]{1,130}", attr_name(name) or "x"), attr_name(name)
    assert attr_name("date_basis") == "date-basis"
