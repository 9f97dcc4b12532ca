"""QA 14: `history --number` reads a national number with the profile's default_country "as
send reads it" (4910ae3). send reads every number not written with "+"/"00" as a national one
of default_country when it is valid there (numbers.to_international), also one without the
trunk 0 that would pass as international ("202 555 0123" in the US is +1 202 555 0123);
history --number asked the country only for numbers that fail check(), so it looked for
2025550123 and said there was no message to it. Found by qa14, fixed on main by 09f1aa8:
these now check the fix (history and lookup --no-sync)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.inprocess import invoke


def us_profile() -> None:
    config = Path(os.environ["SMSCLI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    config.write_text(
        'default_profile = "us"\n[profiles.us]\nprovider = "sandbox"\n'
        'default_country = "US"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)


def test_send_reads_a_ten_digit_us_number_as_national() -> None:
    """The premise: what send makes of "202 555 0123" with default_country = "US"."""
    us_profile()
    sent = invoke("send", "202 555 0123", "-m", "hi", "-y", "-o", "jsonl")
    assert sent.exit_code == 0, sent.stderr
    assert json.loads(sent.stdout)["number"] == "12025550123"


def test_history_number_finds_the_national_number_send_just_sent_to() -> None:
    us_profile()
    sent = invoke("send", "202 555 0123", "-m", "hi", "-y", "-o", "jsonl")
    assert sent.exit_code == 0, sent.stderr
    found = invoke("history", "--number", "202 555 0123", "-o", "jsonl")
    assert found.exit_code == 0, found.stderr
    assert [json.loads(x)["number"] for x in found.stdout.splitlines()] == ["12025550123"]


def test_lookup_finds_the_national_number_send_just_sent_to() -> None:
    us_profile()
    sent = invoke("send", "202 555 0123", "-m", "hi", "-y", "-o", "jsonl")
    assert sent.exit_code == 0, sent.stderr
    found = invoke("lookup", "--no-sync", "202 555 0123", "-o", "jsonl")
    assert found.exit_code == 0, found.stderr
    assert "12025550123" in found.stdout, found.stdout + found.stderr
