"""Collecting numbers: read from arguments, a file or stdin (`read_numbers`), normalised,
validated and de-duplicated as they stream in, kept as compact integers (a million numbers
cost 8 MB in the list, not 70 MB of str objects). Everything is checked here, before a
gateway is even opened."""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from smscli import console
from smscli.argtext import token_problem
from smscli.errors import InputError, UsageError
from smscli.numberfile import (
    PlainBlock,
    PlainText,
    RawNumber,
    line_values,
    numbers_from_lines,
    numbers_from_reader,
    open_input,
)
from smscli.numbers import (
    MAX_DIGITS,
    MIN_DIGITS,
    check,
    normalize,
    normalize_lines,
    to_international,
)

__all__ = [
    "DETAIL_LIMIT",
    "BadNumber",
    "NumberCollector",
    "NumberList",
    "Numbers",
    "numbers_from_args",
    "read_numbers",
]

DETAIL_LIMIT = 20
_LOWEST = 10 ** (MIN_DIGITS - 1)  # the smallest valid number: 6 digits, no leading 0
_BEYOND = 10**MAX_DIGITS  # the first number with too many digits


def plain_keys(lines: list[str]) -> list[int] | None:
    """int(line) for every line of a block that is nothing but plain numbers, each of them
    valid: digits from 1-9 on, 6 to 15 of them, and line ends; None for any other block
    (which then goes the usual way). Checked with a few passes in C over the whole block
    rather than a regex call per line.

    Why the checks are enough: every character is a digit or a line end, no line starts with
    anything below "1" (a line end, a 0, or nothing: min() compares the lines' first
    characters), and int() accepts each line, which it does only for digits with line ends
    (whitespace) around them, so each line is a number with no leading 0 and line ends after
    it; the range then fixes its count of digits. For such lines the usual way gives
    int(line) as well (normalising deletes the line ends), so the result is the same."""
    text = "".join(lines)
    if (
        not lines
        or not text.isascii()
        or not text.encode().translate(None, b"\r\n").isdigit()
        or min(lines) < "1"
    ):
        return None
    try:
        keys = list(map(int, lines))
    except ValueError:  # a blank line, or two numbers on one line
        return None
    if min(keys) < _LOWEST or max(keys) >= _BEYOND:
        return None
    return keys


def text_keys(text: str) -> list[int] | None:
    """plain_keys(text.splitlines(keepends=True)) for a text whose every line ends in a lone
    "\n" (LineReader.texts), without making a str per line: the lines' numbers read as one
    JSON array. None for anything else.

    Why it is the same: the text holds only digits and "\n" and ends in "\n"; with the line
    ends made commas, JSON reads it as an array of integers exactly when every line is a
    number with no leading 0 (JSON's grammar: "0" alone or a 1-9 then digits; an empty line
    is an empty element, an error), which is what plain_keys' checks (no line below "1",
    int() of each) accept; the range check is the same. JSON's integers are int(digits)."""
    body = text[:-1]
    if (
        not text.endswith("\n")
        or not body.isascii()
        or not body.encode().translate(None, b"\n").isdigit()
    ):
        return None
    try:
        keys: list[int] = json.loads("[" + body.replace("\n", ",") + "]")
    except ValueError:  # a leading 0 or an empty line; or more digits than int() takes
        return None
    if min(keys) < _LOWEST or max(keys) >= _BEYOND:
        return None
    return keys


@dataclass(frozen=True, slots=True)
class BadNumber:
    value: str
    source: str
    line: int
    reason: str

    @property
    def where(self) -> str:
        """Where the value came from, for messages: "argument 2" or "numbers.csv line 4"."""
        if self.source == "argument":
            return f"argument {self.line}"
        return f"{self.source} line {self.line}"


class NumberList(Sequence[str]):
    """A read-only view of the collected numbers, stored as 8-byte integers.

    A list of a million str objects costs ~70 MB; the integers cost 8 MB. Slices return a
    real list[str] (handy for chunking); use list(view) for a full copy.
    """

    __slots__ = ("_keys",)

    def __init__(self, keys: array[int]) -> None:
        self._keys = keys

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return list(map(str, self._keys[index]))
        return str(self._keys[index])

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def ints(self) -> array[int]:
        """The numbers as the integers they are kept as (str() of each gives the number back:
        valid numbers have no leading 0). The list's own array: read it, do not change it."""
        return self._keys

    def __iter__(self) -> Iterator[str]:
        return map(str, self._keys)

    def __repr__(self) -> str:
        return f"NumberList({len(self)} numbers)"


