"""Write the generated parts of docs/cli.md: each command's usage and options, from the click
commands themselves, and the table of problem codes, from `kuril_data.report.CODES`.

    python scripts/cli_reference.py           # rewrite docs/cli.md in place
    python scripts/cli_reference.py --check   # exit 1 when docs/cli.md is stale (tests/test_docs.py runs this)

A generated part sits between `<!-- generated: NAME -->` and `<!-- end generated -->`; the prose
around it is written by hand. NAME is a command path (`validate`, `sources fetch`) or `problem-codes`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from kuril_data.cli import cli
from kuril_data.report import CODES

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z -]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def command_reference(path: str) -> str:
    """The usage line and the table of options of `kuril-data <path>`, as click defines them."""
    command: click.Command = cli
    ctx = click.Context(cli, info_name="kuril-data")
    for word in path.split():
        assert isinstance(command, click.Group)
        command = command.commands[word]
        ctx = click.Context(command, info_name=word, parent=ctx)
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    rows = []
    for param in command.get_params(ctx):
        if isinstance(param, click.Argument) or "--help" in param.opts:
            continue  # arguments are in the usage line; --help is everywhere
        record = param.get_help_record(ctx)
        if record is None:
            continue
        opts, help_text = record
        rows.append(f"| `{_cell(opts)}` | {_cell(help_text)} |")
    table = "\n".join(["| option | what it does |", "|---|---|", *rows])
    return f"```sh\n{usage}\n```\n\n{table}\n"


def codes_reference() -> str:
    rows = [f"| `{code}` | {_cell(meaning)} |" for code, meaning in CODES.items()]
    return "\n".join(["| code | what it means |", "|---|---|", *rows]) + "\n"


def commands() -> list[str]:
    out = []
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            out += [f"{name} {sub}" for sub in command.commands]
        else:
            out.append(name)
    return out


def render(text: str) -> str:
    def fill(m: re.Match[str]) -> str:
        name = m.group("name")
        body = codes_reference() if name == "problem-codes" else command_reference(name)
        return f"{m.group(1)}{body}{m.group(4)}"

    return BLOCK.sub(fill, text)


def missing_blocks(text: str) -> list[str]:
    present = {m.group("name") for m in BLOCK.finditer(text)}
    return [name for name in [*commands(), "problem-codes"] if name not in present]


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    missing = missing_blocks(text)
    if missing:
        print(f"{DOC}: no generated block for: {', '.join(missing)}", file=sys.stderr)
        return 1
    new = render(text)
    if "--check" in argv:
        if new != text:
            print(f"{DOC} is stale: run `python scripts/cli_reference.py`", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
