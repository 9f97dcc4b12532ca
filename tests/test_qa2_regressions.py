"""Regressions found by the QA pass over issues 10 and 14 (notes/qa2.md): each test names the
user-visible defect it pins down."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_corpus import VARIANTS
from tests.test_corpus_cli import Canned, invoke


def variant(name: str) -> dict[str, Any]:
    (found,) = [v for v in VARIANTS if v["id"] == name]
    return found


@pytest.mark.parametrize("name", ["v3-send-array-missing", "mobset-send-no-details"])
def test_report_last_on_a_job_sent_without_ids_does_not_say_none_was_accepted(name: str) -> None:
    """`report --last` on a job the gateway accepted without msgIds said "the gateway accepted
    none of its numbers": read as a refusal, it invites sending the messages again."""
    sent = variant(name)
    with Canned(sent) as gateway:
        result = invoke("send", ",".join(sent["numbers"]), "-m", "hi", "-y", "-q")
        assert result.exit_code == 3, result.stderr
        report = invoke("report", "--last", "-o", "jsonl")
        assert gateway.calls == 1
    assert report.exit_code == 2
    assert "accepted none" not in report.stderr
    assert "accepted 2 numbers without giving a message id" in report.stderr
    assert "do not send them again" in report.stderr
