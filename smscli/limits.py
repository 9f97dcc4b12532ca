"""Bounds a profile value shares with its command-line option: a profile must not set what
the option would refuse (`concurrency = 100000`, `rate = 1e-10`). No imports: the CLI's option
definitions read these at start-up."""

MAX_CONCURRENCY = 64
# The registry's default (profilekeys.KEYS["concurrency"]), kept here because the option's
# help names it and the registry is too heavy to import for `--help` and Tab completion.
DEFAULT_CONCURRENCY = 4
MIN_RATE, MAX_RATE = 0.01, 10_000.0
MAX_TIMEOUT = 3600.0
MAX_RETRIES = 20
MAX_BATCH_NUMBERS = 100_000
MAX_AMOUNT = 1e12  # low_balance / --below
# Job ids are SQLite integers: anything larger cannot be a job (and would overflow the query).
MAX_JOB_ID = 2**63 - 1
