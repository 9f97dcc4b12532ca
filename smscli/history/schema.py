"""The history's tables and their migrations. PRAGMA user_version = len(MIGRATIONS); the
migrations a file has not had run in order when it is opened (smscli.history.db). They only
ever append: an old migration is never edited, so every old history reads.

    jobs      id (increasing, never reused), created/updated (ISO-8601 UTC), profile, provider,
              kind (send|batch), message (NULL when store_content = false), message_hash
              (salted sha256, kept even then: a resume checks a re-typed message against it),
              content_stored, sender, numbers, chunks, status (running|done|interrupted), pid
    chunks    (job_id, idx) -> size, state (planned|sending|accepted|rejected|refused|unknown|
              not_sent), attempts (HTTP requests over all runs), sends (times it left: 2 =
              resent after an unknown outcome), error_kind/code/text, started, finished, and
              the plan: numbers (newline-separated), order_ids / contents / senders (JSON lists
              or NULL) - until the chunk's answer is journalled (v5): then NULL, its messages
              rows hold it; unindexed (v7): 1 while its messages are not in by_number yet
    messages  one row per number once its chunk has an outcome, keyed by (job_id, chunk, pos)
              (position in the chunk; negative for a number the gateway rewrote; WITHOUT
              ROWID since v5): number, msg_id, state (v6: outcome and delivery status in one
              integer, smscli.history.codes), content (batch), report (v6: NULL until a report
              changes the row, then [status_time, code, detail, updated]), extra (v6:
              [order_id, sender, error] or NULL). Numbers and msgIds that are canonical
              integers within 64 bits are stored as integers (v5, smscli.history.keys).
              Indexed by msg_id; by number through `by_number` (v7).
    by_number (v7) (number, job_id, chunk, pos), WITHOUT ROWID: the messages of each number,
              written in sorted groups of answered chunks (journal.index_numbers), not with
              every answer; chunks.unindexed = 1 marks a chunk whose messages are not in it
              yet (readers look at those directly).
    orphan_reports  (v2) (provider, msg_id) -> number, status, status_time, code, detail,
              received: delivery reports for msgIds no job of that provider holds (a queue
              provider's reports must not be dropped); moved onto the message once it appears,
              deleted by `prune` like old jobs.
    raw_reports  (v3) id, provider, profile, received, http_status, content_type, body (the
              bytes as they came), state (new|read|unreadable), reports (how many it held),
              error: every report answer of a queue provider, saved before it is read. Read
              answers without reports are dropped; the rest is deleted by `prune`.
    notices   (v3) name -> shown: one-time warnings already given.
    gateway_sent, inbound, sync_state  (v4) the support desk's (smscli.history.support):

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

Times are ISO-8601 UTC text, so they sort as text.
"""

from __future__ import annotations

from typing import Final

from smscli.history.keys import key_sql


def _ms_sql(column: str) -> str:
    """A time as the history wrote it (ISO-8601 UTC with milliseconds) in milliseconds since
    the epoch, for v6; any other text is kept as it is (readers take both)."""
    iso = "-".join(["[0-9]" * 4, "[0-9]" * 2, "[0-9]" * 2]) + "T" + ":".join(["[0-9]" * 2] * 3)
    return (
        f"CASE WHEN {column} GLOB '{iso}.[0-9][0-9][0-9]+00:00'"
        f" THEN CAST(round((julianday({column}) - 2440587.5) * 86400000) AS INTEGER)"
        f" ELSE {column} END"
    )


