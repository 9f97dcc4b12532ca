"""QA of issue 13's block reading of CSV batches, against the real code of before it: for files
whose awkward spots sit where the reader cuts its ~1 MiB blocks (a quoted field's line end, a
CRLF, a row end, a bad row, doubled quotes) and the usual awkward files (BOM, CRLF, blank lines,
embedded line ends, a bad row in the second megabyte, an over-long line, a template column),
`batch --dry-run` prints the same requests, messages and exit code as the smscli of 80177da,
from a file and from stdin.

The old code comes from `git archive`; without git or that commit the test is skipped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.test_qa13_v6_history import old_tree, smscli  # noqa: F401 (fixture)

BLOCK = 1 << 20  # the reader's block size in bytes (readers.LineReader)


def near_block_end(kind: str, shift: int, crlf: bool) -> str:
    """~1 MiB of plain rows, then one awkward row whose awkward spot is at byte BLOCK + shift,
    then 2000 plain rows."""
    nl = "\r\n" if crlf else "\n"
    head = "number,content,pad" + nl
    rows: list[str] = []
    size = len(head)
    i = 0
    while size < BLOCK - 200:
        row = f'{447700000000 + i},"msg {i % 4}",{"p" * 20}{nl}'
        rows.append(row)
        size += len(row)
        i += 1
    gap = BLOCK + shift - size
    if kind == "field-newline":  # a quoted field's line end at the cut
        prefix = '447710000000,"x'
        row = prefix + "y" * (gap - len(prefix) - (len(nl) - 1)) + nl + 'second line",q' + nl
    elif kind == "row-end":  # a row ending at the cut
        prefix = '447710000000,"e",'
        row = prefix + "z" * (gap - len(prefix) - len(nl)) + nl
    elif kind == "bad-row":  # a bad number in the second block
        prefix = '4477x0000000,"e",'
        row = prefix + "z" * (gap - len(prefix) - len(nl)) + nl
    else:  # doubled quotes around the cut
        prefix = '447710000000,"e ""q"" ,'
        row = prefix + "z" * (gap - len(prefix)) + '",w' + nl
    rows.append(row)
    rows += [f'{447720000000 + j},"msg {j % 4}",{"p" * 20}{nl}' for j in range(2000)]
    return head + "".join(rows)


def plain_rows(count: int, content: Callable[[int], str], nl: str = "\n") -> str:
    return nl.join(f"{447700000000 + (k * 7919) % 10**6},{content(k)}" for k in range(count))


CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    **{
        f"{kind}-{'crlf' if crlf else 'lf'}{shift:+d}": (near_block_end(kind, shift, crlf), ())
        for kind in ("field-newline", "row-end", "bad-row", "quotes")
        for crlf in (False, True)
        for shift in ((-1, 0) if crlf else (0,))
    },
    "bom-crlf": (
        "\ufeffnumber,content\r\n" + plain_rows(3000, lambda k: f'"m {k % 5}"', "\r\n"),
        (),
    ),
    "blank-lines": ("number,content\n\n" + plain_rows(500, lambda k: "hi", "\n\n") + "\n\n\n", ()),
    "embedded-newlines": (
        "number,content\n"
        + plain_rows(3000, lambda k: f'"l1\nl2 {k % 3}"' if k % 500 == 7 else "x"),
        (),
    ),
    "bad-row-2nd-MB": (
        "number,content\n"
        + "\n".join(
            f'{"4477abc" if k == 15000 else 447700000000 + k},"{"x" * 100} {k % 3}"'
            for k in range(20000)
        ),
        (),
    ),
    "over-long-line": (
        "number,content\n"
        + "\n".join(
            f'{447700000000 + k},"{"y" * (70000 if k == 15000 else 100)}"' for k in range(20000)
        ),
        (),
    ),
    "unterminated-quote": (
        "number,content\n"
        + plain_rows(2000, lambda k: "a")
        + '\n447700000001,"open\n'
        + plain_rows(100, lambda k: "b"),
        (),
    ),
    "template": (
        "number,name,code\n" + plain_rows(3000, lambda k: f"N{k % 4},{k}"),
        ("-m", "Hi {name}, code {code}"),
    ),
}


def masked(text: str) -> str:
    return re.sub(r'"Timestamp": "\d+"', '"Timestamp": "T"', text)


def dry_run(data: Path, path: Path, extra: tuple[str, ...], old: Path | None) -> list[object]:
    by_file = smscli(
        data, "batch", "-p", "sandbox", str(path), "--dry-run", "-o", "json", *extra, old=old
    )
    return [by_file[0], masked(by_file[1]), by_file[2]]


def stdin_dry_run(data: Path, path: Path, extra: tuple[str, ...], old: Path | None) -> list[object]:
    env = dict(os.environ, SMSCLI_DATA_DIR=str(data))
    env.pop("PYTHONPATH", None)
    if old is not None:
        env["PYTHONPATH"] = str(old)
    with path.open("rb") as stdin:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "smscli",
                "batch",
                "-p",
                "sandbox",
                "-",
                "--format",
                "csv",
                "--dry-run",
                "-o",
                "json",
                *extra,
            ],
            stdin=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=data.parent,
            timeout=120,
        )
    return [done.returncode, masked(done.stdout), done.stderr.replace("<stdin>", "-")]


@pytest.mark.parametrize("name", list(CASES))
def test_batch_dry_run_as_before(name: str, tmp_path: Path, old_tree: Path) -> None:  # noqa: F811
    text, extra = CASES[name]
    path = tmp_path / f"{name}.csv"
    path.write_bytes(text.encode("utf-8"))
    # Each version its own data dir: they run side by side.
    runs = ((tmp_path / "old" / "data", old_tree), (tmp_path / "new" / "data", None))
    for data, _ in runs:
        data.parent.mkdir()
    with ThreadPoolExecutor(2) as pool:
        old, new = pool.map(lambda run: dry_run(run[0], path, extra, run[1]), runs)
    assert new == old
    # Both said something (two empty answers would compare equal): requests, or the error.
    failing = name.startswith(("bad-row", "over-long", "unterminated"))
    assert new[0] == (2 if failing else 0), new[2]
    assert ('"request": 1' in str(new[1])) != failing
    if name in ("row-end-lf+0", "bom-crlf", "bad-row-2nd-MB", "template"):
        with ThreadPoolExecutor(2) as pool:
            old, new = pool.map(lambda run: stdin_dry_run(run[0], path, extra, run[1]), runs)
        assert new == old
