from __future__ import annotations

import csv
import io
import itertools
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from smscli.errors import InputError
from smscli.numberfile import RawNumber, numbers_from_lines, open_input
from smscli.numberlist import BadNumber, NumberCollector, numbers_from_args
from smscli.numbers import _TRUNK_MARK, STARTS_WITH_ZERO, check, normalize

VALID = "6281211111111"


def values(raws: Iterable[RawNumber]) -> list[tuple[str, int]]:
    return [(raw.value, raw.line) for raw in raws]


def from_text(text: str, *, source: str = "stdin", column: str | None = None) -> list[RawNumber]:
    return list(numbers_from_lines(io.StringIO(text, newline=""), source=source, column=column))


# --- normalize ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6281211111111", "6281211111111"),
        ("62 812 1111 1111", "6281211111111"),  # spaces
        ("  6281211111111\t", "6281211111111"),  # outer whitespace
        ("62\u00a0812\u202f1111\u20091111", "6281211111111"),  # no-break, narrow, thin spaces
        ("62\u3000812", "62812"),  # ideographic space
        ("62-812-1111-1111", "6281211111111"),  # dashes
        ("62\u2013812\u2014111\u2212111", "62812111111"),  # en dash, em dash, minus sign
        ("62.812.1111.1111", "6281211111111"),  # dots
        ("62 (812) 1111", "628121111"),  # parentheses
        ("62/812/1111", "628121111"),  # slashes
        ("+62 812 1111 1111", "6281211111111"),  # + prefix
        ("0062 812 1111 1111", "6281211111111"),  # 00 prefix
        ("(+62) 812-1111-1111", "6281211111111"),  # prefix inside punctuation
        ("+ 62 812", "62812"),
        ("\uff0b62 812", "62812"),  # fullwidth plus
        ("+00 44 20 7946 0000", "442079460000"),  # both prefixes
        ("\u202a+62 812 1111 1111\u202c", "6281211111111"),  # bidi marks from copy-paste
        ("62\u200b812\u2060111\ufeff1", "628121111"),  # zero-width characters
        ("0812 1111 1111", "081211111111"),  # a single 0 is a trunk prefix, not stripped
        ("12ab", "12ab"),
        ("", ""),
        ("+", ""),
        ("62+812", "62+812"),  # only a leading + is a prefix
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_removes_every_unicode_whitespace() -> None:
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    assert spaces
    assert normalize("62" + "".join(spaces) + "812") == "62812"


def test_ascii_and_unicode_paths_agree() -> None:
    # A non-ASCII character sends the input through str.translate instead of bytes.translate.
    decorated = " +62 (812) 11-11.11/11\t"
    assert normalize(decorated + "\u00a0") == normalize(decorated) == "6281211111111"


# --- check --------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["628121", "628121111111111", VALID, "12025550123"])
def test_check_accepts(number: str) -> None:
    assert check(number) is None


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "empty"),
        ("12ab", "has letters"),
        ("62812x", "has letters"),
        ("628\u00e9", "has letters"),
        ("62812*1", "has characters that are not digits: '*'"),
        ("62+812", "has characters that are not digits: '+'"),
        ("\u0666\u0662\u0668\u0661\u0662\u0661", "has digits other than 0-9"),  # Arabic-Indic
        ("62812\u00b2", "has characters that are not digits: '²'"),
        ("62812", "too short (5 digits, at least 6)"),
        ("6281211111111111", "too long (16 digits, at most 15)"),
        ("081211111111", STARTS_WITH_ZERO),
        ("0", STARTS_WITH_ZERO),
    ],
)
def test_check_reasons(number: str, reason: str) -> None:
    result = check(number)
    assert result is not None
    assert result.startswith(reason)


def test_starts_with_zero_reason_is_the_documented_text() -> None:
    assert check("0812111111") == (
        "starts with 0: write it in international form with the country code, e.g. 6281211111111"
    )


# --- arguments ----------------------------------------------------------------------------------


def test_numbers_from_args_splits_commas_and_keeps_positions() -> None:
    raws = list(numbers_from_args(["6281211111111,6281222222222,", "+62 812 3333 3333", "1, 2"]))
    assert values(raws) == [
        ("6281211111111", 1),
        ("6281222222222", 1),
        ("+62 812 3333 3333", 2),
        ("1", 3),
        ("2", 3),
    ]
    assert {raw.source for raw in raws} == {"argument"}


