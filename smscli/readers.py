"""One reader for "a file or stdin": the lines of a numbers file (`send -f`), a batch file
(`batch`), an id list (`report -f`) and a message (`--message-file`), and the CSV rules the
numbers and batch files share (delimiter sniffing, strict rows, located errors).

What it guarantees to every caller, so none has to think about it again:
- the encoding is UTF-8 (a BOM is dropped), or UTF-16 / UTF-32 when the file starts with their
  BOM (Excel's "Unicode Text" export); anything else is refused with the line and the byte
  that is not UTF-8, and a guess of what it is (Latin-1 / Windows-1252 from older tools);
- a line is at most MAX_LINE_CHARS long and holds no NUL character: `-f /dev/zero` or a binary
  file is refused at once, with its line number, instead of filling memory;
- lines keep their line ends (csv needs them) and are split as Python's universal newlines
  split them (\\n, \\r\\n and the lone \\r of old Mac exports), so line numbers agree with what
  an editor shows.

Reading is streamed in blocks: a million-line file never sits in memory as one string.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO, NoReturn, TextIO, cast

from smscli import console
from smscli.errors import InputError

__all__ = [
    "BOM",
    "DELIMITERS",
    "MAX_LINE_CHARS",
    "LineReader",
    "csv_error",
    "csv_rows",
    "open_lines",
    "read_all",
    "read_text",
    "sniff_delimiter",
]

# Long enough for any real row (a batch row with a 1,024-character message, a long template
# and a few hundred comma-separated numbers), short enough to refuse endless input at once.
MAX_LINE_CHARS = 65_536
_BLOCK = 1 << 20  # bytes per read

# Longest first: the UTF-32-LE BOM begins with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_NEWLINES = re.compile(rb"\r\n|\r|\n")
# Where str.splitlines breaks a line and io's universal newlines (a file's lines) do not.
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: 'CSV UTF-8'), or convert it: iconv -f cp1252 -t utf-8"


class LineReader:
    """The lines of one input; iterate once. `name` is how messages call it ("stdin" or the
    path). Closes the file when exhausted or on close(); never closes stdin."""

    def __init__(self, name: str, raw: BinaryIO | None, text: TextIO | None, owned: bool) -> None:
        self.name = name
        self._raw = raw
        self._text = text
        self._owned = owned
        self.encoding = "UTF-8"
        # May be changed before or during iteration (a JSON batch is often one long line).
        self.max_line = MAX_LINE_CHARS
        self._lines = 0  # complete lines handed out so far

    def __enter__(self) -> LineReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            for stream in (self._raw, self._text):
                if stream is not None:
                    stream.close()

    def __iter__(self) -> Iterator[str]:
        chunks = self._text_chunks()
        carry = ""
        for chunk in chunks:
            lines, carry = self._split(carry + chunk)
            for line in lines:
                if len(line) > self.max_line + 2:
                    self._too_long(self._lines + 1)
                self._lines += 1
                yield line
            if len(carry) > self.max_line:
                self._too_long(self._lines + 1)
        if carry:
            self._lines += 1
            yield carry

    def blocks(self) -> Iterator[list[str]]:
        """The same lines as iterating gives, a read (about a megabyte) at a time, for callers
        that handle a block in a few C calls. Decoding and NUL bytes are checked as iterating
        checks them, and so is a line still incomplete at the end of a block (after the
        caller's turn, against max_line as it is then); the length of each line in a block
        is NOT checked: the caller checks it (check_lengths, or too_long), in its own order.
        Iterate either this or the reader itself, once."""
        return cast("Iterator[list[str]]", self._pieces(joined=False))

    def texts(self) -> Iterator[str | list[str]]:
        """What blocks() gives, except that a read whose lines all end in a lone "\n" (no
        "\r" and none of the other characters str.splitlines breaks at) comes as one str,
        those lines joined: a caller that can take most reads whole (a plain numbers file)
        then never makes a str per line. Such a text ends in "\n", and its
        text.splitlines(keepends=True) are the lines blocks() would give. The same checks as
        blocks(), at the same points; line lengths are the caller's to check."""
        return self._pieces(joined=True)

    def _pieces(self, *, joined: bool) -> Iterator[str | list[str]]:
        """blocks() (joined=False: every read as its lines) and texts() (joined=True) in one
        loop; blocks() never takes the joined way, whose slicing and counting a caller that
        wants lines would only pay for (~20 ms per 200,000 batch rows)."""
        carry = ""
        for chunk in self._text_chunks():
            text = carry + chunk
            if joined and "\r" not in text and not any(c in text for c in _OTHER_BREAKS):
                self._check_nul(text)
                cut = text.rfind("\n") + 1
                carry = text[cut:]
                if cut:
                    self._lines += text.count("\n", 0, cut)
                    yield text[:cut] if carry else text
            else:
                lines, carry = self._split(text)
                if lines:
                    self._lines += len(lines)
                    yield lines
            if len(carry) > self.max_line:
                self._too_long(self._lines + 1)
        if carry:
            self._lines += 1
            yield [carry]

    def check_lengths(self, lines: list[str], first: int) -> None:
        """A block's lines (the first of them at line `first`) against max_line, as iterating
        would check them one by one."""
        limit = self.max_line + 2  # and its line end ("\r\n")
        if lines and max(map(len, lines)) > limit:
            self._too_long(first + next(i for i, line in enumerate(lines) if len(line) > limit))

    def too_long(self, line: int) -> NoReturn:
        """Raise the error for line `line` longer than max_line."""
        self._too_long(line)

    def _split(self, text: str) -> tuple[list[str], str]:
        """The complete lines of `text`, and what is left over (the start of the next line)."""
        self._check_nul(text)
        if not any(c in text for c in _OTHER_BREAKS):
            # What readlines() below gives, without copying the text into a StringIO first.
            lines = text.splitlines(keepends=True)
        else:
            lines = io.StringIO(text, newline="").readlines()
        # The last piece may be incomplete; a final "\r" may be the first half of "\r\n".
        carry = lines.pop() if lines and not lines[-1].endswith("\n") else ""
        return lines, carry

    def _check_nul(self, text: str) -> None:
        if "\x00" in text:
            at = self._lines + text.count("\n", 0, text.index("\x00")) + 1
            raise InputError(
                f"{self.name} line {at} contains NUL bytes: this is not a text file "
                "(or it is UTF-16 without a byte-order mark)",
                hint=SAVE_AS_UTF8,
            )

    def _too_long(self, line: int) -> NoReturn:
        raise InputError(
            f"{self.name} line {line} is longer than {self.max_line:,} characters",
            hint="is this the right file? a numbers or batch file has one short row per line",
        )

    def _text_chunks(self) -> Iterator[str]:
        if self._raw is None:
            assert self._text is not None  # noqa: S101 - one of the two is always set
            # A stream that is text already (tests' StringIO): only the limits apply.
            first = True
            while chunk := self._text.read(_BLOCK):
                yield chunk.removeprefix("\ufeff") if first else chunk
                first = False
            return
        yield from self._decoded(self._raw)

    def _decoded(self, raw: BinaryIO) -> Iterator[str]:
        head = raw.read(_BLOCK)
        encoding = "utf-8"
        for bom, name, label in _BOMS:
            if head.startswith(bom):
                head, encoding, self.encoding = head[len(bom) :], name, label
                break
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        block = head
        while True:
            final = len(block) == 0
            try:
                yield decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                raise self._decode_error(exc, block, encoding) from None
            if final:
                return
            block = raw.read(_BLOCK)

    def _decode_error(self, exc: UnicodeDecodeError, block: bytes, encoding: str) -> InputError:
        # Lines already handed out, plus the line breaks in this block before the bad byte
        # (an approximation only for UTF-16/32, whose bytes the regex does not understand).
        before = block[: max(exc.start, 0)]
        line = self._lines + len(_NEWLINES.findall(before)) + 1
        if encoding != "utf-8":
            return InputError(
                f"{self.name} line {line} is not valid {self.encoding} ({exc.reason})",
                hint=SAVE_AS_UTF8,
            )
        line_start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
        column = exc.start - line_start + 1
        bad = block[exc.start : exc.start + 1]
        return InputError(
            f"{self.name} line {line} is not UTF-8 (byte 0x{bad.hex().upper()} at column "
            f"{column}){_guess(block)}",
            hint=SAVE_AS_UTF8,
        )


def _guess(block: bytes) -> str:
    """What the text probably is, for the error message."""
    try:
        block.decode("cp1252")
    except UnicodeDecodeError:
        return ""
    return ": it looks like Latin-1 / Windows-1252 from an older spreadsheet"


def open_lines(path: str, stdin: TextIO | None = None, *, what: str = "file") -> LineReader:
    """The lines of `path`; "-" means stdin (`stdin`, default the console environment's;
    never closed)."""
    if path == "-":
        stream = console.current().stdin if stdin is None else stdin
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            return LineReader("stdin", buffer, None, owned=False)
        return LineReader("stdin", None, stream, owned=False)
    try:
        raw = open(path, "rb")  # noqa: SIM115 - LineReader closes it
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a directory") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return LineReader(path, raw, None, owned=True)


def read_text(path: str, stdin: TextIO | None = None, *, what: str, limit: int) -> str:
    """A whole (short) text, such as a message: the same decoding rules, and refused beyond
    `limit` characters without reading further (`--message-file /dev/zero`)."""
    parts: list[str] = []
    size = 0
    with open_lines(path, stdin, what=f"{what} file") as reader:
        reader.name = "stdin" if path == "-" else path
        for line in reader:
            size += len(line)
            if size > limit:
                raise InputError(
                    f"the {what} in {reader.name} is longer than {limit:,} characters"
                )
            parts.append(line)
    return "".join(parts)


def read_all(path: str, stdin: TextIO | None = None, *, what: str = "file") -> str:
    """The whole of a (bounded-line) input as one string, under the same rules: for inputs
    read whole anyway, such as `report -f`'s msgIds."""
    with open_lines(path, stdin, what=what) as reader:
        return "".join(reader)


# --- CSV ----------------------------------------------------------------------------------------
# Numbers files and batch files are read by the same rules:
# - delimiter: whichever of , ; tab occurs most often in the first line outside quotes
#   (ties favour comma, then semicolon);
# - strict quoting: a quote left open would otherwise swallow every following line into one
#   field, and '"a"b' would silently become 'ab';
# - a row's line is the physical line it starts on (quoted fields may span lines).

BOM = "\ufeff"
DELIMITERS = (",", ";", "\t")
_QUOTED = re.compile(r'"[^"]*"?')


def sniff_delimiter(first_line: str) -> str:
    unquoted = _QUOTED.sub("", first_line)
    counts = [(unquoted.count(d), -i) for i, d in enumerate(DELIMITERS)]
    best_count, neg_index = max(counts)
    return DELIMITERS[-neg_index] if best_count else ","


def csv_rows(
    lines: Iterable[str], delimiter: str, first_no: int, source: str
) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, lines taken, cells) per row; `first_no` is the line number of the first
    of `lines`. A CSV error stops the reading as an InputError naming the line."""
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True, strict=True)
    start = first_no
    try:
        for row in reader:
            # reader.line_num counts the lines it has consumed, quoted newlines included.
            stop = first_no + reader.line_num
            yield start, stop - start, row
            start = stop
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
