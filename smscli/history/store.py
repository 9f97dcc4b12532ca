"""The local history: every `send` (and `batch`) is a job, journalled chunk by chunk in SQLite
so that a crash or Ctrl-C loses nothing and `send --resume` never sends a chunk twice;
`report` writes delivery states back per message. Pure: no typer, no rich, no printing.

The file is data_dir()/history.sqlite3, created 0600 in a 0700 directory (it holds phone
numbers and message text); its tables are described in smscli.history.schema. Store is one
connection to it, its methods gathered from the modules beside this one by concern."""

from __future__ import annotations

import pathlib

from smscli.history.journal import JournalWrites
from smscli.history.prune import Prune
from smscli.history.queries import Queries
from smscli.history.raw import RawReports
from smscli.history.reports import ReportReads
from smscli.history.resume import ResumeReads


class Store(JournalWrites, ResumeReads, Queries, ReportReads, RawReports, Prune):
    """One connection to the history file: the journal (journal.py), resume plans
    (resume.py), the `history` reads (queries.py), delivery reports (reports.py), raw report
    answers and notices (raw.py), retention (prune.py). Not shared between threads."""


def open_store(path: pathlib.Path | None = None) -> Store:
    return Store.open(path)
