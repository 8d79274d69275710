#!/bin/sh
# The gateway's container start: wait for the database, bring its schema to the newest
# migration, then serve. Runs from /app/api (alembic.ini is there).
set -eu

# Compose's depends_on waits for PostgreSQL's health check on the first start, but not
# when the database restarts on its own or when the image runs under another
# orchestrator, so wait here too. The URL (it holds the password) is never printed.
python - <<'EOF'
import os, sys, time
from sqlalchemy import create_engine, text

url = os.environ.get("DATABASE_URL", "")
if not url.startswith("postgresql"):
    sys.exit(0)  # SQLite: nothing to wait for
deadline = time.monotonic() + float(os.environ.get("DB_WAIT_SECONDS", "60"))
engine = create_engine(url, pool_pre_ping=True)
while True:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        break
    except Exception as exc:
        if time.monotonic() > deadline:
            print(f"entrypoint: the database is not reachable ({type(exc).__name__})", file=sys.stderr)
            sys.exit(1)
        print("entrypoint: waiting for the database...", file=sys.stderr)
        time.sleep(2)
engine.dispose()
EOF

# One gateway process runs the migrations before it serves. (Several replicas starting
# at once would each run them: the scale-out work gives them a lock or a one-off job.)
alembic upgrade head

# Behind a reverse proxy that ends HTTPS, the client's address and scheme come from
# X-Forwarded-For / X-Forwarded-Proto, believed only from FORWARDED_ALLOW_IPS (the
# proxy's address or network). The default trusts only the container's own loopback,
# i.e. nobody: every request then counts against the connecting address.
exec uvicorn app.main:app --host 0.0.0.0 --port 8000 --no-access-log \
    --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
