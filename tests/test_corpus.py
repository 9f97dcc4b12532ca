"""The corpus of gateway answers (tests/corpus/*.json, issue 10): every variant seen in real
clients' code and captures (../shared/real-answers.md) and the ones the issue reproduced, each
with its source and the verdict smscli must reach, replayed in-process through the client of its
protocol (v3 or mobset) behind httpx.MockTransport:

- send / batch: the rows (number, msg_id, accepted), the numbers sent without a usable id, the
  exit code, what the history records per number, and what `send --resume` would send;
- report: status, time and code per msgId (ids absent from the answer judged as `report` does,
  at the variant's `now`), and the exit code;
- balance: the amounts shown, and the exit code of `--below 10`;
- pull (mobset SmsGetReport): calls made, reports counted new or repeated, answers kept raw in
  the history, unreadable ones, the exit code and the reports the history holds after.

A representative set (`"cli": true`) is also replayed over real HTTP on 127.0.0.1 through the
CLI: tests/test_corpus_cli.py.

Each file's `before` says what smscli did with that answer before issue 10."""

from __future__ import annotations

import codecs
import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from smscli.balance import balance_below
from smscli.errors import ExitCode, SmsCliError
from smscli.gateways.base import BatchElement, ReportResult, SendResult
from smscli.gateways.mobset import MobsetClient
from smscli.gateways.v3 import V3Client
from smscli.history.raw import RawKeeper
from smscli.history.store import Store
from smscli.jobs.run import exit_code as _exit_code
from smscli.model import Chunk, RunResult, Tally
from smscli.reads import QUERY_RETRY
from smscli.reporting.drain import Drained, UnreadableReports, drain_queue
from smscli.reporting.outcome import ReportOutcome, exit_code
from smscli.reporting.poll import merge_reports
from smscli.reporting.verdicts import not_found_verdict
from smscli.retry import RetryPolicy
from smscli.rows import rows_for
from smscli.sandbox.mobset import (
    MOBSET_SANDBOX_CORP_ID,
    MOBSET_SANDBOX_LOGIN_NAME,
    MOBSET_SANDBOX_PASSWORD,
)
from smscli.sending import attempt_chunk

CORPUS = Path(__file__).with_name("corpus")
MOBSET_EMPTY = b'{"code":"0","Message":"ok","Details":[]}'
ONCE = RetryPolicy(attempts=1)


def load() -> list[dict[str, Any]]:
    return [json.loads(path.read_text("utf-8")) for path in sorted(CORPUS.glob("*.json"))]


VARIANTS = load()


def body_bytes(answer: dict[str, Any]) -> bytes:
    content = str(answer["body"]).encode(answer.get("encoding") or "utf-8")
    return codecs.BOM_UTF8 + content if answer.get("bom") else content


def canned(answer: dict[str, Any]) -> httpx.Response:
    headers = {"Content-Type": answer["content_type"]} if answer.get("content_type") else {}
    content = body_bytes(answer)
    if answer.get("gzip"):
        content = gzip.compress(content)
        headers["Content-Encoding"] = "gzip"
    return httpx.Response(answer["status"], content=content, headers=headers)


@dataclass
class Counter:
    calls: int = 0


def transport(variant: dict[str, Any], counter: Counter) -> httpx.MockTransport:
    """The variant's answer; a mobset queue hands it out once (then an empty one) unless the
    variant repeats (a queue that repeats itself, an error that lasts)."""

    def handle(request: httpx.Request) -> httpx.Response:
        counter.calls += 1
        if variant["call"] == "pull" and counter.calls > 1 and not variant.get("repeat"):
            return httpx.Response(200, content=MOBSET_EMPTY, headers={"Content-Type": "text/json"})
        return canned(variant["answer"])

    return httpx.MockTransport(handle)


def client(variant: dict[str, Any], counter: Counter) -> V3Client | MobsetClient:
    if variant["protocol"] == "v3":
        return V3Client(
            api_key="bDqJFiq9",
            api_secret="7bz1lzh9",
            app_id="4luaKsL2",
            base_url="https://gw.example/v3",
            transport=transport(variant, counter),
        )
    return MobsetClient(
        corp_id=MOBSET_SANDBOX_CORP_ID,
        login_name=MOBSET_SANDBOX_LOGIN_NAME,
        password=MOBSET_SANDBOX_PASSWORD,
        base_url="https://gw.example/SDK3/SMS",
        transport=transport(variant, counter),
    )


def ids(kind: str) -> list[Any]:
    return [pytest.param(v, id=v["id"]) for v in VARIANTS if v["call"] in kind.split(",")]


