"""Does a turn cost more as a conversation grows? One long conversation, alone, on the
real stack (gateway + Rasa + actions), timed turn by turn.

Two conversations of the same 200+ messages run side by side, a turn of each in turn:
- through the gateway (POST /api/chat, as every channel does): the turn a user waits for;
- straight into Rasa's private channel with the gateway's metadata: Rasa's part of the
  turn (its NLG callbacks to the gateway and its action calls included). The gateway's
  own part is the difference.

With --nlg-sizes, Rasa's NLG callbacks go through a byte-counting TCP relay in this
process (a third conversation), which prints the size of the body Rasa sends to the
gateway's /internal/nlg per turn. The relay adds a hop, so its run is never timed.

Run: .venv-api/bin/python bench/growth.py [--turns 210] [--repeat 3] [--nlg-sizes]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.stack import Stack, free_port  # noqa: E402

# One cycle of a realistic conversation in French: questions on every topic, a booking
# started and stopped, a check on an appointment given up, thanks. Nothing here is
# "not understood" twice in a row, long, or dangerous: a handoff to a counsellor would
# silence the assistant for the rest of the conversation.
CYCLE = [
    "bonjour",
    "quelles sont vos heures d'ouverture ?",
    "où se trouve votre bureau ?",
    "c'est gratuit ?",
    "je voudrais prendre un rendez-vous",
    "non",  # stops the booking form
    "c'est quoi le retour volontaire ?",
    "quand est la permanence juridique ?",
    "vous parlez arabe ?",
    "merci",
    "est-ce que c'est confidentiel ?",
    "qui peut bénéficier du retour volontaire ?",
    "je veux un rendez-vous",
    "social",
    "au revoir",  # stops the booking form at the time question
    "quel est votre numéro de téléphone ?",
    "vous faites des visites à domicile ?",
    "c'est quoi l'aide à la réintégration ?",
    "merci beaucoup",
    "ok",
]
MARKS = [*range(1, 11), 40, 100, 200]
WINDOW = 2  # each mark is the median of the turns mark-2 .. mark+2 (1-10 alone)


def messages(turns: int) -> list[str]:
    return [CYCLE[i % len(CYCLE)] for i in range(turns)]


def timed(stack: Stack, texts: list[str], sender: str) -> tuple[list[float], list[float]]:
    """Each message through the gateway, then the same message straight into Rasa (another
    conversation), turn by turn: both conversations are the same length at every turn."""
    gateway, rasa, token = [], [], None
    rasa_headers = {"Authorization": f"Bearer {stack.env['RASA_CHANNEL_TOKEN']}"}
    with httpx.Client(base_url=stack.url, timeout=60) as gw, \
            httpx.Client(base_url=stack.env["RASA_URL"], timeout=60, headers=rasa_headers) as rs:
        for text in texts:
            body = {"sender": sender, "text": text, **({"token": token} if token else {})}
            t0 = time.perf_counter()
            r = gw.post("/api/chat", json=body)
            gateway.append(time.perf_counter() - t0)
            r.raise_for_status()
            token = r.json().get("token") or token
            if not r.json().get("messages"):
                raise SystemExit(f"no answer to {text!r}: the assistant went silent (a handoff?)")
            body = {"sender": f"{sender}-rasa", "message": text, "metadata": {"language": "fr", "channel": "web"}}
            t0 = time.perf_counter()
            r = rs.post("/webhooks/gateway/webhook", json=body)
            rasa.append(time.perf_counter() - t0)
            r.raise_for_status()
    return gateway, rasa


class NlgRelay:
    """A TCP relay in front of the gateway that counts the bytes of each request to
    /internal/nlg (Rasa opens one connection per callback). Everything else passes."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port, self.port = upstream_port, free_port()
        self.sizes: list[int] = []
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        up = socket.create_connection(("127.0.0.1", self.upstream_port))
        counted = {"bytes": 0, "nlg": None}

        def pump(src: socket.socket, dst: socket.socket, count: bool) -> None:
            try:
                while data := src.recv(65536):
                    if count:
                        if counted["nlg"] is None:
                            counted["nlg"] = data.startswith(b"POST /internal/nlg")
                        counted["bytes"] += len(data)
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = threading.Thread(target=pump, args=(up, conn, False), daemon=True)
        back.start()
        pump(conn, up, True)
        back.join()
        conn.close()
        up.close()
        if counted["nlg"]:
            with self.lock:
                self.sizes.append(counted["bytes"])

    def take(self) -> list[int]:
        with self.lock:
            sizes, self.sizes = self.sizes, []
        return sizes


