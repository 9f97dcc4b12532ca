"""`history prune`: old jobs (never one still being sent), old kept reports and raw answers,
deleted a batch of whole jobs per transaction so a month of a busy account never sits in
memory or in the WAL at once; the freed pages go back to the file system."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smscli.history.db import Database, guarded

if TYPE_CHECKING:
    from datetime import timedelta

    from smscli.history.pruning import PruneCounts


class Prune(Database):
    @guarded
    def prune(self, older_than: timedelta, *, dry_run: bool = False) -> PruneCounts:
        """Delete jobs created more than `older_than` ago (never one still being sent), and
        kept reports (orphan_reports) received that long ago. The work is
        smscli.history.pruning's, imported only here."""
        from smscli.history import pruning

        return pruning.prune(self, older_than, dry_run=dry_run)
