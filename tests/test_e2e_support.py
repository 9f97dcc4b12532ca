"""The support desk end to end: the installed `smscli` in a subprocess against the simulators
over real loopback HTTP. Messages sent by another client (a plain signed HTTP request, not
smscli) show up in `lookup` with their delivery status; getSentRcd pages; -15 is waited out
(sync) or reported (lookup); inbound messages show up in `inbox` and `lookup`; an interrupted
sync run again loses and duplicates nothing; mobset says what it cannot consult."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from smscli.sandbox.loopback import LoopbackServer
from smscli.sandbox.mobset import MobsetSandbox
from smscli.sandbox.v3 import Sandbox
from tests.fakes import write_profile
from tests.test_cli_mobset import write_mobset_profile

pytestmark = pytest.mark.e2e

SMSCLI = str(Path(sys.executable).with_name("smscli"))
KEY, SECRET, APP = "bDqJFiq9", "7bz1lzh9", "4luaKsL2"
WAIT = 60.0  # seconds an event may take on a loaded machine (never a timed assertion)


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SMSCLI, *args], capture_output=True, text=True, env=dict(os.environ),
                          timeout=timeout, check=False)


def data_dir() -> Path:
    return Path(os.environ["SMSCLI_DATA_DIR"])


class Gateway:
    """The v3 sandbox on 127.0.0.1, its state in the data dir (so `smscli sandbox inbound`
    reaches it, as with `sandbox serve`), with scripted answers for the Nth getSentRcd call."""

    def __init__(self, **options: object) -> None:
        settings: dict[str, object] = {"delivery_delay": 0.0, "balance": "1000", **options}
        self.sandbox = Sandbox(data_dir() / "sandbox", **settings)  # type: ignore[arg-type]
        self.sent_rcd: list[httpx.Request] = []
        self.scripted: dict[int, httpx.Response] = {}
        self.hold: int | None = None  # the getSentRcd call to hold until released
        self.held = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.server = LoopbackServer(self.handle).start()
        self.url = f"{self.server.url}/v3"

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("getSentRcd"):
            with self._lock:
                self.sent_rcd.append(request)
                n = len(self.sent_rcd)
                scripted = self.scripted.pop(n, None)
            if scripted is not None:
                return scripted
            if n == self.hold:
                self.held.set()
                self.release.wait(WAIT)
        return self.sandbox.handle(request)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.sandbox.close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway(sent_page_size=2)
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), gw.url)
    yield gw
    gw.close()


def other_system_sends(url: str, numbers: list[str], content: str) -> list[str]:
    """What the company's own application does: a plain signed POST (no smscli code)."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json;charset=UTF-8",
        "Api-Key": KEY,
        "Timestamp": timestamp,
        "Sign": hashlib.md5(f"{KEY}{SECRET}{timestamp}".encode()).hexdigest(),
    }
    body = {"appId": APP, "numbers": ",".join(numbers), "content": content}
    answer = httpx.post(f"{url}/sendSms", headers=headers, json=body, timeout=WAIT).json()
    assert answer["status"] == "0", answer
    return [item["msgId"] for item in answer["array"]]


