"""`python -m kuril_data` and the `kuril-data` command: the CLI, or a clear word when the tools extra is missing."""

from __future__ import annotations

import sys


def main() -> None:
    from kuril_data.extras import EXTRAS, available, hint

    missing = [m for m, extra in EXTRAS.items() if extra == "tools" and not available(m)]
    if missing:
        print(f"Error: {hint(missing[0], 'the kuril-data command')}", file=sys.stderr)
        sys.exit(2)
    from kuril_data.cli import main as run

    run()


if __name__ == "__main__":
    main()
