"""Throughput of the real stack under many concurrent conversations of realistic traffic.

Each conversation is one client thread that sends its messages one after the other
(waiting for each answer, as a person does) through POST /api/chat:
- 7 in 10 ask questions in one of nine languages (fr nl en es de ru tr it ar): the
  language chosen first, then held-out questions from tests/nlu/<lang>.yml (hours,
  address, cost, voluntary return, legal advice, thanks...);
- 2 in 10 book an appointment by chat (service, a time, a first name, a phone number,
  the summary confirmed), then ask questions;
- 1 in 10 asks for a person (a handoff: the conversation waits for a counsellor, and
  the assistant keeps answering its questions), then asks questions.

Setups:
- embedded: what `make run` runs: SQLite, Rasa's trackers and locks in memory, one
  gateway, one Rasa, the action server;
- cluster: a fresh PostgreSQL database (dropped afterwards), Redis (REDIS_URL, a
  unique REDIS_PREFIX), two gateway processes and two Rasa processes (trackers in
  PostgreSQL, locks in Redis) and the action server; each conversation's messages
  alternate between the two gateways (as behind a load balancer without stickiness).

Printed: p50/p95/p99 of the time each message waits for its answer, messages/s (all
messages answered / wall time), errors (not a 200, a timeout, or no answer at all), the
CPU each part used per message (from /proc, the part's process tree), and the database's
count: inbound messages stored against messages sent, by status, and the replies stored
against the replies received (nothing lost, nothing answered twice). Timing is never
asserted: these are figures to read.

--pin rasa|gateway pins that part (taskset; --core, default 0) and the rest of the stack
and this client to the other cores: one replica's capacity on one core is the messages/s
answered divided by the share of its core it kept busy (printed).

Run: .venv-api/bin/python bench/load.py [--conversations 50] [--messages 16]
     [--setup embedded|cluster] [--pin rasa|gateway [--core 0]]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.stack import REDIS_URL as TEST_REDIS_URL  # noqa: E402
from tools.stack import Stack, clear_redis, fresh_postgres  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", TEST_REDIS_URL)
LANGS = ["fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar"]
SWITCH = {"fr": "en français", "nl": "in het Nederlands", "en": "English please", "es": "en español",
          "de": "auf Deutsch", "ru": "по-русски", "tr": "Türkçe lütfen", "it": "in italiano", "ar": "بالعربية"}
# The questions people ask: no goodbye (it may close a form), no out-of-scope, no handoff.
QUESTION_INTENTS = ["greet", "thank", "ask_capabilities", "ask_voluntary_return", "ask_reintegration",
                    "ask_eligibility", "ask_social_hours", "ask_legal_hours", "ask_contact", "ask_languages",
                    "ask_home_visit", "ask_order_to_leave", "ask_legal_advice", "ask_cost",
                    "ask_confidentiality"]
NAMES = ["Amina", "Bilal", "Chen", "Dana", "Emre", "Fatou", "Giorgi", "Hana", "Ivan", "Jana"]


def held_out(lang: str) -> dict[str, list[str]]:
    data = yaml.safe_load((ROOT / "tests" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))
    return {b["intent"]: [ln[2:].strip() for ln in b["examples"].splitlines() if ln.startswith("- ")]
            for b in data["nlu"]}


def script(n: int, length: int, examples: dict[str, dict[str, list[str]]]) -> tuple[str, list[str]]:
    """Conversation n's messages (its kind, its texts): deterministic for a given n."""
    rng = random.Random(n)
    lang = LANGS[n % len(LANGS)]
    ex = examples[lang]
    questions = [q for intent in QUESTION_INTENTS for q in ex.get(intent, [])]
    rng.shuffle(questions)
    texts = [SWITCH[lang]]
    kind = {7: "booking", 8: "booking", 9: "handoff"}.get(n % 10, "questions")
    if kind == "booking":
        # The service, the n-th offered time (conversations booking at once collide on a
        # few), a first name, a phone number, then "1" confirms the summary (its button).
        texts += [rng.choice(ex["book_appointment"]), str(1 + n % 2), str(1 + n % 3), NAMES[n % len(NAMES)],
                  f"0470 {n % 100:02d} {(n * 7) % 100:02d} {(n * 13) % 100:02d}", "1"]
    elif kind == "handoff":
        texts += [questions.pop(), rng.choice(ex["request_counsellor"])]
    while len(texts) < length:
        texts.append(questions[len(texts) % len(questions)])
    return kind, texts[:length]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


# ---- CPU per part, from /proc (clock ticks of a process and its descendants) ----

TICK = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return out


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / TICK


