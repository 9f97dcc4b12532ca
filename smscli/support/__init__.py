"""The support desk: the account's own records (every message sent from it, by smscli or any
other system, and the inbound replies) pulled into the history (`sync`), and answers by number
from the history and those records together (`lookup`, `inbox`). Pure: no typer, no rich."""
