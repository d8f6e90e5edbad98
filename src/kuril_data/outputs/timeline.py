"""A timeline of every event as an SVG written directly (no plotting library), text kept as text.

One row per event, ordered by date, its title on the left. The time axis is piecewise: each year
gets width in proportion to the events it holds, years with none get a sliver, and a run of empty
years is cut out and drawn as a break, so 1955–56 (two thirds of the events) is readable beside
the rest. Precision is drawn honestly: a date known to the day is a point; a month, a year, an
interval or an uncertain date is a bar over every day it can mean; an open end is a dashed line
with an arrow to the edge; an unknown date a dotted line across. A handful of groups of event kinds
are told apart by colour (Okabe–Ito, safe for colour blindness) and by marker shape (for greyscale).
The site's interactive timeline is this same picture with each row linked to its record page.
Output is deterministic: nothing but the package's data and version goes in.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from kuril_data.dataset import Dataset, open_dataset
from kuril_data.errors import KurilDataError
from kuril_data.io.atomic import write_atomic
from kuril_data.model.dates import EARLIEST, LATEST
from kuril_data.outputs.names import safe_name

# Declared once: the tables and fields the timeline reads, and which document kinds are labelled.
EVENTS, EVENT_ID, EVENT_TITLE, EVENT_KIND, EVENT_DATE, EVENT_DOCUMENT = (
    "events", "event_id", "title", "kind", "date", "document_id")
DOCUMENTS, DOCUMENT_ID, DOCUMENT_TITLE, DOCUMENT_KIND, DOCUMENT_DATE = (
    "documents", "document_id", "title", "kind", "date")
KEY_DOCUMENT_KINDS = ("treaty", "declaration", "agreement", "communique")
FORMATS = ("svg",)
# A handful of groups of event kinds: (name, colour, marker shape, kinds). Unlisted kinds are "other".
GROUPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("negotiations and meetings", "#0072B2", "circle",
     ("conference", "negotiation-round", "negotiation-opening", "negotiation-break", "negotiation-resumption",
      "recall", "meeting", "visit")),
    ("signing, ratification, entry into force", "#D55E00", "square",
     ("signing", "ratification", "exchange-of-ratifications", "entry-into-force")),
    ("proposals, statements, dispatches", "#007A5E", "diamond",
     ("proposal", "statement", "dispatch", "publication", "protest")),
    ("decisions and appointments", "#B04A8A", "triangle", ("decision", "appointment", "election")),
)
OTHER = ("other", "#555555", "cross", ())
TITLE_CHARS = 58
# Geometry, in SVG user units (pixels).
LABEL_WIDTH, PLOT_WIDTH, RIGHT = 380, 1020, 20
TOP, ROW, LEGEND = 70, 17, 70
EMPTY_YEAR, BREAK_WIDTH, BREAK_AFTER = 6.0, 22.0, 3  # a run of more than BREAK_AFTER empty years is cut
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"


class TimelineError(KurilDataError):
    """The timeline cannot be drawn here (unknown file type, no events table): exit 2."""


@dataclass(frozen=True)
class TimelineResult:
    out: Path
    events: int  # how many events were drawn (every event of the package)


@dataclass(frozen=True)
class Segment:
    """A stretch of the axis: the days [start, end) drawn from x over width; a break or a year."""

    start: dt.date
    end: dt.date
    x: float
    width: float
    broken: bool = False


def available() -> bool:
    """Always True: the timeline needs no optional dependency any more (kept for callers)."""
    return True


def file_format(out: str | os.PathLike[str]) -> str:
    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise TimelineError(f"cannot tell the image type of {str(out)!r}: name it .svg")
    return fmt


def timeline(path: str | os.PathLike[str], out: str | os.PathLike[str]) -> TimelineResult:
    """Validate the package at `path` and draw its timeline into `out` (.svg), atomically.

    Raises TimelineError when `out` is not .svg, and `kuril_data.errors.Refused` when the package
    does not validate (nothing is written then).
    """
    file_format(out)
    image, count = render(open_dataset(path))
    target = Path(out)
    write_atomic(target, image)
    return TimelineResult(target, count)


def draw(data: Dataset, out: Path, link: str | None = None) -> int:
    """Draw the timeline of a validated package into `out` (.svg); return the number of events.
    With `link`, each row links to `link + "events/<id>.html"` (the site's record page)."""
    file_format(out)
    image, count = render(data, link=link)
    out.write_bytes(image)
    return count


def render(data: Dataset, fmt: str = "svg", link: str | None = None) -> tuple[bytes, int]:
    """The timeline as SVG bytes, and the number of events drawn."""
    if fmt not in FORMATS:
        raise TimelineError(f"cannot draw a timeline as {fmt!r}: only svg")
    package = data.package
    events = rows(data, EVENTS)
    documents = rows(data, DOCUMENTS) if package.resource(DOCUMENTS) is not None else []
    title = f"{package.descriptor.get('title', package.name)} — {len(events)} events, version {package.version}"
    return svg(events, documents, title, link).encode("utf-8"), len(events)


def rows(data: Dataset, name: str) -> list[dict[str, Any]]:
    if data.package.resource(name) is None:
        raise TimelineError(f"the package has no {name!r} table")
    return data.rows(name)


def shape(start: dt.date | None, end: dt.date | None) -> str:
    """How a date is drawn: 'point' (one day), 'span', 'open-start', 'open-end' or 'unknown'."""
    if start is not None and end is not None:
        return "point" if start == end else "span"
    if start is None and end is None:
        return "unknown"
    return "open-start" if start is None else "open-end"


def group_of(kind: str) -> tuple[str, str, str, tuple[str, ...]]:
    return next((g for g in GROUPS if kind in g[3]), OTHER)


def sort_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: (_start(e) or _end(e) or dt.date.max, _end(e) or dt.date.max, e[EVENT_ID]))


