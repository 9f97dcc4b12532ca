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
import csv
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import chain
from pathlib import Path
from typing import NamedTuple, TextIO

from smscli.argtext import sender_problem, token_problem
from smscli.errors import InputError, UsageError
from smscli.gateways.base import BatchElement
from smscli.message import MessageInfo, analyze
from smscli.model import Chunk
from smscli.numbers import csv_error, to_international
from smscli.textinput import MAX_LINE_CHARS, open_lines

__all__ = [
    "Format",
    "Plan",
    "Row",
    "Source",
    "Template",
    "build_plan",
    "choose_format",
    "chunks",
    "elements",
    "open_source",
    "parse_template",
    "read_source",
    "request_count",
]

ERROR_LIMIT = 20
# A JSON array is parsed whole: beyond this, JSONL (read line by line) is the way.
JSON_MAX_CHARS = 64 * 1024 * 1024

# Header / key names, compared after _key(): "Sender ID", "sender_id" and "senderId" are one.
NUMBER_KEYS = (
    "number",
    "numbers",
    "phone",
    "phones",
    "mobile",
    "mobiles",
    "msisdn",
    "phonenumber",
    "mobilenumber",
)
CONTENT_KEYS = ("content", "message")
SENDER_KEYS = ("senderid", "sender")
ORDER_KEYS = ("orderid",)

_BOM = "\ufeff"
_CSV_DELIMITERS = (",", ";", "\t")


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).casefold()


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
    text = (first_line or "").lstrip(_BOM).strip()
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
Values = Mapping[str, object]
Record = tuple[int, Values | str]


@dataclass(slots=True)
class Source:
    name: str  # for messages: the path, or "stdin"
    unit: str  # "line" or "element": what a record's position counts
    columns: list[str] | None  # the CSV header; JSON objects each bring their own keys
    records: Iterator[Record]

    def where(self, position: int) -> str:
        return f"{self.name} {self.unit} {position}"


@contextlib.contextmanager
def open_source(path: str, fmt: str | None, stdin: TextIO) -> Iterator[Source]:
    """The batch at `path` ("-" = `stdin`, never closed here), read lazily where the format
    allows (CSV, TSV, JSONL). Decoding, line-length and NUL checks: smscli.textinput."""
    by_name = fmt is not None or (path != "-" and Path(path).suffix.lower() in _EXTENSIONS)
    known = choose_format(path, fmt, None) if by_name else None
    with open_lines(path, stdin, what="batch file") as reader:
        # A JSON array is often written on one line; until the format is known, allow that.
        reader.max_line = JSON_MAX_CHARS if known in (None, Format.JSON) else MAX_LINE_CHARS
        lines = iter(reader)
        head: list[str] = []
        for line in lines:
            head.append(line)
            if line.strip(_BOM + " \t\r\n"):
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
        yield read_source(chain(head, lines), chosen, reader.name)


def read_source(lines: Iterable[str], fmt: Format, name: str) -> Source:
    """Records from text lines (kept as the file has them, line ends included)."""
    it = iter(lines)
    if fmt is Format.JSON:
        return Source(name, "element", None, _json_records(_whole(it, name).lstrip(_BOM), name))
    if fmt is Format.JSONL:
        return Source(name, "line", None, _jsonl_records(it))
    return _csv_source(it, "\t" if fmt is Format.TSV else None, name)


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


def _csv_source(lines: Iterator[str], delimiter: str | None, name: str) -> Source:
    first_no = 0
    for first_no, line in enumerate(lines, start=1):
        if first_no == 1:
            line = line.removeprefix(_BOM)
        if line.strip():
            break
    else:
        raise InputError(f"{name} is empty: expected a header row, then one row per message")
    chosen = delimiter or _sniff_delimiter(line)
    rows = _csv_rows(chain([line], lines), chosen, first_no, name)
    _, header = next(rows)
    columns = [cell.strip() for cell in header]
    return Source(name, "line", columns, _csv_records(rows, columns, chosen, name))


def _sniff_delimiter(header: str) -> str:
    unquoted = re.sub(r'"[^"]*"?', "", header)
    counts = [(unquoted.count(d), -i) for i, d in enumerate(_CSV_DELIMITERS)]
    best, neg_index = max(counts)
    return _CSV_DELIMITERS[-neg_index] if best else ","


