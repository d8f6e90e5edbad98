"""One exception family: every error the library raises for a user to see derives from `KurilDataError`
and says its exit code, so the CLI maps them to exit codes in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kuril_data.report import Report


class KurilDataError(Exception):
    """The command could not run (unreadable input, bad arguments, a failed download): exit 2."""

    exit_code: int = 2

    def __init__(self, message: str, *, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


class DataError(KurilDataError):
    """The data itself is bad (it does not validate, or cannot be used as asked): exit 1."""

    exit_code = 1


class Refused(DataError):
    """The package is not fit to write as asked (it does not validate, or cannot be released):
    exit 1; `report` holds the problems, if any. Raised by the door (`Checked.require`) and release."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message, report=report)


class ExportError(KurilDataError):
    """An output could not be written (exit 2), e.g. SOURCE_DATE_EPOCH is not a number, a disk is full."""


__all__ = ["DataError", "ExportError", "KurilDataError", "Refused"]
