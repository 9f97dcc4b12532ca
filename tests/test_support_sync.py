"""The sync engine in-process against the v3 sandbox (httpx.MockTransport): paging, -15 waited
out (never a busy loop), interruption and resume without loss or duplicates, incremental runs,
merging with smscli's own jobs, status moving only forward."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from smscli.gateways.base import DeliveryStatus
from smscli.gateways.records import SentRecord
from smscli.gateways.v3 import V3Client
from smscli.history.store import Store
from smscli.history.support import AccountStore, SyncState
from smscli.sandbox.v3 import Sandbox
from smscli.support.calls import Options, RateLimited
from smscli.support.lookup import lookup_rows
from smscli.support.sync import sync
from smscli.support.windows import covered, plan

KEY, SECRET, APP = "bDqJFiq9", "7bz1lzh9", "4luaKsL2"


class Gate:
    """The sandbox behind a MockTransport, with a log of getSentRcd calls and scripted
    interruptions of the Nth one."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.calls: list[httpx.Request] = []
        self.before: dict[int, BaseException | httpx.Response] = {}

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("getSentRcd"):
            self.calls.append(request)
            scripted = self.before.pop(len(self.calls), None)
            if isinstance(scripted, BaseException):
                raise scripted
            if scripted is not None:
                return scripted
        return self.sandbox.handle(request)

    def client(self) -> V3Client:
        return V3Client(api_key=KEY, api_secret=SECRET, app_id=APP,
                        base_url="https://sandbox.test/v3",
                        transport=httpx.MockTransport(self.handle))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(None, delivery_delay=0.0, sent_page_size=3, balance="100")
    yield sb
    sb.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "history.sqlite3") as opened:
        yield opened


def send(client: V3Client, numbers: list[str]) -> list[str]:
    return [s.msg_id for s in client.send(numbers, "from another system").accepted]


def run(gate: Gate, store: Store, **kw: object) -> object:
    options = Options(**kw)  # type: ignore[arg-type]
    return sync(gate.client(), AccountStore(store), profile="main", provider="laaffic",
                since=datetime.now(UTC) - timedelta(days=7), options=options)


def stored(store: Store) -> list[tuple[str, str, str]]:
    return store._db.execute(
        "SELECT msg_id, number, status FROM gateway_sent ORDER BY msg_id").fetchall()


def test_pages_of_three_are_all_fetched_once(sandbox: Sandbox, store: Store) -> None:
    gate = Gate(sandbox)
    ids = send(gate.client(), [f"4477009{i:05d}" for i in range(1, 9)])
    result = run(gate, store)
    assert [r.url.params["startIndex"] for r in gate.calls] == ["0", "3", "6"]
    assert sorted(m for m, _, _ in stored(store)) == sorted(ids)
    assert {s for _, _, s in stored(store)} == {"delivered"}
    assert result.sent.records == 8  # type: ignore[attr-defined]


def test_too_frequent_is_waited_out_with_the_wait_told(sandbox: Sandbox, store: Store) -> None:
    gate = Gate(sandbox)
    send(gate.client(), ["447700900001"])
    gate.before[1] = httpx.Response(200, json={"status": "-15", "reason": "too frequent"})
    slept: list[float] = []
    told: list[tuple[float, str]] = []
    run(gate, store, sleep=slept.append, on_wait=lambda s, why: told.append((s, why)),
        rate_wait=61.0)
    assert slept == [61.0]  # one wait of a minute, not a busy loop
    assert told and told[0][0] == 61.0 and "too frequent" in told[0][1]
    assert len(gate.calls) == 2 and len(stored(store)) == 1


def test_without_waiting_too_frequent_stops_the_sync(sandbox: Sandbox, store: Store) -> None:
    gate = Gate(sandbox)
    gate.before[1] = httpx.Response(200, json={"status": "-15", "reason": "too frequent"})
    slept: list[float] = []
    with pytest.raises(RateLimited):
        run(gate, store, wait=False, sleep=slept.append)
    assert slept == [] and len(gate.calls) == 1


def test_endless_too_frequent_gives_up_after_a_few_waits(sandbox: Sandbox, store: Store) -> None:
    gate = Gate(sandbox)
    for n in range(1, 20):
        gate.before[n] = httpx.Response(200, json={"status": "-15", "reason": "too frequent"})
    slept: list[float] = []
    with pytest.raises(RateLimited):
        run(gate, store, sleep=slept.append)
    assert len(slept) == 5 and len(gate.calls) == 6


