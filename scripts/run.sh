#!/usr/bin/env bash
# Starts the action server, Rasa and the gateway on localhost; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# Everything this run creates (the SQLite database, the logs) is readable by this user only.
umask 077

export PYTHONPATH="$ROOT:$ROOT/api"
export RASA_TELEMETRY_ENABLED=false
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
RASA_PORT=${RASA_PORT:-5005}
ACTION_PORT=${ACTION_PORT:-5055}
# Shared secrets between the three processes: random for this run unless given.
rand() { "$ROOT/.venv-api/bin/python" -c 'import secrets; print(secrets.token_hex(32))'; }
export RASA_CHANNEL_TOKEN=${RASA_CHANNEL_TOKEN:-$(rand)}
export RASA_API_TOKEN=${RASA_API_TOKEN:-$(rand)}
export NLG_TOKEN=${NLG_TOKEN:-$(rand)}
export INTERNAL_API_TOKEN=${INTERNAL_API_TOKEN:-$(rand)}
# SECRET_KEY signs the widget's and API clients' tokens and, in development, derives the
# phone-number keys: kept across runs (var/secret-key, 0600) so that a restart loses
# neither the conversations nor the numbers stored before it.
mkdir -p var
if [ -z "${SECRET_KEY:-}" ]; then
    [ -s var/secret-key ] || rand > var/secret-key
    chmod 600 var/secret-key
    SECRET_KEY=$(cat var/secret-key)
fi
export SECRET_KEY
export GATEWAY_URL="http://127.0.0.1:$PORT"
export ACTION_SERVER_URL="http://127.0.0.1:$ACTION_PORT"
export RASA_URL="http://127.0.0.1:$RASA_PORT"
export SANIC_HOST=127.0.0.1   # the action server is internal
mkdir -p var/log
# Logs made by an earlier run (before the umask) are tightened too.
touch var/log/actions.log var/log/rasa.log var/log/gateway.log
chmod 600 var/log/*.log

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

(cd api && ../.venv-api/bin/alembic upgrade head && ../.venv-api/bin/python -m app.console.accounts.cli dev-admin)

.venv-bot/bin/python -m rasa_sdk --actions actions --port "$ACTION_PORT" \
  >var/log/actions.log 2>&1 & pids+=($!)
# Secrets stay in the environment, never on a command line: the launcher gives Rasa its
# API token (RASA_API_TOKEN, distinct from the channel's) in-process.
.venv-bot/bin/python bot/scripts/launch.py --model models/hirondelle.tar.gz -i 127.0.0.1 \
  -p "$RASA_PORT" --credentials credentials.yml --endpoints endpoints.yml \
  >var/log/rasa.log 2>&1 & pids+=($!)
(cd api && exec ../.venv-api/bin/uvicorn app.main:app --host "$HOST" --port "$PORT" --no-access-log) \
  >var/log/gateway.log 2>&1 & pids+=($!)

echo "Starting (Rasa needs about a minute to load its model; logs in var/log/)..."
for _ in $(seq 1 300); do
  if curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then
    echo "Ready: http://localhost:$PORT  (chat: POST http://localhost:$PORT/api/chat)"
    break
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "A process stopped; see var/log/"; tail -20 var/log/*.log; exit 1; }
  done
  sleep 1
done
wait -n "${pids[@]}"