class NumberCollector:
    """Normalises and validates a stream of RawNumber, keeping valid numbers in first-seen
    order and dropping duplicates (counted).

    Valid numbers never start with 0, so int(number) is lossless: the seen-set holds ints and
    the ordered store is an array of 64-bit ints (15 digits < 2**63). A million numbers cost
    about 75 MB here; the same as str objects in a set and a list would be over 100 MB.
    """

    def __init__(self, *, detail_limit: int = DETAIL_LIMIT, country: str | None = None) -> None:
        self._country = country  # national numbers of this country are accepted (--country)
        self._keys: array[int] = array("q")
        self._view = NumberList(self._keys)
        self._seen: set[int] = set()
        self._bulk_dedup = True  # until a block brings a duplicate (see _add_block)
        self._detail_limit = detail_limit
        self.bad: list[BadNumber] = []  # the first `detail_limit` only...
        self.bad_count = 0  # ...but every one is counted
        self.duplicates = 0
        self.inputs = 0  # every number given, valid or not, duplicates included

    @property
    def valid(self) -> NumberList:
        """Valid numbers, normalised, in first-seen order, without duplicates."""
        return self._view

    def add(self, raw: RawNumber) -> None:
        self.extend((raw,))

    def extend(self, raws: Iterable[RawNumber | PlainBlock | PlainText]) -> None:
        # The bulk path: bound methods in locals and no per-number method call double the
        # rate of a loop over add().
        seen, remember, append = self._seen, self._seen.add, self._keys.append
        for raw in raws:
            if isinstance(raw, PlainBlock):
                self._add_block(raw)
                continue
            if isinstance(raw, PlainText):
                self._add_text(raw)
                continue
            self.inputs += 1
            if self._country is None:
                normalized = normalize(raw.value)
                reason = check(normalized)
            else:
                normalized, reason = to_international(raw.value, self._country)
            if reason is not None:
                self._add_bad(raw, reason)
                continue
            key = int(normalized)
            if key in seen:
                self.duplicates += 1
                continue
            remember(key)
            append(key)

    def _add_block(self, block: PlainBlock) -> None:
        lines = block.lines
        keys: list[int] | None = None
        # With a country, clean digits may still be a national number: no shortcut.
        if self._country is None:
            # Plain digits, as exports and scripts write them; else "+44 7700 900123" and the
            # like: cleaned and checked a block at a time.
            keys = plain_keys(lines)
            if keys is None:
                keys = normalize_lines(lines)
        if keys is None:
            # Something to report, or a country: the per-line path keeps line numbers exact.
            self.extend(
                raw
                for i, line in enumerate(lines)
                if (text := line.strip()) and not text.startswith("#")
                for raw in line_values(text, block.source, block.first_line + i)
            )
            return
        self._add_keys(keys)

    def _add_text(self, block: PlainText) -> None:
        # With a country, clean digits may still be a national number: no shortcut.
        keys = text_keys(block.text) if self._country is None else None
        if keys is None:
            lines = block.text.splitlines(keepends=True)
            block.check(lines, block.first_line)  # clean numbers' lines are never too long
            self._add_block(PlainBlock(lines, block.source, block.first_line))
            return
        self._add_keys(keys)

    def _add_keys(self, keys: list[int]) -> None:
        """Valid numbers, one per input line."""
        self.inputs += len(keys)
        seen = self._seen
        if self._bulk_dedup:
            before = len(seen)
            seen.update(keys)
            if len(seen) - before == len(keys):
                self._keys.fromlist(keys)  # all new: the block as it came, in C
                return
            # A number seen before: `seen` back to the numbers kept (it always holds exactly
            # those), then one at a time; an input with duplicates keeps doing so, so that the
            # set is rebuilt once at most.
            self._bulk_dedup = False
            seen.clear()
            seen.update(self._keys)
        remember, append = seen.add, self._keys.append
        for key in keys:
            if key in seen:
                self.duplicates += 1
            else:
                remember(key)
                append(key)

    def _add_bad(self, raw: RawNumber, reason: str) -> None:
        self.bad_count += 1
        if len(self.bad) < self._detail_limit:
            self.bad.append(BadNumber(raw.value, raw.source, raw.line, reason))

    def error_report(self, limit: int = DETAIL_LIMIT) -> str:
        """The invalid numbers as text for stderr; "" when there are none."""
        if not self.bad_count:
            return ""
        plural = "" if self.bad_count == 1 else "s"
        lines = [f"{self.bad_count} invalid number{plural}:"]
        shown = self.bad[: max(limit, 0)]
        lines += [f"  {bad.where}: {_shorten(bad.value)!r} {bad.reason}" for bad in shown]
        if self.bad_count > len(shown):
            lines.append(f"  … and {self.bad_count - len(shown)} more")
        return "\n".join(lines)


