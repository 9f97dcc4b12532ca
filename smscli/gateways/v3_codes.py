"""Every v3 status code (providers.md A.4) decoded into English and an error kind.

The gateway's own `reason` text varies by brand and page, so it is never matched on."""

from __future__ import annotations

from smscli.errors import ErrorKind
from smscli.gateways.base import Code

_CREDS = "check api_key and api_secret (smscli config show)"
_WHITELIST = "add this machine's public IP to the API whitelist in the provider's console"
_MANAGER = "contact your account manager"

CODES: dict[str, Code] = {
    "-1": Code("authentication failed", ErrorKind.AUTH, _CREDS),
    "-2": Code("access from this IP address is restricted", ErrorKind.AUTH, _WHITELIST),
    "-3": Code("the message contains sensitive words", ErrorKind.INPUT, "reword the message"),
    "-4": Code("the message content is empty", ErrorKind.INPUT),
    "-5": Code("the message content is too long (at most 1024 characters)", ErrorKind.INPUT),
    "-6": Code(
        "the message does not match an approved template",
        ErrorKind.REJECTED,
        "use the exact text of a template approved in the provider's console",
    ),
    "-7": Code("too many numbers in one request", ErrorKind.INPUT),
    "-8": Code("no phone number given", ErrorKind.INPUT),
    "-9": Code(
        "abnormal phone number (no country code, or a country not in the contract)",
        ErrorKind.INPUT,
        "write numbers in international form: country code first, no trunk 0",
    ),
    "-10": Code("insufficient balance", ErrorKind.BALANCE, "top up the account (smscli balance)"),
    "-11": Code("incorrect time format", ErrorKind.INPUT),
    "-12": Code("platform error: the submission failed", ErrorKind.SERVER, "try again later"),
    "-13": Code("the user account is locked", ErrorKind.AUTH, _MANAGER),
    "-14": Code("a required field is empty, or a queried id is malformed", ErrorKind.INPUT),
    "-15": Code("queries too frequent", ErrorKind.RATE, "wait a little and try again"),
    "-16": Code(
        "the request timestamp expired (clock more than 30 minutes off)",
        ErrorKind.CLOCK,
        "set this machine's clock right (e.g. enable NTP)",
    ),
    "-17": Code("the SMS template is empty", ErrorKind.INPUT),
    "-18": Code(
        "the gateway's port program failed (server error)", ErrorKind.SERVER, "try again later"
    ),
    "-19": Code(
        "pricing or channel not set up for this destination",
        ErrorKind.REJECTED,
        _MANAGER,
    ),
    "-20": Code("the data already exists", ErrorKind.REJECTED),
    "-21": Code("data validation failed", ErrorKind.INPUT),
    "-22": Code("parameter error", ErrorKind.INPUT),
    "-23": Code("data cap reached", ErrorKind.REJECTED),
    "-24": Code("the data does not exist", ErrorKind.INPUT),
    "-25": Code("out of the allowed time range", ErrorKind.INPUT),
    "-26": Code("getting the fee failed", ErrorKind.SERVER, _MANAGER),
    "-27": Code("the period's total send limit is reached", ErrorKind.REJECTED),
    "-28": Code("the period's per-number send limit is reached", ErrorKind.REJECTED),
    "-29": Code("the workspace is disabled", ErrorKind.REJECTED, _MANAGER),
    "-30": Code("the API key is disabled", ErrorKind.AUTH, "create or enable a key in the console"),
    "-31": Code("this IP address is not in the API whitelist", ErrorKind.AUTH, _WHITELIST),
    "-32": Code(
        "the API key has no permission for this app",
        ErrorKind.AUTH,
        "check app_id, or grant the key access to the app in the console",
    ),
}


# Statuses refusing the whole request before any of it was processed (authentication, IP,
# balance, locked account, pricing, disabled or unauthorised key): nothing was sent, so a
# resume may send those numbers once the cause is fixed (`--resend-refused`).
UNPROCESSED: frozenset[str] = frozenset({"-1", "-2", "-10", "-13", "-19", "-30", "-31", "-32"})


def decode(status: str) -> Code:
    """The meaning of a non-zero status; unknown codes stay readable rather than failing."""
    known = CODES.get(status.strip())
    if known is not None:
        return known
    return Code(f"the gateway refused the request (status {status})", ErrorKind.REJECTED)