def parts(stack: Stack) -> dict[str, list[int]]:
    """Process trees of the stack by part: gateway, rasa (every replica), actions."""
    out: dict[str, list[int]] = {"gateway": [], "rasa": [], "actions": []}
    for p in stack.procs:
        args = " ".join(map(str, p.args))
        name = "rasa" if "launch.py" in args else "actions" if "rasa_sdk" in args else "gateway"
        out[name] += tree(p.pid)
    return out


def pin(stack: Stack, part: str, core: int) -> str:
    cores = sorted(os.sched_getaffinity(0))
    others = ",".join(str(c) for c in cores if c != core) or str(core)
    groups = parts(stack)
    for name, pids in groups.items():
        for pid in pids:
            subprocess.run(["taskset", "-a", "-pc", str(core) if name == part else others, str(pid)],
                           check=True, capture_output=True)
    os.sched_setaffinity(0, {int(c) for c in others.split(",")})
    rest = ", ".join(n for n in ("gateway", "rasa", "actions") if n != part)
    return f"{part} pinned to core {core}; {rest} and this client on core(s) {others}"


# ---- the run ----

def run(stack: Stack, conversations: int, length: int, run_id: str) -> dict:
    examples = {lang: held_out(lang) for lang in LANGS}
    plans = [script(n, length, examples) for n in range(conversations)]
    lock = threading.Lock()
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    replies = 0
    start = threading.Barrier(conversations + 1)

    def conversation(n: int, texts: list[str]) -> None:
        nonlocal replies
        token = None
        sender = f"load-{run_id}-{n}"
        with httpx.Client(timeout=60) as client:
            start.wait()
            for i, text in enumerate(texts):
                body = {"sender": sender, "text": text, "client_message_id": uuid.uuid4().hex}
                if token:
                    body["token"] = token
                t0 = time.perf_counter()
                try:
                    # Several gateways (cluster): each message to the next one, round robin.
                    r = client.post(f"{stack.urls[(n + i) % len(stack.urls)]}/api/chat", json=body)
                    status = str(r.status_code)
                except httpx.HTTPError as e:
                    r, status = None, type(e).__name__
                dt = time.perf_counter() - t0
                answer = r.json().get("messages", []) if r is not None and r.status_code == 200 else []
                if r is not None and r.status_code == 200:
                    token = r.json().get("token") or token
                with lock:
                    latencies.append(dt)
                    replies += len(answer)
                    if status != "200":
                        errors[status] += 1
                    elif not answer:
                        errors["200 without an answer"] += 1

    # Warm-up on other conversations: the first parses and actions of each language load lazily.
    with httpx.Client(base_url=stack.url, timeout=60) as c:
        for lang in LANGS:
            c.post("/api/chat", json={"sender": f"warmup-{run_id}-{lang}", "text": SWITCH[lang]})
    threads = [threading.Thread(target=conversation, args=(n, texts)) for n, (_, texts) in enumerate(plans)]
    for t in threads:
        t.start()
    groups = parts(stack)
    cpu0 = {name: cpu_seconds(pids) for name, pids in groups.items()}
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu = {name: cpu_seconds(pids) - cpu0[name] for name, pids in groups.items()}
    return {"plans": plans, "latencies": latencies, "errors": errors, "replies": replies, "wall": wall,
            "cpu": cpu}


def stored(database_url: str, run_id: str) -> tuple[Counter[str], int, Counter[str]]:
    """Inbound messages of this run by status, the replies stored, and the conversations'
    handoff states, read from the gateway's database."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT m.direction, m.status, count(*) FROM message m JOIN conversation c ON c.id = m.conversation_id "
            "WHERE c.key LIKE :k GROUP BY m.direction, m.status"), {"k": f"api:load-{run_id}-%"}).all()
        states = conn.execute(sa.text("SELECT handoff_state, count(*) FROM conversation WHERE key LIKE :k "
                                      "GROUP BY handoff_state"), {"k": f"api:load-{run_id}-%"}).all()
    engine.dispose()
    inbound = Counter({status: n for direction, status, n in rows if direction == "in"})
    outbound = sum(n for direction, _, n in rows if direction == "out")
    return inbound, outbound, Counter(dict(states))


def over_stored(database_url: str, run_id: str, plans: list[tuple[str, list[str]]]) -> int:
    """Conversations holding more inbound messages than were sent to them (a message stored twice)."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT c.key, count(*) FROM message m JOIN conversation c ON c.id = m.conversation_id "
            "WHERE c.key LIKE :k AND m.direction = 'in' GROUP BY c.key"), {"k": f"api:load-{run_id}-%"}).all()
    engine.dispose()
    return sum(n > len(plans[int(key.rsplit("-", 1)[1])][1]) for key, n in rows)


