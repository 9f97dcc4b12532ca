"""smscli.batchcsv: CSV batches read and planned a block of lines at a time. Whatever the file,
the plan (rows, counts, requests) or the error must be exactly what the general way gives:
every row through readers.csv_rows and batchcsv.csv_records, one at a time (the way all CSV
batches were read before blocks, kept here as the reference), whatever the block size."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli import batchcsv, readers
from smscli.batchcsv import RowBlock, csv_records
from smscli.batchfile import Format, Source, build_plan, open_source, read_source
from smscli.batchplan import Plan
from smscli.batchrequests import chunks, plan_chunks
from smscli.batchtemplate import parse_template
from smscli.errors import InputError
from smscli.model import Chunk
from smscli.readers import BOM, MAX_LINE_CHARS, csv_rows, open_lines, sniff_delimiter


def reference(text: str, name: str = "b.csv", fmt: Format = Format.CSV) -> Source:
    """The general way: every row through csv_rows and csv_records, one at a time."""
    return reference_lines(iter(io.StringIO(text, newline="")), name, fmt)


@contextlib.contextmanager
def reference_open(path: Path) -> Iterator[Source]:
    """open_source's general way for a .csv file: its lines as iterating the reader gives them
    (each checked as it is read), into reference_lines."""
    with open_lines(str(path), None, what="batch file") as reader:
        reader.max_line = MAX_LINE_CHARS
        yield reference_lines(iter(reader), reader.name)


def reference_lines(lines: Iterator[str], name: str, fmt: Format = Format.CSV) -> Source:
    first_no = 0
    for first_no, line in enumerate(lines, start=1):
        if first_no == 1:
            line = line.removeprefix(BOM)
        if line.strip():
            break
    else:
        raise InputError(f"{name} is empty: expected a header row, then one row per message")
    delimiter = "\t" if fmt is Format.TSV else sniff_delimiter(line)
    rows = csv_rows(chain([line], lines), delimiter, first_no, name)
    _, _, header = next(rows)
    columns = [cell.strip() for cell in header]
    return Source(name, "line", columns, csv_records(rows, columns, delimiter, name))


@contextlib.contextmanager
def blocks_of(lines: int = batchcsv._BATCH_LINES, chars: int = readers._BLOCK) -> Iterator[None]:
    """Blocks of `lines` lines (read_source) and reads of `chars` bytes (open_source)."""
    saved = batchcsv._BATCH_LINES, readers._BLOCK
    batchcsv._BATCH_LINES, readers._BLOCK = lines, chars
    try:
        yield
    finally:
        batchcsv._BATCH_LINES, readers._BLOCK = saved


def _requests(found: Iterator[Chunk]) -> list[tuple[object, ...]]:
    return [(c.index, c.numbers, c.contents, c.sender_ids, c.order_ids) for c in found]


def outcome(make_source: object, template: str | None = None, cap: int = 3) -> object:
    """What planning a source gives: the plan and its requests, or the error."""
    try:
        assert callable(make_source)
        p: Plan = build_plan(
            make_source(),
            template=parse_template(template) if template else None,
            default_sender="DFLT",
            max_chars=40,
            max_sender=11,
        )
    except InputError as exc:
        return ("error", exc.message, exc.hint)
    requests = _requests(chunks(p.rows, cap))
    assert _requests(plan_chunks(p, cap)) == requests
    assert _requests(plan_chunks(p, cap, mixed=False)) == _requests(
        chunks(p.rows, cap, mixed=False)
    )
    return (p.rows, p.duplicates, p.messages, p.segments, p.encodings, p.content_ignored, requests)


def records(make_source: object) -> object:
    try:
        assert callable(make_source)
        return list(make_source().records)
    except InputError as exc:
        return ("error", exc.message, exc.hint)


def same_everywhere(text: str, template: str | None = None, tmp: Path | None = None) -> object:
    """The outcome of `text`, asserted the same by the reference, by read_source in blocks of
    1, 2, 3 and 16,384 lines and (given `tmp`) by open_source reading 5, 64 and 2**20 bytes at
    a time."""
    expected = outcome(lambda: reference(text), template)
    for lines in (1, 2, 3, batchcsv._BATCH_LINES):
        with blocks_of(lines=lines):
            # The records themselves too: a cell read otherwise may still plan the same.
            assert records(
                lambda: read_source(io.StringIO(text, newline=""), Format.CSV, "b.csv")
            ) == records(lambda: reference(text))
            got = outcome(
                lambda: read_source(io.StringIO(text, newline=""), Format.CSV, "b.csv"), template
            )
        assert got == expected, f"blocks of {lines} lines"
    if tmp is not None:
        path = tmp / "b.csv"
        path.write_text(text, encoding="utf-8", newline="")
        for chars in (5, 64, readers._BLOCK):
            with blocks_of(chars=chars), contextlib.ExitStack() as stack:
                opened = outcome(
                    lambda: stack.enter_context(open_source(str(path), None, io.StringIO())),
                    template,
                )
            with blocks_of(chars=chars), contextlib.ExitStack() as stack:
                general = outcome(lambda: stack.enter_context(reference_open(path)), template)
            assert opened == general, f"reads of {chars} bytes"
    return expected


# --- generated files ------------------------------------------------------------------------------

_NUMBERS = [
    "447700900123",
    "447700900124",
    "447700900125",
    "+44 7700 900126",
    " 447700900127",
    "12345",
    "",
    "447700900123,447700900124",
    "4.47E+11",
    "447700900128 ",
]
_CONTENTS = [
    "Hello",
    "Hello",
    "Bye",
    "Grüße €",
    "",
    "   ",
    "x" * 50,
    '"Hi, there"',
    '"two\nlines"',
    '"say ""hi"""',
    " lead",
    "trail ",
    "tab\there",
    "ff\x0cchar",
    "line\u2028sep",
]
_SENDERS = ["", "", "ACME", " ACME ", "bad sender!", "LONGSENDER123"]
_ORDERS = ["", "", "", "o1", "o1,o2", " "]
_COLUMNS = {
    "number": _NUMBERS,
    "content": _CONTENTS,
    "sender_id": _SENDERS,
    "order_id": _ORDERS,
    "name": ["Ann", "", '"B, C"'],
}
_HEADERS = [
    ("number", "content"),
    ("number", "content", "sender_id"),
    ("number", "content", "sender_id", "order_id"),
    ("content", "number"),
    ("number", "name", "content"),
]


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, str | None]:
    header = draw(st.sampled_from(_HEADERS))
    clean = draw(st.booleans())  # mostly rows the fast way takes, or anything
    delimiter = draw(st.sampled_from([",", ";"]))
    lines = [delimiter.join(header)]
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 19))
        if kind == 0 and not clean:
            lines.append(draw(st.sampled_from(["", "   ", delimiter * (len(header) - 1)])))
            continue
        cells = []
        for column in header:
            values = _COLUMNS[column]
            pool = values[:2] if clean and column != "content" else values
            if clean and column == "content":
                pool = ["Hello", "Bye", "Hi there", "Grüße €"]
            cells.append(draw(st.sampled_from(pool)))
        if kind == 1 and not clean:
            cells.append(draw(st.sampled_from(["", "extra"])))
        if kind == 2 and not clean:
            cells.pop()
        joiner = delimiter + (" " if kind == 3 else "")
        lines.append(
            joiner.join(cells).replace(",", delimiter) if delimiter != "," else joiner.join(cells)
        )
    if draw(st.integers(0, 9)) == 0:
        lines.insert(
            draw(st.integers(1, len(lines))), draw(st.sampled_from(['"a"b', '"open', "\x00"]))
        )
    end = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    text = end.join(lines) + draw(st.sampled_from([end, "", end + end]))
    if draw(st.booleans()):
        text = draw(st.sampled_from(["", "\n", BOM, BOM + "\n"])) + text
    template = "Hi {name}" if "name" in header and draw(st.booleans()) else None
    return text, template


