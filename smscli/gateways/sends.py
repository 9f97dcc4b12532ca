"""What a send hands back (SendResult) and how a request is shown before it leaves
(PlannedRequest, for --dry-run and a send's own checks). Built by the commands that send, not
by `balance` or `report` (see smscli.gateways.base)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smscli.errors import SmsCliError
    from smscli.gateways.base import Submitted


@dataclass(frozen=True, slots=True)
class SendResult:
    """The answer to one send request (one chunk). Numbers accepted with a message id are in
    `accepted`; a number in neither `accepted` nor `untracked` was not accepted.

    Two answers that are sends, not failures, are values here rather than exceptions:

    - `untracked`: numbers the gateway accepted without a usable message id. They were sent
      and must never be sent again (exit 3), but their delivery cannot be followed. `note`
      says why in one line; `code` is the gateway's status of that answer.
    - `stopped_by`: a send_batch made of several requests (mobset: one SmsSend per element)
      failed after `elements_sent` of its `elements` were sent. `accepted` and `untracked`
      cover the elements that were sent; `stopped_by` is the error of the one that failed
      (a failure of the first element is raised: then nothing was sent)."""

    accepted: tuple[Submitted, ...]
    success: int
    fail: int
    untracked: tuple[str, ...] = ()
    note: str | None = None
    code: str | None = None
    stopped_by: SmsCliError | None = None
    elements_sent: int = 0
    elements: int = 0


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """A request as --dry-run shows it: secrets already redacted."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: Mapping[str, Any]
