"""Latency and throughput of POST /api/chat with 20 concurrent conversations,
against the real stack (gateway + Rasa + actions) on localhost.

Run: .venv-api/bin/python bench/latency.py [--messages 400] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.stack import Stack  # noqa: E402

QUESTIONS = [
    "Quelles sont vos heures d'ouverture ?", "waar is jullie kantoor", "what is voluntary return",
    "¿es gratis?", "Wann ist die Rechtsberatung?", "какие у вас часы работы", "adresiniz nedir",
    "parlate arabo?", "ما هي مواعيد العمل", "hello", "merci beaucoup", "ik wil een afspraak",
]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def run(url: str, total: int, concurrency: int) -> None:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def worker(n: int) -> None:
        nonlocal errors
        token = None  # returned by the conversation's first answer, sent with every later message
        with httpx.Client(base_url=url, timeout=30) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                body = {"sender": f"bench-{n}", "text": QUESTIONS[i % len(QUESTIONS)]}
                if token:
                    body["token"] = token
                t0 = time.perf_counter()
                r = client.post("/api/chat", json=body)
                dt = time.perf_counter() - t0
                if r.status_code == 200:
                    token = r.json().get("token") or token
                with lock:
                    latencies.append(dt)
                    errors += r.status_code != 200

    # Warm-up: first parses load lazily.
    with httpx.Client(base_url=url, timeout=30) as c:
        for n, q in enumerate(QUESTIONS):
            c.post("/api/chat", json={"sender": f"warmup-{n}", "text": q})
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = [x * 1000 for x in latencies]
    print(f"POST /api/chat, {len(ms)} messages, {concurrency} concurrent conversations, errors {errors}")
    print(f"  p50 {percentile(ms, 50):.0f} ms   p95 {percentile(ms, 95):.0f} ms   p99 {percentile(ms, 99):.0f} ms"
          f"   mean {statistics.mean(ms):.0f} ms")
    print(f"  throughput {len(ms) / wall:.1f} messages/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--url", help="an already running gateway instead of starting the stack")
    args = ap.parse_args()
    if args.url:
        run(args.url, args.messages, args.concurrency)
        return
    with tempfile.TemporaryDirectory() as tmp, Stack(database_url=f"sqlite:///{tmp}/bench.db") as stack:
        run(stack.url, args.messages, args.concurrency)


if __name__ == "__main__":
    main()
