"""Reading, normalising and validating phone numbers, as a stream.

Numbers come from command-line arguments (comma-separated allowed), stdin, or a file that is
either one number per line or a CSV as spreadsheets export it. Nothing here reads a whole
input into memory: bulk users pipe a million numbers, so every reader is a generator and
NumberCollector keeps only compact integers.
"""

from __future__ import annotations

import csv
import itertools
import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, NamedTuple, TextIO, overload

from smscli.errors import InputError

if TYPE_CHECKING:
    from smscli.textinput import LineReader

__all__ = [
    "BadNumber",
    "NumberCollector",
    "NumberList",
    "RawNumber",
    "check",
    "check_country",
    "csv_error",
    "normalize",
    "numbers_from_args",
    "numbers_from_lines",
    "open_input",
    "to_international",
]

MIN_DIGITS = 6
MAX_DIGITS = 15  # E.164 maximum
STARTS_WITH_ZERO = (
    "starts with 0: write it in international form with the country code, e.g. 6281211111111"
)
DETAIL_LIMIT = 20

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

# --- normalisation ----------------------------------------------------------------------------

# Every str.isspace() character lies below U+3001 (a test checks the whole code space), so
# scanning that range once at import is cheap and stays in step with Python's own definition.
_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_SEPARATORS = (
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"  # dashes, minus signs
    ".\u00b7\uff0e"  # dots
    "()\uff08\uff09"  # parentheses
    "/\u2215\uff0f"  # slashes
)
# Invisible characters that copy-paste from web pages, mail clients and phone contact apps
# wraps numbers in (bidi marks around "+62 812…", zero-width spaces, soft hyphens, a stray BOM).
_INVISIBLE = "\u00ad\u2060\ufeff" + "".join(
    chr(c) for c in (*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)
_DELETE = _WHITESPACE + _SEPARATORS + _INVISIBLE

_UNICODE_TABLE = str.maketrans({"\uff0b": "+"} | dict.fromkeys(_DELETE))
# str.translate costs ~2 µs per number even for ASCII; bytes.translate is ~10x faster, and
# nearly every real number is ASCII, so that path gets its own (equivalent) table.
_ASCII_DELETE = "".join(c for c in _DELETE if c.isascii()).encode("ascii")

_PREFIX = re.compile(r"\A(?:\+|00)+")
# "+44 (0) 20 7946 0000": the "(0)" is the trunk prefix, dialled only from inside the country
# and written that way on business cards and web forms. After a country code it must go, or the
# number becomes 4402079460000. Only right after "+" or "00" and a country code (1 to 3
# digits); a "(0" that opens a longer group ("(020) …") is not it.
_TRUNK_MARK = re.compile(
    r"\A(\s*(?:[+\uff0b]|00)[\s.\-]*[1-9][0-9]{0,2})[\s.\-]*[(\uff08]\s*0\s*[)\uff09]"
)


def _clean(raw: str) -> str:
    """`raw` without the trunk marker, spacing, punctuation and invisible characters; an
    international prefix ("+", "00") is kept."""
    if "(" in raw or "\uff08" in raw:
        raw = _TRUNK_MARK.sub(r"\1 ", raw, count=1)
    if raw.isascii():
        return raw.encode().translate(None, _ASCII_DELETE).decode()
    return raw.translate(_UNICODE_TABLE)


def normalize(raw: str) -> str:
    """Remove spacing and punctuation people write numbers with, a "(0)" trunk marker after the
    country code, and the international prefix.

    The result may still be invalid: pass it to check(). Idempotent: "+" and "00" prefixes are
    stripped repeatedly ("+00 44…" → "44…"), so a second call never finds another prefix.
    """
    return _strip_prefix(_clean(raw))


def _strip_prefix(cleaned: str) -> str:
    # lstrip settles the common "+62…" in C; only a "00" left over needs the regex.
    cleaned = cleaned.lstrip("+")
    if cleaned.startswith("00"):
        cleaned = _PREFIX.sub("", cleaned, count=1)
    return cleaned


def to_international(raw: str, country: str | None = None) -> tuple[str, str | None]:
    """(number, None) for a usable international number, else (normalized, reason).

    With `country` (an ISO 3166 code such as "GB", checked by check_country), a number written
    without "+" or "00" is read as a national number of that country when it is a valid one
    there ("07700 900123" → "447700900123"; in the US "202 555 0123" → "12025550123"); a number
    starting with the trunk 0 that is not valid there is refused. Anything else is read as
    international, as without `country`. The phonenumbers library is imported only here.
    """
    cleaned = _clean(raw)
    normalized = _strip_prefix(cleaned)
    if country is None or cleaned.startswith(("+", "00")):
        return normalized, check(normalized)
    national = _national(cleaned, country)
    if national is not None:
        return national, None
    if normalized.startswith("0") and normalized.isascii() and normalized.isdigit():
        return normalized, f"is not a valid number in {country} (--country / default_country)"
    return normalized, check(normalized)


def _national(cleaned: str, country: str) -> str | None:
    import phonenumbers  # ~40 ms and 20 MB of metadata: only for --country

    try:
        parsed = phonenumbers.parse(cleaned, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    international = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    number = international.lstrip("+")
    return number if check(number) is None else None


def check_country(code: str) -> str:
    """The ISO 3166 region code, upper-cased; UsageError unless phonenumbers knows it."""
    from smscli.errors import UsageError

    wanted = code.strip().upper()
    import phonenumbers

    if wanted not in phonenumbers.SUPPORTED_REGIONS:
        raise UsageError(
            f"unknown country {code!r}",
            hint="give a two-letter ISO 3166 code such as GB, US, ID or DE",
        )
    return wanted


def check(normalized: str) -> str | None:
    """None when `normalized` is a full international number, else the reason it is not.

    The gateways want country code + subscriber number with no trunk 0, as ASCII digits.
    """
    # isascii() matters: str.isdigit() alone accepts "²" and Arabic-Indic digits.
    if (
        normalized.isascii()
        and normalized.isdigit()
        and MIN_DIGITS <= len(normalized) <= MAX_DIGITS
        and normalized[0] != "0"
    ):
        return None
    return _reason(normalized)


_SCIENTIFIC = re.compile(r"[0-9]+(?:[.,][0-9]+)?[eE][+]?[0-9]+")


def _reason(normalized: str) -> str:
    if not normalized:
        return "empty"
    if _SCIENTIFIC.fullmatch(normalized):
        return (
            "is in scientific notation (as a spreadsheet shows 4.47E+11): its last digits are "
            "probably lost; format the column as text and export it again"
        )
    if _has_letters(normalized):
        return "has letters"
    others = [c for c in dict.fromkeys(normalized) if not ("0" <= c <= "9")]
    if others and all(c.isdecimal() for c in others):
        return "has digits other than 0-9 (e.g. Arabic or Persian digits): retype them as 0-9"
    if others:
        shown = ", ".join(repr(c) for c in others[:5])
        return f"has characters that are not digits: {shown}"
    if normalized[0] == "0":
        return STARTS_WITH_ZERO
    if len(normalized) < MIN_DIGITS:
        return f"too short ({len(normalized)} digits, at least {MIN_DIGITS})"
    return f"too long ({len(normalized)} digits, at most {MAX_DIGITS})"


def _has_letters(text: str) -> bool:
    # Only reached for invalid numbers and header rows, never on the hot path.
    return any(c.isalpha() for c in text)


def _looks_like_number(cell: str) -> bool:
    return check(normalize(cell)) is None


# --- sources ----------------------------------------------------------------------------------


class RawNumber(NamedTuple):
    # A NamedTuple: one is made per input line, and a tuple is several times cheaper to
    # create than a frozen dataclass.
    value: str  # as the user wrote it (outer whitespace trimmed)
    source: str  # "argument", "stdin", or the file path
    line: int  # 1-based line in the source; for arguments the argument's 1-based position


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


class PlainBlock(NamedTuple):
    """Consecutive lines of a one-number-per-line input, handed to NumberCollector.extend in
    one piece: a bulk list of clean numbers is checked and converted in C, not line by line."""

    lines: list[str]
    source: str
    first_line: int


# A line that needs no normalising at all: a valid number, digits only.
_CLEAN_LINE = re.compile(rf"[1-9][0-9]{{{MIN_DIGITS - 1},{MAX_DIGITS - 1}}}\r?\n?")
_BLOCK_LINES = 4096


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
            yield from _line_values(text, source, line_no)


_SPLIT = re.compile("[,;\t]")


def _line_values(text: str, source: str, line_no: int) -> Iterator[RawNumber]:
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


# CSV rules:
# - delimiter: whichever of , ; tab occurs most often in the first line outside quotes
#   (ties favour comma, then semicolon);
# - the first row is a header when a cell has letters and no cell is a valid number (so a
#   headerless "Alice,6281211111111" keeps its first row);
# - blank rows are skipped, and so is a row whose numbers cell starts with "#";
# - a row too short to have the numbers column yields an empty value (reported as "empty").


def _csv_numbers(
    first_line: str, rest: Iterator[str], first_no: int, source: str, column: str | None
) -> Iterator[RawNumber]:
    rows = _csv_rows(chain([first_line], rest), _sniff_delimiter(first_line), first_no, source)
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


def _csv_rows(
    lines: Iterable[str], delimiter: str, first_no: int, source: str
) -> Iterator[tuple[int, list[str]]]:
    # strict: a quote left open would otherwise swallow every following line into one field,
    # and '"a"b' would silently become 'ab'.
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True, strict=True)
    start = first_no
    try:
        for row in reader:
            yield start, row
            # reader.line_num counts the lines it has consumed, quoted newlines included.
            start = first_no + reader.line_num
    except csv.Error as exc:
        raise csv_error(source, exc, start, first_no + reader.line_num - 1) from None


def csv_error(source: str, exc: csv.Error, row_line: int, line: int) -> InputError:
    """A CSV reader's error, located: an unclosed quote at the line where the row (and its
    quote) starts, anything else at the line being read."""
    if "unexpected end of data" in str(exc):
        return InputError(
            f'{source} line {row_line}: a quote (") opened in this row is never closed',
            hint='close it, or write a quote inside a quoted field as ""',
        )
    if row_line < line:
        return InputError(
            f"{source} line {row_line}: the row starting here runs on to line {line} and is "
            f"not readable as CSV ({exc})",
            hint='is a quote (") left open on line ' + f"{row_line}?",
        )
    return InputError(f"{source} line {line}: not readable as CSV ({exc})")


def _sniff_delimiter(first_line: str) -> str:
    unquoted = re.sub(r'"[^"]*"?', "", first_line)
    counts = [(unquoted.count(d), -i) for i, d in enumerate(_DELIMITERS)]
    best_count, neg_index = max(counts)
    return _DELIMITERS[-neg_index] if best_count else ","


def _non_blank(row: list[str]) -> bool:
    return any(cell.strip() for cell in row)


def _is_header(row: list[str]) -> bool:
    has_letters = any(_has_letters(cell) for cell in row)
    return has_letters and not any(_looks_like_number(cell) for cell in row)


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
        if _looks_like_number(cell):
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
    "file or stdin" input (smscli.textinput): UTF-8, or UTF-16 with its BOM; other encodings,
    NUL bytes and endless lines are refused with the line number."""
    from smscli.textinput import open_lines  # only commands that read a file pay for it

    return open_lines(path, stdin, what="numbers file")


# --- collecting -------------------------------------------------------------------------------


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
            return [str(key) for key in self._keys[index]]
        return str(self._keys[index])

    def __len__(self) -> int:
        return len(self._keys)

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

    def extend(self, raws: Iterable[RawNumber | PlainBlock]) -> None:
        # The bulk path: bound methods in locals and no per-number method call double the
        # rate of a loop over add().
        seen, remember, append = self._seen, self._seen.add, self._keys.append
        for raw in raws:
            if isinstance(raw, PlainBlock):
                self._add_block(raw)
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
        # With a country, clean digits may still be a national number: no shortcut.
        if self._country is not None or not all(map(_CLEAN_LINE.fullmatch, lines)):
            # Something to clean or report: the per-line path keeps line numbers exact.
            self.extend(
                raw
                for i, line in enumerate(lines)
                if (text := line.strip()) and not text.startswith("#")
                for raw in _line_values(text, block.source, block.first_line + i)
            )
            return
        self.inputs += len(lines)
        seen, remember, append = self._seen, self._seen.add, self._keys.append
        # int() ignores the line end; the regex already proved each line a valid number.
        for key in map(int, lines):
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