def _csv_rows(
    lines: Iterable[str], delimiter: str, first_no: int, name: str
) -> Iterator[tuple[int, list[str]]]:
    # strict: an unclosed quote must not merge the rows after it into one message.
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True, strict=True)
    start = first_no
    try:
        for row in reader:
            yield start, row
            # line_num counts physical lines, newlines inside quotes included.
            start = first_no + reader.line_num
    except csv.Error as exc:
        raise csv_error(name, exc, start, first_no + reader.line_num - 1) from None


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


def _csv_records(
    rows: Iterator[tuple[int, list[str]]],
    columns: list[str],
    delimiter: str = ",",
    name: str = "the batch",
) -> Iterator[Record]:
    width = len(columns)
    for line_no, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        swallowed = _swallowed_row(row, delimiter)
        if swallowed is not None:
            raise InputError(
                f"{name} line {line_no}: a quoted field runs over line {line_no + swallowed}, "
                "which looks like a row of its own",
                hint='is a quote (") left open on line ' + f"{line_no}? nothing was sent",
            )
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            # Most often an unquoted comma inside a message: truncating it would send half.
            yield (
                line_no,
                (
                    f"{len(row)} fields but the header has {width}; "
                    'put a field that contains the delimiter in "double quotes"'
                ),
            )
            continue
        yield line_no, dict(zip(columns, chain(row, [""] * (width - len(row))), strict=False))


def _brace(name: str) -> str:
    """A template placeholder as the user wrote it, escaped when it holds a line break or
    another control character (an error stays one line)."""
    return "{" + (name if name.isprintable() else repr(name)[1:-1]) + "}"


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
        text = line.removeprefix(_BOM).strip() if line_no == 1 else line.strip()
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


# --- templates --------------------------------------------------------------------------------

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True, slots=True)
class Template:
    """`literals` has one more item than `fields`: literal, field, literal, …, literal."""

    literals: tuple[str, ...]
    fields: tuple[str, ...]

    @property
    def source(self) -> str:
        """The template as the user wrote it (braces in literals escaped again)."""
        parts = [self.literals[0].replace("{", "{{").replace("}", "}}")]
        for name, literal in zip(self.fields, self.literals[1:], strict=True):
            parts.append(f"{{{name}}}")
            parts.append(literal.replace("{", "{{").replace("}", "}}"))
        return "".join(parts)

    @property
    def names(self) -> tuple[str, ...]:
        """Each placeholder once, in order of first use."""
        return tuple(dict.fromkeys(self.fields))

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with every placeholder replaced by values[name], verbatim."""
        out = [self.literals[0]]
        for name, literal in zip(self.fields, self.literals[1:], strict=True):
            out.append(values[name])
            out.append(literal)
        return "".join(out)


def parse_template(text: str) -> Template:
    """`{name}` is a placeholder (surrounding spaces ignored); `{{` and `}}` are literal braces."""
    literals: list[str] = []
    fields: list[str] = []
    current: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        current.append(text[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            current.append(token[0])
            continue
        name = match.group(1)
        if name is None:
            raise UsageError(
                f"the message template has an unmatched {token!r} at character {match.start() + 1}",
                hint="write {{ and }} for literal braces",
            )
        if not name.strip():
            raise UsageError(
                "the message template has an empty placeholder {}",
                hint="name a column, e.g. {name}; write {{ and }} for literal braces",
            )
        literals.append("".join(current))
        fields.append(name.strip())
        current = []
    current.append(text[position:])
    literals.append("".join(current))
    return Template(tuple(literals), tuple(fields))


# --- planning ---------------------------------------------------------------------------------


class Row(NamedTuple):
    """One message to one number, validated. Kept small: a batch can have 100,000 of them."""

    number: str
    content: str
    sender_id: str | None
    order_id: str | None


@dataclass(slots=True)
class Plan:
    rows: list[Row]
    duplicates: int = 0  # (number, content) pairs dropped because they came again
    messages: int = 0  # distinct contents
    segments: int = 0  # billed parts, summed over rows
    encodings: dict[str, int] = field(default_factory=dict)  # encoding -> rows
    content_ignored: bool = False  # rows had content, and the template replaced it

    @property
    def numbers(self) -> int:
        return len(self.rows)


@dataclass(frozen=True, slots=True)
class _Keys:
    """Which key of a record plays which part; None when the record has no such key."""

    number: str | None
    content: str | None
    sender: str | None
    order: str | None
    fields: Mapping[str, str | None]  # template placeholder -> key


def _role(by_key: Mapping[str, str], candidates: Sequence[str]) -> str | None:
    return next((by_key[c] for c in candidates if c in by_key), None)


def _field_key(keys: Sequence[str], name: str) -> str | None:
    if name in keys:
        return name
    # "{name}" for a spreadsheet's "Name" column, as long as that is not ambiguous.
    folded = [k for k in keys if k.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def _resolve_keys(keys: Sequence[str], template: Template | None) -> _Keys:
    by_key: dict[str, str] = {}
    for k in keys:
        by_key.setdefault(_key(k), k)
    names = template.names if template else ()
    return _Keys(
        number=_role(by_key, NUMBER_KEYS),
        content=_role(by_key, CONTENT_KEYS),
        sender=_role(by_key, SENDER_KEYS),
        order=_role(by_key, ORDER_KEYS),
        fields={name: _field_key(keys, name) for name in names},
    )


class _Unusable(ValueError):
    """A JSON value that cannot stand for text (an object or a list)."""


def _json_float(text: str) -> float | str:
    """A JSON number with a fraction or exponent. One written with an exponent (4.477e11) is
    kept as written: as a phone number it has lost digits (and is refused, named as such),
    as a message it is what the file says."""
    return text if "e" in text or "E" in text else float(text)


def _text(value: object) -> str | None:
    """A record's value as text; None when absent (JSON null)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # 447700900123.0 must stay a number, not grow a digit from its ".0".
        return str(int(value)) if value.is_integer() else repr(value)
    raise _Unusable(type(value).__name__)


