"""output.py: every format from the same rows; machine formats never pass through rich."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli.errors import UsageError
from smscli.output import Column, OutputFormat, RowWriter, resolve_format, write_object, write_rows

COLUMNS = [Column("msg_id", "Message ID"), Column("number", "Number"),
           Column("ok", "OK"), Column("time", "Time"), Column("note", "Note")]
WHEN = datetime(2021, 2, 12, 9, 30, 3, tzinfo=timezone(timedelta(hours=8)))
ROWS = [
    {"msg_id": "2108021054011000095", "number": "91856321412", "ok": True, "time": WHEN,
     "note": 'comma, "quote"\tand tab'},
    {"msg_id": None, "number": "91856321413", "ok": None, "time": None, "note": "ünï ✓",
     "extra": "not a column"},
]


def render(fmt: OutputFormat, rows: list[dict[str, object]] = ROWS) -> str:
    out = io.StringIO()
    write_rows(rows, COLUMNS, fmt, stream=out)
    return out.getvalue()


def test_jsonl_keeps_types_and_iso_time() -> None:
    lines = [json.loads(line) for line in render(OutputFormat.JSONL).splitlines()]
    assert lines[0] == {"msg_id": "2108021054011000095", "number": "91856321412", "ok": True,
                        "time": "2021-02-12T01:30:03+00:00", "note": 'comma, "quote"\tand tab'}
    assert lines[1]["ok"] is None and "extra" not in lines[1]
    assert "ünï ✓" in render(OutputFormat.JSONL)  # UTF-8, not \\u escapes


def test_json_is_one_array_even_when_empty() -> None:
    assert json.loads(render(OutputFormat.JSON)) == json.loads(
        "[" + ",".join(render(OutputFormat.JSONL).splitlines()) + "]")
    assert json.loads(render(OutputFormat.JSON, [])) == []


@pytest.mark.parametrize(("fmt", "dialect"), [(OutputFormat.CSV, "excel"),
                                               (OutputFormat.TSV, "excel-tab")])
def test_csv_and_tsv_round_trip(fmt: OutputFormat, dialect: str) -> None:
    parsed = list(csv.reader(io.StringIO(render(fmt)), dialect=dialect))
    assert parsed[0] == ["msg_id", "number", "ok", "time", "note"]
    assert parsed[1] == ["2108021054011000095", "91856321412", "true",
                         "2021-02-12T01:30:03+00:00", 'comma, "quote"\tand tab']
    assert parsed[2][:3] == ["", "91856321413", ""]


def test_ids_skip_empty() -> None:
    assert render(OutputFormat.IDS) == "2108021054011000095\n"


def test_table_shows_local_time_and_yes() -> None:
    text = render(OutputFormat.TABLE)
    assert "Message ID" in text and "yes" in text
    assert WHEN.astimezone().strftime("%Y-%m-%d %H:%M:%S") in text
    assert "\x1b[" not in text  # NO_COLOR (conftest) keeps escapes out


def test_many_rows_stream_in_blocks() -> None:
    rows = [{"msg_id": str(i), "number": "1", "ok": True, "time": None, "note": ""}
            for i in range(5001)]
    assert len(render(OutputFormat.JSONL, rows).splitlines()) == 5001
    assert len(render(OutputFormat.IDS, rows).splitlines()) == 5001


def test_resolve_format() -> None:
    assert resolve_format(None) is OutputFormat.TSV  # not a terminal under pytest
    assert resolve_format("JSON") is OutputFormat.JSON
    assert resolve_format(None, json_flag=True) is OutputFormat.JSON
    assert resolve_format("csv", quiet=True) is OutputFormat.IDS
    with pytest.raises(UsageError):
        resolve_format("xml")
    with pytest.raises(UsageError):
        resolve_format("csv", json_flag=True)


def test_write_object_json(capsys: pytest.CaptureFixture[str]) -> None:
    write_object({"balance": "12.50", "at": datetime(2026, 1, 1, tzinfo=UTC)},
                 OutputFormat.JSON)
    assert json.loads(capsys.readouterr().out) == {"balance": "12.50",
                                                   "at": "2026-01-01T00:00:00+00:00"}


@pytest.mark.parametrize("fmt", [OutputFormat.JSON, OutputFormat.JSONL, OutputFormat.CSV,
                                 OutputFormat.TSV, OutputFormat.IDS, OutputFormat.TABLE])
def test_row_writer_in_pieces_equals_one_go(fmt: OutputFormat) -> None:
    from smscli.output import RowWriter

    out = io.StringIO()
    writer = RowWriter(COLUMNS, fmt, stream=out)
    writer.write(ROWS[:1])
    writer.write([])
    writer.write(ROWS[1:])
    assert writer.close() == 2
    assert writer.close() == 2  # idempotent
    assert out.getvalue() == render(fmt)


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=3),
)


@given(st.lists(st.fixed_dictionaries({c.key: _VALUES for c in COLUMNS}), max_size=5))
def test_fast_json_rows_match_the_json_module(rows: list[dict[str, object]]) -> None:
    expected = "".join(
        json.dumps({c.key: row[c.key] for c in COLUMNS}, ensure_ascii=False) + "\n"
        for row in rows
    )
    assert render(OutputFormat.JSONL, rows) == expected


def test_narrow_tables_drop_empty_then_low_priority_columns_never_fold_tokens() -> None:
    from smscli.table import fit_columns

    columns = [Column("number", "Number"), Column("msg_id", "Message ID"),
               Column("provider", "Provider", priority=8), Column("empty", "Empty", priority=2),
               Column("code", "Code", priority=5), Column("detail", "Detail", fold=True,
                                                          priority=4)]
    cells = [["447700900123", "2612012229261000001", "laaffic", "", "1", "failed at the carrier"]]
    everything, width = fit_columns(columns, cells, 200)
    assert everything == columns
    # Room for every column, the detail unfolded ("failed at the carrier": 21 > 12 columns).
    assert fit_columns(columns, cells, width + 9)[0] == columns
    # Less, and the empty column goes before the detail folds.
    shown, _ = fit_columns(columns, cells, width)
    assert [c.key for c in shown] == ["number", "msg_id", "provider", "code", "detail"]
    shown, _ = fit_columns(columns, cells, width - 1)
    assert [c.key for c in shown] == ["number", "msg_id", "provider", "code", "detail"]
    shown, needed = fit_columns(columns, cells, 50)
    assert [c.key for c in shown] == ["number", "msg_id"] and needed <= 50
    # Priority 0 never goes: too narrow for even those, the table keeps them.
    assert [c.key for c in fit_columns(columns, cells, 20)[0]] == ["number", "msg_id"]
    assert fit_columns(columns, cells, 20, wide=True)[0] == columns


def test_table_cells_never_fold_at_a_narrow_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    columns = [Column("number", "Number"), Column("msg_id", "Message ID"),
               Column("time", "Time", priority=3), Column("note", "Note", fold=True, priority=4)]
    rows = [{"number": "447700900123", "msg_id": "2612012229261000001", "time": WHEN,
             "note": "a long free text that may wrap over several lines of the table"}]
    text = _render(rows, columns)
    assert "447700900123" in text and "2612012229261000001" in text
    assert max(len(line) for line in text.splitlines()) <= 60


def _render(rows: list[dict[str, object]], columns: list[Column]) -> str:
    out = io.StringIO()
    write_rows(rows, columns, OutputFormat.TABLE, stream=out)
    return out.getvalue()
@pytest.mark.parametrize(
    "fmt", [OutputFormat.JSONL, OutputFormat.CSV, OutputFormat.TSV, OutputFormat.JSON]
)
def test_a_send_writes_the_same_rows_on_its_fast_path(
    fmt: OutputFormat, capsys: pytest.CaptureFixture[str]
) -> None:
    """OutcomeStream writes the usual chunk (all accepted, in order) from a template: the text
    must be what the general path (a dict per row, encoded) writes, chunk after chunk."""
    from smscli.cli.jobsummary import SEND_COLUMNS
    from smscli.cli.outcomes import OutcomeStream
    from smscli.gateways.base import SendResult, Submitted
    from smscli.model import Chunk, ChunkOutcome, ChunkState, RunResult
    from smscli.progress import Progress
    from smscli.rows import rows_for

    def outcome(index: int, numbers: list[str], ids: list[str]) -> ChunkOutcome:
        subs = tuple(Submitted(n, i) for n, i in zip(numbers, ids, strict=True))
        return ChunkOutcome(Chunk(index, numbers), ChunkState.ACCEPTED, SendResult(subs, 2, 0))

    outcomes = [
        outcome(0, ["447700900000", "447700900001"], ["2304252117461165117", "A-1%s"]),
        outcome(1, ["447700900002", "447700900003"], ['q"uote', "x,y"]),  # general path
        outcome(2, ["447700900004", "447700900005"], ["7", "8"]),
    ]
    write_rows((r for o in outcomes for r in rows_for(o)), SEND_COLUMNS, fmt)
    general = capsys.readouterr().out
    stream = OutcomeStream(
        [o.chunk for o in outcomes], SEND_COLUMNS, fmt, Progress(6, requests=3, label="t")
    )
    for o in reversed(outcomes):
        stream(o)
    stream.close(RunResult(outcomes))
    fast = capsys.readouterr().out
    assert fast == general
    assert bool(stream._template) == (fmt is not OutputFormat.JSON)  # the fast path ran
    assert "447700900005" in fast


def test_rows_from_a_template_fail_like_any_other_write() -> None:
    """The bulk path of a send's rows: a reader gone away is an OutputError, raised again by
    every later write (as RowWriter.write does)."""
    from smscli.errors import OutputError

    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    writer = RowWriter(COLUMNS, OutputFormat.JSONL, stream=Gone())
    template = writer.template({"ok": True}, ["msg_id", "number"])
    assert template is not None
    with pytest.raises(OutputError):
        writer.write_filled(template, [("1", "2")])
    with pytest.raises(OutputError):
        writer.write([{"msg_id": "3"}])


def test_empty_columns_give_way_before_free_text_folds() -> None:
    """qa3: `history show` at 100 columns drew empty Status/Time/Detail columns while the one
    error folded over four lines; empty columns now go first whenever text would fold."""
    from smscli.table import fit_columns

    columns = [Column("number", "Number"), Column("outcome", "Outcome", priority=2),
               Column("error", "Error", fold=True, priority=4),
               Column("time", "Time", priority=3), Column("detail", "Detail", fold=True,
                                                          priority=4)]
    error = "rejected by the gateway (left out of its accepted list)"
    cells = [["447700900997", "rejected", error, "", ""], ["447700900123", "accepted", "", "", ""]]
    shown, needed = fit_columns(columns, cells, 90)
    assert [c.key for c in shown] == ["number", "outcome", "error"]
    assert needed <= 90
    # Only as many as the text needs: at 100 the error fits in full beside the empty time.
    assert [c.key for c in fit_columns(columns, cells, 100)[0]] == [
        "number", "outcome", "error", "time"]
    # Wide enough for the text in full: nothing needs to go, empty or not.
    assert fit_columns(columns, cells, 200)[0] == columns