# -- the corpus itself ----------------------------------------------------------------------


def test_the_corpus_covers_both_protocols_and_every_call() -> None:
    assert len(VARIANTS) >= 60
    assert {v["protocol"] for v in VARIANTS} == {"v3", "mobset"}
    assert {v["call"] for v in VARIANTS} == {"send", "batch", "report", "balance", "pull"}
    for variant in VARIANTS:
        assert variant["source"] and variant["before"] and variant["expect"], variant["id"]
        assert (CORPUS / f"{variant['id']}.json").exists()


# -- send and batch -------------------------------------------------------------------------


def run_send(variant: dict[str, Any], store: Store) -> tuple[RunResult, int]:
    counter = Counter()
    gateway = client(variant, counter)
    if variant["call"] == "batch":
        elements = [
            BatchElement(tuple(e["numbers"]), e["content"], None,
                         tuple(e["order_ids"]) if e.get("order_ids") else None)
            for e in variant["elements"]
        ]
        numbers = [n for e in variant["elements"] for n in e["numbers"]]
        chunk = Chunk(0, numbers, contents=[e["content"] for e in variant["elements"]
                                            for _ in e["numbers"]])

        def send_one(chunk: Chunk) -> SendResult:
            return gateway.send_batch(elements)
    else:
        chunk = Chunk(0, list(variant["numbers"]))

        def send_one(chunk: Chunk) -> SendResult:
            return gateway.send(chunk.numbers, "hi")

    job = store.create_job(
        profile="corpus",
        provider=variant["protocol"],
        kind=variant["call"],
        message="hi",
        sender=None,
        chunks=[chunk],
    )
    journal = store.journal(job)
    journal.before(chunk)
    outcome = attempt_chunk(chunk, send_one, ONCE, sleep=lambda s: None)
    journal.after(outcome)
    store.finish_job(job)
    gateway.close()
    assert counter.calls == 1, "a send is never repeated on its own"
    return RunResult(outcomes=[outcome]), job


def _accepted(row: dict[str, object]) -> bool | None:
    """The corpus writes a row's verdict as accepted true/false/null; rows say `outcome`."""
    return {"accepted": True, "rejected": False, "not_sent": False, "unknown": None}[
        str(row["outcome"])
    ]


@pytest.mark.parametrize("variant", ids("send,batch"))
def test_send_verdict(variant: dict[str, Any], tmp_path: Path) -> None:
    expect = variant["expect"]
    with Store.open(tmp_path / "history.sqlite3") as store:
        run, job = run_send(variant, store)
        (outcome,) = run.outcomes
        rows = [[row["number"], row["msg_id"], _accepted(row)] for row in rows_for(outcome)]
        assert rows == expect["rows"]
        assert list(outcome.untracked) == expect["untracked"]
        # Sent without an id is a value of the client's answer, not an exception.
        assert outcome.result is None or list(outcome.result.untracked) == expect["untracked"]
        assert int(_exit_code(run, Tally.of(run.outcomes))) == expect["exit"]
        if "error" in expect:
            assert outcome.error is not None and expect["error"] in outcome.error.message
        # The history: one outcome per number; a number sent without an id says so.
        messages = store.job_messages(job)
        assert [m.outcome for m in messages] == expect["history"]
        for m in messages:
            if m.number in expect["untracked"]:
                assert m.msg_id is None and "no message id" in (m.error or "")
        # A resume sends nothing that was accepted (with or without an id) or rejected.
        plan = store.resume_plan(job)
        assert [n for c in plan.to_send for n in c.numbers] == expect["resume"]["send"]
        assert [n for _, c in plan.unknown for n in c.numbers] == expect["resume"]["unknown"]
        for settled in plan.settled:  # and shows what was recorded, not a new verdict
            again = [[x["number"], x["msg_id"], _accepted(x)] for x in rows_for(settled)]
            assert again == expect["rows"]


# -- getReport ------------------------------------------------------------------------------


def shown(report: Any) -> list[Any]:
    return [
        report.msg_id,
        report.status.value,
        report.time.astimezone(UTC).isoformat() if report.time else None,
        report.code,
    ]


@pytest.mark.parametrize("variant", ids("report"))
def test_report_verdict(variant: dict[str, Any]) -> None:
    expect = variant["expect"]
    now = datetime.fromisoformat(variant["now"])
    gateway = client(variant, Counter())
    asked = variant["ids"]
    try:
        result: ReportResult = gateway.get_report(asked)
    except SmsCliError as exc:
        assert expect["reports"] is None, exc
        assert int(exc.exit_code) == expect["exit"]
        return
    finally:
        gateway.close()
    reports = [not_found_verdict(x, None, now) for x in merge_reports(asked, [result])]
    assert [shown(x) for x in reports] == expect["reports"]
    for report in reports:
        assert report.time is None or report.time.tzinfo is not None  # never naive
    outcome = ReportOutcome(reports=tuple(reports), polls=1, elapsed=0.0)
    assert int(exit_code(outcome)) == expect["exit"]


