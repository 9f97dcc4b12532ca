"""The local history (SQLite): the send journal, its reads, delivery reports, retention and
the support desk's tables. Open it with smscli.history.store.Store.

    db.py       the file: path, private creation, pragmas, write transaction, errors, migrating
    schema.py   the tables and their migrations (append only)
    keys.py     numbers and msgIds stored as integers where they are ones
    codes.py    the compact domain values of a message row; its error text, derived
    records.py  the records handed out (Job, Tracked) and row conversion
    chunkinfo.py a job's chunk as the history tells it (ChunkInfo), imported by its reads
    messages.py `history`'s records (JobSummary, Message, NumberHit), imported by queries.py
    locks.py    job locks and answered markers (files beside the history)
    reader.py   a job, and chunks with their plans: what the rest builds on
    encode.py   a chunk's answer as messages rows
    journal.py  create / before / after / finish / claim a job
    resume.py   which jobs a resume can act on; resumeplan.py: what it sends, asks about,
                never resends
    queries.py  jobs, chunks, messages, a number's messages (`history`)
    reports.py  msgIds known, delivery reports written back, orphan reports
    raw.py      raw report answers of queue providers (rawreport.py), one-time notices
    prune.py    retention (its work: pruning.py)
    store.py    Store: all of the above on one connection
    support.py  the support desk's tables (gateway records, inbound, sync state)
"""