def at(values: list[float], mark: int) -> float:
    """The median of a small window around turn `mark` (1-based); turns 1-10 alone."""
    if mark <= 10:
        return values[mark - 1]
    lo, hi = max(0, mark - 1 - WINDOW), min(len(values), mark + WINDOW)
    return statistics.median(values[lo:hi])


def report(gateway: list[float], rasa: list[float], repeat: int) -> None:
    ms_g, ms_r = [x * 1000 for x in gateway], [x * 1000 for x in rasa]
    print(f"{len(ms_g)} turns of one conversation, alone; per turn the median of {repeat} such conversations "
          f"run one after the other, and from turn 40 the median of turns n-{WINDOW}..n+{WINDOW}")
    print(f"{'turn':>6} {'POST /api/chat':>15} {'Rasa alone':>11} {'gateway':>8}")
    for mark in [m for m in MARKS if m <= len(ms_g)]:
        g, r = at(ms_g, mark), at(ms_r, mark)
        print(f"{mark:>6} {g:>12.1f} ms {r:>8.1f} ms {g - r:>5.1f} ms")
    last = max(m for m in MARKS if m <= len(ms_g))
    # Turn 1 creates the conversation (and its token); the first turns' median is the
    # steadier base, and is printed too.
    base = statistics.median(ms_g[:10])
    n = len(CYCLE)
    if len(ms_g) >= 2 * n:
        # Like for like: the same messages, the first time and the last time round.
        k = len(ms_g) // n - 1
        first, latest = statistics.mean(ms_g[:n]), statistics.mean(ms_g[k * n:(k + 1) * n])
        print(f"mean of the {n} messages of the cycle: turns 1-{n} {first:.1f} ms, "
              f"turns {k * n + 1}-{(k + 1) * n} {latest:.1f} ms (x{latest / first:.2f})")
    print(f"ratio turn {last} / turn 1: {at(ms_g, last) / ms_g[0]:.2f}   "
          f"turn {last} / median of turns 1-10: {at(ms_g, last) / base:.2f}   "
          f"(Rasa alone: {at(ms_r, last) / ms_r[0]:.2f} and {at(ms_r, last) / statistics.median(ms_r[:10]):.2f})")


def nlg_sizes(stack: Stack, relay: NlgRelay, texts: list[str]) -> None:
    headers = {"Authorization": f"Bearer {stack.env['RASA_CHANNEL_TOKEN']}"}
    per_turn: list[int] = []
    with httpx.Client(base_url=stack.env["RASA_URL"], timeout=60, headers=headers) as client:
        for text in texts:
            body = {"sender": "growth-nlg", "message": text, "metadata": {"language": "fr", "channel": "web"}}
            client.post("/webhooks/gateway/webhook", json=body).raise_for_status()
            time.sleep(0.05)  # the relay's threads finish counting
            sizes = relay.take()
            per_turn.append(max(sizes) if sizes else 0)
    print("NLG callback body (largest of the turn's callbacks):")
    for mark in [m for m in (1, 10, 40, 100, 200) if m <= len(per_turn)]:
        print(f"  turn {mark:>3}: {per_turn[mark - 1] / 1024:.1f} KB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=210)
    ap.add_argument("--repeat", type=int, default=3, help="conversations timed one after the other")
    ap.add_argument("--nlg-sizes", action="store_true", help="also measure the NLG callback bodies (relayed)")
    args = ap.parse_args()
    texts = messages(args.turns)
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(database_url=f"sqlite:///{tmp}/growth.db")
        relay = None
        if args.nlg_sizes:
            relay = NlgRelay(stack.port)
            # Rasa's NLG endpoint (and the actions) reach the gateway through the relay.
            stack.env["GATEWAY_URL"] = f"http://127.0.0.1:{relay.port}"
        with stack:
            # Warm-up on other conversations: the first parses and actions load lazily.
            timed(stack, CYCLE, "growth-warmup")
            if relay is not None:
                relay.take()
                nlg_sizes(stack, relay, texts)
                return
            runs = [timed(stack, texts, f"growth-{n}") for n in range(args.repeat)]
            # Per turn, the median over the repeats (one at a time, never concurrent).
            report([statistics.median(r[0][i] for r in runs) for i in range(len(texts))],
                   [statistics.median(r[1][i] for r in runs) for i in range(len(texts))], args.repeat)


if __name__ == "__main__":
    main()
