"""Container health checks for docker-compose.yml: python healthcheck.py gateway|rasa|actions.

Standard library only (the slim images have no curl). Rasa's token is read from the
environment, never given on a command line. Exit 0 when healthy, 1 otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # fixed local URLs only
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def gateway() -> bool:
    # /health answers 503 when Rasa is down or still loading; Rasa has its own check, and
    # the gateway still stores messages (and answers them when Rasa is back) meanwhile.
    # So the gateway is healthy when it answers and its database does.
    _, body = get("http://127.0.0.1:8000/health")
    data = json.loads(body or b"{}")
    return data.get("gateway") == "ok" and data.get("database") == "ok"


def rasa() -> bool:
    # /status needs the API token and answers only once a model is loaded.
    query = urllib.parse.urlencode({"token": os.environ.get("RASA_API_TOKEN", "")})
    status, body = get(f"http://127.0.0.1:5005/status?{query}")
    return status == 200 and bool(json.loads(body or b"{}").get("model_file"))


def actions() -> bool:
    status, _ = get("http://127.0.0.1:5055/health")
    return status == 200


CHECKS = {"gateway": gateway, "rasa": rasa, "actions": actions}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        sys.exit(f"usage: healthcheck.py {'|'.join(CHECKS)}")
    try:
        healthy = CHECKS[sys.argv[1]]()
    except Exception as exc:  # refused, timed out, not JSON: unhealthy
        print(type(exc).__name__, file=sys.stderr)
        healthy = False
    sys.exit(0 if healthy else 1)