@given(file=csv_files())
def test_any_csv_plans_as_the_general_way_in_blocks_of_any_size(
    file: tuple[str, str | None], tmp_path_factory: pytest.TempPathFactory
) -> None:
    text, template = file
    same_everywhere(text, template, tmp_path_factory.mktemp("csv"))


def test_a_bigger_file_through_open_source(tmp_path: Path) -> None:
    # Rows that repeat contents and numbers (duplicates), a sender column, then, half way, a
    # quoted line break: the rest of the file goes the general way.
    rows = [f"4477009{i % 300:05d},Hello {i % 7},{'ACME' if i % 3 else ''}" for i in range(3000)]
    rows[1500] = '447700900001,"two\nlines",ACME'
    text = "number,content,sender_id\n" + "\n".join(rows) + "\n"
    p = same_everywhere(text, tmp=tmp_path)
    assert isinstance(p, tuple) and p[1] > 0  # duplicates were dropped


def test_the_bench_file_shape(tmp_path: Path) -> None:
    text = "number,content\n" + "".join(
        f"{447000000001 + i * 10},Hello customer {i % 50} your code is {i % 50:04d}\n"
        for i in range(2000)
    )
    p = same_everywhere(text, tmp=tmp_path)
    assert isinstance(p, tuple) and len(p[0]) == 2000


