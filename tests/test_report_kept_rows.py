"""What `report` keeps between asking and writing back: the history rows a lookup read
(keep_rows), which record_reports writes by while the history is as it was then and reads
again otherwise; and what its picker lets go of once an answer is judged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smscli.cli.report_run import _Picker
from smscli.gateways.base import DeliveryStatus, Report, SendResult, Submitted
from smscli.history import reports as history_reports
from smscli.history.store import Store
from smscli.model import ChunkOutcome, ChunkState
from tests.test_store import new_job, plan

PROVIDER = "laaffic"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[Store]:
    with Store.open(path) as opened:
        yield opened


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many msgIds record_reports read from the messages table (not from kept rows)."""
    counted: list[int] = []
    held = history_reports._held

    def counting(db: Any, keys: Any, provider: Any) -> Any:
        counted.append(len(keys))
        return held(db, keys, provider)

    monkeypatch.setattr(history_reports, "_held", counting)
    return counted


def sent(store: Store, count: int, start: int = 447700900000) -> list[str]:
    """A job of `count` numbers, each accepted with a 19-digit msgId (stored as integers)."""
    chunks = plan(count, start=start)
    job = new_job(store, chunks)
    journal = store.journal(job)
    ids: list[str] = []
    for chunk in chunks:
        journal.before(chunk)
        subs = tuple(Submitted(n, str(2 * 10**18 + int(n))) for n in chunk.numbers)
        journal.after(ChunkOutcome(chunk, ChunkState.ACCEPTED, SendResult(subs, len(subs), 0)))
        ids += [s.msg_id for s in subs]
    store.finish_job(job)
    return ids


def pending(ids: list[str]) -> list[Report]:
    return [Report(i, DeliveryStatus.PENDING, code="-1") for i in ids]


def statuses(store: Store, ids: list[str]) -> list[DeliveryStatus | None]:
    found = store.lookup(ids, PROVIDER)
    return [found[i].status for i in ids]


def test_kept_rows_are_written_by_without_reading_them_again(
    store: Store, reads: list[int]
) -> None:
    ids = sent(store, 6)
    store.lookup(ids, PROVIDER, keep_rows=True)
    assert store.record_reports(pending(ids[:4]), provider=PROVIDER) == 4
    assert reads == []
    assert statuses(store, ids) == [DeliveryStatus.PENDING] * 4 + [None, None]
    # Taken by the report recorded for them: a second report reads them, and finds them
    # as the first one left them (nothing to write).
    assert store.record_reports(pending(ids[:4]), provider=PROVIDER) == 0
    assert reads == [4]
    delivered = [Report(ids[4], DeliveryStatus.DELIVERED, code="0")]
    assert store.record_reports(delivered, provider=PROVIDER) == 1
    assert reads == [4]  # still kept: read by the lookup, unchanged since
    assert statuses(store, ids)[4] is DeliveryStatus.DELIVERED


def test_rows_written_by_another_process_meanwhile_are_read_again(
    store: Store, path: Path, reads: list[int]
) -> None:
    ids = sent(store, 3)
    store.lookup(ids, PROVIDER, keep_rows=True)
    with Store.open(path) as other:
        delivered = [Report(ids[0], DeliveryStatus.DELIVERED, code="0")]
        other.record_reports(delivered, provider=PROVIDER)
    reads.clear()  # the other connection's own reading
    # The kept rows say "no report yet": written by them, the delivered state would go.
    assert store.record_reports(pending(ids), provider=PROVIDER) == 2
    assert reads == [3]
    assert statuses(store, ids) == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.PENDING,
        DeliveryStatus.PENDING,
    ]


def test_a_write_of_this_connection_outside_record_reports_drops_the_kept_rows(
    store: Store, reads: list[int]
) -> None:
    ids = sent(store, 2)
    store.lookup(ids, PROVIDER, keep_rows=True)
    assert store.first_notice("kept-rows-test")  # any other write on the connection
    assert store.record_reports(pending(ids), provider=PROVIDER) == 2
    assert reads == [2]


def test_rows_of_a_final_state_are_not_kept(store: Store, reads: list[int]) -> None:
    ids = sent(store, 3)
    store.record_reports([Report(ids[1], DeliveryStatus.FAILED, code="1")], provider=PROVIDER)
    reads.clear()
    store.lookup(ids, PROVIDER, keep_rows=True)
    assert store.record_reports(pending(ids), provider=PROVIDER) == 2
    assert reads == [1]  # the failed one, read (and left failed)
    assert statuses(store, ids)[1] is DeliveryStatus.FAILED


