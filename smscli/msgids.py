"""The msgIds a user gives `report`: arguments (comma-separated allowed), a file or stdin in
any format send/batch/report write (JSON array, JSON lines, CSV/TSV with a msg_id column) or
one id per line. Checked (digits only) and deduplicated before anything is asked; no typer,
no printing. Ids picked from the history (--last/--job/--since) are in smscli.selection."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from smscli.errors import InputError, UsageError

if TYPE_CHECKING:
    from smscli.history.records import Tracked

# Invalid ids listed one by one in the error, at most.
DETAIL_LIMIT = 5


@dataclass(frozen=True, slots=True)
class RawId:
    value: str
    where: str  # "stdin line 3", "argument 2", "sent.json item 4": for error messages


@dataclass(frozen=True, slots=True)
class ParsedIds:
    format: str  # plain | json | jsonl | csv | tsv
    ids: list[RawId]
    skipped: int = 0  # rows with an empty msg_id (rejected, or accepted without an id)


@dataclass(frozen=True, slots=True)
class CollectedIds:
    ids: list[str]  # unique, in input order
    duplicates: int = 0
    skipped: int = 0
    # What the history knows of the ids (those it knows): filled by ids_from_history, or by the
    # CLI from Store.lookup for ids the user gave.
    tracked: Mapping[str, Tracked] = field(default_factory=dict)
    origin: str | None = None  # "job 12", "3 jobs since ...": where history-selected ids came from


def detect_format(text: str) -> str:
    """JSON array, JSON lines, a send/batch/report table with a msg_id header, or plain ids."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        return "jsonl"
    header = stripped.split("\n", 1)[0]
    if "msg_id" in header:
        return "tsv" if "\t" in header else "csv"
    return "plain"


def parse_ids(text: str, source: str) -> ParsedIds:
    """The msgIds in `text` (whatever `detect_format` finds), each with where it was."""
    text = text.removeprefix("\ufeff")
    fmt = detect_format(text)
    if fmt == "json":
        ids, skipped = _json_ids(text, source)
    elif fmt == "jsonl":
        ids, skipped = _jsonl_ids(text, source)
    elif fmt in ("csv", "tsv"):
        ids, skipped = _table_ids(text, source, "\t" if fmt == "tsv" else ",")
    else:
        ids, skipped = _plain_ids(text, source), 0
    return ParsedIds(fmt, ids, skipped)


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _plain_ids(text: str, source: str) -> list[RawId]:
    return [
        RawId(line.strip(), f"{source} line {n}")
        for n, line in enumerate(_lines(text), 1)
        if line.strip()
    ]


def _json_ids(text: str, source: str) -> tuple[list[RawId], int]:
    try:
        rows = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{source} is not valid JSON: {exc}", hint="nothing was queried") from None
    if not isinstance(rows, list):
        raise InputError(f"{source}: expected a JSON array", hint="nothing was queried")
    return _collect_rows((row, f"{source} item {n}") for n, row in enumerate(rows, 1))


def _jsonl_ids(text: str, source: str) -> tuple[list[RawId], int]:
    def rows() -> Iterator[tuple[object, str]]:
        for n, line in enumerate(_lines(text), 1):
            if not line.strip():
                continue
            where = f"{source} line {n}"
            try:
                yield json.loads(line), where
            except ValueError as exc:
                raise InputError(
                    f"{where} is not valid JSON: {exc}", hint="nothing was queried"
                ) from None

    return _collect_rows(rows())


def _collect_rows(rows: Iterable[tuple[object, str]]) -> tuple[list[RawId], int]:
    ids: list[RawId] = []
    skipped = 0
    for row, where in rows:
        value = _row_id(row, where)
        if value is None:
            skipped += 1
        else:
            ids.append(RawId(value, where))
    return ids, skipped


def _row_id(row: object, where: str) -> str | None:
    """A row's msg_id; None for an empty one (a rejected number has no msgId)."""
    if isinstance(row, str | int) and not isinstance(row, bool):
        return str(row).strip() or None  # a JSON list of bare ids
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected an object with a msg_id field")
    if "msg_id" not in row:
        raise InputError(
            f"{where} has no msg_id field",
            hint="feed the output of `smscli send` or `smscli batch`, or one msgId per line",
        )
    value = row["msg_id"]
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"{where}: msg_id {value!r} is not a msgId")
    return str(value).strip() or None


def _table_ids(text: str, source: str, delimiter: str) -> tuple[list[RawId], int]:
    import csv  # only a CSV or TSV of ids pays for it

    # newline="" hands csv the raw line ends, so quoted fields with newlines survive.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    column: int | None = None
    ids: list[RawId] = []
    skipped = 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if column is None:
            column = _id_column(row, f"{source} line {reader.line_num}")
            continue
        value = row[column].strip() if column < len(row) else ""
        if value:
            ids.append(RawId(value, f"{source} line {reader.line_num}"))
        else:
            skipped += 1
    return ids, skipped


def _id_column(header: list[str], where: str) -> int:
    cells = [cell.strip() for cell in header]
    if "msg_id" not in cells:
        raise InputError(f"{where}: the header has no msg_id column", hint="nothing was queried")
    return cells.index("msg_id")


def ids_from_args(args: Sequence[str]) -> list[RawId]:
    ids: list[RawId] = []
    for n, arg in enumerate(args, 1):
        for part in arg.split(","):
            if part.strip():
                ids.append(RawId(part.strip(), f"argument {n}"))
    return ids