# --- chosen edge cases --------------------------------------------------------------------------

EDGES = {
    "quoted fields": 'number,content\n447700900123,"Hi, there"\n"447700900124","say ""hi"""\n',
    "line break in a quoted field": 'number,content\n447700900123,"two\nlines"\n447700900124,Bye\n',
    "swallowed row": 'number,content\n447700900123,"Hello\n447700900124,World"\n',
    "unclosed quote": 'number,content\n447700900123,Hello\n447700900124,"World\n',
    "text after a closing quote": 'number,content\n447700900123,"a"b\n447700900124,Bye\n',
    "BOM and CRLF": BOM + "number,content\r\n447700900123,Hello\r\n447700900124,Bye\r\n",
    "old Mac line ends": "number,content\r447700900123,Hello\r447700900124,Bye\r",
    "blank and spaced lines": (
        "\n\nnumber,content\n\n447700900123,Hello\n   \n,\n447700900124,Bye\n\n"
    ),
    "spaces after delimiters": "number, content\n 447700900123,  Hello\n447700900124, Bye\n",
    "a space starting a line": "content,number\n Hello,447700900123\n Bye,447700900124\n",
    "more and fewer fields": (
        "number,content\n447700900123,Hello,\n447700900124\n447700900125,a,b\n"
    ),
    "duplicates": "number,content\n447700900123,Hello\n447700900123,Hello\n447700900123,Bye\n",
    # The sender is checked on a row that is a duplicate, then a later row with it is kept
    # the quick way: the requests must carry it (not the default sender).
    "a sender first seen on a duplicate row": (
        "number,content,sender_id\n447700900123,Hello,\n447700900123,Hello,ACME\n"
        "447700900124,Hello,ACME\n"
    ),
    "the same in a block read row by row": (
        "number,content,sender_id\n447700900123,Hello,\n447700900123,Hello,ACME\n"
        "447700900124,Hello,ACME\n+44 7700 900125,Hello,\n"
    ),
    "numbers to normalise": "number,content\n+44 7700 900123,Hello\n0044 7700 900124,Hello\n",
    "header in a quoted break": 'number,"con\ntent"\n447700900123,Hello\n',
    "only a header": "number,content\n\n\n",
    "NUL after rows": "number,content\n447700900123,Hello\n4477\x00,Bye\n",
    "tab separated": "number\tcontent\n447700900123\tHello\n447700900124\tHi, you\n",
    "a long line": "number,content\n447700900123,Hello\n447700900124,"
    + "x" * MAX_LINE_CHARS
    + "\n",
    "a CSV error before a long line": (
        'number,content\n447700900123,"a"b\n447700900124,' + "x" * MAX_LINE_CHARS + "\n"
    ),
    "a long line before a CSV error": (
        "number,content\n447700900124," + "x" * MAX_LINE_CHARS + '\n447700900123,"a"b\n'
    ),
    "a swallowed row before a long line": (
        'number,content\n1,"Hello\n447700900124,World"\n2,' + "x" * MAX_LINE_CHARS + "\n"
    ),
    "a line longer than the CSV field limit": (
        "number,content\n447700900123,Hello\n447700900124," + "x" * 140_000 + "\n"
    ),
}