def test_moving_kept_reports_onto_messages_drops_the_kept_rows(
    store: Store, reads: list[int]
) -> None:
    # A report for a msgId no message holds yet is kept aside; its message is journalled
    # after: the next write moves the report onto it, changing rows a lookup may have kept.
    early = str(2 * 10**18 + 447700800000)
    store.record_reports([Report(early, DeliveryStatus.DELIVERED, code="0")], provider=PROVIDER)
    later = sent(store, 1, start=447700800000)
    assert later == [early]
    ids = sent(store, 2)
    store.lookup([*later, *ids], PROVIDER, keep_rows=True)
    store.record_reports(pending(ids[:1]), provider=PROVIDER)
    reads.clear()
    assert store.record_reports(pending([*later, *ids[1:]]), provider=PROVIDER) == 1
    assert reads == [2]
    assert statuses(store, [*later, *ids]) == [DeliveryStatus.DELIVERED] + [
        DeliveryStatus.PENDING
    ] * 2


def test_without_wait_the_picker_lets_go_of_what_it_knew_once_judged(store: Store) -> None:
    ids = sent(store, 4)
    store.record_reports([Report(ids[3], DeliveryStatus.DELIVERED, code="0")], provider=PROVIDER)
    picker = _Picker(store, PROVIDER, len(ids), refresh=False, keep=False)
    assert picker([*ids, "999"]) == [*ids[:3], "999"]
    assert set(picker.tracked) == set(ids)
    asked = pending(ids[:2])
    assert picker.known_of(asked) is picker.tracked
    picker.judged(ids[:2])
    assert set(picker.tracked) == set(ids[2:])  # the final one stays, for combine
    # Judged again (an answer that listed them in another call's): looked up again.
    known = picker.known_of([*asked, *pending(["999"])])
    assert known[ids[0]].number == "447700900000" and "999" not in known
    waiting = _Picker(store, PROVIDER, len(ids), refresh=False, keep=True)
    waiting(ids)
    waiting.judged(ids)
    assert set(waiting.tracked) == set(ids)  # --wait judges them again each poll
    again = _Picker(store, PROVIDER, len(ids), refresh=True, keep=False)
    assert again(ids) == ids
    again.judged(ids)
    assert set(again.tracked) == {ids[3]}


def test_reports_that_change_nothing_open_no_write_transaction(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = sent(store, 3)
    store.lookup(ids, PROVIDER, keep_rows=True)
    assert store.record_reports(pending(ids), provider=PROVIDER) == 3
    writes: list[int] = []
    write = store._write

    def counting() -> Any:
        writes.append(1)
        return write()

    monkeypatch.setattr(store, "_write", counting)
    store.lookup(ids, PROVIDER, keep_rows=True)
    assert store.record_reports(pending(ids[:2]), provider=PROVIDER) == 0
    assert writes == []  # pending again: nothing to write, as the kept rows say
    delivered = [Report(ids[2], DeliveryStatus.DELIVERED, code="0")]
    assert store.record_reports(delivered, provider=PROVIDER) == 1
    assert writes == [1]
    assert store.record_reports(pending(ids[:1]), provider=PROVIDER) == 0
    assert writes == [1, 1]  # its rows were taken by the first: read again, in a transaction


def test_a_message_journalled_elsewhere_meanwhile_takes_its_kept_report(
    store: Store, path: Path
) -> None:
    ids = sent(store, 2)
    early = str(2 * 10**18 + 447700800000)
    store.record_reports([Report(early, DeliveryStatus.DELIVERED, code="0")], provider=PROVIDER)
    store.lookup(ids, PROVIDER, keep_rows=True)
    store.record_reports(pending(ids), provider=PROVIDER)
    store.lookup(ids, PROVIDER, keep_rows=True)
    with Store.open(path) as other:
        assert sent(other, 1, start=447700800000) == [early]
    # Nothing to write for these two, yet the report kept for `early` now has its message.
    assert store.record_reports(pending(ids), provider=PROVIDER) == 0
    assert statuses(store, [early]) == [DeliveryStatus.DELIVERED]
    assert early not in store.orphan_reports(PROVIDER)
