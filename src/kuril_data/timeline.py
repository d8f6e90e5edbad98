"""A timeline of every event, drawn at the precision the sources give (needs the `plot` extra).

One row per event, ordered by date. A date known to the day is a point; a month, a year, an
interval or an uncertain date is a bar from the earliest to the latest day it can mean (ticks at
both ends); an open end is dashed to the edge of the axis. Colour says the event kind (legend in
the schema's order); events tied to a key document are labelled with the document's title, once
per document. Each event is one artist with the event id as its SVG id. Output is deterministic:
no dates or versions are written into the file and SVG ids are salted with a fixed string.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .arrow import EARLIEST, LATEST, to_arrow
from .atomic import write_atomic
from .errors import KurilDataError
from .export import checked_or_refuse
from .validate import Checked

# Declared once: the tables and fields the timeline reads, and which document kinds are labelled.
EVENTS, EVENT_ID, EVENT_TITLE, EVENT_KIND, EVENT_DATE, EVENT_DOCUMENT = (
    "events", "event_id", "title", "kind", "date", "document_id")
DOCUMENTS, DOCUMENT_ID, DOCUMENT_TITLE, DOCUMENT_KIND, DOCUMENT_DATE = (
    "documents", "document_id", "title", "kind", "date")
KEY_DOCUMENT_KINDS = ("treaty", "declaration", "agreement", "communique")
FORMATS = ("svg", "png")
SVG_HASHSALT = "kuril-data"
TITLE_CHARS = 70


class TimelineError(KurilDataError):
    """The timeline cannot be drawn here (matplotlib missing, unknown file type): exit 2."""


@dataclass(frozen=True)
class TimelineResult:
    out: Path
    events: int  # how many events were drawn (every event of the package)


def available() -> bool:
    """True when matplotlib (the `plot` extra) is installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def file_format(out: str | os.PathLike[str]) -> str:
    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise TimelineError(f"cannot tell the image type of {str(out)!r}: name it .svg or .png")
    return fmt


def timeline(path: str | os.PathLike[str], out: str | os.PathLike[str]) -> TimelineResult:
    """Validate the package at `path` and draw its timeline into `out` (.svg or .png), atomically.

    Raises TimelineError when matplotlib is missing or `out` is neither .svg nor .png, and
    `kuril_data.export.Refused` when the package does not validate (nothing is written then).
    """
    fmt = file_format(out)
    if not available():
        raise TimelineError("the timeline needs matplotlib: pip install 'kuril-data[plot]'")
    checked = checked_or_refuse(path)
    data, count = render(checked, fmt)
    target = Path(out)
    write_atomic(target, data)
    return TimelineResult(target, count)


def draw(checked: Checked, out: Path) -> int:
    """Draw the timeline of a validated package into `out` (.svg or .png); return the number of events."""
    data, count = render(checked, file_format(out))
    out.write_bytes(data)
    return count


