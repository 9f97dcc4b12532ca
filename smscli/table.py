"""Tables for people: rows drawn with rich, sized to the terminal. Nothing but free text ever
folds (numbers, msgIds, dates and codes stay whole): on a narrow terminal, columns give way
instead, and a note on stderr says which. rich is imported only when a table is drawn."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from smscli import console
from smscli.output import Column, Row

if TYPE_CHECKING:
    from rich.text import Text


def _human(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        # Support staff read local wall-clock time; the offset is kept in machine formats.
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return str(value)



# What a table colours when colour is on: a message's delivery status, its send's outcome.
STATUS_STYLES = {
    "delivered": "green",
    "accepted": "green",
    "failed": "red",
    "rejected": "red",
    "pending": "yellow",
    "sending": "yellow",
    "not_sent": "yellow",
    "unknown": "magenta",
    "not_found": "magenta",
}
STYLED_KEYS = frozenset({"status", "outcome", "state"})
FOLD_MIN = 12  # the narrowest a free-text column gets before columns are hidden


def write_table(
    rows: list[Row], columns: Sequence[Column], out: TextIO, title: str | None, wide: bool | None
) -> None:
    from rich.console import Console
    from rich.table import Table

    # NO_COLOR: no escape sequence at all (rich would still embolden the header).
    plain = bool(os.environ.get("NO_COLOR"))
    screen = Console(
        file=out, highlight=False, soft_wrap=False, color_system=None if plain else "auto"
    )
    cells = [[_human(row.get(c.key)) for c in columns] for row in rows]
    shown, width = fit_columns(columns, cells, screen.width, wide=bool(wide))
    hidden = [c.key for c in columns if c not in shown]
    if hidden:
        every = "--wide" if wide is not None else "-o json"
        console.detail(f"columns hidden at this width: {', '.join(hidden)} ({every} shows all)")
    if wide and width > screen.width:
        screen.width = width  # --wide: the lines run past the terminal; nothing folds
    # Too wide even with every optional column gone: let rich fold as a last resort rather
    # than cut anything off.
    squeezed = width > screen.width
    table = Table(title=title, show_lines=False, header_style="bold")
    index = [columns.index(c) for c in shown]
    for column in shown:
        table.add_column(
            column.heading,
            justify=column.justify,  # type: ignore[arg-type]
            no_wrap=not (column.fold or squeezed),
            overflow="fold",
            min_width=None if squeezed else _min_width(column, cells, columns.index(column)),
        )
    for values in cells:
        table.add_row(*(_cell(shown[n].key, values[i]) for n, i in enumerate(index)))
    screen.print(table)


def _cell(key: str, value: str) -> str | Text:
    from rich.text import Text

    style = STATUS_STYLES.get(value) if key in STYLED_KEYS else None
    return Text(value, style=style) if style else value


def _min_width(column: Column, cells: list[list[str]], i: int) -> int:
    from rich.cells import cell_len

    longest = max((cell_len(row[i]) for row in cells), default=0)
    if column.fold:
        longest = min(longest, FOLD_MIN)
    return max(longest, cell_len(column.heading))


def fit_columns(
    columns: Sequence[Column], cells: list[list[str]], width: int, *, wide: bool = False
) -> tuple[list[Column], int]:
    """The columns a table of `width` terminal columns shows, and the width it needs. Nothing
    but free text ever folds, so columns give way instead: empty (or all-zero) ones first
    (before any free text has to fold),
    then by priority (highest first, rightmost first); priority 0 always stays. `wide` keeps
    every column."""
    widths = {c.key: _min_width(c, cells, i) for i, c in enumerate(columns)}
    # Free text at full length: an empty column is not worth a line of folded text.
    natural = {
        c.key: max(widths[c.key], _min_width(replace(c, fold=False), cells, i))
        for i, c in enumerate(columns)
    }

    def needed(shown: Sequence[Column], sizes: dict[str, int] = widths) -> int:
        # Each column has one space of padding either side and one rule; one more closes it.
        return sum(sizes[c.key] for c in shown) + 3 * len(shown) + 1

    shown = list(columns)
    if wide:
        return shown, needed(shown)
    empty = {
        c.key
        for i, c in enumerate(columns)
        if all(row[i] in ("", "0") for row in cells)
    }
    order = sorted(
        (c for c in columns if c.priority > 0),
        key=lambda c: (c.key in empty, c.priority, columns.index(c)),
        reverse=True,
    )
    # Empty columns go before any free text folds (`history show` drew three empty columns
    # beside an error folded over four lines); then, by priority, until the tokens fit.
    for column in order:
        if column.key not in empty or needed(shown, natural) <= width:
            break
        shown.remove(column)
    for column in order:
        if needed(shown) <= width:
            break
        if column in shown:
            shown.remove(column)
    return shown, needed(shown)