def axis(events: list[dict[str, Any]], x0: float = LABEL_WIDTH, width: float = PLOT_WIDTH) -> list[Segment]:
    """The piecewise axis: a segment per year (width by its events) or per cut-out run of empty years."""
    known = [d for e in events for d in (_start(e), _end(e)) if d is not None]
    if not known:
        return [Segment(dt.date(1900, 1, 1), dt.date(2001, 1, 1), x0, width)]
    counts = Counter(d.year for e in events if (d := _start(e) or _end(e)) is not None)
    first, last = min(known).year, max(known).year
    pieces: list[tuple[int, int, float, bool]] = []  # (first year, last year, weight, broken)
    year = first
    while year <= last:
        if counts[year]:
            pieces.append((year, year, 2.0 + 3.0 * counts[year], False))
            year += 1
            continue
        run = year
        while run + 1 <= last and not counts[run + 1]:
            run += 1
        if run - year + 1 > BREAK_AFTER:
            pieces.append((year, run, -1.0, True))
        else:
            pieces += [(y, y, -2.0, False) for y in range(year, run + 1)]
        year = run + 1
    fixed = sum(BREAK_WIDTH if broken else EMPTY_YEAR for _, _, w, broken in pieces if w < 0)
    scale = (width - fixed) / sum(w for *_, w, _ in pieces if w > 0)
    segments, x = [], x0
    for a, b, w, broken in pieces:
        seg_width = BREAK_WIDTH if broken else EMPTY_YEAR if w < 0 else w * scale
        segments.append(Segment(dt.date(a, 1, 1), dt.date(b + 1, 1, 1), x, seg_width, broken))
        x += seg_width
    return segments


def position(segments: list[Segment], day: dt.date) -> float:
    """The x of the start of `day` on the piecewise axis (clamped to its ends)."""
    if day < segments[0].start:
        return segments[0].x
    for s in segments:
        if day < s.end:
            return s.x + s.width * (day - s.start).days / (s.end - s.start).days
    return segments[-1].x + segments[-1].width


def svg(events: list[dict[str, Any]], documents: list[dict[str, Any]], title: str, link: str | None = None) -> str:
    """The whole picture as SVG text (see the module's docstring)."""
    events = sort_events(events)
    docs = {d[DOCUMENT_ID]: d for d in documents}
    segments = axis(events)
    left, right = segments[0].x, segments[-1].x + segments[-1].width
    height = TOP + ROW * max(len(events), 1) + LEGEND
    total = LABEL_WIDTH + PLOT_WIDTH + RIGHT
    role = "img" if link is None else "group"  # with links inside, not an image: its links stay reachable
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{height}" '
           f'viewBox="0 0 {total} {height}" role="{role}" aria-labelledby="timeline-title timeline-desc" '
           f'font-family="{FONT}" font-size="11">',
           f'<title id="timeline-title">{escape(title)}</title>',
           '<desc id="timeline-desc">One row per event in date order. A point is a date known to the day; a bar '
           'covers every day a month, a year, an interval or an uncertain date can mean; a dashed line with an '
           'arrow is open-ended; a dotted line is undated. Colour and marker shape give the group of event kinds. '
           'Zig-zag gaps on the axis are runs of years without events, cut out.</desc>',
           '<defs><marker id="open-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10" fill="none" stroke="context-stroke" '
           'stroke-width="2"/></marker></defs>',
           '<rect width="100%" height="100%" fill="#ffffff"/>',
           f'<text x="10" y="20" font-size="14" font-weight="bold" fill="#111111">{escape(title)}</text>']
    out += _axis_svg(segments, height)
    labelled: set[str] = set()
    for i, e in enumerate(events):
        y = TOP + ROW * i + ROW / 2
        out.append(_row_svg(e, y, segments, left, right, docs, events, labelled, link))
    out += _legend_svg(height - LEGEND + 18)
    out.append("</svg>\n")
    return "\n".join(out)


