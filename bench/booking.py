"""Booking throughput and latency of POST /api/appointments with concurrent clients,
against the real gateway (uvicorn, no Rasa needed) on SQLite, then on PostgreSQL
(a fresh database, dropped afterwards).

Most requests ask for different slots; a share asks for a few "hot" slots, and once
every slot has been asked for the requests come round again, so there are collisions
(409) as in real use. After each run the database is checked for double bookings.

Run: .venv-api/bin/python bench/booking.py [--requests 400] [--concurrency 20]
     [--hot 0.2] [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
     [--skip-postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.stack import Stack, fresh_postgres

DEFAULT_POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NAMES = ["Amina", "Bilal", "Chen", "Dana", "Emre", "Fatou", "Giorgi", "Hana", "Ivan", "Jana"]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def plan(url: str, total: int, hot_share: float, seed: int = 7) -> list[dict[str, str]]:
    """The request bodies: distinct slots first, a share on a few hot slots."""
    rng = random.Random(seed)
    slots = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for service in ("social", "legal"):
            slots += [(service, s["start"]) for s in client.get("/api/slots", params={"service": service}).json()["slots"]]
    rng.shuffle(slots)
    hot = slots[:3]
    bodies = []
    for i in range(total):
        service, start = rng.choice(hot) if rng.random() < hot_share else slots[i % len(slots)]
        bodies.append({"service": service, "start": start, "first_name": NAMES[i % len(NAMES)],
                       "contact_phone": f"+32470{i:06d}", "language": "fr"})
    return bodies


def fire(url: str, bodies: list[dict[str, str]], concurrency: int) -> tuple[float, list[tuple[float, int]]]:
    results: list[tuple[float, int]] = []
    lock = threading.Lock()
    work = iter(bodies)
    clients = [httpx.Client(base_url=url, timeout=60) for _ in range(concurrency)]
    for c in clients:  # connect before the clock starts
        c.get("/api/slots", params={"service": "legal", "from": "2000-01-01", "to": "2000-01-01"})
    start_gate = threading.Barrier(concurrency + 1)

    def worker(client: httpx.Client) -> None:
        start_gate.wait()
        while True:
            with lock:
                body = next(work, None)
            if body is None:
                return
            t0 = time.perf_counter()
            status = client.post("/api/appointments", json=body).status_code
            dt = time.perf_counter() - t0
            with lock:
                results.append((dt, status))

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for c in clients:
        c.close()
    return wall, results


def double_bookings(database_url: str, capacity: int) -> int:
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        over = conn.execute(sa.text(
            "SELECT count(*) FROM (SELECT service, starts_at FROM appointment WHERE status = 'booked' "
            "GROUP BY service, starts_at HAVING count(*) > :cap) AS x"), {"cap": capacity}).scalar_one()
    engine.dispose()
    return over


def report(label: str, wall: float, results: list[tuple[float, int]]) -> None:
    statuses = Counter(status for _, status in results)
    ms = [dt * 1000 for dt, _ in results]
    booked = [dt * 1000 for dt, s in results if s == 201]
    taken = [dt * 1000 for dt, s in results if s == 409]
    print(f"{label}: {len(results)} POST /api/appointments, statuses {dict(sorted(statuses.items()))}")
    print(f"  bookings/s {statuses[201] / wall:.1f}   requests/s {len(results) / wall:.1f}   wall {wall:.2f} s")
    print(f"  latency all   p50 {percentile(ms, 50):.0f} ms  p95 {percentile(ms, 95):.0f} ms"
          f"  p99 {percentile(ms, 99):.0f} ms  mean {statistics.mean(ms):.0f} ms")
    if booked:
        print(f"  latency 201   p50 {percentile(booked, 50):.0f} ms  p95 {percentile(booked, 95):.0f} ms")
    if taken:
        print(f"  latency 409   p50 {percentile(taken, 50):.0f} ms  p95 {percentile(taken, 95):.0f} ms")


def run(label: str, database_url: str, args: argparse.Namespace) -> None:
    # The bench measures the booking path: its clients all come from localhost, which the
    # hourly limit per client address (issue 10) would otherwise stop after a few bookings.
    env = {"SCHEDULER_ENABLED": "false", "BOOKINGS_PER_CLIENT_PER_HOUR": str(args.requests * 2)}
    if args.capacity:
        env["COUNSELLORS_PER_SLOT"] = str(args.capacity)
    with Stack(database_url=database_url, with_bot=False, extra_env=env) as stack:
        bodies = plan(stack.url, args.requests, args.hot)
        wall, results = fire(stack.url, bodies, args.concurrency)
    report(label, wall, results)
    over = double_bookings(database_url, args.capacity or 1)
    print(f"  double-booked slots: {over}")
    if over:
        raise SystemExit(f"{label}: double booking found")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--hot", type=float, default=0.2, help="share of requests for a few hot slots")
    ap.add_argument("--capacity", type=int, default=0, help="COUNSELLORS_PER_SLOT (default: the config's)")
    ap.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="an admin URL; a fresh database is made")
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    print(f"{args.requests} bookings, {args.concurrency} concurrent clients, {args.hot:.0%} on hot slots")
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.db", args)
    if not args.skip_postgres:
        with fresh_postgres("bench", args.postgres_url) as url:
            run("PostgreSQL", url, args)


if __name__ == "__main__":
    main()
