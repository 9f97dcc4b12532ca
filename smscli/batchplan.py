"""A batch's records checked and planned: every row filled, validated and de-duplicated into
Rows (one message to one number) before anything is sent. Any problem is collected with its
line or element, and a bad batch raises InputError as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import count
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple, cast

from smscli.argtext import sender_problem, token_problem
from smscli.batchcsv import RowBlock, block_records
from smscli.batchkeys import Keys, resolve_keys
from smscli.batchtemplate import brace
from smscli.errors import InputError
from smscli.message import MessageInfo, analyze
from smscli.numbers import check, normalize, to_international

if TYPE_CHECKING:
    from smscli.batchfile import Record, Source, Values
    from smscli.batchtemplate import Template

__all__ = ["ERROR_LIMIT", "Builder", "Plan", "Row"]

ERROR_LIMIT = 20


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
    # When every row has the default sender and no order id: each message (its shared
    # content) with the numbers of its rows, in the order of the rows, messages in the order
    # of their first row, for batchrequests.plan_chunks. None: not so, or not known (a plan
    # built otherwise, such as --gsm's).
    by_message: list[tuple[str, list[str]]] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def numbers(self) -> int:
        return len(self.rows)



class _Unusable(ValueError):
    """A JSON value that cannot stand for text (an object or a list)."""


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


class Builder:
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
        self._keys: dict[tuple[str, ...], Keys] = {}
        # content -> [the one shared copy of it, its analysis, its numbers kept so far]; the
        # segments and encodings are summed from these at the end, not per row.
        self._messages: dict[str, _Message] = {}
        self._senders: set[str] = set()  # sender IDs already found valid
        # No row kept so far has a sender other than the default or an order id: the plan's
        # requests can then be cut per message (Plan.by_message). Cleared on any doubt.
        self._uniform = True

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
            placeholders = ", ".join(brace(name) for name in missing)
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

    def keys_for(self, keys: Sequence[str]) -> Keys:
        signature = tuple(keys)
        found = self._keys.get(signature)
        if found is None:
            found = self._keys[signature] = resolve_keys(signature, self.template)
        return found

    # -- the records ---------------------------------------------------------------------------
    def add_all(self, records: Iterable[Record]) -> None:
        columns = self.source.columns
        if columns is None or self.template is not None or self.country is not None:
            for position, values in records:
                self.add(position, values)
            return
        self._add_cells(records, columns)

    def add_source(self, source: Source) -> None:
        """Every record of `source` (this builder's); a CSV source's rows in blocks where
        they can be taken so (see _add_block)."""
        columns, parts = source.columns, source.parts
        if (
            parts is None
            or columns is None
            or self.template is not None
            or self.country is not None
        ):
            self.add_all(source.records)
            return
        for part in parts:
            if isinstance(part, RowBlock):
                self._add_block(part, columns)
            else:
                self._add_cells(part, columns)

    def _layout(self, columns: list[str]) -> tuple[int, int, int | None, int | None]:
        """The column index of the numbers, the content, the sender and the order ids."""
        keys = self.keys_for(columns)
        index = {name: i for i, name in enumerate(columns)}  # a repeated name: the last, as dict
        assert keys.number is not None and keys.content is not None  # noqa: S101 - check_columns
        return (
            index[keys.number],
            index[keys.content],
            index[keys.sender] if keys.sender is not None else None,
            index[keys.order] if keys.order is not None else None,
        )

    def _add_block(self, block: RowBlock, columns: list[str]) -> None:
        """One-line CSV rows (batchcsv.RowBlock) without a template or --country. When every
        row of the block has the header's width (or is an empty line), a clean number and no
        order id, the block's columns are picked and checked in a few C calls, and each row
        then costs a look-up or two: a row with a content or sender not seen before goes the
        general way (add), as in _add_cells. Any other block is read row by row (_add_cells),
        so every row is planned as the general way plans it."""
        rows = block.rows
        width = len(columns)
        at_number, at_content, at_sender, at_order = self._layout(columns)
        lengths = set(map(len, rows))
        positions: Sequence[int] = range(block.first, block.first + len(rows))
        if 0 in lengths:  # empty lines: skipped, as csv_records skips them
            positions = [p for p, cells in zip(positions, rows, strict=True) if cells]
            rows = [cells for cells in rows if cells]
        numbers = list(map(itemgetter(at_number), rows)) if lengths <= {0, width} else None
        if (
            numbers is None
            or (numbers and _CLEAN_NUMBERS.fullmatch("\n".join(numbers)) is None)
            or (at_order is not None and any(map(str.strip, map(itemgetter(at_order), rows))))
        ):
            self._add_cells(block_records(block, columns), columns)
            return
        get, senders = self._messages.get, self._senders
        default_sender = self.default_sender
        append = self.plan.rows.append
        new = tuple.__new__  # Row(...) without the Python frame of a NamedTuple's __new__
        duplicates = 0
        # Each row's message as the block finds it; a row whose content is new to it looks
        # again (a row before it may have brought it), as _add_cells does.
        found = list(map(get, map(itemgetter(at_content), rows)))
        if at_sender is None and None not in found:
            # The usual block: numbers and contents only, every content known.
            for known, number in zip(cast("list[_Message]", found), numbers, strict=True):
                shared, _, kept = known
                if number in kept:
                    duplicates += 1
                else:
                    kept[number] = None
                    append(new(Row, (number, shared, default_sender, None)))
        elif at_sender is None:
            contents = list(map(itemgetter(at_content), rows))
            for i, message, number in zip(count(), found, numbers):
                if message is None:
                    message = get(contents[i])
                    if message is None:
                        self.add(positions[i], rows[i])
                        continue
                shared, _, kept = message
                if number in kept:
                    duplicates += 1
                else:
                    kept[number] = None
                    append(new(Row, (number, shared, default_sender, None)))
        else:
            contents = list(map(itemgetter(at_content), rows))
            given = list(map(str.strip, map(itemgetter(at_sender), rows)))
            if any(sender and sender != default_sender for sender in set(given)):
                self._uniform = False
            for i, message, number, sender in zip(count(), found, numbers, given):
                if message is None:
                    message = get(contents[i])
                if message is None or (sender and sender not in senders):
                    self.add(positions[i], rows[i])
                    continue
                shared, _, kept = message
                if number in kept:
                    duplicates += 1
                else:
                    kept[number] = None
                    append(new(Row, (number, shared, sender or default_sender, None)))
        self.plan.duplicates += duplicates

    def _add_cells(self, records: Iterable[Record], columns: list[str]) -> None:
        """CSV rows without a template or --country: a row of one clean number, a content and
        a known (or no) sender is planned here by column index, without a dict per row; any
        other row takes the general path (add), which gives the same rows and every message."""
        at_number, at_content, at_sender, at_order = self._layout(columns)
        clean, senders, messages = _CLEAN_NUMBER.fullmatch, self._senders, self._messages
        default_sender = self.default_sender
        rows, plan = self.plan.rows, self.plan
        new = tuple.__new__  # Row(...) without the Python frame of a NamedTuple's __new__
        for position, cells in records:
            if isinstance(cells, list):
                number, content = cells[at_number], cells[at_content]
                sender = cells[at_sender].strip() if at_sender is not None else ""
                message = messages.get(content)
                if (
                    message is not None
                    and (not sender or sender in senders)
                    and (at_order is None or not cells[at_order].strip())
                    and (
                        clean(number)
                        # "+44 7700 900123": what to_international gives without a country.
                        or ("," not in number and check(number := normalize(number)) is None)
                    )
                ):
                    # A content seen before was already checked (not blank, not too long).
                    shared, _, kept = message
                    if number in kept:
                        plan.duplicates += 1
                    else:
                        kept[number] = None
                        rows.append(new(Row, (number, shared, sender or default_sender, None)))
                        if sender and sender != default_sender:
                            self._uniform = False
                    continue
            self.add(position, cells)

    # -- one record ----------------------------------------------------------------------------
    def add(self, position: int, values: Values | list[str] | str) -> None:
        if isinstance(values, str):
            self.fail(position, values)
            return
        if isinstance(values, list):
            assert self.source.columns is not None  # noqa: S101 - only CSV rows are lists
            values = dict(zip(self.source.columns, values, strict=False))
        keys = self.keys_for(tuple(values))
        before = self.error_count
        content = self._content(position, values, keys)
        sender = self._sender(position, values, keys)
        recipients = self._recipients(position, values, keys)
        if self.error_count > before or content is None:
            return
        message = self._message(content)
        for number, order_id in recipients:
            self._keep(Row(number, message.content, sender, order_id), message)

    def _value(self, position: int, values: Values, key: str | None) -> str | None:
        if key is None:
            return None
        try:
            return _text(values.get(key))
        except _Unusable as exc:
            kind = _JSON_TYPES.get(str(exc), str(exc))
            self.fail(position, f"{key!r} must be text, not a JSON {kind}")
            return None

    def _content(self, position: int, values: Values, keys: Keys) -> str | None:
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

    def _fill(self, position: int, values: Values, keys: Keys) -> str | None:
        assert self.template is not None  # noqa: S101 - only called with a template
        filled: dict[str, str] = {}
        for name, key in keys.fields.items():
            if key is None:
                self.fail(position, f"no value for {brace(name)}: the row has no {name!r} field")
                continue
            before = self.error_count
            value = self._value(position, values, key)
            if value is not None and value.strip():
                filled[name] = value
            elif self.error_count == before:
                self.fail(position, f"no value for {brace(name)}: {key!r} is empty")
        if len(filled) < len(keys.fields):
            return None
        return self.template.fill(filled)

    def _sender(self, position: int, values: Values, keys: Keys) -> str | None:
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
        else:
            self._senders.add(sender)  # valid: the next row with it need not ask again
        return sender

    def _recipients(
        self, position: int, values: Values, keys: Keys
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
        self, position: int, values: Values, keys: Keys, count: int
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

    def _message(self, content: str) -> _Message:
        known = self._messages.get(content)
        if known is None:
            known = self._messages[content] = _Message(content, analyze(content), {})
        return known

    def _keep(self, row: Row, message: _Message) -> None:
        if row.number in message.numbers:
            self.plan.duplicates += 1
            return
        if row.sender_id != self.default_sender or row.order_id is not None:
            self._uniform = False
        message.numbers[row.number] = None
        self.plan.rows.append(row)

    def finish(self) -> Plan:
        if self.error_count:
            raise InputError(self.report(), hint="nothing was sent")
        if not self.plan.rows:
            raise InputError(f"{self.source.name} has no messages to send")
        self.plan.messages = len(self._messages)
        encodings: dict[str, int] = {}
        for message in self._messages.values():
            kept = len(message.numbers)  # each kept row is one distinct number of it
            self.plan.segments += message.info.segments * kept
            encodings[message.info.encoding] = encodings.get(message.info.encoding, 0) + kept
        self.plan.encodings = {name: count for name, count in encodings.items() if count}
        if self._uniform:
            self.plan.by_message = [
                (message.content, list(message.numbers)) for message in self._messages.values()
            ]
        return self.plan


class _Message(NamedTuple):
    content: str  # the one copy every row of it shares
    info: MessageInfo
    # The numbers it goes to so far, in the order of their rows: a second row to one is a
    # duplicate. Kept numbers are canonical (ASCII digits, no leading 0), so the text is the key.
    numbers: dict[str, None]


# A number cell that needs no normalising: what normalize() and check() would keep as it is.
_CLEAN_NUMBER = re.compile(r"[1-9][0-9]{5,14}")
# A block's number cells joined by line breaks (which no cell of a one-line row holds), all
# clean.
_CLEAN_NUMBERS = re.compile(r"[1-9][0-9]{5,14}(?:\n[1-9][0-9]{5,14})*")

