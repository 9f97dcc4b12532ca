"""Fault injection over real loopback HTTP: `smscli send` of a few thousand numbers (several
1000-number requests, one or four at a time) against a gateway that drops connections, goes
down, answers 5xx, rate-limits, runs its clock two hours ahead or loses its answers. Whatever
happens, the gateway's own log shows no number processed twice (unless --resend-unknown asks
for it), the journal accounts for every number (accepted, rejected, unknown or not sent) as the
CLI's rows and exit code say, and `send --resume` then sends exactly what never left.

With four requests in flight, which request meets a fault depends on timing: those tests assert
only what holds in any order (how many numbers end up unknown, that the rest add up)."""

from __future__ import annotations

import itertools
import json
import os
import socket
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from smscli.cli import app
from smscli.history.store import Store
from tests.fakes import (
    FakeGateway,
    Fault,
    LoggedGateway,
    after_processing,
    drop,
    http_500,
    not_json,
    status,
    write_profile,
)

runner = CliRunner()
CHUNK = 1000  # numbers per v3 request
GIVEN = 4500  # five requests: four of 1000, then 500
OUTCOMES = ("accepted", "rejected", "unknown", "not_sent")
LETTER = {"accepted": "A", "rejected": "R", "unknown": "U", "not_sent": "N"}
JOB = 1


def numbers(count: int = GIVEN, start: int = 447700000000) -> list[str]:
    """Plain numbers: none with the sandbox's magic endings (0997 would be rejected)."""
    out: list[str] = []
    candidate = start
    while len(out) < count:
        if str(candidate)[-4:] not in ("0997", "0998", "0999"):
            out.append(str(candidate))
        candidate += 1
    return out


# -- faults -------------------------------------------------------------------------------------


def ok(request: httpx.Request, gw: FakeGateway) -> httpx.Response:
    """No fault: a placeholder that puts the next fault at a later request."""
    return gw.sandbox.handle(request)


def too_many(retry_after: str = "0") -> Fault:
    def fault(request: httpx.Request, gw: FakeGateway) -> httpx.Response:
        return httpx.Response(429, text="Too Many Requests", headers={"Retry-After": retry_after})

    return fault


def then_down(request: httpx.Request, gw: FakeGateway) -> httpx.Response:
    """Process this request and answer it, then the gateway is down: it stops listening (new
    connections are refused) and closes this connection after the answer."""
    response = gw.sandbox.handle(request)
    assert gw.server is not None
    listener = gw.server._server
    listener.shutdown()
    listener.server_close()
    response.headers["Connection"] = "close"
    return response


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- running the CLI -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    exit_code: int
    rows: list[dict[str, Any]]
    stderr: str


def cli(*args: str) -> Run:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    rows = json.loads(result.stdout) if "--json" in args else []
    return Run(result.exit_code, rows, result.stderr)


def send(given: list[str]) -> Run:
    return cli("send", ",".join(given), "-m", "fault drill", "-y", "--json")


def resume(*extra: str) -> Run:
    return cli("send", "--resume", str(JOB), "-y", "--json", *extra)


@dataclass(frozen=True, slots=True)
class Journal:
    """What the history says of the job after a run."""

    by_outcome: dict[str, list[str]]
    states: str  # one letter per request: A(ccepted) R(ejected) U(nknown) N(ot sent)
    attempts: list[int]
    sends: list[int]

    def of(self, *outcomes: str) -> set[str]:
        return {n for o in outcomes for n in self.by_outcome[o]}

    def count(self, outcome: str) -> int:
        return len(self.by_outcome[outcome])


