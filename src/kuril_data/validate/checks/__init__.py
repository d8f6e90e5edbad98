"""The registry of checks: every rule of the validator, defined once.

Each check (a `base.Check`) declares its problem codes with their message templates, the units it
applies to (found from the schemas: fields and their constraints, keys, links, `x-kuril-*`
properties; the domain rules name the tables they need), an exact judgement that writes the
problems, and optionally a vectorised finder that narrows the rows the judgement reads on large
packages. `run(ctx, engine)` runs them all in order; both engines give the same problems because
they run the same judgements.

Adding a rule: write one Check subclass in the module of its kind, add it to REGISTRY, add a
broken fixture under tests/fixtures/invalid/<code>/ (and a finder only if it must be fast at scale).
"""

from __future__ import annotations

from collections.abc import Iterator

from kuril_data.report import Problem
from kuril_data.validate.checks.base import Check, Context, Engine, Message, View
from kuril_data.validate.checks.base import run as _run
from kuril_data.validate.checks.cells import Cells, cell_verdict
from kuril_data.validate.checks.contract import DateRange, OutputFields, PageIds
from kuril_data.validate.checks.domain import (
    CitationLinks,
    Disagreements,
    EventDates,
    QuotationLanguage,
    ReplyDates,
    Uncited,
)
from kuril_data.validate.checks.keys import ExactlyOneOf, ForeignKeys, PrimaryKey, Unique
from kuril_data.validate.checks.links import Cycles, Translations
from kuril_data.validate.checks.records import (
    CommentaryOrigin,
    DateBounds,
    DateCitation,
    LinkBasis,
    OfficialTextSource,
    RepeatedAccount,
    RoleDates,
    Unreferenced,
)
from kuril_data.validate.checks.sources import SourceFiles, Verbatim

REGISTRY: tuple[Check, ...] = (
    Cells(),
    Unique(),
    PrimaryKey(),
    ForeignKeys(),
    ExactlyOneOf(),
    Cycles(),
    Translations(),
    CitationLinks(),
    Uncited(),
    QuotationLanguage(),
    EventDates(),
    ReplyDates(),
    Disagreements(),
    DateBounds(),
    DateCitation(),
    Unreferenced(),
    CommentaryOrigin(),
    OfficialTextSource(),
    LinkBasis(),
    RepeatedAccount(),
    RoleDates(),
    SourceFiles(),
    Verbatim(),
    OutputFields(),
    DateRange(),
    PageIds(),
)


def run(ctx: Context, engine: Engine = "python", *, lazy: bool = False, workers: int | None = None
        ) -> Iterator[Problem]:
    """Every problem the registry finds in the package of `ctx` (`lazy`, `workers`: see base.run)."""
    return _run(REGISTRY, ctx, engine, lazy=lazy, workers=workers)


__all__ = ["REGISTRY", "Check", "Context", "Engine", "Message", "View", "cell_verdict", "run"]