def _axis_svg(segments: list[Segment], height: int) -> list[str]:
    out = ['<g class="axis" fill="#333333">']
    bottom = height - LEGEND
    for s in segments:
        if s.broken:
            mid = s.x + s.width / 2
            zig = " ".join(f"{mid + (3 if k % 2 else -3):.1f},{TOP - 12 + k * 4}" for k in range(5))
            out.append(f'<polyline points="{zig}" fill="none" stroke="#333333" stroke-width="1.2"/>')
            out.append(f'<rect x="{s.x:.1f}" y="{TOP}" width="{s.width:.1f}" height="{bottom - TOP}" '
                       f'fill="#f2f2f2"><title>{s.start.year}–{s.end.year - 1}: no events (cut out)</title></rect>')
            continue
        out.append(f'<line x1="{s.x:.1f}" y1="{TOP - 6}" x2="{s.x:.1f}" y2="{bottom}" stroke="#d0d0d0" '
                   f'stroke-width="0.8"/>')
        if s.width >= 26:
            out.append(f'<text x="{s.x + s.width / 2:.1f}" y="{TOP - 22}" text-anchor="middle">{s.start.year}</text>')
        if s.width >= 12 * 14:  # room for months: ticks and initials
            for m in range(2, 13):
                mx = s.x + s.width * (dt.date(s.start.year, m, 1) - s.start).days / 365.25
                out.append(f'<line x1="{mx:.1f}" y1="{TOP - 6}" x2="{mx:.1f}" y2="{bottom}" stroke="#ececec" '
                           f'stroke-width="0.6"/>')
            for m in range(1, 13):
                mx = s.x + s.width * ((dt.date(s.start.year, m, 1) - s.start).days + 15) / 365.25
                out.append(f'<text x="{mx:.1f}" y="{TOP - 8}" text-anchor="middle" font-size="9" '
                           f'fill="#555555">{"JFMAMJJASOND"[m - 1]}</text>')
    out.append("</g>")
    return out


def _marker(form: str, x: float, y: float, colour: str) -> str:
    r = 4.5
    if form == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}" stroke="#000000" stroke-width="0.6"/>'
    if form == "square":
        return (f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" fill="{colour}" '
                f'stroke="#000000" stroke-width="0.6"/>')
    if form == "cross":
        return (f'<path d="M{x - r:.1f},{y - r:.1f} L{x + r:.1f},{y + r:.1f} M{x - r:.1f},{y + r:.1f} '
                f'L{x + r:.1f},{y - r:.1f}" stroke="{colour}" stroke-width="2.2"/>')
    if form == "diamond":
        pts = f"{x:.1f},{y - r - 1:.1f} {x + r + 1:.1f},{y:.1f} {x:.1f},{y + r + 1:.1f} {x - r - 1:.1f},{y:.1f}"
    else:
        pts = f"{x:.1f},{y - r - 1:.1f} {x + r + 1:.1f},{y + r:.1f} {x - r - 1:.1f},{y + r:.1f}"
    return f'<polygon points="{pts}" fill="{colour}" stroke="#000000" stroke-width="0.6"/>'


