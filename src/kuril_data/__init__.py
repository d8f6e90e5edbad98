"""kuril-data: a cited open data package on the Soviet/Russian–Japanese peace-treaty question and
the Kuril Islands dispute, and the toolkit that validates and publishes it."""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from kuril_data.io.read import Limits
from kuril_data.model.package import PackageError
from kuril_data.report import Problem, Report
from kuril_data.validate import validate

if TYPE_CHECKING:
    from kuril_data.diff import DiffError, PackageDiff, diff_packages
    from kuril_data.load import LoadError, load

# Imported on first use (PEP 562): every `kuril_data.x` import runs this file, and `kuril-data
# validate` needs neither diff nor load (which brings the typed dataset: ~3 ms of a cold start).
_EXPORTS = {"DiffError": "kuril_data.diff", "PackageDiff": "kuril_data.diff", "diff_packages": "kuril_data.diff",
            "LoadError": "kuril_data.load", "load": "kuril_data.load"}


class _Package(ModuleType):
    """This package's module. Importing a submodule binds it on its package, so importing
    `kuril_data.load` or `kuril_data.validate` would put the module where the function of the same
    name is: that binding is skipped, and the name stays the function (or is looked up on use)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("load", "validate") and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    # Looked up on first use (importlib.metadata is slow to import), from the one place the
    # project's identity lives: pyproject.toml in a checkout, the package metadata when installed.
    if name == "__version__":
        from kuril_data.project import project

        return project().version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "DiffError", "Limits", "LoadError", "PackageDiff", "PackageError", "Problem", "Report", "__version__",
    "diff_packages", "load", "validate",
]
