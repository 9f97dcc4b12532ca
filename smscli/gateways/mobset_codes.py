"""mobset SDK3 error codes (`Code < 0`) decoded into English and an error kind.

The SDK3 error table was never found (providers.md B.6, D.1); this is the legacy HTTP SDK's
table, which SDK3 is assumed to keep. The gateway's Chinese `Message` is therefore always kept
next to the decoded reason: when the two disagree, the gateway's own words win."""

from __future__ import annotations

from smscli.errors import ErrorKind
from smscli.gateways.base import Code

_CREDS = (
    "check corp_id, login_name and password (smscli config show), the account's IP whitelist, "
    "and this machine's clock (the TimeStamp must be within 20 minutes of Beijing time)"
)
_TOP_UP = (
    "top up the account; some messages may have been sent before it ran out, so check the "
    "history before sending again"
)

CODES: dict[str, Code] = {
    "-1": Code("incomplete input parameters", ErrorKind.INPUT),
    "-2": Code("bad source IP or credentials", ErrorKind.AUTH, _CREDS),
    "-3": Code("bad destination number", ErrorKind.INPUT, "check the phone numbers"),
    "-4": Code("the enterprise account's balance is insufficient", ErrorKind.BALANCE, _TOP_UP),
    "-5": Code("the user account's balance is insufficient", ErrorKind.BALANCE, _TOP_UP),
    # The legacy table gives -6 the same words as -1.
    "-6": Code("incomplete input parameters", ErrorKind.INPUT),
    "-7": Code("the gateway could not connect to its database", ErrorKind.SERVER, "try later"),
    "-8": Code("the enterprise account is disabled", ErrorKind.AUTH, "contact mobset"),
    "-9": Code("the message contains a filtered keyword", ErrorKind.INPUT, "reword the message"),
    # Never seen from a server: a public client wrapper's own code for more than 50 numbers.
    "-10": Code("more than 50 numbers in one request", ErrorKind.INPUT),
}


def decode(code: str) -> Code:
    """The meaning of a negative Code; unknown codes stay readable rather than failing."""
    known = CODES.get(code.strip())
    if known is not None:
        return known
    return Code(f"the gateway refused the request (code {code})", ErrorKind.REJECTED)