def test_numbers_from_args_skips_empty_pieces_but_reports_empty_arguments() -> None:
    assert values(numbers_from_args(["1,,2,"])) == [("1", 1), ("2", 1)]
    # An unset shell variable must not vanish silently.
    assert values(numbers_from_args(["", " , "])) == [("", 1), ("", 2)]


# --- plain lines --------------------------------------------------------------------------------


def test_plain_lines_skip_blanks_and_comments() -> None:
    text = "# campaign list\n\n6281211111111\n   \n# another comment\n+62 812 2222 2222\r\n\n"
    assert values(from_text(text)) == [("6281211111111", 3), ("+62 812 2222 2222", 6)]


def test_plain_lines_skip_a_known_header() -> None:
    assert values(from_text("Phone\n6281211111111\n")) == [("6281211111111", 2)]
    assert values(from_text("Alice\n")) == [("Alice", 1)]  # an unknown word is reported


def test_plain_lines_record_the_source() -> None:
    assert from_text("6281211111111\n", source="list.txt") == [
        RawNumber("6281211111111", "list.txt", 1)
    ]


def test_bom_is_dropped_even_if_the_caller_kept_it() -> None:
    assert values(from_text("\ufeff6281211111111\n")) == [("6281211111111", 1)]
    assert values(from_text("\ufeffPhone\r\n6281211111111\r\n")) == [("6281211111111", 2)]


def test_input_is_consumed_lazily() -> None:
    endless = (f"62812{n:08d}\n" for n in itertools.count())
    first = list(itertools.islice(numbers_from_lines(endless, source="stdin"), 3))
    assert [raw.line for raw in first] == [1, 2, 3]

    rows = itertools.chain(["Name,Phone\n"], (f"n{n},62812{n:08d}\n" for n in itertools.count()))
    first = list(itertools.islice(numbers_from_lines(rows, source="stdin"), 3))
    assert [raw.value for raw in first] == ["6281200000000", "6281200000001", "6281200000002"]


def test_empty_input() -> None:
    assert from_text("") == []
    assert from_text("\n\n# nothing\n") == []
    assert from_text("Name,Phone\r\n") == []
    assert from_text("Name,Phone\r\n\r\n,\r\n") == []


# --- CSV ----------------------------------------------------------------------------------------

SPREADSHEET = (
    "\ufeffName,Phone\r\n"
    '"Doe, John",+62 812 1111 1111\r\n'
    '"Roe, Jane","0062 (812) 2222-2222"\r\n'
    "\r\n"
    "Bad Guy,12ab\r\n"
)


