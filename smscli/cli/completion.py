"""Tab completion of values: profile names, output formats, config keys, job ids. Each
completer runs inside the completion request (`_SMSCLI_COMPLETE=...`), so it stays cheap and
never fails: a broken config or history completes nothing rather than printing a traceback
into the user's shell.

Also a zsh formatter that keeps apostrophes: Typer escapes ' as '' inside a single-quoted
word, which zsh (without RC_QUOTES) reads as two strings glued together, dropping the quote
("Print only the profile's..." became "profiles")."""

from __future__ import annotations

import contextlib
from typing import Any

import click

Completion = list[tuple[str, str]]

FORMATS: Completion = [
    ("auto", "table on a terminal, TSV when piped"),
    ("table", "for people"),
    ("json", "one JSON array"),
    ("jsonl", "one JSON object per line"),
    ("csv", "comma-separated, with a header"),
    ("tsv", "tab-separated, with a header"),
]


def profiles(incomplete: str) -> Completion:
    with contextlib.suppress(Exception):
        from smscli import settings

        return [
            (p.name, f"{p.provider or '?'}{', default' if p.default else ''}")
            for p in settings.list_profiles()
            if p.name.startswith(incomplete)
        ]
    return []


def formats(incomplete: str) -> Completion:
    return [(name, text) for name, text in FORMATS if name.startswith(incomplete)]


def config_keys(incomplete: str) -> Completion:
    with contextlib.suppress(Exception):
        from smscli.profilekeys import KEYS

        return [
            (key.name, key.description)
            for key in KEYS.values()
            if key.name.startswith(incomplete)
        ]
    return []


def secret_places(incomplete: str) -> Completion:
    places = [("keyring", "the OS keyring"), ("file", "the 0600 config file")]
    return [p for p in places if p[0].startswith(incomplete)]


def job_ids(incomplete: str) -> Completion:
    """The newest jobs of the history (never creating one), with what each was."""
    return _jobs(incomplete, resumable=False)


def resumable_job_ids(incomplete: str) -> Completion:
    """For --resume: only jobs a resume can act on (requests unsent, unknown or refused); a
    finished job would only answer "nothing left to send"."""
    return _jobs(incomplete, resumable=True)


def _jobs(incomplete: str, *, resumable: bool) -> Completion:
    with contextlib.suppress(Exception):
        from smscli.history.db import default_path
        from smscli.history.store import Store

        if not default_path().exists():
            return []
        store = Store.open()
        try:
            # Resumable jobs are few among many finished ones: look further back for them.
            jobs = store.jobs(limit=400 if resumable else 40)
            if resumable:
                left = store.resumable([s.job.id for s in jobs])
                jobs = [s for s in jobs if s.job.id in left][:40]
        finally:
            store.close()
        found = []
        for summary in jobs:
            job = summary.job
            if not str(job.id).startswith(incomplete):
                continue
            when = job.created.astimezone().strftime("%Y-%m-%d %H:%M")
            numbers = f"{job.numbers:,} number{'s' if job.numbers != 1 else ''}"
            found.append((str(job.id), f"{job.kind}, {job.profile}, {numbers}, {when}"))
        return found
    return []


def zsh_escape(text: str) -> str:
    return (
        text.replace('"', '""')
        .replace("'", "'\\''")  # close the quote, a literal ', reopen it
        .replace("$", "\\$")
        .replace("`", "\\`")
        .replace(":", r"\\:")
    )


def zsh_complete(cli: click.Command, ctx_args: Any, prog_name: str, complete_var: str) -> str:
    """Typer's zsh completion, with an escape that keeps apostrophes."""
    from typer._completion_classes import ZshComplete

    class SmsZshComplete(ZshComplete):
        def format_completion(self, item: click.shell_completion.CompletionItem) -> str:
            if item.help:
                return f'"{zsh_escape(item.value)}":"{zsh_escape(item.help)}"'
            return f'"{zsh_escape(item.value)}"'

    return str(SmsZshComplete(cli, ctx_args, prog_name, complete_var).complete())
