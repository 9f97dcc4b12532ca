"""RowWriter.write_pairs (a send's rows joined in C) against write_filled (a row at a time):
the same text in every format that has templates, whatever the fixed cells hold."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscli.errors import OutputError
from smscli.output import Column, OutputFormat, RowWriter, _literal_pieces

COLUMNS = [
    Column("number", "Number"),
    Column("msg_id", "Message ID"),
    Column("outcome", "Outcome"),
    Column("error", "Error"),
]
FORMATS = [OutputFormat.JSONL, OutputFormat.CSV, OutputFormat.TSV]
_CELLS = st.text(alphabet='ab%s",\t\\\n é', max_size=8)
_VALUES = st.lists(
    st.tuples(
        st.from_regex(r"[0-9]{6,15}", fullmatch=True),
        st.from_regex(r"[0-9A-Za-z+._:-]{0,12}", fullmatch=True),
    ),
    max_size=20,
)


def _written(
    fmt: OutputFormat, fixed: dict[str, object], rows: list[tuple[str, str]], *, pairs: bool
) -> str:
    out = io.StringIO()
    writer = RowWriter(COLUMNS, fmt, stream=out)
    template = writer.template(fixed, ["number", "msg_id"])
    assert template is not None
    for block in (rows[:3], rows[3:], []):
        if pairs:
            writer.write_pairs(template, [a for a, _ in block], [b for _, b in block])
        else:
            writer.write_filled(template, block)
    assert writer.count == len(rows)
    writer.close()
    return out.getvalue()


@settings(max_examples=150, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS), outcome=_CELLS, error=st.one_of(st.none(), _CELLS), rows=_VALUES
)
def test_pairs_write_what_filling_writes(
    fmt: OutputFormat, outcome: str, error: str | None, rows: list[tuple[str, str]]
) -> None:
    fixed = {"number": "", "msg_id": "", "outcome": outcome, "error": error}
    assert _written(fmt, fixed, rows, pairs=True) == _written(fmt, fixed, rows, pairs=False)


@given(st.lists(st.sampled_from(["a", "%%", "%s", "b%", "é", "\n"]), max_size=8))
def test_literal_pieces_are_what_formatting_puts_around_the_values(parts: list[str]) -> None:
    template = "".join(parts)
    pieces = _literal_pieces(template)
    slots = template.replace("%%", "").count("%s")
    try:
        expected = template % tuple(f"<{i}>" for i in range(slots))
    except (TypeError, ValueError):
        assert pieces == []  # % refuses it: so does the fast path (it falls back)
        return
    assert (
        pieces and "".join(p + f"<{i}>" for i, p in enumerate(pieces[:-1])) + pieces[-1] == expected
    )


def test_other_directives_fall_back_to_formatting() -> None:
    out = io.StringIO()
    writer = RowWriter(COLUMNS, OutputFormat.JSONL, stream=out)
    assert _literal_pieces("%s-%s %d\n") == []
    writer.write_pairs("%s=%s\n", ["1", "2"], ["a", "b"])
    writer.write_pairs("<%s>\n", [], [])  # one slot: write_filled's way (nothing to write)
    assert out.getvalue() == "1=a\n2=b\n"
    assert writer.count == 2


def test_pairs_fail_like_any_other_write() -> None:
    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    writer = RowWriter(COLUMNS, OutputFormat.JSONL, stream=Gone())
    template = writer.template({"outcome": "accepted"}, ["number", "msg_id"])
    assert template is not None
    with pytest.raises(OutputError):
        writer.write_pairs(template, ["447000000001"], ["m1"])
    with pytest.raises(OutputError):
        writer.write_pairs(template, [], [])
    assert writer.count == 0