# v4, the support desk's tables (smscli.history.support).
SUPPORT_TABLES: Final[tuple[str, ...]] = (
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

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            profile TEXT NOT NULL,
            provider TEXT NOT NULL,
            kind TEXT NOT NULL,
            message TEXT,
            message_hash TEXT,
            content_stored INTEGER NOT NULL,
            sender TEXT,
            numbers INTEGER NOT NULL,
            chunks INTEGER NOT NULL,
            status TEXT NOT NULL,
            pid INTEGER
        )""",
        "CREATE INDEX jobs_created ON jobs (created)",
        "CREATE INDEX jobs_profile ON jobs (profile, created)",
        """CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs (id),
            idx INTEGER NOT NULL,
            size INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            sends INTEGER NOT NULL DEFAULT 0,
            error_kind TEXT,
            error_code TEXT,
            error_text TEXT,
            started TEXT,
            finished TEXT,
            numbers TEXT NOT NULL,
            order_ids TEXT,
            contents TEXT,
            senders TEXT
        )""",
        "CREATE UNIQUE INDEX chunks_position ON chunks (job_id, idx)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs (id),
            chunk INTEGER NOT NULL,
            pos INTEGER NOT NULL,
            number TEXT NOT NULL,
            order_id TEXT,
            content TEXT,
            sender TEXT,
            outcome TEXT NOT NULL,
            msg_id TEXT,
            error TEXT,
            status TEXT,
            status_time TEXT,
            code TEXT,
            detail TEXT,
            updated TEXT
        )""",
        "CREATE UNIQUE INDEX messages_position ON messages (job_id, chunk, pos)",
        "CREATE INDEX messages_msg_id ON messages (msg_id) WHERE msg_id IS NOT NULL",
        "CREATE INDEX messages_number ON messages (number)",
    ),
    # v2: delivery reports for msgIds no job of the provider holds. A queue provider (mobset)
    # hands each report out once, so one that `report` cannot attach to a message (sent by
    # another tool, with history off, or pulled before its send's answer was journalled) is
    # kept here instead of dropped; `lookup` answers from it, `record_reports` moves it onto
    # its message once the message appears.
    (
        """CREATE TABLE orphan_reports (
            provider TEXT NOT NULL,
            msg_id TEXT NOT NULL,
            number TEXT,
            status TEXT NOT NULL,
            status_time TEXT,
            code TEXT,
            detail TEXT,
            received TEXT NOT NULL,
            PRIMARY KEY (provider, msg_id)
        )""",
        "CREATE INDEX orphan_reports_received ON orphan_reports (received)",
    ),
    # v3: the raw bodies of a queue provider's report answers (mobset SmsGetReport), each saved
    # before it is read: the gateway hands a report out once, so an answer smscli cannot read
    # (yet) is kept for a later version to re-read instead of being lost. `notices` remembers
    # one-time warnings (draining a shared account's queue).
    (
        """CREATE TABLE raw_reports (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            provider TEXT NOT NULL,
            profile TEXT,
            received TEXT NOT NULL,
            http_status INTEGER NOT NULL,
            content_type TEXT,
            body BLOB NOT NULL,
            state TEXT NOT NULL,
            reports INTEGER,
            error TEXT
        )""",
        "CREATE INDEX raw_reports_received ON raw_reports (received)",
        """CREATE TABLE notices (
            name TEXT PRIMARY KEY,
            shown TEXT NOT NULL
        )""",
    ),
    # v4: the support desk's tables (see SUPPORT_TABLES): the gateway's sent records,
    # inbound messages, per-profile sync state.
    SUPPORT_TABLES,
    # v5: compact messages (issue 13: 182 bytes per message sent before). Numbers and msgIds
    # made only of digits are stored as integers (keys.key: 6-8 bytes instead of 12-19 characters,
    # in the table and in both indexes), the outcome as a small integer (codes.OUTCOMES: 0 and 1
    # take no bytes at all), `updated` only once a report changed the row; the table is keyed
    # by its position (WITHOUT ROWID), so the position needs no index of its own. A chunk's
    # plan (numbers, order_ids, contents, senders) is dropped once its answer is journalled:
    # its messages rows hold the same values, and the plan is read back from them (reader.py).
    (
        """CREATE TABLE messages_v3 (
            job_id INTEGER NOT NULL,
            chunk INTEGER NOT NULL,
            pos INTEGER NOT NULL,
            number NOT NULL,
            msg_id,
            outcome INTEGER NOT NULL,
            order_id TEXT,
            content TEXT,
            sender TEXT,
            error TEXT,
            status TEXT,
            status_time TEXT,
            code TEXT,
            detail TEXT,
            updated TEXT,
            PRIMARY KEY (job_id, chunk, pos)
        ) WITHOUT ROWID""",
        "INSERT INTO messages_v3 SELECT job_id, chunk, pos, "  # noqa: S608 - constant SQL
        + key_sql("number")
        + ", "
        + key_sql("msg_id")
        + ","
        " CASE outcome WHEN 'accepted' THEN 0 WHEN 'rejected' THEN 1 WHEN 'unknown' THEN 2"
        " ELSE 3 END, order_id, content, sender, error, status, status_time, code, detail,"
        " CASE WHEN status IS NULL THEN NULL ELSE updated END FROM messages"
        " ORDER BY job_id, chunk, pos",
        # Said explicitly: the primary key serves what this index did.
        "DROP INDEX IF EXISTS messages_position",
        "DROP TABLE messages",
        "ALTER TABLE messages_v3 RENAME TO messages",
        "CREATE INDEX messages_msg_id ON messages (msg_id) WHERE msg_id IS NOT NULL",
        "CREATE INDEX messages_number ON messages (number)",
        """CREATE TABLE chunks_v3 (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs (id),
            idx INTEGER NOT NULL,
            size INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            sends INTEGER NOT NULL DEFAULT 0,
            error_kind TEXT,
            error_code TEXT,
            error_text TEXT,
            started TEXT,
            finished TEXT,
            numbers TEXT,
            order_ids TEXT,
            contents TEXT,
            senders TEXT
        )""",
        "INSERT INTO chunks_v3 SELECT * FROM chunks",
        "UPDATE chunks_v3 SET numbers = NULL, order_ids = NULL, contents = NULL,"
        " senders = NULL WHERE EXISTS (SELECT 1 FROM messages m"
        " WHERE m.job_id = chunks_v3.job_id AND m.chunk = chunks_v3.idx AND m.pos = 0)",
        "DROP TABLE chunks",
        "ALTER TABLE chunks_v3 RENAME TO chunks",
        "CREATE UNIQUE INDEX chunks_position ON chunks (job_id, idx)",
        # Dropping the old table dropped v4's index too (SUPPORT_TABLES): made again.
        "CREATE INDEX chunks_open ON chunks (state) WHERE state IN ('planned', 'sending')",
    ),
    # v6: fewer columns per message (issue 13: 85 bytes per message sent before), domain
    # values instead of display text. Every column costs a byte per row even when NULL, and
    # nine of fifteen were NULL for nearly every message. `state` is the send's outcome and
    # the delivery status in one small integer (smscli.history.codes: 0 = accepted, not
    # reported yet, takes no bytes); `report` holds the rest of a delivery report as a JSON
    # array [status_time, code, detail, updated] (times in ms since the epoch from now on,
    # ISO text as migrated), `extra` the rare [order_id, sender, error]. The error is no
    # longer written per message: it is derived from the message's outcome and its chunk's
    # error (codes.message_error); a text migrated from an older history is kept and wins.
    (
        """CREATE TABLE messages_v6 (
            job_id INTEGER NOT NULL,
            chunk INTEGER NOT NULL,
            pos INTEGER NOT NULL,
            number NOT NULL,
            msg_id,
            state INTEGER NOT NULL,
            content TEXT,
            report TEXT,
            extra TEXT,
            PRIMARY KEY (job_id, chunk, pos)
        ) WITHOUT ROWID""",
        "INSERT INTO messages_v6 SELECT job_id, chunk, pos, number, msg_id, outcome + 4 * CASE"  # noqa: S608
        " status WHEN 'delivered' THEN 1 WHEN 'failed' THEN 2 WHEN 'pending' THEN 3"
        " WHEN 'not_found' THEN 4 WHEN 'unknown' THEN 5 ELSE 0 END, content,"
        " CASE WHEN status IS NULL THEN NULL"
        f" ELSE json_array({_ms_sql('status_time')}, code, detail, {_ms_sql('updated')}) END,"
        " CASE WHEN order_id IS NULL AND sender IS NULL AND error IS NULL THEN NULL"
        " ELSE json_array(order_id, sender, error) END"
        " FROM messages ORDER BY job_id, chunk, pos",
        "DROP TABLE messages",
        "ALTER TABLE messages_v6 RENAME TO messages",
        "CREATE INDEX messages_msg_id ON messages (msg_id) WHERE msg_id IS NOT NULL",
        "CREATE INDEX messages_number ON messages (number)",
    ),
    # v7: the number index filled in sorted groups instead of with every answer (issue 13).
    # A chunk's numbers are spread over the whole number range (random lists; a batch groups
    # rows by content across its file), so an index on messages (number) had ~350 of its pages
    # rewritten, and written to the WAL, by every answer's commit. `by_number` holds the same
    # entries (number -> job_id, chunk, pos), written from the messages rows of several
    # answered chunks at once, sorted (smscli.history.journal.index_numbers); a chunk whose
    # rows are not in it yet has unindexed = 1, and readers look at those chunks' messages
    # directly (queries.Queries.messages_to). Filled from the old index, which then goes.
    (
        "ALTER TABLE chunks ADD COLUMN unindexed INTEGER",
        "CREATE INDEX chunks_unindexed ON chunks (job_id, idx) WHERE unindexed = 1",
        """CREATE TABLE by_number (
            number NOT NULL,
            job_id INTEGER NOT NULL,
            chunk INTEGER NOT NULL,
            pos INTEGER NOT NULL,
            PRIMARY KEY (number, job_id, chunk, pos)
        ) WITHOUT ROWID""",
        # In the old index's order (SQLite reads it as a covering index, no sort), so the
        # table is written page after page. No INDEXED BY: a history without that index
        # (damaged, repaired by hand) migrates all the same, through a sort.
        "INSERT INTO by_number SELECT number, job_id, chunk, pos"
        " FROM messages ORDER BY number, job_id, chunk, pos",
        "DROP INDEX IF EXISTS messages_number",
        # A send of an older smscli may still be running on this history (upgraded mid-job):
        # it writes no by_number entries. The chunks it has yet to answer are marked now, so
        # that once it answers them they are read like any chunk not indexed yet, and indexed
        # by the next job to finish (index_numbers takes answered chunks only).
        "UPDATE chunks SET unindexed = 1 WHERE state IN ('planned', 'sending')",
    ),
)
VERSION: Final = len(MIGRATIONS)
# The last migration that rewrote the messages table or one of its indexes (its old pages
# are given back after).
REWRITTEN: Final = 7