def is_msg_id(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _shorten(value: str, width: int = 40) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


def check_ids(raw: Sequence[RawId], *, skipped: int = 0) -> CollectedIds:
    """Every id checked (digits only; a bad one stops everything) and duplicates dropped."""
    return _checked(raw, [r.value for r in raw], skipped)


def _checked(raw: Sequence[RawId], values: list[str], skipped: int) -> CollectedIds:
    """check_ids of `values`, which are the ids of `raw` plus (anywhere among them) ids
    already known to be valid: only `raw` is searched for bad ones."""
    bad = [r for r in raw if not is_msg_id(r.value)]
    if bad:
        plural = "" if len(bad) == 1 else "s"
        lines = [f"{len(bad)} invalid msgId{plural} (msgIds are digits only):"]
        lines += [f"  {r.where}: {_shorten(r.value)!r}" for r in bad[:DETAIL_LIMIT]]
        if len(bad) > DETAIL_LIMIT:
            lines.append(f"  … and {len(bad) - DETAIL_LIMIT} more")
        raise InputError("\n".join(lines), hint="nothing was queried")
    unique = list(dict.fromkeys(values))
    if not unique:
        hint = "give msgIds as arguments, with -f PATH, or pipe in the output of `smscli send`"
        if skipped:
            # Not "rejected": issue 10's accepted-without-id rows have no msg_id either, and
            # calling them rejected invites sending them again.
            hint = (
                f"{skipped} row{'' if skipped == 1 else 's'} had an empty msg_id: numbers the "
                "gateway rejected, or accepted without giving a message id (sent: do not send "
                "those again); each row's outcome and error say which"
            )
        raise InputError("no msgIds found in the input", hint=hint)
    return CollectedIds(unique, duplicates=len(values) - len(unique), skipped=skipped)


def collect_ids(
    args: Sequence[str],
    *,
    file: str | None = None,
    stdin: TextIO | None = None,
    stdin_is_tty: bool = True,
) -> CollectedIds:
    """The msgIds to report on, from arguments (`-` = stdin), `file` (`-` = stdin) or, when
    neither is given, piped stdin. The single id source of `report`: history-based selections
    (last run, a job, a time window) belong here too."""
    plain = [a for a in args if a != "-"]
    wants_stdin = "-" in args or file == "-"
    if not plain and file is None and not wants_stdin:
        if stdin_is_tty or stdin is None:
            raise UsageError(
                "no msgIds given",
                hint="pass them as arguments, with -f/--file PATH, or pipe them in: "
                "smscli send ... -q | smscli report",
            )
        wants_stdin = True
    raw = ids_from_args(plain)
    values = [r.value for r in raw]
    skipped = 0
    texts: list[tuple[str, str]] = []
    if file is not None and file != "-":
        texts.append((_read_ids(file, stdin), file))
    if wants_stdin:
        if stdin is None:
            raise UsageError("no stdin to read msgIds from")
        texts.append((_read_ids("-", stdin), "stdin"))
    for text, source in texts:
        quick = _quick_values(text)
        if quick is not None:
            values += quick[0]
            skipped += quick[1]
            continue
        parsed = parse_ids(text, source)
        raw += parsed.ids
        values += [r.value for r in parsed.ids]
        skipped += parsed.skipped
    return _checked(raw, values, skipped)


def _quick_values(text: str) -> tuple[list[str], int] | None:
    """The ids (and the count of rows with an empty msg_id) of a plain list, JSON lines or a
    JSON array when every row is what send/batch/report write and every id is valid; None for
    anything else (parse_ids then says where each id was, for the errors). The common case of
    `send -q | report` or `send -o jsonl | report` with 100,000 ids, without an object and a
    location text per id."""
    text = text.removeprefix("\ufeff")
    fmt = detect_format(text)
    if fmt == "plain":
        bare = text.replace("\n", "")
        if bare.isascii() and bare.isdigit():
            # Digits and "\n" only (what `send -q` writes): its lines are its words, split
            # in C, and they are ids as they are.
            return text.split(), 0
        found: tuple[list[str], int] | None = (
            [value for value in (line.strip() for line in _lines(text)) if value], 0
        )
    elif fmt == "jsonl":
        found = _quick_rows(_jsonl_rows(_lines(text)))
    elif fmt == "json":
        try:
            rows = json.loads(text)
        except ValueError:
            return None
        found = _quick_rows(rows) if isinstance(rows, list) else None
    else:
        return None
    if found is None:
        return None
    joined = "".join(found[0])
    return found if joined.isascii() and joined.isdigit() else None


def _jsonl_rows(lines: list[str]) -> list[object] | None:
    """Each non-blank line parsed as JSON, as _jsonl_ids does; None if one is not JSON."""
    loads = json.loads
    try:
        return [loads(line) for line in lines if line.strip()]
    except ValueError:
        return None


def _quick_rows(rows: list[object] | None) -> tuple[list[str], int] | None:
    """_collect_rows's values and skipped count for rows that are all objects whose msg_id
    is text or empty; None for anything else (no msg_id, a number, a bare id)."""
    if rows is None:
        return None
    values: list[str] = []
    skipped = 0
    for row in rows:
        if type(row) is not dict:
            return None
        value = row.get("msg_id", _MISSING)
        if value is None:
            skipped += 1
        elif type(value) is str:
            value = value.strip()
            if value:
                values.append(value)
            else:
                skipped += 1
        else:
            return None  # no msg_id field, or not text: parse_ids says so (or takes an int)
    return values, skipped


_MISSING = object()


def _read_ids(path: str, stdin: TextIO | None) -> str:
    # The one "file or stdin" reader of send -f and batch: encodings, NUL bytes and endless
    # lines are refused with the line number.
    from smscli.readers import open_lines

    with open_lines(path, stdin, what="file") as reader:
        return "".join(reader)