def journal(given: list[str], run: Run) -> Journal:
    """Check that the journal accounts for every number of the job, as the CLI's rows, summary
    line and exit code say; return what it holds."""
    with Store.open() as store:
        job = store.job(JOB)
        infos = store.chunks(JOB)
        messages = store.job_messages(JOB)
    assert not job.live
    assert job.numbers == len(given)
    # Every request of the plan, with an outcome (nothing left `planned` or `sending`).
    sizes = [min(CHUNK, len(given) - start) for start in range(0, len(given), CHUNK)]
    assert [(i.index, i.size) for i in infos] == list(enumerate(sizes))
    assert {i.state for i in infos} <= set(OUTCOMES), [i.state for i in infos]
    # Every number exactly once, in its request, with an outcome its request allows.
    assert [(m.chunk, m.pos, m.number) for m in messages] == [
        (k // CHUNK, k % CHUNK, n) for k, n in enumerate(given)
    ]
    for m in messages:
        state = infos[m.chunk].state
        assert m.outcome in ({"accepted", "rejected"} if state == "accepted" else {state})
        assert (m.msg_id is not None) == (m.outcome == "accepted")
    # The CLI printed the same: one row per number of the whole job.
    assert [r["number"] for r in run.rows] == given, run.stderr
    for row, m in zip(run.rows, messages, strict=True):
        assert row["outcome"] == m.outcome, (row, m.outcome)
        assert row["msg_id"] == m.msg_id
        if m.outcome == "unknown":
            assert row["error"].startswith("outcome unknown: ")
        elif m.outcome == "not_sent":
            assert row["error"].startswith("not sent: ")
    by_outcome: dict[str, list[str]] = {o: [] for o in OUTCOMES}
    for m in messages:
        by_outcome[m.outcome].append(m.number)
    counts = {o: len(v) for o, v in by_outcome.items()}
    # The summary line counts the same numbers.
    parts = [f"{counts['accepted']:,} accepted"]
    parts += [f"{counts[o]:,} {o.replace('_', ' ')}" for o in OUTCOMES[1:] if counts[o]]
    assert f"job {JOB}: {', '.join(parts)} (" in run.stderr, run.stderr
    # The exit code: 0 only when everything was accepted; 6 whenever anything is unknown.
    assert (run.exit_code == 0) == (counts["accepted"] == len(given)), run.stderr
    if counts["unknown"]:
        assert run.exit_code == 6
        assert f"smscli send --resume {JOB} --resend-unknown" in run.stderr
    if counts["not_sent"]:
        assert f"to send the {counts['not_sent']:,} numbers not sent" in run.stderr
    return Journal(
        by_outcome,
        "".join(LETTER[i.state] for i in infos),
        [i.attempts for i in infos],
        [i.sends for i in infos],
    )


def received_once(gw: FakeGateway) -> Counter[str]:
    """The gateway's own log: what it processed. No number twice."""
    received = Counter(gw.numbers_received())
    twice = sorted(n for n, k in received.items() if k > 1)
    assert not twice, f"{len(twice)} numbers processed twice, e.g. {twice[:3]}"
    return received


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(params=[1, 4], ids=["c1", "c4"])
def concurrency(request: pytest.FixtureRequest) -> int:
    value: int = request.param
    return value


def point_at(url: str, concurrency: int) -> None:
    """The profile `main` sends to `url` (a gateway root), `concurrency` requests at a time."""
    config = Path(os.environ["SMSCLI_CONFIG"])
    write_profile(config, f"{url}/v3", extra=f"concurrency = {concurrency}\n")


@pytest.fixture
def gateway(tmp_path: Path, concurrency: int) -> Iterator[LoggedGateway]:
    gw = LoggedGateway(tmp_path / "gateway", balance="100000")
    point_at(gw.start(), concurrency)
    yield gw
    gw.stop()


def back_up(gw: FakeGateway, concurrency: int) -> None:
    """The gateway is back (on a new port), and the profile points at it."""
    if gw.server is not None:
        gw.server.shutdown()
    point_at(gw.start(), concurrency)


# -- the common story: a faulty send, a resume, a resend of the unknown ------------------------


def recover(gw: LoggedGateway, given: list[str], first: Journal) -> None:
    """With the gateway healthy again: `--resume` sends exactly the numbers not sent and nothing
    unknown (nor anything answered); `--resend-unknown` then sends the unknown ones, the only
    numbers that may reach the gateway twice (those it had processed before)."""
    gw.faults.clear()
    unknown, not_sent, rejected = first.of("unknown"), first.of("not_sent"), first.of("rejected")
    processed_unknown = unknown & set(gw.numbers_received())
    mark = len(gw.numbers_received())
    resumed = resume()
    second = journal(given, resumed)
    sent_now = gw.numbers_received()[mark:]
    assert sorted(sent_now) == sorted(first.by_outcome["not_sent"])
    received_once(gw)
    assert second.of("unknown") == unknown
    assert second.of("rejected") == rejected  # answered: never resent
    assert second.of("accepted") == first.of("accepted") | not_sent
    assert second.count("not_sent") == 0
    if unknown:
        assert resumed.exit_code == 6
        assert "not resending them" in resumed.stderr
    else:
        assert resumed.exit_code == (3 if rejected else 0)
        return
    if not not_sent:
        assert "nothing left to send" in resumed.stderr

    mark = len(gw.numbers_received())
    forced = resume("--resend-unknown")
    third = journal(given, forced)
    assert "may get it twice" in forced.stderr
    assert sorted(gw.numbers_received()[mark:]) == sorted(first.by_outcome["unknown"])
    assert third.of("accepted") == set(given) - rejected
    assert forced.exit_code == (3 if rejected else 0)
    received = Counter(gw.numbers_received())
    twice = {n for n, k in received.items() if k == 2}
    assert twice == processed_unknown
    assert max(received.values()) <= 2
    assert set(received) == set(given) - rejected
    # The journal counts the resend: twice for the unknown requests, once for the others.
    resent = {k for k, letter in enumerate(first.states) if letter == "U"}
    assert [k for k, n in enumerate(third.sends) if n == 2] == sorted(resent)


def check_first_run(
    gw: LoggedGateway, given: list[str], run: Run, *, processed_unknown: bool
) -> Journal:
    """After the faulty run: the gateway processed each number at most once, everything
    accepted among them, nothing not sent nor rejected; unknown ones only if the fault came
    after processing."""
    first = journal(given, run)
    received = set(received_once(gw))
    assert first.of("accepted") <= received
    assert not first.of("not_sent", "rejected") & received
    unknown = first.of("unknown")
    assert unknown & received == (unknown if processed_unknown else set())
    return first


# -- unknown outcomes: drops, 5xx, answers lost after processing -----------------------------------

AP_500 = after_processing(http_500)
AP_DROP = after_processing(drop)

# One request at a time: the n-th fault meets the n-th request, and the run stops at the first
# unknown outcome, so the expected state of every request is certain.
ONE_AT_A_TIME = [
    # id, faults, request states after the run, processed by the gateway before the fault
    ("drop-first", [drop], "UNNNN", False),
    ("drop-middle", [ok, ok, drop], "AAUNN", False),
    ("drop-last", [ok, ok, ok, ok, drop], "AAAAU", False),
    ("500-second", [ok, http_500], "AUNNN", False),
    ("500-last", [ok, ok, ok, ok, http_500], "AAAAU", False),
    ("not-json-middle", [ok, ok, not_json], "AAUNN", False),
    ("500-after-processing-first", [AP_500], "UNNNN", True),
    ("500-after-processing-fourth", [ok, ok, ok, AP_500], "AAAUN", True),
    ("drop-after-processing-second", [ok, AP_DROP], "AUNNN", True),
    ("drop-after-processing-last", [ok, ok, ok, ok, AP_DROP], "AAAAU", True),
]


@pytest.mark.parametrize("concurrency", [1], ids=["c1"])
@pytest.mark.parametrize(
    ("faults", "states", "processed"),
    [case[1:] for case in ONE_AT_A_TIME],
    ids=[case[0] for case in ONE_AT_A_TIME],
)
def test_unknown_outcome_one_at_a_time(
    gateway: LoggedGateway, faults: list[Fault], states: str, processed: bool
) -> None:
    given = numbers()
    gateway.faults.extend(faults)
    run = send(given)
    assert run.exit_code == 6, run.stderr
    first = check_first_run(gateway, given, run, processed_unknown=processed)
    assert first.states == states
    assert gateway.answers()[-1] != "0"
    assert first.of("unknown") == set(gateway.log[-1][0])  # the request that met the fault
    assert gateway.faults == []
    # An unknown outcome is never retried: one attempt each; what never started, none.
    assert first.attempts == [0 if state == "N" else 1 for state in states]
    assert "the gateway may have sent them" in run.stderr
    recover(gateway, given, first)


# Four at a time: the first four requests start together, so a burst of up to four faults at
# the head always lands in this run, each on a different request; which ones is up to timing.
FOUR_AT_A_TIME = [
    # id, faults, requests that end unknown, processed by the gateway before the fault
    ("drop-burst-4", [drop] * 4, 4, False),
    ("drop-burst-2-after-2", [ok, ok, drop, drop], 2, False),
    ("500-burst-2", [http_500] * 2, 2, False),
    ("500-after-processing-burst-3", [ok, AP_500, AP_500, AP_500], 3, True),
    ("drop-after-processing-burst-4", [AP_DROP] * 4, 4, True),
    ("mixed-burst", [AP_DROP, drop, http_500], 3, None),
]


@pytest.mark.parametrize("concurrency", [4], ids=["c4"])
@pytest.mark.parametrize(
    ("faults", "unknown_requests", "processed"),
    [case[1:] for case in FOUR_AT_A_TIME],
    ids=[case[0] for case in FOUR_AT_A_TIME],
)
def test_unknown_outcome_four_at_a_time(
    gateway: LoggedGateway, faults: list[Fault], unknown_requests: int, processed: bool | None
) -> None:
    given = numbers()
    gateway.faults.extend(faults)
    run = send(given)
    assert run.exit_code == 6, run.stderr
    assert gateway.faults == []  # the whole burst met this run
    first = journal(given, run)
    received = set(received_once(gateway))
    # Each fault met a different request, and those are exactly the unknown ones; the
    # requests answered "0" (at least those meeting `ok`) are the accepted ones.
    faulted = {n for numbers, answer in gateway.log if answer != "0" for n in numbers}
    assert first.states.count("U") == unknown_requests
    assert first.of("unknown") == faulted
    assert first.of("accepted") == set(gateway.answered("0"))
    assert first.states.count("A") >= faults.count(ok)
    assert first.of("accepted") <= received
    assert not first.of("not_sent") & received
    if processed is not None:
        unknown = first.of("unknown")
        assert unknown & received == (unknown if processed else set())
    else:  # one of the three was processed (the drop after processing), two were not
        assert len(first.of("unknown") & received) == CHUNK
    recover(gateway, given, first)


@pytest.mark.parametrize("concurrency", [1], ids=["c1"])
def test_drop_burst_lasting_into_the_resume(gateway: LoggedGateway) -> None:
    """One request at a time, a burst of drops outlives the run: each resume meets the rest of
    it and stops again, never resending an unknown request; --resend-unknown sends them."""
    given = numbers()
    gateway.faults.extend([ok, drop, drop, drop])
    first = journal(given, send(given))
    assert first.states == "AUNNN"
    assert journal(given, resume()).states == "AUUNN"
    assert journal(given, resume()).states == "AUUUN"
    last = journal(given, resume())
    assert last.states == "AUUUA"
    # Each request reached the gateway once; only the accepted ones were processed.
    assert Counter(gateway.arrived()) == Counter(given)
    assert gateway.answers() == ["0", "dropped", "dropped", "dropped", "0"]
    assert sorted(received_once(gateway)) == sorted(last.of("accepted"))
    forced = resume("--resend-unknown")
    assert forced.exit_code == 0, forced.stderr
    assert journal(given, forced).states == "AAAAA"
    assert received_once(gateway) == Counter(given)


# -- the gateway is down: refused connections are retried, then not sent ---------------------------


def test_gateway_down_from_the_start(gateway: LoggedGateway, concurrency: int) -> None:
    given = numbers()
    point_at(f"http://127.0.0.1:{closed_port()}", concurrency)
    run = send(given)
    assert run.exit_code == 6, run.stderr  # a network error stopped the run
    assert "could not connect to 127.0.0.1" in run.stderr
    first = check_first_run(gateway, given, run, processed_unknown=False)
    assert first.states == "NNNNN"
    # The request that failed first was tried three times; the others in flight stopped
    # retrying once the run was stopping (at most three tries); the rest never started.
    started = min(concurrency, 5)
    assert max(first.attempts) == 3
    assert all(1 <= a <= 3 for a in first.attempts[:started])
    assert first.attempts[started:] == [0] * (5 - started)
    assert gateway.log == []
    assert f"smscli send --resume {JOB}" in run.stderr
    back_up(gateway, concurrency)
    recover(gateway, given, first)


@pytest.mark.parametrize("concurrency", [1], ids=["c1"])
@pytest.mark.parametrize("before", [0, 3])
def test_gateway_goes_down_mid_run(gateway: LoggedGateway, before: int) -> None:
    """The gateway answers request `before + 1`, then stops listening: the next request is
    refused three times and is not sent; the run stops; a resume sends the rest once."""
    given = numbers()
    gateway.faults.extend([ok] * before + [then_down])
    run = send(given)
    assert run.exit_code == 6, run.stderr
    assert "could not connect to 127.0.0.1" in run.stderr
    first = check_first_run(gateway, given, run, processed_unknown=False)
    accepted = before + 1
    assert first.states == "A" * accepted + "N" * (5 - accepted)
    assert first.attempts == [1] * accepted + [3] + [0] * (4 - accepted)
    assert gateway.answers() == ["0"] * accepted
    back_up(gateway, 1)
    recover(gateway, given, first)


@pytest.mark.parametrize("concurrency", [1], ids=["c1"])
def test_refused_request_is_not_counted_as_resent(gateway: LoggedGateway) -> None:
    given = numbers(2000)
    gateway.faults.append(then_down)
    assert cli("send", ",".join(given), "-m", "hi", "-y", "--json").exit_code == 6
    back_up(gateway, 1)
    assert resume().exit_code == 0
    assert received_once(gateway) == Counter(given)  # nothing was sent twice...
    shown = cli("history", "show", str(JOB), "-o", "json")
    with Store.open() as store:
        sends = [i.sends for i in store.chunks(JOB)]
    # ...so neither the journal nor `history show` may say request 2 was resent.
    assert "resent after an unknown outcome" not in shown.stderr
    assert sends == [1, 1]


# -- refused unprocessed: -15 too frequent, HTTP 429, -16 timestamp expired -----------------------

S15, S16 = status("-15"), status("-16")
R429 = too_many("0")


@pytest.mark.parametrize(
    ("burst", "answers"),
    [
        ([S15, S15], ["-15", "-15"]),
        ([R429, R429], ["HTTP 429", "HTTP 429"]),
        ([S16, S16], ["-16", "-16"]),
        ([S15, R429], ["-15", "HTTP 429"]),
    ],
    ids=["-15x2", "429x2", "-16x2-date-agrees", "-15-then-429"],
)
@pytest.mark.parametrize(
    ("concurrency", "position"), [(1, 0), (1, 3), (4, 0)], ids=["c1-first", "c1-fourth", "c4"]
)
def test_refused_unprocessed_is_retried_and_succeeds(
    gateway: LoggedGateway,
    concurrency: int,
    burst: list[Fault],
    answers: list[str],
    position: int,
) -> None:
    """Two refusals in a row (at most two on one request, which gets three attempts): retried
    with backoff, every request accepted, every number processed once."""
    given = numbers()
    gateway.faults.extend([ok] * position + burst)
    run = send(given)
    assert run.exit_code == 0, run.stderr
    first = check_first_run(gateway, given, run, processed_unknown=False)
    assert first.states == "AAAAA"
    assert received_once(gateway) == Counter(given)
    assert gateway.faults == []
    # The refused requests arrived, were refused, and came again: 5 requests + 2 retries.
    assert sum(first.attempts) == 7
    assert sorted(gateway.answers()) == sorted(["0"] * 5 + answers)
    # What was refused came again: each refused number arrived once more than it was processed.
    refused = Counter(n for numbers, answer in gateway.log if answer != "0" for n in numbers)
    assert Counter(gateway.arrived()) == Counter(given) + refused
    if concurrency == 1:
        assert first.attempts[position] == 3
    recover(gateway, given, first)


@pytest.mark.parametrize("concurrency", [1], ids=["c1"])
def test_backoff_between_retries(gateway: LoggedGateway) -> None:
    """-15 means "too frequent": each retry waits, longer each time (the default policy's
    delays are 0.25-0.5 s, then 0.5-1 s). Lower bounds only: a sleep never ends early."""
    arrivals: list[float] = []

    def timed(request: httpx.Request, gw: FakeGateway) -> httpx.Response:
        arrivals.append(time.monotonic())
        return S15(request, gw) if len(arrivals) < 3 else gw.sandbox.handle(request)

    gateway.faults.extend([timed] * 3)
    run = send(numbers(1000))
    assert run.exit_code == 0, run.stderr
    assert gateway.answers() == ["-15", "-15", "0"]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert gaps[0] >= 0.25 and gaps[1] >= 0.5


@pytest.mark.parametrize("concurrency", [1], ids=["c1"])
@pytest.mark.parametrize(
    ("burst", "position", "states", "exit_code"),
    [
        ([S15] * 3, 0, "NNNNN", 1),
        ([S15] * 3, 2, "AANNN", 3),
        ([R429] * 3, 4, "AAAAN", 3),
        ([S16] * 3, 1, "ANNNN", 3),
    ],
    ids=["-15x3-first", "-15x3-middle", "429x3-last", "-16x3-second"],
)
def test_refusals_outlasting_the_retries(
    gateway: LoggedGateway, burst: list[Fault], position: int, states: str, exit_code: int
) -> None:
    """Three refusals on one request exhaust its attempts. The gateway said it processed
    nothing, so the request is not sent (not rejected) and the run stops; a resume sends it
    and the requests that never started."""
    given = numbers()
    gateway.faults.extend([ok] * position + burst)
    run = send(given)
    assert run.exit_code == exit_code, run.stderr
    first = check_first_run(gateway, given, run, processed_unknown=False)
    assert first.states == states
    assert first.attempts[position] == 3
    recover(gateway, given, first)


# -- -16: the gateway's clock runs two hours ahead -------------------------------------------------


def test_clock_two_hours_off_is_learned_from_the_date_header(
    tmp_path: Path, concurrency: int
) -> None:
    """Every request signed with our clock is refused (-16, unprocessed); the client reads the
    gateway's Date header, adopts its offset and every request is accepted; each number is
    accepted exactly once. A later run (a new client) learns it again."""
    gw = LoggedGateway(tmp_path / "gateway", balance="100000", clock_skew=7200)
    point_at(gw.start(), concurrency)
    try:
        given = numbers()
        run = send(given)
        assert run.exit_code == 0, run.stderr
        first = journal(given, run)
        assert first.states == "AAAAA"
        assert Counter(gw.answered("0")) == Counter(given)
        refused = gw.answers().count("-16")
        # The first request (each of the first four, at most, when they start together) met
        # the gateway's clock; after that every request is signed right.
        assert 1 <= refused <= concurrency
        assert len(gw.answers()) == 5 + refused
        if concurrency == 1:
            assert gw.answers() == ["-16", "0", "0", "0", "0", "0"]
            assert first.attempts == [1] * 5  # corrected inside the attempt, not retried
        # No request was refused twice; the sandbox's own log holds the refused ones too.
        assert set(Counter(gw.answered("-16")).values()) == {1}
        assert Counter(gw.numbers_received()) == Counter(given) + Counter(gw.answered("-16"))

        again = numbers(1500, start=447800000000)
        mark = len(gw.log)
        second = cli("send", ",".join(again), "-m", "later", "-y", "--json")
        assert second.exit_code == 0, second.stderr
        later = Counter(answer for _, answer in gw.log[mark:])
        assert later["0"] == 2 and 1 <= later["-16"] <= min(2, concurrency)
        assert Counter(gw.answered("0")) == Counter(given + again)
    finally:
        gw.stop()