# -- getBalance -----------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ids("balance"))
def test_balance_verdict(variant: dict[str, Any]) -> None:
    expect = variant["expect"]
    gateway = client(variant, Counter())
    try:
        balance = gateway.get_balance()
    except SmsCliError as exc:
        assert expect["balance"] is None, exc
        assert int(exc.exit_code) == expect["exit"]
        return
    finally:
        gateway.close()
    got = {"balance": balance.balance, "gift": balance.gift, "credit": balance.credit}
    if balance.extra.get("unit"):
        got["unit"] = balance.extra["unit"]
    assert got == expect["balance"]
    try:
        below = int(ExitCode.PARTIAL) if balance_below(balance.balance, 10) else 0
    except SmsCliError as exc:
        below = int(exc.exit_code)
    assert below == expect["below_exit"]


# -- mobset's report queue ------------------------------------------------------------------


@pytest.mark.parametrize("variant", ids("pull"))
def test_pull_verdict(variant: dict[str, Any], tmp_path: Path) -> None:
    expect = variant["expect"]
    counter = Counter()
    gateway = client(variant, counter)
    pauses: list[float] = []
    with Store.open(tmp_path / "history.sqlite3") as store:
        try:
            drained = drain_queue(
                gateway,  # type: ignore[arg-type]
                lambda reports: store.record_reports(reports, provider="mobset"),
                keeper=RawKeeper(store, "mobset", "corpus"),
                known=lambda msg_ids: store.lookup(msg_ids, "mobset"),
                sleep=pauses.append,
                retry=QUERY_RETRY,
                pace=1.0,
            )
        except SmsCliError as exc:
            exit_code, new, repeated = int(exc.exit_code), 0, 0
            if isinstance(exc, UnreadableReports):
                assert "raw_reports" in exc.message and str(store.path) in exc.message
        else:
            exit_code, new, repeated = 0, drained.reports, drained.repeated
        finally:
            gateway.close()
        assert counter.calls == expect["calls"]
        assert (new, repeated) == (expect["new"], expect["repeated"])
        assert exit_code == expect["exit"]
        kept = store.raw_reports()
        assert len(kept) == expect["kept"]
        unreadable = store.raw_reports("unreadable")
        assert len(unreadable) == expect["unreadable"]
        for raw in unreadable:
            assert raw.body == body_bytes(variant["answer"])  # byte for byte, to read again
        held = store.orphan_reports("mobset")
        assert [[k, v.status.value if v.status else None] for k, v in held.items()] == (
            expect["reports"]
        )
        if exit_code == 0:
            # One second between pulls (recorded, not waited for).
            assert pauses == [1.0] * (expect["calls"] - 1)


def test_every_pull_is_one_second_apart_and_a_run_is_capped(tmp_path: Path) -> None:
    """A queue that keeps handing out new reports: 1 s between pulls, at most max_calls."""
    serial = iter(range(10**9))

    def handle(request: httpx.Request) -> httpx.Response:
        n = next(serial)
        details = [{"SmsId": str(n * 50 + i), "Status": "12"} for i in range(50)]
        return httpx.Response(200, json={"Code": 50, "Details": details})

    gateway = MobsetClient(
        corp_id=MOBSET_SANDBOX_CORP_ID,
        login_name=MOBSET_SANDBOX_LOGIN_NAME,
        password=MOBSET_SANDBOX_PASSWORD,
        base_url="https://gw.example/SDK3/SMS",
        transport=httpx.MockTransport(handle),
    )
    pauses: list[float] = []
    with Store.open(tmp_path / "h.sqlite3") as store:
        drained = drain_queue(
            gateway,  # type: ignore[arg-type]
            lambda reports: store.record_reports(reports, provider="mobset"),
            keeper=RawKeeper(store, "mobset"),
            max_calls=7,
            sleep=pauses.append,
            pace=1.0,
        )
    gateway.close()
    assert drained == Drained(calls=7, reports=350, limit_reached=True)
    assert pauses == [1.0] * 6


def test_each_variant_says_what_changed() -> None:
    # `before` is "same..." when issue 10 did not change the verdict; the rest are listed,
    # before -> after, in the closing note.
    changed = [v["id"] for v in VARIANTS if not v["before"].startswith("same")]
    assert len(changed) >= 25