def test_csv_as_spreadsheets_export_it(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(SPREADSHEET.encode("utf-8"))
    with open_input(str(path), sys.stdin) as stream:
        raws = list(numbers_from_lines(stream, source=str(path)))
    assert values(raws) == [
        ("+62 812 1111 1111", 2),
        ("0062 (812) 2222-2222", 3),
        ("12ab", 5),
    ]
    assert {raw.source for raw in raws} == {str(path)}


def test_csv_opened_without_newline_translation_and_bom_handling() -> None:
    # Same data as read through plain open(encoding="utf-8") with universal newlines.
    lines = SPREADSHEET.replace("\r\n", "\n").splitlines(keepends=True)
    assert [raw.line for raw in numbers_from_lines(lines, source="f")] == [2, 3, 5]


@pytest.mark.parametrize("column", ["Phone", "phone", "  PHONE ", "2"])
def test_column_by_name_or_index(column: str) -> None:
    text = "Name,Phone,Mobile\nAlice,6281211111111,6281222222222\n"
    assert values(from_text(text, column=column)) == [("6281211111111", 2)]


def test_column_index_three() -> None:
    text = "Name,Phone,Mobile\nAlice,6281211111111,6281222222222\n"
    assert values(from_text(text, column="3")) == [("6281222222222", 2)]


def test_a_header_named_like_a_number_is_matched_by_name_first() -> None:
    text = "Name,1,2\nAlice,6281211111111,6281222222222\n"
    assert values(from_text(text, column="1")) == [("6281211111111", 2)]


def test_unknown_column_names_the_available_ones() -> None:
    with pytest.raises(InputError) as caught:
        from_text("Name,Phone\nAlice,6281211111111\n", source="c.csv", column="cell")
    message = str(caught.value)
    assert "c.csv" in message
    assert "'cell'" in message
    assert "'Name'" in message
    assert "'Phone'" in message
    assert "\n" not in message


@pytest.mark.parametrize("column", ["0", "3"])
def test_column_index_out_of_range(column: str) -> None:
    with pytest.raises(InputError) as caught:
        from_text("Name,Phone\nAlice,6281211111111\n", column=column)
    assert f"no column {column}" in str(caught.value)
    assert "'Phone'" in str(caught.value)


def test_column_name_without_header_row() -> None:
    with pytest.raises(InputError, match="no header row") as caught:
        from_text("Alice,6281211111111\n", column="Phone")
    assert "1 to 2" in str(caught.value)


def test_column_given_makes_single_column_input_csv() -> None:
    assert values(from_text("6281211111111\n", column="1")) == [("6281211111111", 1)]


@pytest.mark.parametrize(
    "name", ["number", "Numbers", "PHONE", "phones", "Mobile", "msisdn", "To", "Phone Number"]
)
def test_known_header_names(name: str) -> None:
    text = f"Code,{name},Other\n1,6281211111111,6281222222222\n"
    assert values(from_text(text)) == [("6281211111111", 2)]


def test_header_preference_order() -> None:
    text = "Mobile,Phone\n6281211111111,6281222222222\n"
    assert values(from_text(text)) == [("6281222222222", 2)]


def test_unknown_header_guesses_from_first_data_row() -> None:
    text = "Who,When,Where\nAlice,2024,+62 812 1111 1111\nBob,2025,62812x\n"
    assert values(from_text(text)) == [("+62 812 1111 1111", 2), ("62812x", 3)]


def test_headerless_csv_keeps_its_first_row() -> None:
    # "Alice" has letters, but a row holding a valid number is data, not a header.
    text = "Alice,6281211111111\nBob,6281222222222\n"
    assert values(from_text(text)) == [("6281211111111", 1), ("6281222222222", 2)]


def test_cannot_guess_the_column() -> None:
    with pytest.raises(InputError, match="which column") as caught:
        from_text("Who,What\nAlice,nothing\n")
    assert "--column" in str(caught.value)
    assert "'What'" in str(caught.value)


def test_semicolon_separated_csv() -> None:
    text = 'Name;Phone\r\n"Doe; John";+62 812 1111 1111\r\nJane;62 812 2222 2222\r\n'
    assert values(from_text(text)) == [("+62 812 1111 1111", 2), ("62 812 2222 2222", 3)]


def test_tab_separated_csv() -> None:
    text = "Name\tMSISDN\nDoe, John\t6281211111111\n"
    assert values(from_text(text)) == [("6281211111111", 2)]


def test_delimiter_inside_quotes_does_not_count() -> None:
    text = '"a;b;c",Phone\nx,6281211111111\n'
    assert values(from_text(text)) == [("6281211111111", 2)]


def test_multi_line_quoted_field_counts_physical_lines() -> None:
    text = 'Name,Phone\r\n"two\r\nlines",6281211111111\r\nBob,bad\r\n'
    assert values(from_text(text)) == [("6281211111111", 2), ("bad", 4)]


def test_csv_skips_blank_rows_and_comment_cells_and_reports_short_rows() -> None:
    text = "Name,Phone\n,\n\nnote,# not a number\nAlice\nBob,6281211111111\n"
    assert values(from_text(text)) == [("", 5), ("6281211111111", 6)]


def test_csv_with_row_number_header_and_leading_comment() -> None:
    text = "# exported\n#,Name,Phone\n1,Alice,6281211111111\n"
    assert values(from_text(text)) == [("6281211111111", 3)]


def test_broken_csv_raises_input_error() -> None:
    # A field over csv's default size limit (131072 characters).
    text = "Name,Phone\n" + "x" * 200_000 + ",1\n"
    with pytest.raises(InputError, match="line 2"):
        from_text(text)


# --- open_input ---------------------------------------------------------------------------------


def test_open_input_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(InputError) as caught:
        open_input(str(missing), sys.stdin)
    message = str(caught.value)
    assert str(missing) in message
    assert "not found" in message
    assert "\n" not in message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_open_input_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory"):
        open_input(str(tmp_path), sys.stdin)


def test_open_input_names_undecodable_bytes_and_their_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("Name,Phone\r\nJos\u00e9,6281211111111\r\n".encode("latin-1"))
    with (
        open_input(str(path), sys.stdin) as stream,
        pytest.raises(InputError, match=r"line 2 is not UTF-8 \(byte 0xE9 at column 4\)"),
    ):
        values(numbers_from_lines(stream, source="f"))


def test_open_input_dash_reads_stdin_bytes_and_drops_the_bom() -> None:
    stdin = io.TextIOWrapper(io.BytesIO("\ufeff6281211111111\n".encode()), encoding="utf-8")
    with open_input("-", stdin) as stream:
        assert list(stream) == ["6281211111111\n"]
    assert not stdin.closed
    stdin.close()


def test_open_input_dash_accepts_any_text_stream() -> None:
    stdin = io.StringIO("\ufeff6281211111111\n")
    stream = open_input("-", stdin)
    assert values(numbers_from_lines(stream, source="stdin")) == [("6281211111111", 1)]


# --- NumberCollector ----------------------------------------------------------------------------


def collect(*raw_values: str, source: str = "stdin") -> NumberCollector:
    collector = NumberCollector()
    collector.extend(RawNumber(v, source, i) for i, v in enumerate(raw_values, start=1))
    return collector


def test_collector_keeps_first_seen_order_and_counts_duplicates() -> None:
    collector = collect(
        "+62 812 2222 2222", "6281211111111", "0062-812-2222-2222", "6281222222222", "62812111111"
    )
    assert list(collector.valid) == ["6281222222222", "6281211111111", "62812111111"]
    assert collector.duplicates == 2
    assert collector.bad_count == 0
    assert collector.bad == []
    assert collector.error_report() == ""


def test_bad_numbers_are_not_deduplicated() -> None:
    collector = collect("12ab", "12ab")
    assert collector.bad_count == 2
    assert collector.duplicates == 0


def test_collector_records_bad_numbers_with_their_lines() -> None:
    raws = from_text("6281211111111\n\n12ab\n0812 1111 1111\n", source="list.txt")
    collector = NumberCollector()
    collector.extend(raws)
    assert collector.bad == [
        BadNumber("12ab", "list.txt", 3, "has letters"),
        BadNumber("0812 1111 1111", "list.txt", 4, STARTS_WITH_ZERO),
    ]
    assert list(collector.valid) == ["6281211111111"]


def test_valid_view() -> None:
    collector = collect("6281211111111", "6281222222222", "6281233333333")
    valid = collector.valid
    assert len(valid) == 3
    assert valid[0] == "6281211111111"
    assert valid[-1] == "6281233333333"
    assert valid[1:] == ["6281222222222", "6281233333333"]
    assert "6281222222222" in valid
    assert next(reversed(valid)) == "6281233333333"


def test_error_report_format() -> None:
    collector = collect("6281211111111", "12ab", "123", source="stdin")
    collector.add(RawNumber("", "argument", 2))
    assert collector.error_report() == (
        "3 invalid numbers:\n"
        "  stdin line 2: '12ab' has letters\n"
        "  stdin line 3: '123' too short (3 digits, at least 6)\n"
        "  argument 2: '' empty"
    )


def test_error_report_singular() -> None:
    assert collect("x").error_report() == "1 invalid number:\n  stdin line 1: 'x' has letters"


def test_error_report_over_the_limit() -> None:
    collector = collect(*(f"bad{n}" for n in range(25)), source="nums.txt")
    assert collector.bad_count == 25
    assert len(collector.bad) == 20  # detail kept for the first 20 only
    lines = collector.error_report().splitlines()
    assert lines[0] == "25 invalid numbers:"
    assert lines[1] == "  nums.txt line 1: 'bad0' has letters"
    assert lines[20] == "  nums.txt line 20: 'bad19' has letters"
    assert lines[21] == "  … and 5 more"
    assert len(lines) == 22
    assert collector.error_report(limit=3).splitlines()[-1] == "  … and 22 more"


def test_error_report_shortens_long_values() -> None:
    report = collect("x" * 500).error_report()
    assert len(report.splitlines()[1]) < 100


# --- properties ---------------------------------------------------------------------------------

DIGITS = st.from_regex(re.compile(r"[1-9][0-9]{5,14}", re.ASCII), fullmatch=True)
SEPARATORS = st.sampled_from([" ", "-", "(", ")", ".", "/", "\u00a0", "\u2013", "\t", ""])


@given(st.text())
def test_normalize_is_idempotent(raw: str) -> None:
    once = normalize(raw)
    assert normalize(once) == once


@given(st.text())
def test_check_agrees_with_the_definition(text: str) -> None:
    valid = re.fullmatch(r"[1-9][0-9]{5,14}", text, flags=re.ASCII) is not None
    assert (check(text) is None) == valid


@given(DIGITS, st.sampled_from(["+", "00", "", "+ ", "00 "]), st.data())
def test_decorated_numbers_normalise_back(digits: str, prefix: str, data: st.DataObject) -> None:
    decorated = prefix + "".join(
        data.draw(SEPARATORS) + digit + data.draw(SEPARATORS) for digit in digits
    )
    # "+44 (0) 20…" is the trunk-prefix notation: its "(0)" is dropped (tested on its own).
    assume(_TRUNK_MARK.match(decorated) is None)
    assert normalize(decorated) == digits
    assert check(normalize(decorated)) is None


@given(st.lists(st.tuples(DIGITS, st.sampled_from(["", "\n", "# note\n", "  \n"]))))
def test_plain_lines_round_trip(entries: list[tuple[str, str]]) -> None:
    text, expected, line = "", [], 0
    for digits, filler in entries:
        text += filler + digits + "\r\n"
        line += filler.count("\n") + 1
        expected.append((digits, line))
    assert values(from_text(text)) == expected


NAMES = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r"))


@given(st.lists(st.tuples(NAMES, DIGITS), min_size=1))
def test_csv_round_trip(rows: list[tuple[str, str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Name", "Phone"])
    expected, line = [], 2
    for name, digits in rows:
        writer.writerow([name, digits])
        expected.append((digits, line))
        line += 1 + name.count("\n")
    assert values(from_text("\ufeff" + buffer.getvalue())) == expected


@given(st.text(alphabet="+0 1-\u00a0"))
def test_normalize_leaves_no_international_prefix(raw: str) -> None:
    assert not normalize(raw).startswith(("+", "00"))


def test_valid_view_is_live_and_cheap_to_ask_for() -> None:
    collector = NumberCollector()
    valid = collector.valid
    collector.add(RawNumber(VALID, "argument", 1))
    assert len(valid) == 1
    assert collector.valid is valid


# -- the block path for bulk plain input ---------------------------------------------------------


def _collect_blocks(text: str) -> NumberCollector:
    collector = NumberCollector()
    collector.extend(numbers_from_lines(io.StringIO(text), source="stdin", blocks=True))
    return collector


def test_block_path_equals_the_line_path_on_clean_input() -> None:
    lines = [str(447000000001 + i) for i in range(10_000)] + ["447000000001"]  # one duplicate
    text = "\n".join(lines) + "\n"
    fast = _collect_blocks(text)
    slow = NumberCollector()
    slow.extend(numbers_from_lines(io.StringIO(text), source="stdin"))
    assert list(fast.valid) == list(slow.valid)
    assert fast.duplicates == slow.duplicates == 1
    assert fast.inputs == 10_001


def test_block_path_reports_the_exact_line_of_a_bad_number() -> None:
    lines = [str(447000000001 + i) for i in range(9_000)]
    lines[6_000] = "44 70 bad"
    lines[100] = ""  # blank lines and comments are skipped, not errors
    lines[200] = "# a comment"
    lines[300] = "+44 7000 000301"  # needs cleaning: still valid
    collector = _collect_blocks("\n".join(lines) + "\n")
    assert collector.bad_count == 1
    assert collector.bad[0].line == 6_001
    assert "447000000301" in set(collector.valid)
    assert len(collector.valid) == 9_000 - 3


def test_block_path_keeps_a_single_column_header_out() -> None:
    collector = _collect_blocks("Phone\r\n447000000001\r\n447000000002")
    assert list(collector.valid) == ["447000000001", "447000000002"]
    assert collector.bad_count == 0


# --- normalize_lines: a block of lines at once ----------------------------------------------------

_PIECES = st.sampled_from(
    ["+", "00", "0", " ", "-", ".", "/", ")", "\u00a0", "\t", ",", "#", "(", "|", "é"]
)
_LINE = st.lists(_PIECES | st.sampled_from("123456789"), max_size=22).map("".join)


@given(st.lists(_LINE, max_size=6))
def test_normalize_lines_agrees_with_each_line_normalised(bodies: list[str]) -> None:
    from smscli.numbers import normalize_lines

    lines = [body + "\n" for body in bodies]
    keys = normalize_lines(lines)
    one_by_one = [normalize(line) for line in lines]
    every_valid = all(check(n) is None for n in one_by_one)
    simple = all(
        line.isascii() and not any(c in line for c in ",;\t#(|") for line in lines
    )
    if keys is not None:
        assert every_valid and keys == [int(n) for n in one_by_one]
    else:
        assert not (every_valid and simple) or not lines


def test_normalize_lines_cleans_what_people_write() -> None:
    from smscli.numbers import normalize_lines

    lines = ["+44 7700 900123\n", "0044-7700-900124\r\n", "+00 44.7700.900125", "447700900126\n"]
    assert normalize_lines(lines) == [447700900123, 447700900124, 447700900125, 447700900126]
    assert normalize_lines(["+44 7700 900123\n", "\n"]) is None  # a blank line: the usual way
    assert normalize_lines(["+44 (0) 7700 900123\n"]) is None  # the trunk mark: the usual way


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "+", "00", "+00", " + "]),
            st.integers(10**5, 10**15 - 1),
            st.sampled_from(["", " ", "-", ".", "/", "\t "]),
            st.sampled_from(["\n", "\r\n", ""]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_normalize_lines_takes_decorated_valid_numbers(
    parts: list[tuple[str, int, str, str]],
) -> None:
    from smscli.numbers import normalize_lines

    lines = [
        prefix + sep.join([str(n)[:3], str(n)[3:]]) + end
        for prefix, n, sep, end in parts
        if "\t" not in sep  # a tab is a delimiter: two numbers, the usual way
    ]
    if lines:
        assert normalize_lines(lines) == [int(normalize(line)) for line in lines]


def test_the_whitespace_table_is_pythons() -> None:
    # numbers.py writes str.isspace()'s characters out instead of scanning for them at import.
    from smscli import numbers

    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert spaces == numbers._WHITESPACE


# --- plain_keys: the fast path for a block of plain digit lines --------------------------------

# Lines near the edge of the fast path: digits (0 among them), line ends in every order,
# and what the usual way still cleans ("+", spaces) or reports (letters).
_NEAR_PLAIN = st.lists(
    st.sampled_from(["1", "4", "7", "0", "9", "\r", "\n", "\r\n", " ", "+", "x", "|"]),
    max_size=20,
).map("".join)
# Clean numbers with at most one spoiler: a prefix, an end or a whole line that may take a
# block off the fast path (or not: "\n\n" after a number is cleaned away by the usual way too).
_CLEAN_PARTS = st.lists(
    st.tuples(st.integers(10**5, 10**15 - 1), st.sampled_from(["\n", "\r\n", "\r"])),
    min_size=1,
    max_size=5,
)
_SPOILER = st.none() | st.tuples(
    st.integers(0, 4),
    st.sampled_from(["prefix", "end", "line"]),
    st.sampled_from(["0", "\n", "\r", "+", " ", "\n\n", "\n\r", "\n7", "1", "x", "", "|"])
    | _NEAR_PLAIN,
)


@st.composite
def _mostly_plain(draw: st.DrawFn) -> list[str]:
    lines = [f"{number}{end}" for number, end in draw(_CLEAN_PARTS)]
    spoiler = draw(_SPOILER)
    if spoiler is not None:
        at, where, text = spoiler
        at %= len(lines)
        if where == "prefix":
            lines[at] = text + lines[at]
        elif where == "end":
            lines[at] = lines[at] + text
        else:
            lines[at] = text
    return lines


def _usual_way(lines: list[str]) -> tuple[list[str], int, list[tuple[int, str]]]:
    """The general per-line path: kept numbers, duplicates, and (line, reason) of the bad."""
    collector = NumberCollector()
    collector.extend(
        raw
        for i, line in enumerate(lines)
        if (text := line.strip()) and not text.startswith("#")
        for raw in line_values_of(text, i + 1)
    )
    return list(collector.valid), collector.duplicates, [(b.line, b.reason) for b in collector.bad]


def line_values_of(text: str, line: int) -> Iterable[RawNumber]:
    from smscli.numberfile import line_values

    return line_values(text, "stdin", line)


@settings(max_examples=300)
@given(_mostly_plain() | st.lists(_NEAR_PLAIN, min_size=1, max_size=5))
def test_plain_keys_gives_what_the_usual_way_gives(lines: list[str]) -> None:
    from smscli.numberlist import plain_keys

    keys = plain_keys(lines)
    event("fast" if keys is not None else "usual")
    if keys is not None:
        valid, duplicates, bad = _usual_way(lines)
        assert not bad
        assert len(keys) == len(lines)
        assert list(dict.fromkeys(keys)) == [int(number) for number in valid]
        assert duplicates == len(keys) - len(set(keys))


@given(
    st.lists(
        st.tuples(st.integers(10**5, 10**15 - 1), st.sampled_from(["\n", "\r\n", "\r", ""])),
        min_size=1,
        max_size=8,
    )
)
def test_plain_keys_takes_every_clean_block(parts: list[tuple[int, str]]) -> None:
    # What the regex per line used to take (digits from 1-9 on, 6 to 15 of them, one line
    # end) the fast path takes too.
    from smscli.numberlist import plain_keys

    lines = [f"{number}{end}" for number, end in parts]
    assert plain_keys(lines) == [number for number, _ in parts]
    # Line ends the regex did not take, which the usual way cleans away all the same.
    assert plain_keys([f"{number}\r\n\n" for number, _ in parts]) == [n for n, _ in parts]


@pytest.mark.parametrize(
    "lines",
    [
        ["447000000001\n", "\n"],  # a blank line
        ["447000000001\n", "\r447000000002\n"],  # a line end first
        ["0447000000001\n"],  # a leading 0
        ["44700\n"],  # too short
        ["4470000000000001\n"],  # too long
        ["4470000\n00001\n"],  # two numbers in one line
        ["447000000001 \n"],  # a space
        ["+447000000001\n"],  # a prefix (cleaned by the usual way)
        ["４４７０００００００００１\n"],  # not ASCII
        [],
    ],
)
def test_plain_keys_leaves_anything_else_to_the_usual_way(lines: list[str]) -> None:
    from smscli.numberlist import plain_keys

    assert plain_keys(lines) is None


def test_block_path_with_duplicates_across_and_within_blocks() -> None:
    # Blocks of 4096 lines: the fast set update sees a duplicate in the 2nd block, rebuilds
    # the set once and goes on one number at a time; the result is the line path's.
    numbers = [str(447000000001 + i) for i in range(10_000)]
    numbers[5_000] = numbers[10]  # a number of block 1 again in block 2
    numbers[9_000] = numbers[8_999]  # twice in a row in block 3
    text = "\n".join(numbers) + "\n"
    fast = _collect_blocks(text)
    slow = NumberCollector()
    slow.extend(numbers_from_lines(io.StringIO(text), source="stdin"))
    assert list(fast.valid) == list(slow.valid)
    assert fast.duplicates == slow.duplicates == 2
    assert fast.inputs == slow.inputs == 10_000
    assert fast._seen == {int(n) for n in fast.valid}


@given(
    st.lists(st.integers(447000000001, 447000000040), min_size=1, max_size=60),
    st.integers(1, 7),
)
def test_block_dedup_equals_one_at_a_time(numbers: list[int], block: int) -> None:
    from smscli.numberfile import PlainBlock

    lines = [f"{n}\n" for n in numbers]
    fast = NumberCollector()
    fast.extend(
        PlainBlock(lines[i : i + block], "stdin", i + 1) for i in range(0, len(lines), block)
    )
    assert list(fast.valid) == [str(n) for n in dict.fromkeys(numbers)]
    assert fast.duplicates == len(numbers) - len(set(numbers))
    assert fast.inputs == len(numbers)