def test_interrupted_sync_resumes_without_loss_or_duplicates(
    sandbox: Sandbox, store: Store
) -> None:
    gate = Gate(sandbox)
    ids = send(gate.client(), [f"4477009{i:05d}" for i in range(1, 12)])
    gate.before[3] = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        run(gate, store)
    assert len(stored(store)) == 6  # the two pages fetched before Ctrl-C are saved
    state = AccountStore(store).state("main", "sent")
    assert state.cursor is not None and state.cursor.index == 6
    gate.calls.clear()
    run(gate, store)
    # It resumed at record 6, not at 0.
    assert gate.calls[0].url.params["startIndex"] == "6"
    rows = stored(store)
    assert sorted(m for m, _, _ in rows) == sorted(ids)
    assert len(rows) == len(set(rows))


def test_second_sync_asks_only_the_recent_tail(sandbox: Sandbox, store: Store) -> None:
    gate = Gate(sandbox)
    send(gate.client(), ["447700900001"])
    run(gate, store)
    first = gate.calls[0].url.params["startTime"]
    gate.calls.clear()
    run(gate, store)
    again = datetime.fromisoformat(gate.calls[0].url.params["startTime"])
    assert again > datetime.fromisoformat(first) + timedelta(days=6)
    assert len(stored(store)) == 1


def test_windows_are_31_days_at_most_and_coverage_stays_contiguous() -> None:
    t0 = datetime(2026, 9, 1, tzinfo=UTC)
    windows = plan(SyncState("p", "sent"), t0, t0 + timedelta(days=80), timedelta(days=31))
    assert [b - a for a, b in windows] == [timedelta(days=31)] * 2 + [timedelta(days=18)]
    state = SyncState("p", "sent", t0 + timedelta(days=40), t0 + timedelta(days=50))
    windows = plan(state, t0, t0 + timedelta(days=60), timedelta(days=31))
    # Backfill newest first (so each window touches the covered span), then the tail.
    assert windows[0] == (t0 + timedelta(days=31), t0 + timedelta(days=40))
    assert windows[1] == (t0, t0 + timedelta(days=31))
    assert windows[2][0] < t0 + timedelta(days=50) < windows[2][1]
    for window in windows:
        state = covered(state, window)
    assert (state.covered_from, state.covered_until) == (t0, t0 + timedelta(days=60))


def record(msg_id: str, status: DeliveryStatus) -> SentRecord:
    return SentRecord(msg_id, "447700900001", status, None, None, None, None)


def test_status_only_moves_forward(store: Store) -> None:
    account = AccountStore(store)
    state = SyncState("main", "sent")
    for status in (DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.PENDING,
                   DeliveryStatus.UNKNOWN, DeliveryStatus.FAILED):
        account.save_sent([record("1", status)], provider="laaffic", profile="main", state=state)
    assert stored(store) == [("1", "447700900001", "delivered")]
    account.save_sent([record("2", DeliveryStatus.PENDING)], provider="laaffic", profile="main",
                      state=state)
    account.save_sent([record("2", DeliveryStatus.UNKNOWN)], provider="laaffic", profile="main",
                      state=state)
    assert stored(store)[1][2] == "pending"


def test_a_msg_id_smscli_sent_is_the_same_message(sandbox: Sandbox, store: Store) -> None:
    from smscli.gateways.base import SendResult
    from smscli.model import Chunk, ChunkOutcome, ChunkState

    gate = Gate(sandbox)
    client = gate.client()
    result = client.send(["447700900001"], "our own text", order_ids=["order-7"])
    other = send(client, ["447700900001"])
    job = store.create_job(profile="main", provider="laaffic", kind="send",
                           message="our own text", sender=None,
                           chunks=[Chunk(0, ["447700900001"], order_ids=["order-7"])])
    journal = store.journal(job)
    chunk = Chunk(0, ["447700900001"], order_ids=["order-7"])
    journal.before(chunk)
    answer = SendResult(result.accepted, 1, 0)
    journal.after(ChunkOutcome(chunk, ChunkState.ACCEPTED, result=answer))
    run(gate, store)
    rows = lookup_rows(store, ["447700900001"], datetime.now(UTC) - timedelta(days=1))
    assert len(rows) == 2
    ours = next(r for r in rows if r["source"] == "history")
    theirs = next(r for r in rows if r["source"] == "gateway")
    assert ours["msg_id"] == result.accepted[0].msg_id and ours["job"] == job
    assert ours["content"] == "our own text" and ours["status"] == "delivered"
    assert theirs["msg_id"] == other[0] and theirs["job"] is None
    assert theirs["status"] == "delivered" and theirs["content"] is None
    # The job's own message got the gateway's state too (`history --number` sees it).
    (hit,) = [h for h in store.messages_to("447700900001") if h.message.msg_id]
    assert hit.message.status == "delivered" and hit.message.order_id == "order-7"


