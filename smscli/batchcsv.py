"""The rows of a CSV/TSV batch file, read a block of lines (about a megabyte) at a time.

A block whose every row is one line, the usual file, is read by the CSV reader in one call
and handed on as a RowBlock: the rows as the reader gives them, the first one's line number,
and nothing per row. The planner settles such a block in a few C calls when it can
(batchplan.Builder); every row it does not settle, and every row of a block it does not take,
becomes a record exactly as the general way makes it (csv_records). From the first block
where a row spans lines (a quoted line break) or the CSV reader objects, the rest of the file
goes the general way: one row at a time through readers.csv_rows, each line checked as it is
read, so that the first problem of a bad file is the one reported, as before.

Why the two ways agree: the CSV reader is a state machine that starts every line of such a
block in the same state (a new row), so one call over the block's lines gives the rows that
reading them one by one gives; a row that takes one line cannot run into the next one (the
"swallowed row" check of csv_records does not apply); and a block the reader reads without
an error raises nothing before its over-long line, the one error left to check for it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from itertools import chain, count, islice, repeat
from typing import TYPE_CHECKING, NamedTuple

from smscli.errors import InputError
from smscli.readers import csv_rows

if TYPE_CHECKING:
    from smscli.batchfile import Record
    from smscli.readers import LineReader

__all__ = [
    "BlockLines",
    "CsvPart",
    "RowBlock",
    "batched",
    "block_records",
    "csv_parts",
    "csv_records",
    "flatten",
]

_BATCH_LINES = 16_384  # lines per block when the lines come one by one (read_source)


class RowBlock(NamedTuple):
    """Rows of one line each, straight from the CSV reader: blank rows and rows of any width
    included (csv_records sorts those out)."""

    first: int  # the line of rows[0]; rows[i] is at line first + i
    rows: list[list[str]]


# A part of a CSV batch: a block of one-line rows, or the records of the rest of the file.
CsvPart = RowBlock | Iterator["Record"]


class BlockLines:
    """Lines that come in blocks, taken one by one (each checked against the reader's
    max_line as it is taken, as iterating a LineReader checks it), until the rest is wanted
    a block at a time (rest). `reader` None: lines with no limit (read_source's)."""

    def __init__(self, blocks: Iterator[list[str]], reader: LineReader | None) -> None:
        self._blocks = blocks
        self.reader = reader
        self._block: list[str] = []
        self._at = 0
        self.taken = 0  # lines taken so far, one by one or in blocks

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        while self._at >= len(self._block):
            self._block, self._at = next(self._blocks), 0
        line = self._block[self._at]
        self._at += 1
        self.taken += 1
        if self.reader is not None and len(line) > self.reader.max_line + 2:
            self.reader.too_long(self.taken)
        return line

    def rest(self) -> Iterator[list[str]]:
        """The lines not taken yet, a block at a time, their lengths not checked (see
        LineReader.blocks): the caller checks them (check_lengths) or takes them one by one
        (lines)."""
        if self._at < len(self._block):
            left = self._block[self._at :]
            self._block, self._at = [], 0
            self.taken += len(left)
            yield left
        for block in self._blocks:
            self.taken += len(block)
            yield block

    def lines(self) -> Iterator[str]:
        """The lines not taken yet, one by one, each checked as it is taken."""
        reader = self.reader
        if reader is None:
            yield from chain.from_iterable(self.rest())
            return
        line_no = self.taken
        for block in self.rest():
            for line in block:
                line_no += 1
                if len(line) > reader.max_line + 2:
                    reader.too_long(line_no)
                yield line

    def check_lengths(self, block: list[str], first: int) -> None:
        if self.reader is not None:
            self.reader.check_lengths(block, first)


def batched(lines: Iterator[str]) -> Iterator[list[str]]:
    """Lines that come one by one, as blocks."""
    while block := list(islice(lines, _BATCH_LINES)):
        yield block


def csv_parts(
    body: BlockLines, first: int, columns: list[str], delimiter: str, name: str
) -> Iterator[CsvPart]:
    """The rows after the header (the first at line `first`): RowBlocks while every row of a
    block is one line, then the rest as records."""
    line_no = first
    blocks = body.rest()
    for block in blocks:
        rows = _one_line_rows(block, delimiter)
        if rows is None:
            # From here on, one row at a time: a row spans lines (or a problem is to be found
            # and reported where reading one row at a time finds it).
            checked = _checked(chain([block], blocks), body.reader, line_no)
            yield csv_records(csv_rows(checked, delimiter, line_no, name), columns, delimiter, name)
            return
        body.check_lengths(block, line_no)
        yield RowBlock(line_no, rows)
        line_no += len(block)


def _one_line_rows(block: list[str], delimiter: str) -> list[list[str]] | None:
    """The block's rows when each is one line; None when a row takes more (or the CSV reader
    objects to something)."""
    reader = csv.reader(block, delimiter=delimiter, skipinitialspace=True, strict=True)
    try:
        rows = list(reader)
    except csv.Error:
        return None
    # Every row takes at least one line, and the reader took them all: one line each.
    return rows if len(rows) == len(block) else None


def _checked(
    blocks: Iterator[list[str]], reader: LineReader | None, first: int
) -> Iterator[str]:
    line_no = first - 1
    for block in blocks:
        for line in block:
            line_no += 1
            if reader is not None and len(line) > reader.max_line + 2:
                reader.too_long(line_no)
            yield line


def block_records(
    block: RowBlock, columns: list[str], delimiter: str = ",", name: str = "the batch"
) -> Iterator[Record]:
    """The block's rows as the general way makes them into records."""
    return csv_records(zip(count(block.first), repeat(1), block.rows), columns, delimiter, name)


def flatten(
    parts: Iterator[CsvPart], columns: list[str], delimiter: str, name: str
) -> Iterator[Record]:
    for part in parts:
        if isinstance(part, RowBlock):
            yield from block_records(part, columns, delimiter, name)
        else:
            yield from part


def _swallowed_row(row: list[str], delimiter: str) -> int | None:
    """How many lines into a quoted field a line that reads like a row of its own starts
    ("6281234567091,World"), or None. An unclosed quote that a later quote happens to close
    is valid CSV, but it would send the rows it swallowed, other people's numbers included,
    as one message."""
    starts_row = re.compile(rf"\s*\+?[0-9][0-9 ().\-]{{5,}}\s*{re.escape(delimiter)}")
    for cell in row:
        if "\n" in cell or "\r" in cell:
            for offset, piece in enumerate(re.split(r"\r\n|\r|\n", cell)[1:], start=1):
                if starts_row.match(piece):
                    return offset
    return None


def csv_records(
    rows: Iterator[tuple[int, int, list[str]]],
    columns: list[str],
    delimiter: str = ",",
    name: str = "the batch",
) -> Iterator[Record]:
    """Each row as its cells, padded to the header's width (the builder reads them by column
    index), or the reason it cannot be one message."""
    width = len(columns)
    strip = str.strip
    for line_no, taken, row in rows:
        if not any(map(strip, row)):
            continue
        # A cell holds a line break only when its row took more than one line (the readers
        # split lines at every line break), so one-line rows skip the look.
        swallowed = _swallowed_row(row, delimiter) if taken > 1 else None
        if swallowed is not None:
            raise InputError(
                f"{name} line {line_no}: a quoted field runs over line {line_no + swallowed}, "
                "which looks like a row of its own",
                hint='is a quote (") left open on line ' + f"{line_no}? nothing was sent",
            )
        if len(row) != width:
            if len(row) > width and any(map(strip, row[width:])):
                # Most often an unquoted comma inside a message: truncating it would send half.
                yield (
                    line_no,
                    (
                        f"{len(row)} fields but the header has {width}; "
                        'put a field that contains the delimiter in "double quotes"'
                    ),
                )
                continue
            row = row[:width] + [""] * (width - len(row))
        yield line_no, row
