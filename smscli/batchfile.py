"""Batch files for `smscli batch`: many messages in one go, read, checked and planned before
anything is sent.

A batch file is CSV/TSV with a header, a JSON array of objects (or the API's own
`{"array": [...]}` body), or JSONL. Each row names one or more numbers (comma-separated, with
optional aligned order ids) and a content, either from its own content column or from a
`{column}` template filled from the row. Rows with the same content and sender become one
batch element; elements are packed into requests of at most `cap` numbers.

No typer, no rich, no printing: the CLI shows what this module returns or raises.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from smscli.batchcsv import BlockLines, CsvPart, batched, csv_parts, flatten
from smscli.batchplan import Builder
from smscli.errors import InputError, UsageError
from smscli.readers import BOM, MAX_LINE_CHARS, csv_rows, open_lines, sniff_delimiter

if TYPE_CHECKING:
    from smscli.batchplan import Plan
    from smscli.batchtemplate import Template

__all__ = [
    "JSON_MAX_CHARS",
    "Format",
    "Record",
    "Source",
    "Values",
    "build_plan",
    "choose_format",
    "open_source",
    "read_source",
]

# A JSON array is parsed whole: beyond this, JSONL (read line by line) is the way.
JSON_MAX_CHARS = 64 * 1024 * 1024

# --- formats ----------------------------------------------------------------------------------


class Format(StrEnum):
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    JSONL = "jsonl"


_EXTENSIONS = {
    ".csv": Format.CSV,
    ".tsv": Format.TSV,
    ".tab": Format.TSV,
    ".json": Format.JSON,
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
}
_NAMES = {f.value: f for f in Format} | {"ndjson": Format.JSONL}


def choose_format(path: str, given: str | None, first_line: str | None) -> Format:
    """--format, else the file's extension, else what the first non-blank line starts with
    (`[` JSON, `{` JSONL, or JSON when that line is not a whole object by itself)."""
    if given is not None:
        try:
            return _NAMES[given.strip().lower()]
        except KeyError:
            raise UsageError(
                f"unknown batch format {given!r}: choose one of csv, tsv, json, jsonl"
            ) from None
    if path != "-":
        by_extension = _EXTENSIONS.get(Path(path).suffix.lower())
        if by_extension is not None:
            return by_extension
    sniffed = _sniff(first_line)
    if sniffed is not None:
        return sniffed
    where = "stdin" if path == "-" else f"{path} from its extension"
    raise UsageError(
        f"cannot tell the format of {where}", hint="give --format csv, tsv, json or jsonl"
    )


def _sniff(first_line: str | None) -> Format | None:
    text = (first_line or "").lstrip(BOM).strip()
    if text.startswith("["):
        return Format.JSON
    if text.startswith("{"):
        try:
            return Format.JSONL if isinstance(json.loads(text), dict) else Format.JSON
        except json.JSONDecodeError:
            return Format.JSON  # a pretty-printed object spans lines
    return None


# --- reading ----------------------------------------------------------------------------------

# A record is the values of one row, or the reason it could not be read at all.
# A CSV row comes as its cells (in the order of Source.columns), a JSON object as its keys.
Values = Mapping[str, object]
Record = tuple[int, Values | list[str] | str]


@dataclass(slots=True)
class Source:
    name: str  # for messages: the path, or "stdin"
    unit: str  # "line" or "element": what a record's position counts
    columns: list[str] | None  # the CSV header; JSON objects each bring their own keys
    records: Iterator[Record]
    # CSV: the same rows in blocks (smscli.batchcsv), for a planner that can take them so;
    # read either this or records, not both.
    parts: Iterator[CsvPart] | None = None

    def where(self, position: int) -> str:
        return f"{self.name} {self.unit} {position}"


@contextlib.contextmanager
def open_source(path: str, fmt: str | None, stdin: TextIO | None) -> Iterator[Source]:
    """The batch at `path` ("-" = `stdin`, never closed here), read lazily where the format
    allows (CSV, TSV, JSONL). Decoding, line-length and NUL checks: smscli.readers."""
    by_name = fmt is not None or (path != "-" and Path(path).suffix.lower() in _EXTENSIONS)
    known = choose_format(path, fmt, None) if by_name else None
    with open_lines(path, stdin, what="batch file") as reader:
        # A JSON array is often written on one line; until the format is known, allow that.
        reader.max_line = JSON_MAX_CHARS if known in (None, Format.JSON) else MAX_LINE_CHARS
        lines = BlockLines(reader.blocks(), reader)
        head: list[str] = []
        for line in lines:
            head.append(line)
            if line.strip(BOM + " \t\r\n"):
                break
        chosen = choose_format(path, fmt, head[-1] if head else None)
        if chosen is not Format.JSON:
            reader.max_line = MAX_LINE_CHARS
            for number, line in enumerate(head, start=1):
                if len(line) > MAX_LINE_CHARS + 2:
                    raise InputError(
                        f"{reader.name} line {number} is longer than {MAX_LINE_CHARS:,} "
                        "characters"
                    )
        yield _source(head, lines, chosen, reader.name)


def read_source(lines: Iterable[str], fmt: Format, name: str) -> Source:
    """Records from text lines (kept as the file has them, line ends included)."""
    return _source([], BlockLines(batched(iter(lines)), None), fmt, name)


def _source(head: list[str], rest: BlockLines, fmt: Format, name: str) -> Source:
    """`head`: the lines already taken from `rest` (and checked), to be read first."""
    if fmt is Format.JSON:
        text = _whole(chain(head, rest.lines()), name).lstrip(BOM)
        return Source(name, "element", None, _json_records(text, name))
    if fmt is Format.JSONL:
        return Source(name, "line", None, _jsonl_records(chain(head, rest.lines())))
    return _csv_source(head, rest, "\t" if fmt is Format.TSV else None, name)


def _whole(lines: Iterator[str], name: str) -> str:
    parts: list[str] = []
    size = 0
    for line in lines:
        size += len(line)
        if size > JSON_MAX_CHARS:
            raise InputError(
                f"{name} is larger than {JSON_MAX_CHARS:,} characters, too large for one JSON "
                "document",
                hint="write one JSON object per line (--format jsonl): it is read as a stream",
            )
        parts.append(line)
    return "".join(parts)


def _csv_source(head: list[str], rest: BlockLines, delimiter: str | None, name: str) -> Source:
    lines = chain(head, rest)
    first_no = 0
    for first_no, line in enumerate(lines, start=1):
        if first_no == 1:
            line = line.removeprefix(BOM)
        if line.strip():
            break
    else:
        raise InputError(f"{name} is empty: expected a header row, then one row per message")
    chosen = delimiter or sniff_delimiter(line)
    rows = csv_rows(chain([line], lines), chosen, first_no, name)
    start, taken, header = next(rows)
    columns = [cell.strip() for cell in header]
    # The rows after the header: what is left of the head (read one by one, up to a line
    # that is not blank by the head's own measure), then the rest in blocks.
    read = start + taken - 1
    body = BlockLines(chain([head[read:]] if read < len(head) else [], rest.rest()), rest.reader)
    body.taken = read
    parts = csv_parts(body, read + 1, columns, chosen, name)
    return Source(name, "line", columns, flatten(parts, columns, chosen, name), parts)


class _DuplicateKeys(dict[str, object]):
    """A JSON object that names a key twice: json keeps the last value without a word, so the
    row is refused instead (which "content" did the user mean?)."""

    duplicate: str


def _json_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    # Rare path: name the first key that repeats.
    dup = _DuplicateKeys(pairs)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            dup.duplicate = key
            break
        seen.add(key)
    return dup


def _json_item(item: object) -> dict[str, object] | str:
    if isinstance(item, _DuplicateKeys):
        return f"the key {item.duplicate!r} appears more than once"
    return item if isinstance(item, dict) else "not a JSON object"


def _json_records(text: str, name: str) -> Iterator[Record]:
    try:
        doc = json.loads(text, parse_float=_json_float, object_pairs_hook=_json_object)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if isinstance(doc, _DuplicateKeys):
        raise InputError(f"{name}: the key {doc.duplicate!r} appears more than once")
    items = _api_array(doc) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise InputError(
            f'{name}: expected a JSON array of objects, or an object with an "array" list'
            " (the sendSms/batch request body)"
        )
    for position, item in enumerate(items, start=1):
        yield position, _json_item(item)


def _api_array(doc: Mapping[str, object]) -> object:
    return doc.get("array")


def _jsonl_records(lines: Iterator[str]) -> Iterator[Record]:
    for line_no, line in enumerate(lines, start=1):
        text = line.removeprefix(BOM).strip() if line_no == 1 else line.strip()
        if not text:
            continue
        try:
            item = json.loads(text, parse_float=_json_float, object_pairs_hook=_json_object)
        except json.JSONDecodeError as exc:
            yield line_no, f"not valid JSON ({exc.msg}, column {exc.colno})"
            continue
        array = _api_array(item) if isinstance(item, dict) else None
        if isinstance(array, list) and not isinstance(item, _DuplicateKeys):
            # A whole sendSms/batch body on one line: its elements all share the line.
            for element in array:
                yield line_no, _json_item(element)
        else:
            yield line_no, _json_item(item)


def _json_float(text: str) -> float | str:
    """A JSON number with a fraction or exponent. One written with an exponent (4.477e11) is
    kept as written: as a phone number it has lost digits (and is refused, named as such),
    as a message it is what the file says."""
    return text if "e" in text or "E" in text else float(text)




def build_plan(
    source: Source,
    *,
    template: Template | None = None,
    default_sender: str | None = None,
    max_chars: int,
    max_sender: int,
    country: str | None = None,
) -> Plan:
    """Every row read, filled and checked. Any problem raises InputError listing the first
    20 (with file line or element) and the count: nothing may be sent from a bad batch."""
    builder = Builder(
        source,
        template=template,
        default_sender=default_sender,
        max_chars=max_chars,
        max_sender=max_sender,
        country=country,
    )
    if source.columns is not None:
        builder.check_columns(source.columns)
        if template is not None and builder.keys_for(source.columns).content is not None:
            builder.plan.content_ignored = True
    builder.add_source(source)
    return builder.finish()


