"""Where numbers come from: command-line arguments (comma-separated allowed), stdin, or a file
that is either one number per line or a CSV as spreadsheets export it. Every reader here is a
generator: bulk users pipe a million numbers, and nothing reads a whole input into memory.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import TYPE_CHECKING, NamedTuple, TextIO

from smscli.errors import InputError
from smscli.numbers import MIN_DIGITS, has_letters, looks_like_number, normalize

if TYPE_CHECKING:
    from smscli.readers import LineReader

__all__ = [
    "PlainBlock",
    "PlainText",
    "RawNumber",
    "line_values",
    "numbers_from_lines",
    "numbers_from_reader",
    "open_input",
]

# Header names that mark the numbers column, in order of preference.
_NUMBER_HEADERS = (
    "number",
    "numbers",
    "phone",
    "phones",
    "mobile",
    "msisdn",
    "to",
    "phone number",
    "mobile number",
)
_BOM = "\ufeff"
_DELIMITERS = (",", ";", "\t")


class RawNumber(NamedTuple):
    # A NamedTuple: one is made per input line, and a tuple is several times cheaper to
    # create than a frozen dataclass.
    value: str  # as the user wrote it (outer whitespace trimmed)
    source: str  # "argument", "stdin", or the file path
    line: int  # 1-based line in the source; for arguments the argument's 1-based position


class PlainBlock(NamedTuple):
    """Consecutive lines of a one-number-per-line input, handed to NumberCollector.extend in
    one piece: a bulk list of clean numbers is checked and converted in C, not line by line."""

    lines: list[str]
    source: str
    first_line: int


class PlainText(NamedTuple):
    """A PlainBlock as one text: lines that each end in a lone "\n", joined (no str per line
    is made unless the text is not all clean numbers). `check` is the reader's
    check_lengths; the collector calls it on the lines before it takes anything but clean
    numbers (which are too short to be too long: see numbers_from_reader)."""

    text: str
    source: str
    first_line: int
    check: Callable[[list[str], int], None]


_BLOCK_LINES = 4096
# The longest line a clean number can be: 15 digits and "\n". With a reader's max_line at
# least this long (it always is for numbers files), a text of clean numbers needs no check.
_CLEAN_LINE_CHARS = 16


def numbers_from_lines(
    lines: Iterable[str], *, source: str, column: str | None = None, blocks: bool = False
) -> Iterator[RawNumber | PlainBlock]:
    """The numbers in a text stream: one per line, or one column of a CSV.

    The shape is decided by the first line that is not blank and not a "#" comment (a comment
    line that contains a delimiter counts, so a spreadsheet header like "#,Name,Phone" works):
    a comma, semicolon or tab there, or a `column`, means CSV (rules above _csv_numbers).
    Column errors raise InputError when iteration starts, not at the call.

    Line numbers are physical lines of the source. A CSV row whose quoted field spans several
    lines gets the line the row starts on.
    """
    it = iter(lines)
    for line_no, line in enumerate(it, start=1):
        if line_no == 1 and line.startswith(_BOM):
            # The caller may have opened the file as plain "utf-8"; a BOM would glue itself
            # to the first number or header name.
            line = line[1:]
        text = line.strip()
        if not text or (text.startswith("#") and not _has_delimiter(text)):
            continue
        if column is not None or _has_delimiter(text):
            yield from _csv_numbers(line, it, line_no, source, column)
        else:
            yield from _plain_numbers(text, it, line_no, source, blocks=blocks)
        return


def _has_delimiter(text: str) -> bool:
    return any(d in text for d in _DELIMITERS)


def _plain_numbers(
    first: str, rest: Iterator[str], first_no: int, source: str, *, blocks: bool = False
) -> Iterator[RawNumber | PlainBlock]:
    # A spreadsheet with a single column exports no delimiter at all, just "Phone" on top:
    # accept the known header names there rather than report them as invalid numbers.
    if _header_key(first) not in _NUMBER_HEADERS:
        yield RawNumber(first, source, first_no)
    if blocks:
        yield from _plain_blocks(rest, first_no + 1, source)
        return
    for line_no, line in enumerate(rest, start=first_no + 1):
        text = line.strip()
        if text and not text.startswith("#"):
            yield from line_values(text, source, line_no)


_SPLIT = re.compile("[,;\t]")


def line_values(text: str, source: str, line_no: int) -> Iterator[RawNumber]:
    """One line of a one-number-per-line input. A later line with several numbers ("n1,n2",
    tab-separated) gives all of them, as a comma-separated argument does: none is dropped."""
    if "," not in text and ";" not in text and "\t" not in text:
        yield RawNumber(text, source, line_no)
        return
    pieces = [piece.strip() for piece in _SPLIT.split(text)]
    for piece in [p for p in pieces if p] or [""]:
        yield RawNumber(piece, source, line_no)


def _plain_blocks(rest: Iterator[str], first_no: int, source: str) -> Iterator[PlainBlock]:
    line_no = first_no
    while True:
        block = list(itertools.islice(rest, _BLOCK_LINES))
        if not block:
            return
        yield PlainBlock(block, source, line_no)
        line_no += len(block)


def numbers_from_reader(
    reader: LineReader, *, source: str, column: str | None = None
) -> Iterator[RawNumber | PlainBlock | PlainText]:
    """numbers_from_lines(reader, blocks=True), but a plain input's lines come as the
    reader's own reads (LineReader.texts: about a megabyte each), so no Python step runs per
    line between the file and NumberCollector's checks in C, and a read of clean numbers is
    never split into a str per line.

    The same values, line numbers and errors, in the same order: the head (blank lines,
    comments, the first number or header) and every line of a CSV input go one line at a
    time with the length check iterating does; a plain block has its lengths checked as a
    whole before anything in it is taken (the collector calls PlainText.check unless the
    text is clean numbers, whose lines cannot be too long), which raises at the same line,
    because nothing between the reader and the collector raises on a plain line (bad numbers
    are only counted)."""
    texts = reader.texts() if reader.max_line + 2 >= _CLEAN_LINE_CHARS else reader.blocks()
    line_no = 0
    for item in texts:
        for line, end in _text_lines(item) if isinstance(item, str) else _list_lines(item):
            line_no += 1
            if len(line) > reader.max_line + 2:  # a line and its line end, as iterating checks
                reader.too_long(line_no)
            if line_no == 1 and line.startswith(_BOM):
                line = line[1:]  # as numbers_from_lines does
            text = line.strip()
            if not text or (text.startswith("#") and not _has_delimiter(text)):
                continue
            rest = item[end:]
            if column is not None or _has_delimiter(text):
                head = rest.splitlines(keepends=True) if isinstance(rest, str) else rest
                later = _checked_lines(reader, head, line_no + 1, _as_lines(texts))
                yield from _csv_numbers(line, later, line_no, source, column)
                return
            if _header_key(text) not in _NUMBER_HEADERS:
                yield RawNumber(text, source, line_no)
            first = line_no + 1
            for block in chain([rest], texts):
                if isinstance(block, str):
                    if block:
                        yield PlainText(block, source, first, reader.check_lengths)
                        first += block.count("\n")
                elif block:
                    reader.check_lengths(block, first)
                    yield PlainBlock(block, source, first)
                    first += len(block)
            return


def _text_lines(text: str) -> Iterator[tuple[str, int]]:
    """The lines of a LineReader.texts() text (each ends in "\n"), with where each ends."""
    start = 0
    while start < len(text):
        end = text.index("\n", start) + 1
        yield text[start:end], end
        start = end


def _list_lines(lines: list[str]) -> Iterator[tuple[str, int]]:
    return ((line, i) for i, line in enumerate(lines, start=1))


def _as_lines(texts: Iterator[str | list[str]]) -> Iterator[list[str]]:
    for item in texts:
        yield item.splitlines(keepends=True) if isinstance(item, str) else item


def _checked_lines(
    reader: LineReader, head: list[str], first: int, blocks: Iterator[list[str]]
) -> Iterator[str]:
    """`head` (its first line at line `first`) and then the lines of the remaining blocks,
    each checked against max_line when it is taken, as iterating the reader checks it."""
    line_no = first
    for block in chain([head], blocks):
        for line in block:
            if len(line) > reader.max_line + 2:
                reader.too_long(line_no)
            line_no += 1
            yield line


# CSV rules (the shared ones, delimiter sniffing and strict quoting, in smscli.readers):
# - the first row is a header when a cell has letters and no cell is a valid number (so a
#   headerless "Alice,6281211111111" keeps its first row);
# - blank rows are skipped, and so is a row whose numbers cell starts with "#";
# - a row too short to have the numbers column yields an empty value (reported as "empty").


def _csv_numbers(
    first_line: str, rest: Iterator[str], first_no: int, source: str, column: str | None
) -> Iterator[RawNumber]:
    from smscli.readers import csv_rows, sniff_delimiter  # only CSV inputs pay for it

    rows = (
        (line_no, row)
        for line_no, _, row in csv_rows(
            chain([first_line], rest), sniff_delimiter(first_line), first_no, source
        )
    )
    first = next(rows, None)
    if first is None:
        return
    header = first[1] if _is_header(first[1]) else None
    pending: list[tuple[int, list[str]]] = [] if header is not None else [first]
    width = len(first[1])
    index = _chosen_column(column, header, width, source)
    guessed = index is None
    if index is None:
        data = first if header is None else next((r for r in rows if _non_blank(r[1])), None)
        if data is None:
            return
        pending = [data]
        index = _guess_column(data[1], header, source)
    for line_no, row in chain(pending, rows):
        if not _non_blank(row):
            continue
        value = row[index].strip() if index < len(row) else ""
        if value.startswith("#"):
            continue
        if guessed:
            # No --column and no header naming the column: a row with more than one number in
            # it ("n1,n2", or a date beside the phone) must not lose one silently.
            shaped = [i for i, cell in enumerate(row) if _phone_shaped(cell)]
            if len(shaped) > 1:
                if all(_phone_shaped(cell) for cell in row if cell.strip()):
                    for i in shaped:
                        yield RawNumber(row[i].strip(), source, line_no)
                    continue
                raise _ambiguous_row(source, line_no, shaped, header, width)
        yield RawNumber(value, source, line_no)


def _phone_shaped(cell: str) -> bool:
    """Digits only once spacing and punctuation are gone, and enough of them to be meant as a
    phone number (a date such as 2026-12-01 is, a quantity such as 3 is not)."""
    digits = normalize(cell)
    return len(digits) >= MIN_DIGITS and digits.isascii() and digits.isdigit()


def _ambiguous_row(
    source: str, line_no: int, shaped: list[int], header: list[str] | None, width: int
) -> InputError:
    columns = ", ".join(str(i + 1) for i in shaped[:-1]) + f" and {shaped[-1] + 1}"
    return InputError(
        f"{source} line {line_no} has a number in columns {columns}: which one is the phone "
        "number?",
        hint="choose it with --column NAME|INDEX (or write one number per line); "
        + _columns_hint(header, max(width, shaped[-1] + 1)),
    )


def _non_blank(row: list[str]) -> bool:
    return any(cell.strip() for cell in row)


def _is_header(row: list[str]) -> bool:
    lettered = any(has_letters(cell) for cell in row)
    return lettered and not any(looks_like_number(cell) for cell in row)


def _header_key(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).casefold()


def _chosen_column(
    column: str | None, header: list[str] | None, width: int, source: str
) -> int | None:
    """The 0-based numbers column when `column` or a known header name decides it."""
    if column is None:
        if header is None:
            return None
        keys = [_header_key(name) for name in header]
        for known in _NUMBER_HEADERS:
            if known in keys:
                return keys.index(known)
        return None
    wanted = _header_key(column)
    if header is not None:
        keys = [_header_key(name) for name in header]
        if wanted in keys:
            return keys.index(wanted)
    if wanted.isascii() and wanted.isdigit():
        if 1 <= int(wanted) <= width:
            return int(wanted) - 1
        raise InputError(f"{source} has no column {wanted}", hint=_columns_hint(header, width))
    if header is None:
        raise InputError(
            f"{source} has no header row, so no column is named {column.strip()!r}",
            hint=_columns_hint(header, width),
        )
    raise InputError(
        f"{source} has no column {column.strip()!r}", hint=_columns_hint(header, width)
    )


def _guess_column(row: list[str], header: list[str] | None, source: str) -> int:
    for index, cell in enumerate(row):
        if looks_like_number(cell):
            return index
    if len(row) == 1:
        return 0  # nothing else it could be; its bad values get reported one by one
    width = len(header) if header is not None else len(row)
    raise InputError(
        f"cannot tell which column of {source} holds the phone numbers",
        hint="choose one with --column; " + _columns_hint(header, width),
    )


def _columns_hint(header: list[str] | None, width: int) -> str:
    if header is None:
        return f"columns are numbered 1 to {width}" if width > 1 else "there is only column 1"
    names = ", ".join(f"{i} {name.strip()!r}" for i, name in enumerate(header, start=1))
    return f"available columns: {names}"


def open_input(path: str, stdin: TextIO | None = None) -> LineReader:
    """The lines of a numbers file; "-" means `stdin` (never closed). One reader serves every
    "file or stdin" input (smscli.readers): UTF-8, or UTF-16 with its BOM; other encodings,
    NUL bytes and endless lines are refused with the line number."""
    from smscli.readers import open_lines  # only commands that read a file pay for it

    return open_lines(path, stdin, what="numbers file")
