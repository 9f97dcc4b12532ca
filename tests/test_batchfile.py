"""smscli.batchfile: reading batch files, templates, validation and request planning."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli.batchfile import Format, Source, build_plan, choose_format, open_source, read_source
from smscli.batchplan import Plan, Row
from smscli.batchrequests import chunks, elements
from smscli.batchtemplate import parse_template
from smscli.errors import InputError, UsageError

A, B, C = "447700900123", "447700900124", "447700900125"


def source(text: str, fmt: Format = Format.CSV, name: str = "b.csv") -> Source:
    return read_source(io.StringIO(text, newline=""), fmt, name)


def plan(
    text: str,
    fmt: Format = Format.CSV,
    *,
    template: str | None = None,
    sender: str | None = None,
    max_chars: int = 1024,
    max_sender: int = 32,
) -> Plan:
    return build_plan(
        source(text, fmt),
        template=parse_template(template) if template is not None else None,
        default_sender=sender,
        max_chars=max_chars,
        max_sender=max_sender,
    )


def problems(text: str, fmt: Format = Format.CSV, **kwargs: object) -> str:
    with pytest.raises(InputError) as info:
        plan(text, fmt, **kwargs)  # type: ignore[arg-type]
    return info.value.message


# --- templates -----------------------------------------------------------------------------------


def test_template_fills_placeholders_and_keeps_escaped_braces() -> None:
    t = parse_template("Hi {name}, code {{{code}}} {{literal}} { name }")
    assert t.names == ("name", "code")
    assert t.fill({"name": "Ann", "code": "42"}) == "Hi Ann, code {42} {literal} Ann"


def test_template_without_placeholders_is_literal() -> None:
    t = parse_template("Open on Sunday")
    assert t.fields == () and t.fill({}) == "Open on Sunday"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Hi {name", "unmatched '{' at character 4"),
        ("Hi name}", "unmatched '}' at character 8"),
        ("Hi {}", "empty placeholder"),
        ("Hi {  }", "empty placeholder"),
        ("{a}}", "unmatched '}'"),
    ],
)
def test_template_syntax_errors(text: str, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment.replace("{", r"\{")):
        parse_template(text)


_no_braces = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=20)
_names = st.text(
    alphabet=st.characters(blacklist_characters="{}", blacklist_categories=("Zs", "Cc")),
    min_size=1,
    max_size=8,
)


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


@given(
    literals=st.lists(st.text(max_size=15), min_size=1, max_size=6),
    names=st.lists(_names, min_size=5, max_size=5),
    values=st.lists(_no_braces, min_size=5, max_size=5),
)
def test_template_fill_property(literals: list[str], names: list[str], values: list[str]) -> None:
    # Any literal text (braces escaped) around placeholders; any values without braces.
    fields = [names[i % len(names)] for i in range(len(literals) - 1)]
    mapping = dict(zip(names, values, strict=True))
    text = _escape(literals[0]) + "".join(
        "{" + name + "}" + _escape(literal)
        for name, literal in zip(fields, literals[1:], strict=True)
    )
    expected = literals[0] + "".join(
        mapping[name] + literal for name, literal in zip(fields, literals[1:], strict=True)
    )
    template = parse_template(text)
    assert template.fields == tuple(name.strip() for name in fields)
    assert template.fill({name.strip(): mapping[name] for name in fields}) == expected


@given(st.text(max_size=40))
def test_escaped_text_round_trips(text: str) -> None:
    assert parse_template(_escape(text)).fill({}) == text


# --- formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "given_fmt", "first", "expected"),
    [
        ("x.csv", None, None, Format.CSV),
        ("x.TSV", None, None, Format.TSV),
        ("x.json", None, None, Format.JSON),
        ("x.jsonl", None, None, Format.JSONL),
        ("x.ndjson", None, None, Format.JSONL),
        ("x.txt", "csv", None, Format.CSV),
        ("x.csv", "ndjson", None, Format.JSONL),
        ("-", "TSV", None, Format.TSV),
        ("-", None, '  [{"number": "1"}]', Format.JSON),
        ("-", None, '{"number": "1", "content": "x"}\n', Format.JSONL),
        ("-", None, "{\n", Format.JSON),  # a pretty-printed {"array": [...]} body
        ("-", None, "\ufeff[", Format.JSON),
        ("x.dat", None, "[", Format.JSON),
    ],
)
def test_choose_format(
    path: str, given_fmt: str | None, first: str | None, expected: Format
) -> None:
    assert choose_format(path, given_fmt, first) is expected


@pytest.mark.parametrize(
    ("path", "given_fmt", "fragment"),
    [
        ("-", None, "cannot tell the format of stdin"),
        ("x.txt", None, "x.txt from its extension"),
        ("x.csv", "xml", "unknown batch format 'xml'"),
    ],
)
def test_choose_format_errors(path: str, given_fmt: str | None, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        choose_format(path, given_fmt, "number,content")


# --- reading ------------------------------------------------------------------------------------


def test_csv_as_spreadsheets_export_it() -> None:
    text = (
        "\ufeffName,Mobile,Message,Sender ID,Order_ID\r\n"
        '"Smith, J",+44 7700 900123,"Hello, world",ACME,o1\r\n'
        "\r\n"
        'Doe,447700900124,"two\r\nlines",,\r\n'
    )
    src = source(text)
    assert src.columns == ["Name", "Mobile", "Message", "Sender ID", "Order_ID"]
    records = list(src.records)
    assert [pos for pos, _ in records] == [2, 4]
    p = build_plan(source(text), max_chars=1024, max_sender=32)
    assert p.rows == [
        Row(A, "Hello, world", "ACME", "o1"),
        Row(B, "two\r\nlines", None, None),
    ]


def test_csv_semicolon_delimiter_is_sniffed_from_the_header() -> None:
    p = plan("phone;content\n447700900123;Hallo, Welt\n")
    assert p.rows == [Row(A, "Hallo, Welt", None, None)]


def test_tsv() -> None:
    p = plan("number\tcontent\tsenderId\n447700900123\thi, there\tS1\n", Format.TSV)
    assert p.rows == [Row(A, "hi, there", "S1", None)]


def test_csv_row_wider_than_header_is_an_error_not_a_truncated_message() -> None:
    report = problems("number,content\n447700900123,Hello, world\n447700900124,ok\n")
    assert "b.csv line 2: 3 fields but the header has 2" in report


def test_csv_trailing_empty_cells_are_fine() -> None:
    assert plan("number,content\n447700900123,hi,,\n").rows == [Row(A, "hi", None, None)]


def test_csv_short_row_reads_missing_cells_as_empty() -> None:
    assert "line 2: the message is empty" in problems("number,content\n447700900123\n")


def test_empty_csv() -> None:
    with pytest.raises(InputError, match="empty"):
        source("\n\n")


def test_json_array_with_numbers_as_json_numbers() -> None:
    text = json.dumps(
        [
            {"number": 447700900123, "content": "a"},
            {"phone": 447700900124.0, "message": "b", "orderId": 7},
        ]
    )
    assert plan(text, Format.JSON).rows == [Row(A, "a", None, None), Row(B, "b", None, "7")]


def test_json_api_body_with_comma_separated_numbers_and_order_ids() -> None:
    body = {
        "appId": "4luaKsL2",
        "array": [
            {"numbers": f"{A},{B}", "content": "test", "senderId": "", "orderId": "56584,56585"},
            {"numbers": C, "content": "test1", "senderId": "", "orderId": "56586"},
        ],
    }
    p = plan(json.dumps(body, indent=2), Format.JSON)
    assert p.rows == [
        Row(A, "test", None, "56584"),
        Row(B, "test", None, "56585"),
        Row(C, "test1", None, "56586"),
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[1, 2", "not valid JSON"),
        ('{"numbers": "1"}', 'an object with an "array" list'),
        ('"x"', "expected a JSON array"),
    ],
)
def test_json_document_errors(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        plan(text, Format.JSON)


def test_json_element_errors_name_the_element() -> None:
    text = json.dumps(
        [
            {"number": A, "content": "ok"},
            "not an object",
            {"numbers": f"{A},{B}", "content": "x", "orderId": "1"},
            {"number": B, "content": ["a"]},
            {"content": "x"},
            {"numbers": f"{A},{B},{C}", "content": "x", "orderId": "a,,b"},
        ]
    )
    report = problems(text, Format.JSON)
    assert "b.csv element 2: not a JSON object" in report
    assert "element 3: 1 order ids for 2 numbers; the counts must match" in report
    assert "element 4: 'content' must be text, not a JSON array" in report
    assert "element 5: no number" in report
    assert "element 6: an order id is empty in 'a,,b'" in report


def test_jsonl_lines_blank_lines_bad_lines_and_a_one_line_api_body() -> None:
    text = (
        '{"number": "447700900123", "content": "a"}\n'
        "\n"
        '{"array": [{"numbers": "447700900124", "content": "b"}]}\n'
    )
    assert plan(text, Format.JSONL).rows == [Row(A, "a", None, None), Row(B, "b", None, None)]
    report = problems(text + "{oops\n[1]\n", Format.JSONL)
    assert "line 4: not valid JSON" in report and "line 5: not a JSON object" in report


def test_open_source_file_and_stdin(tmp_path: Path) -> None:
    path = tmp_path / "m.ndjson"
    path.write_text('{"number": "447700900123", "content": "a"}\n', encoding="utf-8")
    with open_source(str(path), None, io.StringIO()) as src:
        assert src.name == str(path) and [p for p, _ in src.records] == [1]
    stdin = io.StringIO('\n\n[{"number": "447700900123", "content": "a"}]')
    with open_source("-", None, stdin) as src:
        assert src.name == "stdin" and src.unit == "element"
        assert len(list(src.records)) == 1
    assert not stdin.closed


def test_open_source_errors(tmp_path: Path) -> None:
    with (
        pytest.raises(InputError, match="batch file not found"),
        open_source(str(tmp_path / "nope.csv"), None, io.StringIO()),
    ):
        pass
    latin = tmp_path / "latin.csv"
    latin.write_bytes("number,content\n447700900123,Gr\xfc\xdfe\n".encode("latin-1"))
    with (
        pytest.raises(InputError, match="not UTF-8"),
        open_source(str(latin), None, io.StringIO()) as src,
    ):
        list(src.records)


# --- validation ---------------------------------------------------------------------------------


def test_template_fills_from_columns_case_insensitively() -> None:
    p = plan("Name,Phone,Code\nAnn,447700900123,11\n", template="Hi {name}, code {Code}")
    assert p.rows == [Row(A, "Hi Ann, code 11", None, None)]
    assert not p.content_ignored


def test_template_wins_over_content_column() -> None:
    p = plan("number,content,name\n447700900123,old,Ann\n", template="Hi {name}")
    assert p.rows[0].content == "Hi Ann" and p.content_ignored


def test_template_with_a_missing_column_fails_before_any_row() -> None:
    with pytest.raises(InputError, match=r"uses \{code\}, but b.csv has no such column") as info:
        plan("name,phone\nAnn,447700900123\n", template="{name} {code}")
    assert "'name', 'phone'" in (info.value.hint or "")


def test_template_with_an_empty_value_names_line_and_placeholder() -> None:
    report = problems(
        "name,phone,code\nAnn,447700900123,1\nBob,447700900124, \n", template="{name}: {code}"
    )
    assert report.splitlines()[1] == "  b.csv line 3: no value for {code}: 'code' is empty"


def test_template_placeholder_missing_in_a_json_object() -> None:
    text = json.dumps([{"number": A, "name": "x"}, {"number": B}])
    report = problems(text, Format.JSON, template="Hi {name}")
    assert "element 2: no value for {name}: the row has no 'name' field" in report


def test_missing_columns_in_the_header() -> None:
    with pytest.raises(InputError, match="no numbers column"):
        plan("name,content\nAnn,hi\n")
    with pytest.raises(InputError, match="no content column"):
        plan("name,number\nAnn,447700900123\n")


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("12ab,hi", "line 2: '12ab' has letters"),
        ("081211111111,hi", "line 2: '081211111111' starts with 0"),
        (",hi", "line 2: the number is empty"),
        ("447700900123,  ", "line 2: the message is empty"),
        ("447700900123," + "x" * 1025, "line 2: the message is 1,025 characters long"),
        ("447700900123,hi," + "S" * 33, "line 2: sender ID 'SSSS"),
        ('"447700900123,447700900124",hi,,a', "line 2: 1 order ids for 2 numbers"),
        ('447700900123,hi,,"a,b"', "line 2: 2 order ids for 1 number"),
    ],
)
def test_row_errors_name_the_line(row: str, fragment: str) -> None:
    assert fragment in problems(f"number,content,sender_id,order_id\n{row}\n")


def test_errors_are_collected_then_counted() -> None:
    rows = "".join(f"bad{i},hi\n" for i in range(25))
    report = problems("number,content\n447700900123,ok\n" + rows)
    lines = report.splitlines()
    assert lines[0] == "25 problems in b.csv:"
    assert lines[1] == "  b.csv line 3: 'bad0' has letters"
    assert len(lines) == 22 and lines[-1] == "  … and 5 more"


def test_no_rows() -> None:
    with pytest.raises(InputError, match="no messages to send"):
        plan("number,content\n\n")


def test_duplicates_dropped_same_number_other_content_kept() -> None:
    p = plan("number,content\n447700900123,a\n+44 7700 900123,a\n447700900123,b\n447700900124,a\n")
    assert [(r.number, r.content) for r in p.rows] == [(A, "a"), (A, "b"), (B, "a")]
    assert p.duplicates == 1


def test_counts_segments_messages_and_encodings() -> None:
    long_gsm = "x" * 161  # two segments
    p = plan(f"number,content\n{A},{long_gsm}\n{B},{long_gsm}\n{C},Grüße 👋\n")
    assert p.messages == 2 and p.numbers == 3
    assert p.segments == 2 + 2 + 1
    assert p.encodings == {"GSM-7": 2, "UCS-2": 1}


def test_default_sender_applies_to_rows_without_one() -> None:
    p = plan("number,content,sender\n447700900123,a,\n447700900124,a,OWN\n", sender="DEF")
    assert [r.sender_id for r in p.rows] == ["DEF", "OWN"]


def test_identical_contents_share_one_string() -> None:
    p = plan(f"number,content\n{A},same text\n{B},same text\n")
    assert p.rows[0].content is p.rows[1].content


# --- requests -----------------------------------------------------------------------------------


def rows_for(count: int, contents: int = 1) -> list[Row]:
    return [Row(str(447700000000 + i), f"m{i % contents}", None, None) for i in range(count)]


def test_chunks_cap_numbers_per_request_and_keep_every_pair_once() -> None:
    rows = rows_for(2500, contents=3)
    out = list(chunks(rows, 1000))
    assert [len(c.numbers) for c in out] == [1000, 1000, 500]
    assert [c.index for c in out] == [0, 1, 2]
    sent = Counter(
        (number, element.content)
        for chunk in out
        for element in elements(chunk, 1000)
        for number in element.numbers
    )
    assert sent == Counter((r.number, r.content) for r in rows)


def test_elements_group_identical_content_and_sender() -> None:
    rows = [
        Row(A, "x", None, None),
        Row(B, "y", None, None),
        Row(C, "x", None, None),
        Row("447700900126", "x", "S", None),
    ]
    (chunk,) = chunks(rows, 10)
    parts = elements(chunk, 10)
    assert [(p.numbers, p.content, p.sender_id) for p in parts] == [
        ((A, C), "x", None),
        ((B,), "y", None),
        (("447700900126",), "x", "S"),
    ]
    # The chunk lists numbers in element order, so the gateway's answer lines up with it.
    assert chunk.numbers == [n for p in parts for n in p.numbers]


def test_order_ids_stay_aligned_and_never_mix_within_an_element() -> None:
    rows = [
        Row(A, "x", None, "o1"),
        Row(B, "x", None, None),
        Row(C, "x", None, "o3"),
    ]
    (chunk,) = chunks(rows, 10)
    parts = elements(chunk, 10)
    assert [(p.numbers, p.order_ids) for p in parts] == [((A, C), ("o1", "o3")), ((B,), None)]
    assert chunk.order_ids == ["o1", "o3", ""]


def test_a_group_bigger_than_the_cap_is_split() -> None:
    out = list(chunks(rows_for(5), 2))
    assert [c.numbers for c in out] == [
        ["447700000000", "447700000001"],
        ["447700000002", "447700000003"],
        ["447700000004"],
    ]
    (chunk,) = chunks(rows_for(5), 5)
    assert [len(p.numbers) for p in elements(chunk, 2)] == [2, 2, 1]


def test_elements_needs_a_batch_chunk() -> None:
    from smscli.model import Chunk

    with pytest.raises(ValueError, match="not a batch chunk"):
        elements(Chunk(0, [A]), 10)
    with pytest.raises(ValueError, match="cap"):
        list(chunks(rows_for(1), 0))


@given(
    pairs=st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 3), st.booleans()),
        max_size=80,
        unique_by=lambda t: (t[0], t[1]),
    ),
    cap=st.integers(1, 20),
    per_element=st.integers(1, 20),
)
def test_chunking_property(pairs: list[tuple[int, int, bool]], cap: int, per_element: int) -> None:
    rows = [
        Row(str(447700000000 + n), f"m{m}", None, f"o{n}-{m}" if has_id else None)
        for n, m, has_id in pairs
    ]
    out = list(chunks(rows, cap))
    assert all(0 < len(c.numbers) <= cap for c in out)
    # as few requests as the cap allows when contents may share one
    assert len(out) == -(-len(rows) // cap)
    seen: list[tuple[str, str, str | None]] = []
    for chunk in out:
        parts = elements(chunk, per_element)
        assert all(len(p.numbers) <= per_element for p in parts)
        assert chunk.numbers == [n for p in parts for n in p.numbers]
        for p in parts:
            ids = p.order_ids or (None,) * len(p.numbers)
            assert len(ids) == len(p.numbers)
            seen += [(n, p.content, i) for n, i in zip(p.numbers, ids, strict=True)]
    assert sorted(seen, key=str) == sorted(
        ((r.number, r.content, r.order_id) for r in rows), key=str
    )


def test_unmixed_chunks_hold_one_content_each() -> None:
    # For gateways whose "batch" is one call per element (mobset): never two contents in
    # one request, so a failure cannot leave a request half sent.
    rows = rows_for(7, contents=2)  # m0 x4, m1 x3
    out = list(chunks(rows, 3, mixed=False))
    assert [len(c.numbers) for c in out] == [3, 1, 3]
    assert [set(c.contents or []) for c in out] == [{"m0"}, {"m0"}, {"m1"}]
    assert [c.index for c in out] == [0, 1, 2]
    assert all(len(elements(c, 3)) == 1 for c in out)


# --- the CSV fast path ---------------------------------------------------------------------------
# CSV rows without a template are planned by column index (batchplan.Builder._add_cells); every
# row it does not settle goes the general way. The same rows written as JSONL take only the
# general way, so the two must give the same plan, or the same problems at the same rows.

_CELLS = {
    "number": st.sampled_from(
        [A, B, C, A, B, "+44 7700 900126", " 447700900127", "12345", "", f"{A},{B}", "0447700"]
    ),
    "content": st.sampled_from(["Hello", "Hello", "Bye", "Grüße €", "", "   ", "x" * 30, "a,b"]),
    "sender_id": st.sampled_from(["", "", "ACME", "ACME", " ACME ", "bad sender!", "LONGSENDER12"]),
    "order_id": st.sampled_from(["", "", "", "o1", "o1,o2", " "]),
}


def _outcome(text: str, fmt: Format, shift: int) -> object:
    try:
        p = build_plan(
            read_source(io.StringIO(text, newline=""), fmt, "b"),
            default_sender="DFLT",
            max_chars=20,
            max_sender=11,
        )
    except InputError as exc:
        # "b line N: problem" with N counted the JSONL way (no header line).
        lines = exc.message.splitlines()
        return [
            line.replace(f"b line {int(n)}:", f"b line {int(n) - shift}:", 1)
            if (n := line.split("b line ", 1)[-1].split(":", 1)[0]).isdigit()
            else line
            for line in lines
        ]
    return (p.rows, p.duplicates, p.messages, p.segments, p.encodings)


@given(
    st.lists(st.fixed_dictionaries(_CELLS), min_size=1, max_size=25),
    st.sampled_from([("number", "content"), ("number", "content", "sender_id", "order_id")]),
)
def test_csv_rows_plan_exactly_as_the_general_path_does(
    rows: list[dict[str, str]], columns: tuple[str, ...]
) -> None:
    # A row with every cell blank is skipped in CSV (a spreadsheet's empty line), not in JSONL.
    rows = [row for row in rows if any(row[c].strip() for c in columns)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row[c] for c in columns] for row in rows)
    jsonl = "".join(json.dumps({c: row[c] for c in columns}) + "\n" for row in rows)
    assert _outcome(out.getvalue(), Format.CSV, 1) == _outcome(jsonl, Format.JSONL, 0)


def test_csv_fast_path_keeps_duplicates_senders_and_counts() -> None:
    text = (
        "number,content,sender_id\n"
        f"{A},Hello,ACME\n{A},Hello,ACME\n{B},Hello,\n{B},Hello,ACME\n{A},Bye,ACME\n"
    )
    p = plan(text, sender="DFLT")
    assert p.rows == [
        Row(A, "Hello", "ACME", None),
        Row(B, "Hello", "DFLT", None),
        Row(A, "Bye", "ACME", None),
    ]
    assert (p.duplicates, p.messages, p.segments, p.encodings) == (2, 2, 3, {"GSM-7": 3})
