"""Old versus new, through the command line: the same invocations (bench/clidiff_scenarios.py,
~900 of them) run against an older smscli and this checkout, each scenario in its own fresh
config and data dirs (as tests/conftest.py isolates them), against the in-process sandbox
profiles and `smscli sandbox serve` on 127.0.0.1 only. Exit codes, stdout and stderr are
compared after masking what legitimately differs (msgIds, times, durations, temp paths, ports,
signing timestamps, a traceback's file paths).

    .venv/bin/python bench/clidiff.py --rev ba01e51            # git archive REV's smscli
    .venv/bin/python bench/clidiff.py --old /tmp/s0            # a tree holding smscli/
    .venv/bin/python bench/clidiff.py --rev main --only report # scenarios whose name has it

The old tree runs with this interpreter and PYTHONPATH=<tree>; both run from a scratch cwd,
so the editable install cannot shadow it. Differences go to OUT/DIFFS.txt, the new version's
full transcripts to OUT/<scenario>.txt. Exit 1 when anything differs. Timing-dependent steps
(the sandbox delivers after 3 s; a SIGTERM that lands mid-run) may differ on a loaded machine:
re-run the scenario with --only before calling it a regression."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from clidiff_scenarios import SCENARIOS, Scenario

PY = sys.executable
OLD = ""  # the old tree (PYTHONPATH), for steps a scenario always runs with the old version


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(root: Path, old: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMSCLI_", "XDG_"))}
    for k in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
        "FORCE_COLOR",
        "PYTHONPATH",
    ):
        env.pop(k, None)
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        SMSCLI_CONFIG=str(root / "config" / "config.toml"),
        SMSCLI_DATA_DIR=str(root / "data"),
        NO_COLOR="1",
        COLUMNS="200",
        TERM="dumb",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        TZ="UTC",
        PYTHONHASHSEED="0",
    )
    if old:
        env["PYTHONPATH"] = old
    return env


@dataclass
class Result:
    argv: list[str]
    rc: int
    out: str
    err: str


@dataclass
class Masker:
    root: str
    ports: dict[str, int]
    ids: dict[str, str] = field(default_factory=dict)

    def msgid(self, m: re.Match[str]) -> str:
        v = m.group(0)
        if v not in self.ids:
            self.ids[v] = f"<ID{len(self.ids)}>"
        return self.ids[v]

    def __call__(self, text: str) -> str:
        if "Traceback (most recent call last)" in text:  # paths and lines differ: keep the end
            text = "<TRACEBACK> " + text.rstrip().splitlines()[-1]
        text = text.replace(self.root, "<DIR>")
        text = re.sub(r'"Timestamp": "\d+"', '"Timestamp": "<T>"', text)
        text = re.sub(r"'Timestamp': '\d+'", "'Timestamp': '<T>'", text)
        text = re.sub(r'TimeStamp(=|": ")\d{14}', r"TimeStamp\1<T>", text)
        for name, port in self.ports.items():
            text = text.replace(str(port), f"<{name}>")
        text = re.sub(r"(?<![0-9])[0-9]{19}(?![0-9])", self.msgid, text)
        text = re.sub(r"(?<![0-9])10000[0-9]{5}(?![0-9])", "<MID>", text)  # mobset ids
        text = re.sub(r"(?<![0-9])[0-9]{16,18}(?![0-9])", self.msgid, text)
        text = re.sub(
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", "<TS>", text
        )
        text = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", "<DATE>", text)
        text = re.sub(r"\b\d{1,2}:\d{2}(:\d{2})?\b", "<TIME>", text)
        text = re.sub(r"\b\d+(\.\d+)? ?(s|ms|sec|seconds|min|h)\b( ago)?", "<DUR>", text)
        text = re.sub(r"\b\d+(\.\d+)?/s\b", "<RATE>", text)
        text = re.sub(r"Timestamp=\d+|timestamp[\"=: ]+\d+", "<TSTAMP>", text)
        text = re.sub(r"/tmp/[A-Za-z0-9_./-]+", "<TMP>", text)  # noqa: S108
        text = re.sub(r"pid \d+", "pid <PID>", text)
        return text


def run_scenario(sc: Scenario, old: str | None, workroot: Path) -> list[Result]:
    tag = "old" if old else "new"
    root = workroot / f"{sc.name}.{tag}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    env = base_env(root, old)
    ports = {name: free_port() for name in sc.servers}
    servers: list[subprocess.Popen[bytes]] = []
    results: list[Result] = []
    try:
        for name, extra in sc.servers.items():
            cmd = [PY, "-m", "smscli", "sandbox", "serve", "--port", str(ports[name]), *extra]
            with (root / f"serve-{name}.log").open("wb") as log:
                p = subprocess.Popen(
                    cmd,
                    cwd=root,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    start_new_session=True,
                )
            servers.append(p)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", ports[name]), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.1)
        subst = {"DIR": str(root), "PY": PY, **{k: str(v) for k, v in ports.items()}}

        def fill(s: str) -> str:
            for k, v in subst.items():
                s = s.replace("{" + k + "}", v)
            return s

        old_env = base_env(root, OLD) if old is None else env
        for step in sc.steps:
            step_env = old_env if step.by_old else env
            if step.sleep:
                time.sleep(step.sleep)
                continue
            if step.file is not None:
                path = root / step.file[0]
                path.parent.mkdir(parents=True, exist_ok=True)
                data = step.file[1]
                path.write_bytes(fill(data).encode() if isinstance(data, str) else data)
                continue
            argv = [fill(a) for a in step.argv]
            senv = dict(step_env)
            senv.update({k: fill(v) for k, v in step.env.items()})
            stdin: bytes | None = None
            if step.stdin is not None:
                stdin = fill(step.stdin).encode() if isinstance(step.stdin, str) else step.stdin
            cmd = [PY, "-m", "smscli", *argv] if not step.raw else [fill(a) for a in step.raw]
            try:
                cp = subprocess.run(
                    cmd,
                    cwd=root,
                    env=senv,
                    input=stdin if stdin is not None else b"",
                    capture_output=True,
                    timeout=step.timeout,
                )
                rc, out, err = cp.returncode, cp.stdout, cp.stderr
            except subprocess.TimeoutExpired as e:
                rc, out, err = -999, e.stdout or b"", (e.stderr or b"") + b"\n<TIMEOUT>"
            results.append(
                Result(argv, rc, out.decode(errors="replace"), err.decode(errors="replace"))
            )
    finally:
        for p in servers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    return results, str(root), ports  # type: ignore[return-value]


def compare(sc: Scenario, old_run, new_run) -> list[str]:
    (ro, rooto, portso), (rn, rootn, portsn) = old_run, new_run
    mo = Masker(rooto, {k: v for k, v in portso.items()})
    mn = Masker(rootn, {k: v for k, v in portsn.items()})
    diffs: list[str] = []
    for i, (a, b) in enumerate(zip(ro, rn, strict=True)):
        parts = []
        if a.rc != b.rc:
            parts.append(f"  rc: old {a.rc} new {b.rc}")
        for what, x, y in (("stdout", a.out, b.out), ("stderr", a.err, b.err)):
            x, y = mo(x), mn(y)
            if x != y:
                d = difflib.unified_diff(
                    x.splitlines(), y.splitlines(), "old", "new", lineterm="", n=1
                )
                parts.append(f"  {what}:\n" + "\n".join("    " + line for line in d))
        if parts:
            diffs.append(f"[{sc.name} #{i}] smscli {' '.join(a.argv)}\n" + "\n".join(parts))
    return diffs


def old_tree(args: argparse.Namespace, scratch: Path) -> str:
    if args.old:
        return str(Path(args.old).resolve())
    repo = Path(__file__).resolve().parent.parent
    tree = scratch / "old-tree"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", args.rev, "smscli"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return str(tree)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--rev", help="git revision of the old smscli (git archive)")
    which.add_argument("--old", help="a directory holding the old smscli/ package")
    ap.add_argument("--only", default="", help="only scenarios whose name contains this")
    ap.add_argument("--out", default=None, help="where DIFFS.txt and transcripts go")
    ap.add_argument("--jobs", type=int, default=4, help="scenario runs at once")
    ap.add_argument("--keep", action="store_true", help="keep the scenarios' dirs")
    args = ap.parse_args()
    global OLD
    work = Path(tempfile.mkdtemp(prefix="clidiff-"))
    OLD = old_tree(args, work)
    chosen = [s for s in SCENARIOS if args.only in s.name]
    out = Path(args.out) if args.out else work / "out"
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    total, ndiff = 0, 0
    report: list[str] = []
    with ThreadPoolExecutor(args.jobs) as pool:
        futs = [
            (s, pool.submit(run_scenario, s, OLD, work), pool.submit(run_scenario, s, None, work))
            for s in chosen
        ]
        for s, fo, fn in futs:
            try:
                o, n = fo.result(), fn.result()
            except Exception as exc:  # a harness error: say so, go on
                print(f"{s.name}: HARNESS ERROR {exc!r}", flush=True)
                report.append(f"[{s.name}] HARNESS ERROR {exc!r}")
                ndiff += 1
                continue
            total += len(o[0])
            d = compare(s, o, n)
            ndiff += len(d)
            report.extend(d)
            print(f"{s.name}: {len(o[0])} invocations, {len(d)} differing", flush=True)
            (out / f"{s.name}.txt").write_text(
                "\n".join(
                    f"#{i} smscli {' '.join(r.argv)}\nrc={r.rc}\n--stdout--\n{r.out}"
                    f"--stderr--\n{r.err}"
                    for i, r in enumerate(n[0])
                )
            )
    (out / "DIFFS.txt").write_text("\n\n".join(report) + "\n")
    print(
        f"\n{len(chosen)} scenarios, {total} invocations per version, {ndiff} differing;"
        f" {time.monotonic() - t0:.0f} s; diffs in {out / 'DIFFS.txt'}"
    )
    if args.keep:
        print("kept", work)
    else:
        for child in work.iterdir():
            if child != out:
                shutil.rmtree(child, ignore_errors=True)
    return 1 if ndiff else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