def history_rows(table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(data_dir() / "history.sqlite3") as db:
        return db.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608


def test_lookup_finds_what_another_system_sent_with_its_status(gateway: Gateway) -> None:
    theirs = other_system_sends(gateway.url, ["447700900123", "447700900999"], "Your code: 1234")
    sent = run("send", "447700900123", "-m", "Sent by smscli")
    assert sent.returncode == 0, sent.stderr
    done = run("lookup", "+44 7700 900123", "44 7700 900999", "-o", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == 3
    assert set(rows[0]) == {"time", "direction", "number", "msg_id", "status", "detail",
                            "content", "job", "profile", "source"}
    by_id = {row["msg_id"]: row for row in rows}
    assert by_id[theirs[0]]["status"] == "delivered" and by_id[theirs[0]]["source"] == "gateway"
    assert by_id[theirs[0]]["job"] is None and by_id[theirs[0]]["number"] == "447700900123"
    failed = by_id[theirs[1]]
    assert failed["status"] == "failed" and "gateway status 1" in failed["detail"]
    ours = next(row for row in rows if row["source"] == "history")
    assert ours["job"] == 1 and ours["content"] == "Sent by smscli" and ours["profile"] == "main"
    assert ours["status"] == "delivered"  # the gateway's record moved it on
    # Newest first; machine times are ISO-8601 with an offset.
    times = [row["time"] for row in rows]
    parsed = [datetime.fromisoformat(t) for t in times]
    assert parsed == sorted(parsed, reverse=True) and all(t.endswith("+00:00") for t in times)
    assert "consulted" in done.stderr and "synced up to" in done.stderr
    # Paging: 3 records at 2 per answer is 2 getSentRcd calls, the second from startIndex 2.
    assert [r.url.params["startIndex"] for r in gateway.sent_rcd] == ["0", "2"]
    assert " " not in gateway.sent_rcd[0].url.params["startTime"]  # the + arrived as +
    # The table on a pipe is TSV with the same keys; --no-sync asks nothing.
    calls = len(gateway.sent_rcd)
    tsv = run("lookup", "447700900123", "--no-sync")
    assert tsv.returncode == 0 and tsv.stdout.splitlines()[0].split("\t")[:3] == [
        "number", "msg_id", "job"]
    assert len(gateway.sent_rcd) == calls and "--no-sync" in tsv.stderr


def test_bad_number_is_exit_2_and_asks_nothing(gateway: Gateway) -> None:
    done = run("lookup", "0770090012")
    assert done.returncode == 2 and "starts with 0" in done.stderr
    assert "Traceback" not in done.stderr and gateway.sent_rcd == []


def test_too_frequent_sync_waits_and_lookup_says_how_fresh(gateway: Gateway) -> None:
    other_system_sends(gateway.url, ["447700900123"], "one")
    too_frequent = httpx.Response(200, json={"status": "-15", "reason": "query too frequent"})
    gateway.scripted[1] = too_frequent
    done = run("sync", "--rate-wait", "0.2")
    assert done.returncode == 0, done.stderr
    assert "too frequent" in done.stderr and "waiting 0 s" in done.stderr
    assert len(gateway.sent_rcd) == 2 and len(history_rows("gateway_sent")) == 1
    other_system_sends(gateway.url, ["447700900123"], "two")
    gateway.scripted[3] = too_frequent
    look = run("lookup", "447700900123", "-o", "json")
    assert look.returncode == 0, look.stderr
    assert len(json.loads(look.stdout)) == 1  # what the history had; the new one not yet
    assert "too frequent" in look.stderr and "answered from the history" in look.stderr
    assert "synced up to" in look.stderr
    assert len(gateway.sent_rcd) == 3  # no second try: lookup never waits


def test_lookup_refreshes_pending_messages_by_id_even_when_rate_limited() -> None:
    shift = [0.0]
    gw = Gateway(delivery_delay=60.0, clock=lambda: time.time() + shift[0])
    try:
        write_profile(Path(os.environ["SMSCLI_CONFIG"]), gw.url)
        (msg_id,) = other_system_sends(gw.url, ["447700900123"], "pending for a minute")
        assert run("sync").returncode == 0
        assert [row[6] for row in history_rows("gateway_sent")] == ["pending"]
        shift[0] = 120.0  # two minutes on: the gateway has the delivery report
        gw.scripted[len(gw.sent_rcd) + 1] = httpx.Response(
            200, json={"status": "-15", "reason": "query too frequent"})
        gw.sandbox.account.inject_inbound("447700900123", "thanks", at=time.time() - 1)
        done = run("lookup", "447700900123", "-o", "json")
        assert done.returncode == 0, done.stderr
        rows = json.loads(done.stdout)
        (row,) = [r for r in rows if r["direction"] == "out"]
        (reply,) = [r for r in rows if r["direction"] == "in"]
        assert (row["msg_id"], row["status"], row["source"]) == (msg_id, "delivered", "gateway")
        # getSentRcd refused: the replies were still fetched (recordMo has no such limit).
        assert (reply["direction"], reply["content"]) == ("in", "thanks")
        assert "too frequent" in done.stderr
    finally:
        gw.close()


def test_inbound_messages_appear_in_inbox_and_lookup(gateway: Gateway) -> None:
    injected = run("sandbox", "inbound", "+44 7700 900123", "STOP please", "--to", "ACME")
    assert injected.returncode == 0, injected.stderr
    run("sandbox", "inbound", "447700900456", "other")
    other_system_sends(gateway.url, ["447700900123"], "Your parcel is on its way")
    inbox = run("inbox", "-o", "json")
    assert inbox.returncode == 0, inbox.stderr
    rows = json.loads(inbox.stdout)
    assert [set(r) for r in rows] == [{"time", "number", "to", "content", "msg_id"}] * 2
    assert {(r["number"], r["to"], r["content"]) for r in rows} == {
        ("447700900123", "ACME", "STOP please"), ("447700900456", "10690000", "other")}
    only = run("inbox", "--number", "447700900456", "--no-sync", "-o", "json")
    assert [r["content"] for r in json.loads(only.stdout)] == ["other"]
    look = run("lookup", "447700900123", "-o", "json")
    rows = json.loads(look.stdout)
    assert {(r["direction"], r["status"]) for r in rows} == {("in", "received"),
                                                             ("out", "delivered")}
    # Synced again: still one copy of each.
    assert run("sync").returncode == 0
    assert len(history_rows("inbound")) == 2


def test_interrupted_sync_run_again_loses_and_duplicates_nothing(gateway: Gateway) -> None:
    numbers = [f"4477009{i:05d}" for i in range(1, 8)]
    ids = other_system_sends(gateway.url, numbers, "bulk from elsewhere")
    gateway.hold = 3  # the third page's request waits at the gateway: Ctrl-C then
    process = subprocess.Popen([SMSCLI, "sync"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=dict(os.environ))
    try:
        assert gateway.held.wait(WAIT)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=WAIT)
    finally:
        gateway.release.set()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "run it again" in stderr and "Traceback" not in stderr
    assert len(history_rows("gateway_sent")) == 4  # two pages of two, saved
    done = run("sync")
    assert done.returncode == 0, done.stderr
    # Resumed at the third page, not from the start.
    assert gateway.sent_rcd[3].url.params["startIndex"] == "4"
    stored = sorted(row[1] for row in history_rows("gateway_sent"))
    assert stored == sorted(ids)


def test_mobset_lookup_says_what_it_cannot_consult(tmp_path: Path) -> None:
    sandbox = MobsetSandbox(data_dir() / "sandbox-mobset", delivery_delay=0)
    server = LoopbackServer(sandbox.handle).start()
    try:
        write_mobset_profile(f"{server.url}/SDK3/SMS")
        assert run("send", "8613800000001", "-m", "你好").returncode == 0
        assert run("sandbox", "inbound", "--mobset", "8613800000001", "收到").returncode == 0
        done = run("lookup", "8613800000001", "-o", "json")
        assert done.returncode == 0, done.stderr
        rows = json.loads(done.stdout)
        assert {(r["direction"], r["source"]) for r in rows} == {("out", "history"),
                                                                 ("in", "gateway")}
        inbound = next(r for r in rows if r["direction"] == "in")
        assert inbound["content"] == "收到" and inbound["status"] == "received"
        assert "not consulted: messages sent by other systems" in done.stderr
        # The delivery report queue was drained into the history on the way.
        outbound = next(r for r in rows if r["direction"] == "out")
        assert outbound["status"] == "delivered"
        inbox = run("inbox", "-o", "json", "--no-sync")
        assert [r["content"] for r in json.loads(inbox.stdout)] == ["收到"]
    finally:
        server.shutdown()
        sandbox.close()


def readme_block(after: str) -> list[list[str]]:
    """The `smscli ...` lines of the first sh block after the line `after` in README.md."""
    import shlex

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = text[text.index(after):].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("smscli ")]


def test_the_readme_support_desk_examples_run_offline() -> None:
    assert run("config", "init", "--sandbox").returncode == 0
    commands = readme_block("## The support desk") + readme_block("Try it offline:")
    assert len(commands) >= 9
    for args in commands:
        done = run(*args)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
