"""Start Rasa's server (`rasa run`) with its HTTP API token read from the environment.

`rasa run --auth-token <token>` puts the token in the process list (/proc/<pid>/cmdline is
readable by every local user), and Rasa 3.6 reads the token only from that option. So this
launcher takes the token from RASA_API_TOKEN and calls Rasa's own command-line entry point
in this process with the argument list: the process list shows only
`python bot/scripts/launch.py --model ...`. Rasa 3.6 does not re-exec itself: `rasa run`
serves with one Sanic worker in this process (`SANIC_WORKERS` unset, no debug reloader).

Rasa's HTTP API (`--enable-api`) is on because the gateway needs it, and only for that
(api/app/conversations/rasa.py: /status for the health check, tracker events to drop a form
or mark an offer, and erasure, which empties a tracker). Its token is RASA_API_TOKEN, never
the channel's RASA_CHANNEL_TOKEN: the channel token only lets a message in through
bot/channels/gateway.py, it never reads a tracker.

Usage (from bot/): python scripts/launch.py --model models/hirondelle.tar.gz -i 127.0.0.1 -p 5005
  --credentials credentials.yml --endpoints endpoints.yml   (any `rasa run` option but the token)
"""

from __future__ import annotations

import os
import sys


def rasa_argv(args: list[str], token: str) -> list[str]:
    if any(a == "--auth-token" or a.startswith("--auth-token=") for a in args):
        raise SystemExit("launch.py: the token comes from RASA_API_TOKEN, never from the command line")
    if not token:
        raise SystemExit("launch.py: RASA_API_TOKEN must be set (Rasa's HTTP API is never left open)")
    if token == os.environ.get("RASA_CHANNEL_TOKEN"):
        raise SystemExit("launch.py: RASA_API_TOKEN must differ from RASA_CHANNEL_TOKEN")
    # `--auth-token=<t>` in one item: a token starting with "-" cannot be taken for an option.
    return ["rasa", "run", *args, "--enable-api", f"--auth-token={token}"]


def main() -> None:
    sys.argv = rasa_argv(sys.argv[1:], os.environ.get("RASA_API_TOKEN", ""))
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
