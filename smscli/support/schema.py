"""The history tables of the support desk (one migration of smscli.store's user_version).

    gateway_sent  (provider, msg_id) -> profile, number, time, sent_known, status, status_time,
                  code, detail, synced: the gateway's record of every message the account sent
                  (getSentRcd), whoever sent it. A msgId that a job of the same provider also
                  holds is the same message: readers show it once, as the job's (its job,
                  order_id and content stay attached). `time` is the send time when the record
                  gives one (v3: the msgId's stamp), else its delivery time, else when it was
                  first synced; sent_known says which.
    inbound       one row per inbound message (recordMo, SmsGetRecv): provider, profile, number
                  (the phone that wrote), to_number, content (NULL when the profile says
                  store_content = false), time, msg_id, fingerprint (the
                  gateway's id, else a hash of number, to, time and content: a message synced
                  twice is stored once).
    sync_state    (profile, kind: sent|inbound) -> covered_from / covered_until (the contiguous
                  span of time fully synced), the cursor of a window left unfinished (resumed
                  from there: start, end, next index or page), last_success, last_error.

Times are ISO-8601 UTC text, as in the rest of the history, so they sort as text."""

from __future__ import annotations

from typing import Final

MIGRATION: Final[tuple[str, ...]] = (
    """CREATE TABLE gateway_sent (
        provider TEXT NOT NULL,
        msg_id TEXT NOT NULL,
        profile TEXT NOT NULL,
        number TEXT NOT NULL,
        time TEXT NOT NULL,
        sent_known INTEGER NOT NULL,
        status TEXT NOT NULL,
        status_time TEXT,
        code TEXT,
        detail TEXT,
        synced TEXT NOT NULL,
        PRIMARY KEY (provider, msg_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX gateway_sent_number ON gateway_sent (number, time)",
    # The oldest still-pending record decides how far back an incremental sync looks again.
    "CREATE INDEX gateway_sent_pending ON gateway_sent (profile, time) WHERE status = 'pending'",
    """CREATE TABLE inbound (
        id INTEGER PRIMARY KEY,
        provider TEXT NOT NULL,
        profile TEXT NOT NULL,
        number TEXT NOT NULL,
        to_number TEXT,
        content TEXT,
        time TEXT NOT NULL,
        msg_id TEXT,
        fingerprint TEXT NOT NULL,
        synced TEXT NOT NULL,
        UNIQUE (provider, fingerprint)
    )""",
    "CREATE INDEX inbound_number ON inbound (number, time)",
    "CREATE INDEX inbound_time ON inbound (time)",
    """CREATE TABLE sync_state (
        profile TEXT NOT NULL,
        kind TEXT NOT NULL,
        covered_from TEXT,
        covered_until TEXT,
        cursor_start TEXT,
        cursor_end TEXT,
        cursor_index INTEGER,
        last_success TEXT,
        last_error TEXT,
        updated TEXT NOT NULL,
        PRIMARY KEY (profile, kind)
    )""",
    # `history --number` and `lookup` look for a number in requests still without an answer;
    # without this they read every chunk of a large history.
    "CREATE INDEX chunks_open ON chunks (state) WHERE state IN ('planned', 'sending')",
)
