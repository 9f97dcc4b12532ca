"""The bulk way of reading a numbers file (numbers_from_reader: plain lines handed to the
collector a reader block at a time) against the line-by-line way (numbers_from_lines over the
reader's lines): the same numbers, duplicates, inputs, bad numbers with their lines, or the
same error, whatever the read size (so block boundaries fall anywhere, inside lines too)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscli import readers
from smscli.errors import InputError
from smscli.numberfile import PlainBlock, PlainText, numbers_from_lines, numbers_from_reader
from smscli.numberlist import NumberCollector, plain_keys, read_numbers, text_keys
from smscli.readers import LineReader

Outcome = tuple[object, ...]


@contextmanager
def reads_of(chars: int) -> Iterator[None]:
    saved = readers._BLOCK
    readers._BLOCK = chars
    try:
        yield
    finally:
        readers._BLOCK = saved


def outcome(
    data: bytes,
    *,
    bulk: bool,
    chars: int = readers._BLOCK,
    column: str | None = None,
    max_line: int | None = None,
) -> Outcome:
    reader = LineReader("numbers.txt", io.BytesIO(data), None, owned=False)
    if max_line is not None:
        reader.max_line = max_line
    collector = NumberCollector(detail_limit=5)
    with reads_of(chars):
        try:
            if bulk:
                collector.extend(numbers_from_reader(reader, source="numbers.txt", column=column))
            else:
                collector.extend(numbers_from_lines(reader, source="numbers.txt", column=column))
        except InputError as exc:
            return ("error", str(exc), exc.hint)
    bad = [(b.value, b.line, b.reason) for b in collector.bad]
    return (
        list(collector.valid),
        collector.duplicates,
        collector.inputs,
        collector.bad_count,
        bad,
    )


_LINES = st.one_of(
    st.integers(447000000001, 447000000030).map(str),  # valid, with duplicates
    st.sampled_from(
        [
            "",
            "   ",
            "# a comment",
            "Phone",
            "+44 7700 900123",
            "0044-7700-900124",
            "07700900123",  # starts with 0
            "12345",  # too short
            "1234567890123456",  # too long
            "abc",
            "447000000001,447000000002",
            "447000000003;447000000004",
            "447000000005\t447000000006",
            "x" * 50,  # over-long when max_line is lowered
            "٤٤٧٠٠٠٠٠٠٠٠٠١",  # Arabic-Indic digits
        ]
    ),
)


@st.composite
def numbers_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(_LINES, max_size=40))
    ends = draw(
        st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines))
    )
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    if lines and draw(st.booleans()):
        text = text.rstrip("\r\n")  # no line end after the last line
    data = text.encode()
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    trouble = draw(st.sampled_from([None, None, None, b"\x00", b"\xe9"]))
    if trouble is not None and data:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + trouble + data[at:]
    return data


@settings(max_examples=300, deadline=None)
@given(
    data=numbers_files(),
    chars=st.sampled_from([1, 2, 3, 5, 7, 16, 64, 128, 256, readers._BLOCK]),
    max_line=st.sampled_from([None, 40, 10]),
    column=st.sampled_from([None, None, None, "1", "Phone"]),
)
def test_bulk_reading_equals_line_by_line(
    data: bytes, chars: int, max_line: int | None, column: str | None
) -> None:
    expected = outcome(data, bulk=False, chars=chars, column=column, max_line=max_line)
    assert outcome(data, bulk=True, chars=chars, column=column, max_line=max_line) == expected


def _file(count: int, start: int = 447000000001) -> str:
    return "".join(f"{start + i}\n" for i in range(count))


@pytest.mark.parametrize("chars", [7, 100, 1000, readers._BLOCK])
def test_clean_numbers_cross_block_boundaries(chars: int) -> None:
    # 13 characters a line: no read size here ends on a line end every time.
    data = (_file(500) + _file(20)).encode()  # 20 duplicates, in a later block
    expected = outcome(data, bulk=False, chars=chars)
    assert outcome(data, bulk=True, chars=chars) == expected
    assert expected[:3] == ([str(447000000001 + i) for i in range(500)], 20, 520)


def test_the_blocks_are_the_readers_own_reads() -> None:
    data = ("Phone\n" + _file(300)).encode()
    reader = LineReader("numbers.txt", io.BytesIO(data), None, owned=False)
    with reads_of(1000):
        items = list(numbers_from_reader(reader, source="numbers.txt"))
    assert all(isinstance(item, PlainText) for item in items)
    assert len(items) > 2  # several reads, one text each, none split into lines
    texts = [item for item in items if isinstance(item, PlainText)]
    sizes = [block.text.count("\n") for block in texts]
    assert [block.first_line for block in texts] == [2 + sum(sizes[:i]) for i in range(len(sizes))]
    assert "".join(block.text for block in texts) == _file(300)


def test_crlf_and_old_mac_reads_come_as_lines() -> None:
    data = ("447000000001\r\n" * 3 + "447000000002\r" * 3 + "447000000003\n").encode()
    reader = LineReader("numbers.txt", io.BytesIO(data), None, owned=False)
    items = list(numbers_from_reader(reader, source="numbers.txt"))
    assert isinstance(items[1], PlainBlock)
    assert items[1].lines[-1] == "447000000003\n"
    assert outcome(data, bulk=True) == outcome(data, bulk=False)


@settings(max_examples=200, deadline=None)
@given(
    data=numbers_files(),
    chars=st.sampled_from([1, 2, 5, 64, readers._BLOCK]),
    max_line=st.sampled_from([None, 40]),
)
def test_texts_are_the_blocks_joined(data: bytes, chars: int, max_line: int | None) -> None:
    def run(texts: bool) -> list[object]:
        reader = LineReader("numbers.txt", io.BytesIO(data), None, owned=False)
        if max_line is not None:
            reader.max_line = max_line
        got: list[object] = []
        with reads_of(chars):
            try:
                for item in reader.texts() if texts else reader.blocks():
                    if isinstance(item, str):
                        assert item.endswith("\n") and "\r" not in item
                        item = item.splitlines(keepends=True)
                    got.append(item)
            except InputError as exc:
                got.append(str(exc))
        return got

    assert run(texts=True) == run(texts=False)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "447000000001",
                "123456",
                "999999999999999",
                "1000000000000000",
                "12345",
                "0123456",
                "0",
                "",
                " 447000000001",
                "4470000000011",
                "1" * 5000,
                "44700000000\u0661",
            ]
        ),
        min_size=1,
        max_size=8,
    )
)
def test_text_keys_equals_plain_keys(lines: list[str]) -> None:
    text = "".join(line + "\n" for line in lines)
    assert text_keys(text) == plain_keys(text.splitlines(keepends=True))


@pytest.mark.parametrize("chars", [5, 64, 500, readers._BLOCK])
def test_an_over_long_line_in_a_later_block_is_reported_at_its_line(chars: int) -> None:
    lines = _file(100).splitlines(keepends=True)
    lines[70] = "4" * 60 + "\n"  # line 71
    lines[90] = "abc\n"  # a bad number after it: the long line stops the reading first
    data = "".join(lines).encode()
    expected = outcome(data, bulk=False, chars=chars, max_line=40)
    assert expected[0] == "error"
    assert "numbers.txt line 71 is longer than 40 characters" in str(expected[1])
    assert outcome(data, bulk=True, chars=chars, max_line=40) == expected


def test_an_over_long_first_line_and_an_endless_last_line() -> None:
    for text, line in (("x" * 80 + "\n" + _file(3), 1), (_file(5) + "4" * 80, 6)):
        data = text.encode()
        for chars in (3, 64, readers._BLOCK):
            expected = outcome(data, bulk=False, chars=chars, max_line=40)
            assert expected[0] == "error" and f"line {line} is longer" in str(expected[1])
            assert outcome(data, bulk=True, chars=chars, max_line=40) == expected


@pytest.mark.parametrize("chars", [6, 64, readers._BLOCK])
def test_bad_numbers_keep_their_lines_across_blocks(chars: int) -> None:
    lines = _file(60).splitlines(keepends=True)
    lines[3] = "\r\n"
    lines[10] = "# comment\n"
    lines[20] = "07700900123\r\n"
    lines[41] = "+44 7700 900123\n"
    lines[50] = "447000000001,abc\n"
    lines[59] = "12"  # no line end
    data = b"\xef\xbb\xbf" + "".join(lines).encode()
    expected = outcome(data, bulk=False, chars=chars)
    assert outcome(data, bulk=True, chars=chars) == expected
    assert [(value, line) for value, line, _ in expected[4]] == [  # type: ignore[misc]
        ("07700900123", 21),
        ("abc", 51),
        ("12", 60),
    ]


def test_read_numbers_reads_a_file_the_bulk_way(tmp_path: Path) -> None:
    path = tmp_path / "numbers.txt"
    path.write_bytes(b"\xef\xbb\xbfPhone\r\n" + _file(5000).encode() + _file(3).encode())
    numbers = read_numbers([], numbers_file=str(path), column=None, order_ids=None)
    assert list(numbers.numbers) == [str(447000000001 + i) for i in range(5000)]
    assert (numbers.duplicates, numbers.source_count) == (3, 5003)
    path.write_bytes(_file(10).encode() + b"4470000000x1\n" + _file(2).encode())
    with pytest.raises(InputError) as caught:
        read_numbers([], numbers_file=str(path), column=None, order_ids=None)
    assert f"{path} line 11: '4470000000x1'" in str(caught.value)