def report(setup: str, result: dict, database_url: str, run_id: str, note: str, pinned: str | None) -> None:
    ms = [x * 1000 for x in result["latencies"]]
    sent = len(ms)
    errors = sum(result["errors"].values())
    kinds = Counter(kind for kind, _ in result["plans"])
    conversations = len(result["plans"])
    print(f"setup {setup}: {note}")
    print(f"  {conversations} concurrent conversations ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}), "
          f"{sent} messages in {result['wall']:.1f} s")
    print(f"  p50 {percentile(ms, 50):.0f} ms   p95 {percentile(ms, 95):.0f} ms   p99 {percentile(ms, 99):.0f} ms"
          f"   mean {statistics.mean(ms):.0f} ms   max {max(ms):.0f} ms")
    print(f"  throughput {(sent - errors) / result['wall']:.1f} messages/s answered"
          f"   errors {errors}{' ' + dict(result['errors']).__repr__() if errors else ''}")
    cpu = result["cpu"]
    print("  CPU per message: " + "   ".join(
        f"{name} {cpu[name] / sent * 1000:.0f} ms" for name in ("gateway", "rasa", "actions")) +
        f"   (busy: {sum(cpu.values()) / result['wall']:.2f} of {os.cpu_count()} cores)")
    if pinned:
        busy = cpu[pinned] / result["wall"]
        print(f"  {pinned} on its one core: {busy:.0%} busy at {(sent - errors) / result['wall']:.1f} messages/s"
              f" -> one {pinned} replica on one core serves about {(sent - errors) / result['wall'] / busy:.0f}"
              f" messages/s (CPU-bound estimate)")
    inbound, outbound, states = stored(database_url, run_id)
    answered_ok = sent - errors
    duplicates = over_stored(database_url, run_id, result["plans"])
    print(f"  stored: {sum(inbound.values())} inbound messages for {sent} sent, by status {dict(inbound)}; "
          f"{answered_ok} answered over HTTP")
    print(f"  replies: {outbound} stored, {result['replies']} received; conversations by handoff state "
          f"{dict(states)}")
    lost = sent - sum(inbound.values())
    late = inbound.get("answered", 0) - answered_ok  # answered after the client had given up
    print(f"  nothing lost: {'yes' if lost == 0 and not inbound.get('received') else 'NO'} "
          f"({lost} sent but never stored, {inbound.get('received', 0)} stored and never answered, "
          f"{inbound.get('unanswered', 0)} left 'unanswered' for a retry or a counsellor)")
    # A message stored twice would be answered twice; one stored once has one status.
    print(f"  nothing answered twice: {'yes' if duplicates == 0 else 'NO'} "
          f"({duplicates} conversations with more inbound rows than messages sent; "
          f"{outbound - result['replies']} replies stored but not received, {late} messages answered "
          f"after the client's error)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conversations", type=int, default=50)
    ap.add_argument("--messages", type=int, default=16, help="messages per conversation")
    ap.add_argument("--setup", choices=["embedded", "cluster"], default="embedded")
    ap.add_argument("--pin", choices=["rasa", "gateway"], help="pin this part to one core, the rest elsewhere")
    ap.add_argument("--core", type=int, default=0, help="the core for --pin")
    args = ap.parse_args()
    run_id = uuid.uuid4().hex[:6]
    env = {"BOOKINGS_PER_CLIENT_PER_HOUR": "10000"}  # every conversation comes from 127.0.0.1
    with tempfile.TemporaryDirectory() as tmp, \
            (fresh_postgres("bench") if args.setup == "cluster" else _sqlite(tmp)) as database_url:
        if args.setup == "cluster":
            env |= {"REDIS_URL": REDIS_URL, "REDIS_PREFIX": f"bench{uuid.uuid4().hex[:8]}:"}
            stack = Stack(database_url=database_url, rasa_replicas=2, gateways=2, extra_env=env)
            note = "PostgreSQL + Redis, 2 gateway processes + 2 Rasa processes + the action server"
        else:
            stack = Stack(database_url=database_url, extra_env=env)
            note = "SQLite, Rasa in memory, 1 gateway + 1 Rasa + the action server (make run)"
        with stack:
            if args.pin:
                note += "; " + pin(stack, args.pin, args.core)
            result = run(stack, args.conversations, args.messages, run_id)
            report(args.setup, result, database_url, run_id, note, args.pin)
        if args.setup == "cluster":
            clear_redis(env["REDIS_PREFIX"], REDIS_URL)


@contextmanager
def _sqlite(tmp: str) -> Iterator[str]:
    yield f"sqlite:///{tmp}/load.db"



if __name__ == "__main__":
    main()
