"""The one place that renders rows: table | json | jsonl | csv | tsv | ids.

Machine formats are written with json/csv (never through rich markup) and streamed row by row;
only the table collects its rows, because rich needs them all to size the columns."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TextIO

from smscli import console
from smscli.errors import OutputClosed, OutputError, UsageError

Row = Mapping[str, object]


class OutputFormat(StrEnum):
    AUTO = "auto"
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    TSV = "tsv"
    IDS = "ids"  # --quiet: one id per line


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    heading: str
    justify: str = "left"  # for the table only
    # Table only: free text that may wrap; anything else (numbers, msgIds, dates, codes) is
    # never folded. Columns with a higher priority give way first on a narrow terminal; 0
    # stays whatever the width. See smscli.rows for the shared vocabulary.
    fold: bool = False
    priority: int = 0


def resolve_format(
    output: str | None, *, json_flag: bool = False, quiet: bool = False
) -> OutputFormat:
    if quiet:
        return OutputFormat.IDS
    if json_flag:
        if output and output not in ("json", "auto"):
            raise UsageError(f"--json conflicts with --output {output}")
        return OutputFormat.JSON
    if not output:
        output = "auto"
    try:
        fmt = OutputFormat(output.lower())
    except ValueError:
        choices = "auto, table, json, jsonl, csv, tsv"
        raise UsageError(f"unknown output format {output!r}: choose one of {choices}") from None
    if fmt is OutputFormat.AUTO:
        return OutputFormat.TABLE if console.stdout_is_tty() else OutputFormat.TSV
    return fmt


def stdout_usable() -> bool:
    """False when smscli was started with stdout closed (`>&-`): Python then has no
    sys.stdout, or its descriptor is invalid. Checked before anything is sent."""
    stream = console.current().stdout
    if stream is None:
        return False
    try:
        fd = stream.fileno()
    except io.UnsupportedOperation:
        return True  # an in-memory stand-in (tests, an embedding program): it takes rows
    except (OSError, ValueError):
        return False
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def output_error(exc: BaseException) -> OutputError:
    """What a failed write of the rows means, in one line; stdout is then pointed at
    /dev/null so that nothing later (the interpreter's last flush included) fails again."""
    import errno

    silence(console.current().stdout)
    if isinstance(exc, BrokenPipeError) or getattr(exc, "errno", None) == errno.EPIPE:
        return OutputClosed("the output was closed by its reader (broken pipe)")
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            reason = "no space left on the device"
        return OutputError(f"cannot write the output: {reason}")
    return OutputError(f"cannot write the output: stdout is closed ({exc})")


def silence(stream: TextIO | None) -> None:
    """Point `stream`'s descriptor at /dev/null: nothing written later (the interpreter's last
    flush included) fails again once the output's failure has been reported."""
    if stream is None:
        return
    try:
        fd = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except Exception:  # noqa: S110 - best effort: the error is already being reported
        pass


_BLOCK = 2000
# The C string escaper json itself uses (ensure_ascii=False): identical output, no overhead.
_quote: Any = (
    getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring
)


_DIRECTIVE = re.compile("%(.)", re.DOTALL)


def _literal_pieces(template: str) -> list[str]:
    """The text between a %-template's %s slots, "%%" made "%": what `template % values`
    puts around the values. [] for a template with any other directive (never made by
    RowWriter.template; then the caller formats it with %)."""
    pieces, current, start = [], [], 0
    for found in _DIRECTIVE.finditer(template):
        current.append(template[start : found.start()])
        start = found.end()
        if found.group(1) == "%":
            current.append("%")
        elif found.group(1) == "s":
            pieces.append("".join(current))
            current = []
        else:
            return []
    if "%" in template[start:]:
        return []  # a lone "%" at the end: % would raise
    current.append(template[start:])
    pieces.append("".join(current))
    return pieces


def _iso(value: datetime) -> str:
    """Machine formats: ISO 8601 in UTC with its offset, whether the time came from the
    gateway (in its own zone) or from the history, so the same message gives the same row."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    # Whole seconds in every row: send times were recorded with microseconds, delivery times
    # come from the gateway in seconds, and one row mixed both (issue 15 QA).
    return value.isoformat(timespec="seconds")


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return _iso(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _counted(rows: Iterable[Row], counter: list[int]) -> Iterator[Row]:
    for row in rows:
        counter[0] += 1
        yield row


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _iso(value)
    return str(value)


def write_rows(
    rows: Iterable[Row],
    columns: Sequence[Column],
    fmt: OutputFormat,
    *,
    id_key: str = "msg_id",
    title: str | None = None,
    stream: TextIO | None = None,
    wide: bool | None = None,
) -> int:
    """Write rows to the environment's stdout (or `stream`) in `fmt`; returns how many rows
    were written.
    `wide`: a table shows every column however narrow the terminal (None: the command has
    no --wide, and a hidden column's note points to the machine formats instead)."""
    writer = RowWriter(columns, fmt, id_key=id_key, title=title, stream=stream, wide=wide)
    writer.write(rows)
    return writer.close()


class RowWriter:
    """Rows written as they come, in several calls, for output that must start before the
    work ends (a bulk send's rows while later requests are still in flight). The table is the
    exception: rich needs every row to size its columns, so it is drawn at close()."""

    def __init__(
        self,
        columns: Sequence[Column],
        fmt: OutputFormat,
        *,
        id_key: str = "msg_id",
        title: str | None = None,
        stream: TextIO | None = None,
        wide: bool | None = None,
    ) -> None:
        out = stream or console.current().stdout
        if out is None:
            raise OutputError("cannot write the output: stdout is closed")
        self._out: TextIO = out
        self._wide = wide
        self._columns = columns
        self._keys = [c.key for c in columns]
        self._fmt = fmt
        self._id_key = id_key
        self._title = title
        self._table: list[Row] = []
        self._encode = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode
        self._csv: Any = None
        self._prefixes = [
            (("{" if i == 0 else ", ") + _quote(key) + ": ", key)
            for i, key in enumerate(self._keys)
        ]
        self.count = 0
        self._closed = False
        self._pieces: dict[str, list[str]] = {}  # write_pairs' templates, split at their slots
        # Set once a write failed: later writes are skipped, and the error raised again.
        self.error: OutputError | None = None
        try:
            if fmt is OutputFormat.JSON:
                self._out.write("[")
            elif fmt in (OutputFormat.CSV, OutputFormat.TSV):
                import csv  # only these formats pay for it

                dialect = "excel-tab" if fmt is OutputFormat.TSV else "excel"
                self._csv = csv.writer(self._out, dialect=dialect, lineterminator="\n")
                self._csv.writerow(self._keys)
        except (OSError, ValueError) as exc:
            self.error = output_error(exc)
            raise self.error from None

    def write(self, rows: Iterable[Row]) -> None:
        """Write rows; raises OutputError (OutputClosed for a closed pipe) when stdout can no
        longer take them: a full disk, an I/O error, a reader that went away."""
        if self.error is not None:
            raise self.error
        try:
            self._write(rows)
        except (OSError, ValueError) as exc:
            self.error = output_error(exc)
            raise self.error from None

    def _write(self, rows: Iterable[Row]) -> None:
        fmt, keys = self._fmt, self._keys
        if fmt is OutputFormat.TABLE:
            self._table.extend(rows)
            return
        if self._csv is not None:
            counter = [0]
            cells = ([_text(row.get(k)) for k in keys] for row in _counted(rows, counter))
            self._csv.writerows(cells)
            self.count += counter[0]
            self._out.flush()
            return
        # Rows are written in blocks: one write per row costs more than the encoding itself
        # when a bulk send prints hundreds of thousands of rows.
        block: list[str] = []
        encode_row = self._encode_row
        for row in rows:
            if fmt is OutputFormat.IDS:
                value = row.get(self._id_key)
                if value:
                    block.append(f"{value}\n")
            else:
                text = encode_row(row)
                if fmt is OutputFormat.JSONL:
                    block.append(text + "\n")
                else:
                    block.append((",\n  " if self.count else "\n  ") + text)
            self.count += 1
            if len(block) >= _BLOCK:
                self._out.write("".join(block))
                block.clear()
        if block:
            self._out.write("".join(block))
        self._out.flush()

    def template(self, row: Row, varying: Sequence[str]) -> str | None:
        """One row's text in this format as a %-template, the `varying` keys' values left as
        %s (in that order), for writing many rows that differ only there with write_filled.
        The caller vouches that those values need no quoting or escaping in any format
        (e.g. digits only). None for formats written as a whole (table, JSON array)."""
        if self._fmt not in (OutputFormat.JSONL, OutputFormat.CSV, OutputFormat.TSV):
            return None
        marked = {**row, **{key: f"@{i}@" for i, key in enumerate(varying)}}
        if self._fmt is OutputFormat.JSONL:
            text = self._encode_row(marked) + "\n"
        else:
            import csv

            buffer = io.StringIO()
            dialect = "excel-tab" if self._fmt is OutputFormat.TSV else "excel"
            cells = [_text(marked.get(k)) for k in self._keys]
            csv.writer(buffer, dialect=dialect, lineterminator="\n").writerow(cells)
            text = buffer.getvalue()
        text = text.replace("%", "%%")
        for i in range(len(varying)):
            text = text.replace(f"@{i}@", "%s", 1)
        return text

    def write_filled(self, template: str, values: Iterable[tuple[str, ...]]) -> None:
        """Rows from a template(): the bulk path of a send's rows (hundreds of thousands).
        Fails as write() does (OutputError, and every later write raises it again)."""
        if self.error is not None:
            raise self.error
        try:
            self._write_filled(template, values)
        except (OSError, ValueError) as exc:
            self.error = output_error(exc)
            raise self.error from None

    def write_pairs(self, template: str, firsts: Sequence[str], seconds: Sequence[str]) -> None:
        """write_filled(template, zip(firsts, seconds)) for a template() with two slots and
        str values (a send's numbers and msgIds): the same text, joined in C rather than
        formatted a row at a time (the main thread writes these between answers)."""
        if self.error is not None:
            raise self.error
        pieces = self._pieces.get(template)
        if pieces is None:
            pieces = self._pieces[template] = _literal_pieces(template)
        if len(pieces) != 3 or len(firsts) != len(seconds):
            self.write_filled(template, zip(firsts, seconds, strict=True))
            return
        first, middle, last = pieces
        text = (last + first).join(map(middle.join, zip(firsts, seconds, strict=True)))
        try:
            if firsts:
                self._out.write(first + text + last)
            self._out.flush()
        except (OSError, ValueError) as exc:
            self.error = output_error(exc)
            raise self.error from None
        self.count += len(firsts)

    def _write_filled(self, template: str, values: Iterable[tuple[str, ...]]) -> None:
        lines = [template % value for value in values]
        self._out.write("".join(lines))
        self._out.flush()
        self.count += len(lines)

    def _encode_row(self, row: Row) -> str:
        """One row as a JSON object, keys in column order. Built from pieces: a bulk send
        writes a row per number, and json's generic encoder costs several times more for
        these flat rows. Anything but str/None/bool/int goes through the encoder."""
        parts = []
        for prefix, key in self._prefixes:
            value = row.get(key)
            kind = type(value)
            if kind is str:
                text = _quote(value)
            elif value is None:
                text = "null"
            elif kind is bool:
                text = "true" if value else "false"
            elif kind is int:
                text = str(value)
            elif kind is datetime:
                # What _json_default gives, without the encoder's machinery (a report's rows
                # carry a time each).
                text = _quote(_iso(value))  # type: ignore[arg-type]
            else:
                text = self._encode(value)
            parts.append(prefix)
            parts.append(text)
        parts.append("}")
        return "".join(parts)

    def close(self) -> int:
        """Finish the output; returns how many rows were written."""
        if self._closed:
            return self.count
        self._closed = True
        if self.error is not None:
            raise self.error
        try:
            self._close()
        except (OSError, ValueError) as exc:
            self.error = output_error(exc)
            raise self.error from None
        return self.count

    def _close(self) -> None:
        if self._fmt is OutputFormat.TABLE:
            from smscli.table import write_table

            write_table(self._table, self._columns, self._out, self._title, self._wide)
            self.count = len(self._table)
            self._table = []
        elif self._fmt is OutputFormat.JSON:
            self._out.write("\n]\n" if self.count else "]\n")
        self._out.flush()


def write_object(obj: Mapping[str, object], fmt: OutputFormat, *, title: str | None = None) -> None:
    """A single record (e.g. a balance): one field per line for people, one object (JSON) or
    one header and one row (TSV, CSV, JSONL) for scripts."""
    if fmt is OutputFormat.JSON:
        text = json.dumps(dict(obj), ensure_ascii=False, indent=2, default=_json_default)
        out = console.current().stdout
        try:
            if out is None:
                raise ValueError("no stdout")
            out.write(text + "\n")
            out.flush()
        except (OSError, ValueError) as exc:
            raise output_error(exc) from None
        return
    if fmt is OutputFormat.TABLE:
        rows = [{"field": key, "value": value} for key, value in obj.items()]
        columns = [Column("field", "Field"), Column("value", "Value", fold=True)]
        write_rows(rows, columns, fmt, title=title)
        return
    columns = [Column(k, k.replace("_", " ").title()) for k in obj]
    write_rows([obj], columns, fmt, title=title)