def render(checked: Checked, fmt: str = "svg") -> tuple[bytes, int]:
    """The timeline image as bytes in `fmt` (svg or png), and the number of events drawn."""
    import matplotlib
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    package = checked.package
    assert package is not None
    events = _rows(checked, EVENTS)
    documents = {d[DOCUMENT_ID]: d for d in _rows(checked, DOCUMENTS)}
    events.sort(key=lambda e: (_start(e) or _end(e) or dt.date.max, _end(e) or dt.date.max, e[EVENT_ID]))
    resource = package.resource(EVENTS)
    assert resource is not None
    kinds = [str(k) for k in resource.schema.field(EVENT_KIND).constraints.get("enum", [])]
    kinds += sorted({e[EVENT_KIND] for e in events} - set(kinds))
    palette = [*matplotlib.colormaps["tab20"].colors, *matplotlib.colormaps["Dark2"].colors]  # type: ignore[attr-defined]
    colour = {k: palette[i % len(palette)] for i, k in enumerate(kinds)}

    known = [d for e in events for d in (_start(e), _end(e)) if d is not None]
    low, high = (min(known), max(known)) if known else (dt.date(1900, 1, 1), dt.date(2000, 1, 1))
    pad = dt.timedelta(days=max(30, (high - low).days // 40))
    xmin, xmax = low - pad, high + pad * 8  # room on the right for labels

    n = len(events)
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "path", "font.size": 7,
                                "font.family": "DejaVu Sans"}):
        fig = Figure(figsize=(13, 1.6 + 0.2 * max(n, 1)), layout="constrained")
        ax = fig.add_subplot()
        labelled: set[str] = set()
        for y, e in enumerate(events):
            start, end = _start(e), _end(e)
            num: dict[dt.date | None, Any] = {d: mdates.date2num(d) for d in (start, end, xmin, xmax) if d is not None}
            style = {"color": colour[e[EVENT_KIND]], "solid_capstyle": "butt"}
            form = shape(start, end)
            if form == "point":
                line = Line2D([num[start]], [y], marker="o", markersize=4, linestyle="none", **style)
            elif form == "span":
                line = Line2D([num[start], num[end]], [y, y], marker="|", markersize=7, linewidth=4, **style)
            elif form in ("open-start", "open-end"):  # dashed to the edge, a tick at the known end
                edge, known_end = (xmin, end) if form == "open-start" else (xmax, start)
                line = Line2D([num[known_end], num[edge]], [y, y], marker="|", markersize=7, markevery=[0],
                              linewidth=1.5, linestyle="--", **style)
            else:  # no known day at all: a dotted line across the axis
                line = Line2D([num[xmin], num[xmax]], [y, y], linewidth=1, linestyle=":", **style)
            line.set_gid(e[EVENT_ID])
            ax.add_line(line)
            doc = documents.get(e[EVENT_DOCUMENT] or "")
            if doc and doc[DOCUMENT_KIND] in KEY_DOCUMENT_KINDS and doc[DOCUMENT_ID] not in labelled \
                    and _label_here(e, doc, events):
                labelled.add(doc[DOCUMENT_ID])
                x = max((d for d in (start, end) if d is not None), default=xmin)
                text = ax.annotate(doc[DOCUMENT_TITLE], (mdates.date2num(x), y), xytext=(6, 0),
                                   textcoords="offset points", va="center", fontsize=7, fontweight="bold")
                text.set_gid(f"label-{doc[DOCUMENT_ID]}")
        ax.set_xlim(mdates.date2num(xmin), mdates.date2num(xmax))
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_yticks(range(n), [_short(e[EVENT_TITLE]) for e in events])
        ax.xaxis.set_major_locator(mdates.YearLocator(5))
        ax.xaxis.set_minor_locator(mdates.YearLocator(1))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.grid(axis="x", linewidth=0.4, alpha=0.5)
        present = [k for k in kinds if any(e[EVENT_KIND] == k for e in events)]
        ax.legend(handles=[Line2D([], [], color=colour[k], linewidth=4, label=k) for k in present],
                  title="event kind", loc="upper right", fontsize=7, frameon=True)
        ax.set_title(f"{package.descriptor.get('title', package.name)} — {n} events, version {package.version}",
                     fontsize=9, loc="left")
        ax.set_xlabel("point: a day · bar: the days a month, a year, an interval or an uncertain date can mean "
                      "· dashed: open-ended · bold: key documents")
        buf = io.BytesIO()
        metadata: dict[str, Any] = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buf, format=fmt, metadata=metadata, dpi=150)
    return buf.getvalue(), n


def shape(start: dt.date | None, end: dt.date | None) -> str:
    """How a date is drawn: 'point' (one day), 'span', 'open-start', 'open-end' or 'unknown'."""
    if start is not None and end is not None:
        return "point" if start == end else "span"
    if start is None and end is None:
        return "unknown"
    return "open-start" if start is None else "open-end"


def _rows(checked: Checked, name: str) -> list[dict[str, Any]]:
    table = checked.tables.get(name)
    if table is None:
        raise TimelineError(f"the package has no {name!r} table")
    return to_arrow(table).to_pylist()


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