def _row_svg(e: dict[str, Any], y: float, segments: list[Segment], left: float, right: float,
             docs: dict[str, dict[str, Any]], events: list[dict[str, Any]], labelled: set[str],
             link: str | None) -> str:
    start, end = _start(e), _end(e)
    _, colour, form, _ = group_of(e[EVENT_KIND])
    form_of_date = shape(start, end)
    parts = [f'<text x="{LABEL_WIDTH - 10}" y="{y + 4:.1f}" text-anchor="end" fill="#111111">'
             f'{escape(_short(e[EVENT_TITLE]))}</text>']
    if form_of_date == "point":
        assert start is not None
        x = position(segments, start) + 0.5 * _day_width(segments, start)
        parts.append(_marker(form, x, y, colour))
        tail = x
    elif form_of_date == "span":
        assert start is not None and end is not None
        x1, x2 = position(segments, start), position(segments, end + dt.timedelta(days=1))
        parts.append(f'<rect x="{x1:.1f}" y="{y - 3.5:.1f}" width="{max(x2 - x1, 2):.1f}" height="7" fill="{colour}" '
                     f'fill-opacity="0.55" stroke="{colour}" stroke-width="1"/>')
        parts.append(_marker(form, x1, y, colour))
        tail = max(x2, x1 + 2)
    elif form_of_date in ("open-start", "open-end"):
        known = start if start is not None else end
        assert known is not None
        x = position(segments, known)
        edge = right if form_of_date == "open-end" else left
        parts.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{edge:.1f}" y2="{y:.1f}" stroke="{colour}" '
                     f'stroke-width="1.6" stroke-dasharray="5 3" marker-end="url(#open-arrow)"/>')
        parts.append(_marker(form, x, y, colour))
        tail = max(x, edge) if form_of_date == "open-end" else x
    else:
        parts.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="{colour}" '
                     f'stroke-width="1" stroke-dasharray="1 3"/>')
        tail = left
    doc = docs.get(e[EVENT_DOCUMENT] or "")
    if doc and doc[DOCUMENT_KIND] in KEY_DOCUMENT_KINDS and doc[DOCUMENT_ID] not in labelled \
            and _label_here(e, doc, events):
        labelled.add(doc[DOCUMENT_ID])
        anchor = "end" if tail > right - 260 else "start"
        lx = tail - 8 if anchor == "end" else tail + 8
        parts.append(f'<text id="label-{escape(doc[DOCUMENT_ID])}" x="{lx:.1f}" y="{y - 6:.1f}" '
                     f'text-anchor="{anchor}" font-weight="bold" font-size="10" fill="#111111">'
                     f'{escape(doc[DOCUMENT_TITLE])}</text>')
    dates = e[EVENT_DATE] or "undated"
    tip = f"<title>{escape(e[EVENT_TITLE])} ({escape(dates)})</title>"
    body = "".join(parts)
    attrs = f'id="{escape(e[EVENT_ID])}" class="mark" data-event="{escape(e[EVENT_ID])}" data-date="{escape(dates)}"'
    if link is None:
        return f'<g {attrs}>{tip}{body}</g>'
    href = escape(f"{link}{EVENTS}/{safe_name(str(e[EVENT_ID]))}.html")
    return (f'<a href="{href}" {attrs} aria-label="{escape(e[EVENT_TITLE])}, {escape(dates)}">{tip}'
            f'<rect x="0" y="{y - ROW / 2:.1f}" width="{right + RIGHT:.1f}" height="{ROW}" fill="#ffffff" '
            f'fill-opacity="0" class="hit"/>{body}</a>')


def _legend_svg(y: float) -> list[str]:
    out = ['<g class="legend" fill="#111111">']
    x = 10.0
    for name, colour, form, _ in (*GROUPS, OTHER):
        out.append(_marker(form, x + 5, y, colour))
        out.append(f'<text x="{x + 14:.1f}" y="{y + 4:.1f}">{escape(name)}</text>')
        x += 24 + 6.3 * len(name)
    keys = [("point: known to the day", "point"), ("bar: a month, a year, an interval or an uncertain date", "bar"),
            ("dashed with an arrow: open-ended", "open"), ("dotted: undated", "dotted"),
            ("zig-zag: years without events, cut out", "cut"), ("bold: key documents", "bold")]
    out.append(f'<text x="10" y="{y + 24:.1f}" fill="#333333">{escape(" · ".join(k for k, _ in keys))}</text>')
    out.append("</g>")
    return out


def _day_width(segments: list[Segment], day: dt.date) -> float:
    return position(segments, day + dt.timedelta(days=1)) - position(segments, day)


def _start(e: dict[str, Any]) -> dt.date | None:
    return e[EVENT_DATE + EARLIEST]


def _end(e: dict[str, Any]) -> dt.date | None:
    return e[EVENT_DATE + LATEST]


def _label_here(e: dict[str, Any], doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
    """Label a document once: at the event dated as the document is, else at its first event."""
    same_date = [x for x in events if x[EVENT_DOCUMENT] == doc[DOCUMENT_ID] and x[EVENT_DATE] == doc[DOCUMENT_DATE]]
    if same_date:
        return e is same_date[0]
    return True  # events are sorted by date: the first one met is the first event


def _short(title: str) -> str:
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"