_JSON_TYPES = {"dict": "object", "list": "array"}


def _shorten(value: str, width: int = 40) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


class _Builder:
    def __init__(
        self,
        source: Source,
        *,
        template: Template | None,
        default_sender: str | None,
        max_chars: int,
        max_sender: int,
        country: str | None = None,
    ) -> None:
        self.source = source
        self.country = country
        self.template = template
        self.default_sender = default_sender or None
        self.max_chars = max_chars
        self.max_sender = max_sender
        self.plan = Plan(rows=[])
        self.errors: list[str] = []
        self.error_count = 0
        self._keys: dict[tuple[str, ...], _Keys] = {}
        # content -> (the one shared copy of it, its analysis)
        self._messages: dict[str, tuple[str, MessageInfo]] = {}
        self._seen: set[tuple[int, str]] = set()
        self._encodings: Counter[str] = Counter()

    # -- errors ------------------------------------------------------------------------------
    def fail(self, position: int, problem: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERROR_LIMIT:
            self.errors.append(f"{self.source.where(position)}: {problem}")

    def report(self) -> str:
        plural = "" if self.error_count == 1 else "s"
        lines = [f"{self.error_count} problem{plural} in {self.source.name}:"]
        lines += [f"  {e}" for e in self.errors]
        if self.error_count > len(self.errors):
            lines.append(f"  … and {self.error_count - len(self.errors)} more")
        return "\n".join(lines)

    # -- the header, once ----------------------------------------------------------------------
    def check_columns(self, columns: list[str]) -> None:
        """Problems with the CSV header stop everything: every row would have them."""
        keys = self.keys_for(columns)
        shown = ", ".join(repr(c) for c in columns)
        if keys.number is None:
            raise InputError(
                f"{self.source.name} has no numbers column",
                hint=f"name it number, phone or mobile; columns: {shown}",
            )
        missing = [name for name, key in keys.fields.items() if key is None]
        if missing:
            placeholders = ", ".join(_brace(name) for name in missing)
            raise InputError(
                f"the message template uses {placeholders}, but {self.source.name} has no "
                f"such column",
                hint=f"columns: {shown}",
            )
        if self.template is None and keys.content is None:
            raise InputError(
                f"{self.source.name} has no content column",
                hint=f"name it content or message, or give a template with -m; columns: {shown}",
            )

    def keys_for(self, keys: Sequence[str]) -> _Keys:
        signature = tuple(keys)
        found = self._keys.get(signature)
        if found is None:
            found = self._keys[signature] = _resolve_keys(signature, self.template)
        return found

    # -- one record ----------------------------------------------------------------------------
    def add(self, position: int, values: Values | str) -> None:
        if isinstance(values, str):
            self.fail(position, values)
            return
        keys = self.keys_for(tuple(values))
        before = self.error_count
        content = self._content(position, values, keys)
        sender = self._sender(position, values, keys)
        recipients = self._recipients(position, values, keys)
        if self.error_count > before or content is None:
            return
        shared, info = self._message(content)
        for number, order_id in recipients:
            self._keep(Row(number, shared, sender, order_id), info)

    def _value(self, position: int, values: Values, key: str | None) -> str | None:
        if key is None:
            return None
        try:
            return _text(values.get(key))
        except _Unusable as exc:
            kind = _JSON_TYPES.get(str(exc), str(exc))
            self.fail(position, f"{key!r} must be text, not a JSON {kind}")
            return None

    def _content(self, position: int, values: Values, keys: _Keys) -> str | None:
        if self.template is not None:
            if keys.content is not None and values.get(keys.content) not in (None, ""):
                self.plan.content_ignored = True
            content = self._fill(position, values, keys)
            if content is None:
                return None
        else:
            content = self._value(position, values, keys.content)
            if keys.content is None:
                self.fail(position, "no content (expected a 'content' or 'message' field)")
                return None
        if content is None or not content.strip():
            self.fail(position, "the message is empty")
            return None
        if len(content) > self.max_chars:
            self.fail(
                position,
                f"the message is {len(content):,} characters long; this provider takes at most "
                f"{self.max_chars:,}",
            )
            return None
        return content

    def _fill(self, position: int, values: Values, keys: _Keys) -> str | None:
        assert self.template is not None  # noqa: S101 - only called with a template
        filled: dict[str, str] = {}
        for name, key in keys.fields.items():
            if key is None:
                self.fail(position, f"no value for {_brace(name)}: the row has no {name!r} field")
                continue
            before = self.error_count
            value = self._value(position, values, key)
            if value is not None and value.strip():
                filled[name] = value
            elif self.error_count == before:
                self.fail(position, f"no value for {_brace(name)}: {key!r} is empty")
        if len(filled) < len(keys.fields):
            return None
        return self.template.fill(filled)

    def _sender(self, position: int, values: Values, keys: _Keys) -> str | None:
        sender = (self._value(position, values, keys.sender) or "").strip()
        if not sender:
            return self.default_sender
        problem = sender_problem(sender)
        if problem is not None:
            self.fail(position, f"sender ID {_shorten(sender)!r} {problem}")
        elif self.max_sender == 0:
            self.fail(position, f"sender ID {_shorten(sender)!r}: this provider has no sender ID")
        elif len(sender) > self.max_sender:
            self.fail(
                position,
                f"sender ID {_shorten(sender)!r} is {len(sender)} characters long; at most "
                f"{self.max_sender} are allowed",
            )
        return sender

    def _recipients(
        self, position: int, values: Values, keys: _Keys
    ) -> list[tuple[str, str | None]]:
        raw = self._value(position, values, keys.number)
        if raw is None or not raw.strip():
            self.fail(
                position,
                "no number (expected a 'number', 'phone' or 'mobile' field)"
                if keys.number is None
                else "the number is empty",
            )
            return []
        pieces = [piece.strip() for piece in raw.split(",")]
        order_ids = self._order_ids(position, values, keys, len(pieces))
        out: list[tuple[str, str | None]] = []
        for piece, order_id in zip(pieces, order_ids, strict=True):
            number, reason = to_international(piece, self.country)
            if reason is None:
                out.append((number, order_id))
            else:
                self.fail(position, f"{_shorten(piece)!r} {reason}")
        return out

    def _order_ids(
        self, position: int, values: Values, keys: _Keys, count: int
    ) -> list[str | None]:
        raw = (self._value(position, values, keys.order) or "").strip()
        if not raw:
            return [None] * count
        ids: list[str | None] = [piece.strip() for piece in raw.split(",")]
        if len(ids) != count:
            plural = "number" if count == 1 else "numbers"
            self.fail(
                position,
                f"{len(ids)} order ids for {count} {plural}; the counts must match",
            )
            return [None] * count
        if not all(ids):
            self.fail(position, f"an order id is empty in {_shorten(raw)!r}")
        for order_id in ids:
            problem = token_problem(order_id or "")
            if problem is not None:
                self.fail(position, f"order id {_shorten(order_id or '')!r} {problem}")
                break
        return ids

    def _message(self, content: str) -> tuple[str, MessageInfo]:
        known = self._messages.get(content)
        if known is None:
            known = self._messages[content] = (content, analyze(content))
        return known

    def _keep(self, row: Row, info: MessageInfo) -> None:
        key = (int(row.number), row.content)
        if key in self._seen:
            self.plan.duplicates += 1
            return
        self._seen.add(key)
        self.plan.rows.append(row)
        self.plan.segments += info.segments
        self._encodings[info.encoding] += 1

    def finish(self) -> Plan:
        if self.error_count:
            raise InputError(self.report(), hint="nothing was sent")
        if not self.plan.rows:
            raise InputError(f"{self.source.name} has no messages to send")
        self.plan.messages = len(self._messages)
        self.plan.encodings = dict(self._encodings)
        return self.plan


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
    builder = _Builder(
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
    for position, values in source.records:
        builder.add(position, values)
    return builder.finish()


# --- requests ---------------------------------------------------------------------------------


def request_count(rows: Sequence[Row], cap: int, *, mixed: bool = True) -> int:
    """How many requests chunks() makes, without building them."""
    if mixed:
        return -(-len(rows) // cap)
    return sum(-(-len(members) // cap) for members in _groups(rows).values())


def _group_key(row: Row) -> tuple[str, str | None, bool]:
    # An element's orderId must cover all its numbers or none, so rows with and without
    # one never share an element.
    return row.content, row.sender_id, row.order_id is not None


def _groups(rows: Sequence[Row]) -> dict[tuple[str, str | None, bool], list[int]]:
    groups: dict[tuple[str, str | None, bool], list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(_group_key(row), []).append(index)
    return groups


def chunks(rows: Sequence[Row], cap: int, *, mixed: bool = True) -> Iterator[Chunk]:
    """Requests of at most `cap` numbers. Rows with one content and sender stay together (one
    element), in order of first appearance; a group is split only where a request is full, so
    there are as few requests as the numbers allow. `mixed=False` gives every group requests
    of its own (one element each), for gateways whose "batch" is one call per element."""
    if cap < 1:
        raise ValueError("cap must be at least 1")
    index = 0
    current: list[int] = []
    for members in _groups(rows).values():
        if current and not mixed:
            yield _chunk(index, rows, current)
            index, current = index + 1, []
        start = 0
        while start < len(members):
            taken = members[start : start + cap - len(current)]
            current.extend(taken)
            start += len(taken)
            if len(current) >= cap:
                yield _chunk(index, rows, current)
                index, current = index + 1, []
    if current:
        yield _chunk(index, rows, current)


def _chunk(index: int, rows: Sequence[Row], members: list[int]) -> Chunk:
    picked = [rows[i] for i in members]
    has_ids = any(row.order_id is not None for row in picked)
    return Chunk(
        index=index,
        numbers=[row.number for row in picked],
        # Chunk.order_ids is one str per number: "" marks a row without one.
        order_ids=[row.order_id or "" for row in picked] if has_ids else None,
        contents=[row.content for row in picked],
        sender_ids=[row.sender_id for row in picked],
    )


def elements(chunk: Chunk, max_per_element: int) -> list[BatchElement]:
    """The chunk as batch elements, in the chunk's number order (so the gateway's answer,
    which follows the elements, lines up with chunk.numbers)."""
    if chunk.contents is None or chunk.sender_ids is None:
        raise ValueError("not a batch chunk: it has no per-number contents")
    ids = chunk.order_ids
    groups: dict[tuple[str, str | None, bool], list[int]] = {}
    for i, content in enumerate(chunk.contents):
        has_id = bool(ids and ids[i])
        groups.setdefault((content, chunk.sender_ids[i], has_id), []).append(i)
    out: list[BatchElement] = []
    for (content, sender, has_id), members in groups.items():
        for start in range(0, len(members), max_per_element):
            part = members[start : start + max_per_element]
            out.append(
                BatchElement(
                    numbers=tuple(chunk.numbers[i] for i in part),
                    content=content,
                    sender_id=sender,
                    order_ids=tuple(ids[i] for i in part) if ids and has_id else None,
                )
            )
    return out