@pytest.mark.parametrize("name", list(EDGES))
def test_edge_cases_plan_as_the_general_way(name: str, tmp_path: Path) -> None:
    same_everywhere(EDGES[name], tmp=tmp_path)


def test_edge_case_outcomes() -> None:
    # The reference itself, pinned for the cases whose error matters most.
    def error(text: str) -> str:
        result = outcome(lambda: reference(text))
        assert isinstance(result, tuple) and result[0] == "error"
        return str(result[1])

    assert error(EDGES["a CSV error before a long line"]) == (
        "b.csv line 2: not readable as CSV (',' expected after '\"')"
    )
    assert error(EDGES["swallowed row"]).startswith("b.csv line 2: a quoted field runs over line 3")
    assert error(EDGES["a swallowed row before a long line"]).startswith(
        "b.csv line 2: a quoted field runs over line 3"
    )


def test_over_long_lines_are_refused_where_iterating_refuses_them(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    for text, line in [
        (EDGES["a long line"], 3),
        (EDGES["a long line before a CSV error"], 2),
        (EDGES["a line longer than the CSV field limit"], 3),
    ]:
        path.write_text(text, encoding="utf-8")
        for chars in (5, 4096, readers._BLOCK):
            with (
                blocks_of(chars=chars),
                pytest.raises(InputError) as caught,
                open_source(str(path), None, io.StringIO()) as src,
            ):
                build_plan(src, max_chars=1024, max_sender=11)
            assert caught.value.message == f"{path} line {line} is longer than 65,536 characters"


def test_a_long_second_line_of_jsonl_on_stdin_is_refused_in_the_first_block() -> None:
    # The format is not known until the first line is read, which may be a long JSON array:
    # the limit is lowered after it, and the rest of the first block is held to it.
    text = '{"number": "447700900123", "content": "a"}\n{"content": "' + "x" * 70_000 + '"}\n'
    for chars in (64, readers._BLOCK):
        stdin = io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8")
        with (
            blocks_of(chars=chars),
            pytest.raises(InputError) as caught,
            open_source("-", None, stdin) as src,
        ):
            build_plan(src, max_chars=1024, max_sender=11)
        assert caught.value.message == "stdin line 2 is longer than 65,536 characters"


def test_a_long_incomplete_line_at_the_end_of_a_read(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text(
        "number,content\n447700900123,Hello\n1," + "x" * 70_000 + "\n", encoding="utf-8"
    )
    with (
        blocks_of(chars=40_000),
        pytest.raises(InputError) as caught,
        open_source(str(path), None, io.StringIO()) as src,
    ):
        build_plan(src, max_chars=1024, max_sender=11)
    assert caught.value.message == f"{path} line 3 is longer than 65,536 characters"


def test_one_line_rows_come_in_blocks_and_the_rest_row_by_row() -> None:
    text = "number,content\n" + "447700900123,Hello\n" * 5 + '447700900124,"a\nb"\n447700900125,c\n'
    with blocks_of(lines=2):
        src = read_source(io.StringIO(text, newline=""), Format.CSV, "b.csv")
        assert src.parts is not None
        parts = list(src.parts)
    # Lines 1-2 were read together: the header, then line 2 alone; lines 3-4, 5-6 in blocks.
    assert [(p.first, len(p.rows)) for p in parts if isinstance(p, RowBlock)] == [
        (2, 1),
        (3, 2),
        (5, 2),
    ]
    general = parts[-1]  # from the block of lines 7-8, whose row takes both
    assert not isinstance(general, RowBlock)
    assert list(general) == [(7, ["447700900124", "a\nb"]), (9, ["447700900125", "c"])]


def test_records_are_the_same_read_either_way() -> None:
    text = "number,content\n447700900123,Hello\n\n447700900124,a,b\n447700900125\n"
    with blocks_of(lines=2):
        src = read_source(io.StringIO(text, newline=""), Format.CSV, "b.csv")
        got = list(src.records)
    assert got == list(reference(text).records)


def test_plan_chunks_falls_back_where_rows_differ_in_sender_or_order_id() -> None:
    text = (
        "number,content,sender_id,order_id\n"
        "447700900123,Hello,ACME,\n447700900124,Hello,,\n447700900125,Bye,,o1\n"
        "447700900126,Hello,,\n"
    )
    p = build_plan(
        read_source(io.StringIO(text, newline=""), Format.CSV, "b.csv"),
        default_sender="DFLT",
        max_chars=40,
        max_sender=11,
    )
    assert p.by_message is None  # kept only when every row has the default sender, no order id
    for cap in (1, 2, 3, 10):
        for mixed in (True, False):
            assert _requests(plan_chunks(p, cap, mixed=mixed)) == _requests(
                chunks(p.rows, cap, mixed=mixed)
            )
    assert [c.sender_ids for c in plan_chunks(p, 10)] == [["ACME", "DFLT", "DFLT", "DFLT"]]


def test_plan_chunks_of_a_plan_without_its_messages() -> None:
    p = build_plan(
        read_source(io.StringIO("number,content\n447700900123,Hi\n"), Format.CSV, "b.csv"),
        max_chars=40,
        max_sender=11,
    )
    p.by_message = None  # as a plan rebuilt by --gsm
    assert _requests(plan_chunks(p, 5)) == _requests(chunks(p.rows, 5))
    with pytest.raises(ValueError, match="cap"):
        list(plan_chunks(p, 0))
    p = build_plan(
        read_source(io.StringIO("number,content\n447700900123,Hi\n"), Format.CSV, "b.csv"),
        max_chars=40,
        max_sender=11,
    )
    with pytest.raises(ValueError, match="cap"):
        list(plan_chunks(p, 0))


def test_the_csv_module_reads_a_block_as_it_reads_its_lines_one_by_one() -> None:
    # What the block reading rests on: a new row starts every line of such a block.
    lines = ["a, b\n", "\n", '"c",d\r\n', "e\r", "f"]
    whole = list(csv.reader(lines, skipinitialspace=True, strict=True))
    one_by_one = [
        row for line in lines for row in csv.reader([line], skipinitialspace=True, strict=True)
    ]
    assert whole == one_by_one == [["a", "b"], [], ["c", "d"], ["e"], ["f"]]


@given(
    text=st.text(alphabet='a,"\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029é', max_size=60),
    chars=st.sampled_from([1, 2, 3, 7, readers._BLOCK]),
)
def test_lines_are_split_as_universal_newlines_split_them(text: str, chars: int) -> None:
    # A block is split with str.splitlines when it holds none of the other characters
    # that splitlines breaks at; the lines must be io's, whatever the block.
    expected = io.StringIO(text, newline="").readlines()
    with blocks_of(chars=chars):
        one_by_one = list(readers.LineReader("t", io.BytesIO(text.encode()), None, owned=True))
        in_blocks = list(
            chain.from_iterable(
                readers.LineReader("t", io.BytesIO(text.encode()), None, owned=True).blocks()
            )
        )
        as_text = list(readers.LineReader("t", None, io.StringIO(text, newline=""), owned=True))
    assert one_by_one == in_blocks == as_text == expected


def test_planning_pauses_the_collector_and_freezes_only_where_start_up_froze() -> None:
    import gc

    from smscli.collector import paused

    gc.unfreeze()  # a process that never froze (tests, embedding)
    assert gc.isenabled()
    with paused(freeze_built=True):
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.freeze()  # as the console script does once start-up is over (smscli.entry)
    try:
        frozen = gc.get_freeze_count()
        with paused(freeze_built=True):
            built: list[list[int]] = [[] for _ in range(100)]
        assert gc.isenabled() and gc.get_freeze_count() >= frozen + len(built)
        gc.disable()  # already paused by someone else: left as it is
        with paused(freeze_built=True):
            pass
        assert not gc.isenabled()
        gc.enable()
    finally:
        gc.unfreeze()
