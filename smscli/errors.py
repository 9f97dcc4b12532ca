"""Exit codes and the error tree. Every expected failure is an SmsCliError; the CLI turns it
into one line on stderr and its exit code (see smscli.cli.common.handle_errors)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    OK = 0
    REJECTED = 1  # the gateway rejected the request (other than auth)
    USAGE = 2  # usage, input or config error: nothing sent
    PARTIAL = 3  # some numbers rejected / some messages failed / balance below threshold
    WAIT_TIMEOUT = 4  # report --wait gave up with messages still pending
    AUTH = 5  # authentication or permission
    NETWORK = 6  # connect error, timeout, HTTP 5xx, body not JSON
    # sysexits' EX_IOERR: the output (disk full, I/O error, stdout closed) or the history
    # could not be written. A send stops starting requests and says what was answered.
    IO_ERROR = 74
    HANGUP = 129  # SIGHUP: 128 + 1, as a shell reports it
    INTERRUPTED = 130  # SIGINT (Ctrl-C): 128 + 2
    OUTPUT_CLOSED = 141  # stdout's reader went away (`| head`): 128 + SIGPIPE, as a shell
    TERMINATED = 143  # SIGTERM (timeout, docker stop, systemctl stop): 128 + 15


class ErrorKind(StrEnum):
    """The shared vocabulary every provider maps its own codes to."""

    AUTH = "auth"
    INPUT = "input"
    BALANCE = "balance"
    RATE = "rate"
    CLOCK = "clock"
    SERVER = "server"
    NETWORK = "network"
    REJECTED = "rejected"


_KIND_EXIT = {
    ErrorKind.AUTH: ExitCode.AUTH,
    ErrorKind.NETWORK: ExitCode.NETWORK,
    ErrorKind.SERVER: ExitCode.REJECTED,
}


def kind_exit(kind: ErrorKind) -> ExitCode:
    """The exit code of a gateway's error of this kind."""
    return _KIND_EXIT.get(kind, ExitCode.REJECTED)


class SmsCliError(Exception):
    """An expected failure: `message` is one readable line, `hint` says what to do next."""

    exit_code: ExitCode = ExitCode.REJECTED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(SmsCliError):
    exit_code = ExitCode.USAGE


class InputError(UsageError):
    """Bad numbers, message, file: detected before anything is sent."""


class ConfigError(UsageError):
    """Missing or malformed config, unknown profile or provider, missing key."""


class GatewayError(SmsCliError):
    """The gateway answered, and said no. `code` is the provider's own status code."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        kind: ErrorKind = ErrorKind.REJECTED,
        hint: str | None = None,
        provider_message: str | None = None,
        retry_after: float | None = None,
        unprocessed: bool | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.kind = kind
        self.provider_message = provider_message
        self.retry_after = retry_after
        self.exit_code = kind_exit(kind)
        # The gateway refused the whole request before processing any of it (balance, auth,
        # IP, locked account, pricing): nothing was sent, so once the cause is fixed a resume
        # may send it again (--resend-refused). The client says so per status code; by
        # default only authentication refusals, which no gateway processes, count.
        self.unprocessed = kind is ErrorKind.AUTH if unprocessed is None else unprocessed

    @property
    def retryable_unsent(self) -> bool:
        """True when the gateway says it did not process the request (safe to resend)."""
        return self.kind in (ErrorKind.RATE, ErrorKind.CLOCK)


class NetworkError(SmsCliError):
    """No usable answer: connect error, timeout, reset, HTTP 5xx, a body that is not JSON.

    `maybe_processed` is False only when the request provably never reached the gateway
    (connect error): anything else may have been processed, so a send's outcome is unknown.
    """

    exit_code = ExitCode.NETWORK

    def __init__(
        self,
        message: str,
        *,
        maybe_processed: bool,
        hint: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.maybe_processed = maybe_processed
        self.status_code = status_code
        self.retry_after = retry_after


class NotSupported(UsageError):
    """The provider has no such operation."""


class OutputError(SmsCliError):
    """The rows could not be written: the disk is full, an I/O error, stdout is closed. A bulk
    send stops starting requests, journals what is in flight, and says how to resume."""

    exit_code = ExitCode.IO_ERROR


class OutputClosed(OutputError):
    """The reader of stdout went away (a closed pipe: `smscli send ... | head -1`)."""

    exit_code = ExitCode.OUTPUT_CLOSED
