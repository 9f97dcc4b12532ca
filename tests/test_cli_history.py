"""`smscli history`: listing, filters, one number across profiles, one job, pruning; all output
formats through output.write_rows; expected failures as one line."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smscli import rows as row_keys
from smscli.cli import app
from smscli.gateways.base import DeliveryStatus, Report
from smscli.history.store import Store
from tests.fakes import FakeGateway, status, write_profile

runner = CliRunner()

JOB_KEYS = list(row_keys.HISTORY_JOBS)
NUMBER_KEYS = list(row_keys.HISTORY_NUMBER)
MESSAGE_KEYS = list(row_keys.HISTORY_SHOW)


def invoke(*args: str, input: str | None = None) -> object:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def rows(*args: str) -> list[dict[str, object]]:
    result = invoke(*args, "-o", "json")
    assert result.exit_code == 0, result.stderr
    parsed: list[dict[str, object]] = json.loads(result.stdout)
    return parsed


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[FakeGateway]:
    gw = FakeGateway(tmp_path / "gateway", balance="100000")
    url = gw.start()
    # One request at a time: scripted faults then hit a known request, not whichever of two
    # concurrent ones arrives first.
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{url}/v3", extra="concurrency = 1\n")
    yield gw
    gw.stop()


def send(*args: str) -> None:
    result = invoke("send", *args, "-y")
    assert result.exit_code in (0, 3), result.stderr


def report(*reports: Report, provider: str = "laaffic") -> None:
    with Store.open() as store:
        store.record_reports(reports, provider=provider)


def test_lists_jobs_newest_first_with_counts(gateway: FakeGateway) -> None:
    send("447700900123", "447700900997", "-m", "first message")
    send("447700900124", "-m", "Second\nmessage, quite a bit longer than the preview is")
    listed = rows("history")
    assert [list(r) for r in listed] == [JOB_KEYS, JOB_KEYS]
    second, first = listed
    assert (second["job"], first["job"]) == (2, 1)
    assert (first["numbers"], first["accepted"], first["rejected"]) == (2, 1, 1)
    assert (first["pending"], first["delivered"], first["unknown"], first["not_sent"]) == (
        1,
        0,
        0,
        0,
    )
    assert first["status"] == "done" and first["kind"] == "send"
    assert (first["profile"], first["provider"]) == ("main", "laaffic")
    assert str(first["created"]).endswith("+00:00")
    assert first["message"] == "first message"
    assert second["message"] == "Second message, quite a bit longer than…"


def test_every_output_format(gateway: FakeGateway) -> None:
    send("447700900123", "-m", "hi")
    tsv = invoke("history").stdout.splitlines()
    assert tsv[0].split("\t") == JOB_KEYS
    assert invoke("history", "-o", "csv").stdout.splitlines()[0] == ",".join(JOB_KEYS)
    (line,) = invoke("history", "-o", "jsonl").stdout.splitlines()
    assert list(json.loads(line)) == JOB_KEYS
    assert invoke("history", "-q").stdout == "1\n"
    table = invoke("history", "-o", "table").stdout
    assert "Delivered" in table and "hi" in table


def test_number_across_profiles_with_last_delivery_state(gateway: FakeGateway) -> None:
    send("447700900123", "-m", "from main")
    send("447700900123", "447700900555", "-m", "from the sandbox", "-p", "sandbox")
    send("447700900555", "-m", "not this number")
    (main_id,) = [r["msg_id"] for r in rows("history", "show", "1")]
    report(Report(str(main_id), DeliveryStatus.DELIVERED, code="0", detail="DELIVRD"))

    hits = rows("history", "--number", "+44 (7700) 900-123")
    assert [list(h) for h in hits] == [NUMBER_KEYS, NUMBER_KEYS]
    assert [(h["job"], h["profile"], h["provider"]) for h in hits] == [
        (2, "sandbox", "sandbox"),
        (1, "main", "laaffic"),
    ]
    assert hits[1]["status"] == "delivered" and hits[1]["detail"] == "delivered: DELIVRD"
    assert hits[1]["outcome"] == "accepted" and hits[1]["message"] == "from main"
    assert hits[0]["status"] is None
    assert [h["job"] for h in rows("history", "--number", "447700900123", "-p", "main")] == [1]

    nobody = invoke("history", "--number", "447700900999", "-o", "json")
    assert nobody.exit_code == 0 and json.loads(nobody.stdout) == []
    assert "no message to 447700900999" in nobody.stderr
    bad = invoke("history", "--number", "12ab")
    assert bad.exit_code == 2 and "--number '12ab'" in bad.stderr


def test_filters(gateway: FakeGateway) -> None:
    send("447700900123", "-m", "one")
    send("447700900124", "-m", "two", "-p", "sandbox")
    (second_id,) = [r["msg_id"] for r in rows("history", "show", "2")]
    report(Report(str(second_id), DeliveryStatus.FAILED, code="1"), provider="sandbox")
    assert [r["job"] for r in rows("history", "--status", "failed")] == [2]
    assert [r["job"] for r in rows("history", "--status", "pending")] == [1]
    assert rows("history", "--status", "unknown") == []
    assert [r["job"] for r in rows("history", "--profile", "main")] == [1]
    assert [r["job"] for r in rows("history", "--job", "2")] == [2]
    assert len(rows("history", "--since", "2h")) == 2
    assert len(rows("history", "--since", "2000-01-01")) == 2
    assert rows("history", "--since", "2999-01-01") == []
    limited = invoke("history", "--limit", "1", "-o", "json")
    assert [r["job"] for r in json.loads(limited.stdout)] == [2]
    assert "--limit 0 lists all" in limited.stderr
    for args, fragment in [
        (["--since", "yesterday"], "neither a duration"),
        (["--status", "lost"], "unknown --status"),
        (["--limit", "-1"], "0 or more"),
    ]:
        result = invoke("history", *args)
        assert result.exit_code == 2 and fragment in result.stderr


def test_show_header_on_stderr_rows_on_stdout(gateway: FakeGateway) -> None:
    gateway.faults.extend([lambda r, gw: gw.sandbox.handle(r), status("-10")])
    numbers = ",".join(str(447700000000 + i) for i in range(1200))
    result = invoke("send", numbers, "-m", "hi there", "-y", "--sender-id", "Shop", "-o", "json")
    assert result.exit_code == 3
    shown = invoke("history", "show", "1", "-o", "json")
    assert shown.exit_code == 0
    lines = shown.stderr.splitlines()
    assert lines[0].startswith("job 1: send, profile main (laaffic), ")
    # -10 (balance) refused the whole request before processing it.
    assert "1,200 numbers in 2 requests (1 accepted, 1 refused)" in lines[1]
    assert "message: hi there" in shown.stderr and "sender ID: Shop" in shown.stderr
    messages = json.loads(shown.stdout)
    assert len(messages) == 1200 and list(messages[0]) == MESSAGE_KEYS
    assert (messages[0]["chunk"], messages[-1]["chunk"]) == (1, 2)
    assert messages[-1]["outcome"] == "rejected" and "balance" in str(messages[-1]["error"])

    chunks = rows("history", "show", "1", "--chunks")
    assert [(c["chunk"], c["state"], c["numbers"]) for c in chunks] == [
        (1, "accepted", 1000),
        (2, "refused", 200),  # -10: refused before processing, resumable
    ]
    assert chunks[1]["error_code"] == "-10" and chunks[0]["first"] == "447700000000"

    missing = invoke("history", "show", "99")
    assert missing.exit_code == 2 and "no job 99" in missing.stderr


def test_show_interrupted_job_says_how_to_resume(gateway: FakeGateway) -> None:
    gateway.faults.extend([lambda r, gw: gw.sandbox.handle(r), status("-10")])
    write_profile(
        Path(os.environ["SMSCLI_CONFIG"]),
        f"{gateway.server.url if gateway.server else ''}/v3",
        extra="concurrency = 1\n",
    )
    send(",".join(str(447700000000 + i) for i in range(2100)), "-m", "hi")
    with Store.open() as store:  # the send ran in this process: make it look finished
        store.finish_job(1)
    shown = invoke("history", "show", "1")
    assert "resume with: smscli send --resume 1" in shown.stderr
    assert [r["not_sent"] for r in rows("history")] == [100]
    assert [r["job"] for r in rows("history", "--status", "not_sent")] == [1]


def test_prune(gateway: FakeGateway) -> None:
    send("447700900123", "-m", "old")
    send("447700900124", "-m", "new")
    raw = sqlite3.connect(Path(os.environ["SMSCLI_DATA_DIR"]) / "history.sqlite3")
    with raw:
        raw.execute("UPDATE jobs SET created = '2020-01-01T00:00:00.000+00:00' WHERE id = 1")
    raw.close()
    refused = invoke("history", "prune", "--older-than", "90d")
    assert refused.exit_code == 2 and "add --yes" in refused.stderr
    assert len(rows("history")) == 2
    done = invoke("history", "prune", "--older-than", "90d", "--yes")
    assert done.exit_code == 0 and "deleted 1 job (1 message)" in done.stderr
    assert [r["job"] for r in rows("history")] == [2]
    again = invoke("history", "prune", "--older-than", "90d", "-y")
    assert "nothing to prune" in again.stderr
    bad = invoke("history", "prune", "--older-than", "soon")
    assert bad.exit_code == 2 and "not a duration" in bad.stderr


def test_empty_history_and_help() -> None:
    assert rows("history") == []
    assert invoke("history", "--help").exit_code == 0
    assert "--older-than" in invoke("history", "prune", "--help").stdout
    assert "--chunks" in invoke("history", "show", "--help").stdout


def test_damaged_database_is_one_line_exit_2() -> None:
    data = Path(os.environ["SMSCLI_DATA_DIR"])
    data.mkdir(parents=True)
    (data / "history.sqlite3").write_bytes(b"garbage" * 1000)
    result = invoke("history")
    assert result.exit_code == 2
    assert "damaged" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_history_reads_while_another_process_writes(gateway: FakeGateway) -> None:
    send("447700900123", "-m", "hi")
    holder = sqlite3.connect(
        Path(os.environ["SMSCLI_DATA_DIR"]) / "history.sqlite3", isolation_level=None
    )
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE jobs SET profile = 'changing'")
    try:
        assert [r["profile"] for r in rows("history")] == ["main"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_start_up_imports_no_sqlite() -> None:
    code = (
        "import sys, smscli.cli; "
        "assert 'sqlite3' not in sys.modules and 'smscli.history' not in sys.modules, "
        "sorted(m for m in sys.modules if 'sqlite' in m or 'store' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
