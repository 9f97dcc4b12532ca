"""JSON lines and JSON arrays of send/batch/report rows piped into `report` take the quick
path (no RawId per row): the ids, duplicates and skipped rows it finds are what parse_ids +
check_ids find, and any row it does not take (a bad id, no msg_id, a number, bad JSON) goes
the old way, with the old error."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli import msgids
from smscli.errors import InputError
from smscli.msgids import CollectedIds, check_ids, collect_ids, parse_ids


def _slow(text: str) -> CollectedIds:
    parsed = parse_ids(text, "stdin")
    return check_ids(parsed.ids, skipped=parsed.skipped)


def _quick(text: str) -> CollectedIds:
    return collect_ids([], stdin=io.StringIO(text), stdin_is_tty=False)


def _row(msg_id: object) -> dict[str, object]:
    return {"number": "447700900123", "msg_id": msg_id, "outcome": "accepted", "error": None}


def _jsonl(rows: list[dict[str, object]], eol: str = "\n") -> str:
    return "".join(json.dumps(row) + eol for row in rows)


def test_send_rows_take_the_quick_path(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [_row("2304252117461165117"), _row(None), _row(""), _row(" 17 "), _row("17")]
    for text in (_jsonl(rows), _jsonl(rows, "\r\n"), "\ufeff" + json.dumps(rows)):
        assert _quick(text) == _slow(text) == CollectedIds(
            ["2304252117461165117", "17"], duplicates=1, skipped=2
        )

    def refuse(*_: object) -> None:
        raise AssertionError("the slow path was taken")

    monkeypatch.setattr(msgids, "parse_ids", refuse)
    _quick(_jsonl(rows))
    _quick(json.dumps(rows))


@pytest.mark.parametrize(
    "text",
    [
        _jsonl([_row("12"), _row("ab")]),  # a bad id: located
        _jsonl([_row("12"), {"number": "1"}]),  # no msg_id
        _jsonl([_row("12")]) + "{not json\n",
        _jsonl([_row("12")]) + '{"msg_id": "1"} {"msg_id": "2"}\n',  # two on one line
        json.dumps([_row("12"), _row(True)]),
        json.dumps([_row("12"), "x"]),
        json.dumps([_row("12"), _row("٣٤")]),
        json.dumps({"msg_id": "12"}) + "\n[",
        json.dumps([_row(None)]),  # nothing but skipped rows
    ],
)
def test_rows_the_quick_path_does_not_take_fail_as_before(text: str) -> None:
    with pytest.raises(InputError) as quick:
        _quick(text)
    with pytest.raises(InputError) as slow:
        _slow(text)
    assert (quick.value.message, quick.value.hint) == (slow.value.message, slow.value.hint)


def test_rows_the_quick_path_does_not_take_are_read_as_before() -> None:
    for text in (
        _jsonl([_row("12"), _row(34)]),  # an integer msg_id is an id
        json.dumps(["12", 34, _row("56")]),  # a list of bare ids
        _jsonl([_row("12")]) + "\n\n   \n" + _jsonl([_row("12")]),
    ):
        assert _quick(text) == _slow(text)


_IDS = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "12", " 34 ", "2304252117461165117", "1\u2003", "x1", "٣"]),
    st.integers(0, 99),
    st.booleans(),
)
_ROWS = st.lists(
    st.one_of(st.builds(_row, _IDS), st.just({"number": "1"}), st.just("56")), max_size=8
)


@given(rows=_ROWS, array=st.booleans())
def test_quick_and_slow_paths_agree(rows: list[object], array: bool) -> None:
    text = json.dumps(rows) if array else "".join(json.dumps(row) + "\n" for row in rows)
    try:
        expected: CollectedIds | tuple[str, str | None] = _slow(text)
    except InputError as exc:
        expected = (exc.message, exc.hint)
    try:
        got: CollectedIds | tuple[str, str | None] = _quick(text)
    except InputError as exc:
        got = (exc.message, exc.hint)
    assert got == expected
