"""A job's chunk as the history tells it (`history show`, a resume's plan), and how its
CHUNK_COLUMNS row becomes one. Apart from smscli.history.records so that the Store a send
opens does not build it: only the reads of a job's chunks import it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from smscli.history.db import dt, text_or_none
from smscli.history.records import LOST_IN_FLIGHT, PLANNED, SENDING
from smscli.model import ChunkState


@dataclass(frozen=True, slots=True)
class ChunkInfo:
    job_id: int
    index: int
    size: int
    # planned / sending only while the job's process lives
    state: ChunkState | Literal["planned", "sending"]
    attempts: int
    sends: int
    error_kind: str | None
    error_code: str | None
    error_text: str | None
    started: datetime | None
    finished: datetime | None
    first: str | None = None
    last: str | None = None


def chunk_info(row: Sequence[Any], live: bool) -> ChunkInfo:
    stored, error_text = str(row[3]), text_or_none(row[8])
    state: ChunkState | Literal["planned", "sending"]
    if stored == SENDING:
        state = SENDING if live else ChunkState.UNKNOWN
        error_text = error_text if live else error_text or LOST_IN_FLIGHT
    elif stored == PLANNED:
        # Its process is gone: it will not start now.
        state = PLANNED if live else ChunkState.NOT_SENT
    else:
        state = ChunkState(stored)
    return ChunkInfo(
        job_id=int(row[0]),
        index=int(row[1]),
        size=int(row[2]),
        state=state,
        attempts=int(row[4]),
        sends=int(row[5]),
        error_kind=text_or_none(row[6]),
        error_code=text_or_none(row[7]),
        error_text=error_text,
        started=dt(row[9]),
        finished=dt(row[10]),
    )
