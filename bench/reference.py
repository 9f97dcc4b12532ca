"""The simplest client that does the job, to measure smscli against (issue 13): stdlib only,
no validation, no journal, no resume.

    reference.py URL send -m TEXT [-c N] [NUMBER...]     numbers from the args, else stdin
    reference.py URL batch [-c N]                        CSV rows number,content on stdin
    reference.py URL report [-c N] [MSGID...]            msgIds from the args, else stdin
    reference.py URL balance

URL is the v3 base (http://127.0.0.1:PORT/v3). Numbers go 1000 per POST (report: 200 msgIds
per GET); N threads (default 8) each keep one http.client connection alive; every request is
signed (md5 of key + secret + timestamp); one JSONL row per number / msgId goes to stdout.
Credentials are the vendors' public sample ones, as in the benches' profiles.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import queue
import sys
import threading
import time
from urllib.parse import quote, urlsplit

API_KEY, API_SECRET, APP_ID = "bDqJFiq9", "7bz1lzh9", "4luaKsL2"


def headers() -> dict[str, str]:
    stamp = str(int(time.time()))
    sign = hashlib.md5((API_KEY + API_SECRET + stamp).encode()).hexdigest()
    return {
        "Content-Type": "application/json;charset=UTF-8",
        "Api-Key": API_KEY,
        "Timestamp": stamp,
        "Sign": sign,
    }


class Worker:
    def __init__(self, base: str) -> None:
        url = urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80)
        self.path = url.path.rstrip("/")

    def call(self, method: str, path: str, body: bytes | None = None) -> dict[str, object]:
        self.conn.request(method, f"{self.path}/{path}", body=body, headers=headers())
        response = self.conn.getresponse()
        data: dict[str, object] = json.loads(response.read())
        return data


def run_parallel(base: str, jobs: list[object], concurrency: int, work: object) -> None:
    """Run work(worker, job) for every job on `concurrency` threads, one connection each."""
    todo: queue.SimpleQueue[object] = queue.SimpleQueue()
    for job in jobs:
        todo.put(job)

    def loop() -> None:
        worker = Worker(base)
        while True:
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            work(worker, job)  # type: ignore[operator]

    threads = [threading.Thread(target=loop) for _ in range(min(concurrency, len(jobs)) or 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


LOCK = threading.Lock()


def emit(rows: list[str]) -> None:
    with LOCK:
        sys.stdout.write("".join(rows))


def sent_rows(numbers: list[str], data: dict[str, object]) -> list[str]:
    ids = {item["number"]: item["msgId"] for item in data.get("array") or []}  # type: ignore[union-attr,index]
    return [
        json.dumps({"number": n, "msg_id": ids.get(n), "accepted": n in ids}) + "\n"
        for n in numbers
    ]


def send(base: str, text: str, numbers: list[str], concurrency: int) -> None:
    chunks = [numbers[i : i + 1000] for i in range(0, len(numbers), 1000)]

    def work(worker: Worker, chunk: list[str]) -> None:
        body = json.dumps(
            {"appId": APP_ID, "numbers": ",".join(chunk), "content": text}, ensure_ascii=False
        ).encode()
        emit(sent_rows(chunk, worker.call("POST", "sendSms", body)))

    run_parallel(base, chunks, concurrency, work)  # type: ignore[arg-type]


def batch(base: str, rows: list[tuple[str, str]], concurrency: int) -> None:
    chunks = [rows[i : i + 1000] for i in range(0, len(rows), 1000)]

    def work(worker: Worker, chunk: list[tuple[str, str]]) -> None:
        by_text: dict[str, list[str]] = {}
        for number, text in chunk:
            by_text.setdefault(text, []).append(number)
        array = [{"numbers": ",".join(nums), "content": t} for t, nums in by_text.items()]
        body = json.dumps({"appId": APP_ID, "array": array}, ensure_ascii=False).encode()
        emit(sent_rows([n for n, _ in chunk], worker.call("POST", "sendSms/batch", body)))

    run_parallel(base, chunks, concurrency, work)  # type: ignore[arg-type]


def report(base: str, ids: list[str], concurrency: int) -> None:
    chunks = [ids[i : i + 200] for i in range(0, len(ids), 200)]

    def work(worker: Worker, chunk: list[str]) -> None:
        data = worker.call("GET", f"getReport?appId={APP_ID}&msgIds={quote(','.join(chunk))}")
        emit(
            [
                json.dumps(
                    {"msg_id": i["msgId"], "number": i["number"], "status": i["status"],
                     "time": i.get("receiveTime")}
                ) + "\n"
                for i in data.get("array") or []  # type: ignore[union-attr]
            ]
        )

    run_parallel(base, chunks, concurrency, work)  # type: ignore[arg-type]


def main(argv: list[str]) -> None:
    base, command, rest = argv[0], argv[1], argv[2:]
    concurrency, text, values = 8, "", []
    it = iter(rest)
    for arg in it:
        if arg == "-c":
            concurrency = int(next(it))
        elif arg == "-m":
            text = next(it)
        else:
            values.append(arg)
    if command == "balance":
        data = Worker(base).call("GET", f"getBalance?appId={APP_ID}")
        sys.stdout.write(json.dumps({"balance": data.get("balance")}) + "\n")
        return
    if not values and command != "batch":
        values = [line.strip() for line in sys.stdin if line.strip()]
    if command == "send":
        send(base, text, values, concurrency)
    elif command == "report":
        report(base, values, concurrency)
    elif command == "batch":
        lines = sys.stdin.read().splitlines()[1:]  # a header line first, as smscli's input
        pairs = [(n, t) for n, _, t in (line.partition(",") for line in lines if line)]
        batch(base, pairs, concurrency)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
