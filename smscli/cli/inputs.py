"""Reading what the user gives a command: the message text and the numbers, from arguments,
files or stdin. Everything is checked here, before a gateway is even opened."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from smscli import console
from smscli.argtext import check_encodable, token_problem
from smscli.errors import InputError, UsageError
from smscli.numberfile import (
    PlainBlock,
    RawNumber,
    numbers_from_args,
    numbers_from_lines,
    open_input,
)
from smscli.numberlist import NumberCollector


def read_text(path: str, what: str, *, limit: int = 65_536) -> str:
    """A message from a file or `-` (stdin), without the final newline editors add. Read as
    every "file or stdin" is (smscli.readers), and never more than `limit` characters."""
    from smscli import readers

    if path == "-" and console.stdin_is_tty():
        console.info(f"Type the {what}, then Ctrl-D:")
    text = readers.read_text(path, console.current().stdin, what=what, limit=limit)
    if text.endswith("\r\n"):
        return text[:-2]
    return text.removesuffix("\n")


def read_message(message: str | None, message_file: str | None, *, max_chars: int) -> str:
    if message is not None and message_file is not None:
        raise UsageError("give the message with -m/--message or --message-file, not both")
    # Read at most a little more than allowed: enough to say how long it is, never /dev/zero.
    limit = max(max_chars * 4, 4096)
    if message_file is not None:
        text = read_text(message_file, "message", limit=limit)
    elif message == "-":
        text = read_text("-", "message", limit=limit)
    elif message is not None:
        text = message
    else:
        raise UsageError(
            "no message given", hint='use -m "text", -m - (stdin) or --message-file PATH'
        )
    if not text.strip():
        raise InputError("the message is empty")
    check_encodable(text, "the message")
    if len(text) > max_chars:
        raise InputError(
            f"the message is {len(text)} characters long; this provider takes at most {max_chars}"
        )
    return text


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
) -> Iterator[RawNumber | PlainBlock]:
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
    if numbers_file is not None and numbers_file != "-":
        with open_input(numbers_file, console.current().stdin) as lines:
            yield from numbers_from_lines(lines, source=numbers_file, column=column, blocks=blocks)
    if wants_stdin:
        with open_input("-", console.current().stdin) as lines:
            yield from numbers_from_lines(lines, source="stdin", column=column, blocks=blocks)


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