def _shorten(value: str, width: int = 40) -> str:
    # A wrong --column can feed whole sentences in; keep each report line readable.
    return value if len(value) <= width else value[: width - 1] + "…"


def numbers_from_args(args: Iterable[str]) -> Iterator[RawNumber]:
    """One RawNumber per comma-separated piece; blank pieces ("1,2," or "1,,2") are skipped.

    An argument with nothing but blanks and commas still yields one (empty) RawNumber, so an
    unset shell variable (`smscli send "$TO"`) is reported instead of silently ignored.
    """
    for position, arg in enumerate(args, start=1):
        pieces = [piece.strip() for piece in arg.split(",")]
        kept = [piece for piece in pieces if piece]
        for piece in kept or [""]:
            yield RawNumber(piece, "argument", position)


@dataclass(slots=True)
class Numbers:
    numbers: Sequence[str]
    order_ids: list[str] | None
    duplicates: int
    source_count: int


def _raw_numbers(
    args: Sequence[str],
    numbers_file: str | None,
    column: str | None,
    stdin_taken: bool,
    *,
    blocks: bool = False,
) -> Iterator[RawNumber | PlainBlock | PlainText]:
    wants_stdin = numbers_file == "-" or "-" in args
    plain = [a for a in args if a != "-"]
    if not plain and numbers_file is None and not wants_stdin:
        if stdin_taken:
            raise UsageError(
                "no numbers given: stdin cannot carry both the message and the numbers",
                hint="give the numbers as arguments or with -f/--numbers-file PATH",
            )
        if console.stdin_is_tty():
            raise UsageError(
                "no numbers given",
                hint="pass them as arguments, with -f/--numbers-file PATH, or pipe them on stdin",
            )
        wants_stdin = True
    if wants_stdin and stdin_taken:
        raise UsageError("stdin cannot carry both the message and the numbers")
    yield from numbers_from_args(plain)
    sources = [] if numbers_file is None or numbers_file == "-" else [numbers_file]
    for path in sources + (["-"] if wants_stdin else []):
        name = "stdin" if path == "-" else path
        with open_input(path, console.current().stdin) as reader:
            if blocks:
                # The bulk path: plain lines reach the collector a reader block at a time.
                yield from numbers_from_reader(reader, source=name, column=column)
            else:
                yield from numbers_from_lines(reader, source=name, column=column)


def read_numbers(
    args: Sequence[str],
    *,
    numbers_file: str | None,
    column: str | None,
    order_ids: str | None,
    stdin_taken: bool = False,
    country: str | None = None,
) -> Numbers:
    """Every number normalised and checked; any bad one stops everything (exit 2). With
    `country`, national numbers of that country are accepted (smscli.numbers.to_international)."""
    collector = NumberCollector(country=country)
    raw_ids = [p.strip() for p in order_ids.split(",")] if order_ids is not None else None
    kept_ids: list[str] | None = None
    if raw_ids is None:
        # The bulk path: a million numbers go through the collector's own loop, plain lines
        # in blocks.
        collector.extend(_raw_numbers(args, numbers_file, column, stdin_taken, blocks=True))
        seen = collector.inputs
    else:
        kept_ids, seen = [], 0
        for raw in _raw_numbers(args, numbers_file, column, stdin_taken):
            if not isinstance(raw, RawNumber):
                raise TypeError("blocks were not asked for")
            before = len(collector.valid)
            collector.add(raw)
            # Keep each order id with its number when a later duplicate is dropped.
            if len(collector.valid) > before and seen < len(raw_ids):
                kept_ids.append(raw_ids[seen])
            seen += 1
    if collector.bad_count:
        raise InputError(collector.error_report(), hint="nothing was sent")
    if not collector.valid:
        raise InputError("no numbers found in the input", hint="nothing was sent")
    if raw_ids is not None and len(raw_ids) != seen:
        raise InputError(
            f"--order-id has {len(raw_ids)} ids but {seen} numbers were given;"
            " the counts must match",
            hint="nothing was sent",
        )
    if raw_ids is not None and any(not i for i in raw_ids):
        raise InputError("--order-id has an empty id", hint="nothing was sent")
    for index, order_id in enumerate(raw_ids or (), 1):
        problem = token_problem(order_id)
        if problem is not None:
            raise InputError(
                f"--order-id: id {index} ({order_id!r}) {problem}", hint="nothing was sent"
            )
    return Numbers(collector.valid, kept_ids, collector.duplicates, seen)