def test_history_prune_also_drops_old_synced_records(store: Store) -> None:
    from smscli.gateways.records import Inbound

    account = AccountStore(store)
    old = datetime.now(UTC) - timedelta(days=100)
    state = SyncState("main", "sent")
    records = [SentRecord("1", "447700900001", DeliveryStatus.DELIVERED, old, old, "0", None),
               SentRecord("2", "447700900001", DeliveryStatus.DELIVERED, None, None, "0", None)]
    account.save_sent(records, provider="laaffic", profile="main", state=state)
    account.save_inbound([Inbound("447700900001", None, "old", old, None),
                          Inbound("447700900001", None, "new", None, None)],
                         provider="laaffic", profile="main", state=None)
    cutoff = datetime.now(UTC) - timedelta(days=90)
    assert account.prune(cutoff, dry_run=True) == (1, 1)
    assert account.counts() == (2, 2)
    assert account.prune(cutoff) == (1, 1)
    assert account.counts() == (1, 1)


def test_an_older_history_gains_the_support_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from smscli.history import schema
    from smscli.model import Chunk

    # The history as the smscli just before the support tables wrote it.
    before = schema.MIGRATIONS.index(schema.SUPPORT_TABLES)
    path = tmp_path / "old.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:before])
        m.setattr(schema, "VERSION", before)
        with Store.open(path) as old:
            old.create_job(profile="main", provider="laaffic", kind="send", message="hi",
                           sender=None, chunks=[Chunk(0, ["447700900001"])])
    with Store.open(path) as new:
        assert [s.job.id for s in new.jobs()] == [1]
        assert AccountStore(new).counts() == (0, 0)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION
    raw.close()


def test_progress_line_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, console_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from smscli.cli.syncing import ProgressLine
    from smscli.support.calls import Progress

    t0 = datetime(2026, 11, 15, tzinfo=UTC)
    progress = Progress("sent", records=150_000, calls=3, window=(t0, t0 + timedelta(days=7)))
    console_env(stderr_isatty=False)
    quiet = ProgressLine()
    quiet.update(progress)
    quiet.close()
    assert capsys.readouterr().err == ""
    console_env(stderr_isatty=True)
    line = ProgressLine()
    line.update(progress)
    line.waiting(61.0, "getSentRcd: the gateway says too frequent")
    err = capsys.readouterr().err
    assert "\r\x1b[2Ksync: 150,000 sent records (3 calls, window 2026-11-" in err
    assert err.count("\n") == 2  # the progress line ended before the wait's own line
    assert "waiting 61 s before asking again" in err


def test_inbound_text_is_not_kept_when_the_profile_says_so(store: Store) -> None:
    from smscli.gateways.records import Inbound

    account = AccountStore(store)
    when = datetime.now(UTC)
    reply = Inbound("447700900001", "ACME", "my address is ...", when, None)
    for _ in range(2):
        account.save_inbound([reply], provider="laaffic", profile="main", state=None,
                             store_content=False)
    (row,) = account.inbound(when - timedelta(minutes=1))
    assert row.content is None and row.number == "447700900001"


