"""kuril-data: a cited open data package on the Soviet/Russian–Japanese peace-treaty question and
the Kuril Islands dispute, and the toolkit that validates and publishes it."""

from importlib.metadata import PackageNotFoundError, version

from .diff import DiffError, PackageDiff, diff_packages
from .load import LoadError, load
from .package import PackageError
from .read import Limits
from .report import Problem, Report
from .validate import validate

try:
    __version__ = version("kuril-data")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "DiffError", "Limits", "LoadError", "PackageDiff", "PackageError", "Problem", "Report", "__version__",
    "diff_packages", "load", "validate",
]