def test_lookup_refresh_asks_get_report_about_what_is_still_pending(store: Store) -> None:
    import time

    from smscli.support.refresh import refresh

    shift = [0.0]
    sandbox = Sandbox(None, delivery_delay=60.0, balance="100",
                      clock=lambda: time.time() + shift[0])
    gate = Gate(sandbox)
    ids = send(gate.client(), ["447700900001", "447700900999"])
    run(gate, store)
    account = AccountStore(store)
    since = datetime.now(UTC) - timedelta(days=1)
    assert {s for _, _, s in stored(store)} == {"pending"}
    unsettled = account.unsettled(["447700900001", "447700900999"], since, "laaffic", 1000)
    assert set(unsettled) == set(ids)
    shift[0] = 120.0  # a couple of minutes later: the gateway has the delivery reports
    saved = refresh(gate.client(), account, provider="laaffic", profile="main",
                    unsettled=unsettled)
    assert saved == 2
    assert sorted(s for _, _, s in stored(store)) == ["delivered", "failed"]
    assert account.unsettled(["447700900001", "447700900999"], since, "laaffic", 1000) == {}
    assert len(gate.calls) == 1  # getReport, not another getSentRcd
    sandbox.close()


def test_numbers_the_gateway_echoes_with_a_prefix_are_found(store: Store) -> None:
    from smscli.gateways.records import Inbound

    account = AccountStore(store)
    when = datetime.now(UTC)
    account.save_sent([SentRecord("9", "+44 7700 900001", DeliveryStatus.DELIVERED, when, when,
                                  "0", None)], provider="laaffic", profile="main", state=None)
    account.save_inbound([Inbound("0044 7700 900001", None, "hi", when, None)],
                         provider="laaffic", profile="main", state=None)
    rows = lookup_rows(store, ["447700900001"], when - timedelta(minutes=1))
    assert {(r["direction"], r["number"]) for r in rows} == {("out", "447700900001"),
                                                            ("in", "447700900001")}


def test_after_too_frequent_the_next_pages_are_spaced_out_up_front(
    sandbox: Sandbox, store: Store
) -> None:
    gate = Gate(sandbox)
    ids = send(gate.client(), [f"4477009{i:05d}" for i in range(1, 8)])  # 3 pages of 3
    gate.before[1] = httpx.Response(200, json={"status": "-15", "reason": "too frequent"})
    slept: list[float] = []
    told: list[str] = []
    run(gate, store, sleep=slept.append, on_wait=lambda s, why: told.append(why),
        rate_wait=61.0)
    # One -15, then no more: pages 2 and 3 waited their turn instead of being refused.
    assert len(gate.calls) == 4 and len(slept) == 3
    assert slept[0] == 61.0 and all(60.0 < pause <= 61.0 for pause in slept[1:])
    assert "too frequent" in told[0] and "one call per 61 s" in told[1]
    assert sorted(m for m, _, _ in stored(store)) == sorted(ids)


@pytest.mark.parametrize(
    "quirks",
    [["bom", "numbers"], ["plus-numbers", "lowercase-msgid"], ["naive-time"], ["epoch-ms-time"],
     ["http-errors"]],
)
def test_sync_and_lookup_through_the_simulators_quirk_modes(
    quirks: list[str], store: Store
) -> None:
    sandbox = Sandbox(None, delivery_delay=0.0, balance="100", quirks=quirks, sent_page_size=2)
    gate = Gate(sandbox)
    ids = send(gate.client(), ["447700900001", "447700900999", "447700900002"])
    sandbox.account.inject_inbound("447700900001", "hi")
    run(gate, store)
    rows = lookup_rows(store, ["447700900001", "447700900999"],
                       datetime.now(UTC) - timedelta(days=1))
    assert sorted((r["msg_id"], r["status"]) for r in rows if r["direction"] == "out") == [
        (ids[0], "delivered"), (ids[1], "failed")]
    assert [r["content"] for r in rows if r["direction"] == "in"] == ["hi"]
    sandbox.close()


def test_progress_line_counts_one_call_and_one_message_in_the_singular(
    monkeypatch: pytest.MonkeyPatch, console_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """At a terminal `lookup` printed "sync: 1 inbound messages (1 calls, ...)" (qa3)."""
    from smscli.cli.syncing import ProgressLine
    from smscli.support.calls import Progress

    console_env(stderr_isatty=True)
    line = ProgressLine()
    line.update(Progress("inbound", records=1, calls=1, window=None))
    line.update(Progress("sent", records=2_310, calls=1, window=None))
    line.close()
    err = capsys.readouterr().err
    assert "sync: 1 inbound message (1 call)" in err
    assert "sync: 2,310 sent records (1 call)" in err
