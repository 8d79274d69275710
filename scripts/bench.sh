#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD:$PWD/api" RASA_TELEMETRY_ENABLED=false
echo "== NLU intent accuracy (held-out) =="; .venv-bot/bin/python bench/nlu.py
echo "== Danger screen: recall (dev and sealed sets), false alarms =="; .venv-api/bin/python bench/safety.py
echo "== Danger lists: common words that set off the screen alone =="; .venv-api/bin/python bench/typo_audit.py --top 3000
echo "== Language detection (held-out) =="; .venv-api/bin/python bench/langdetect.py
echo "== Time expressions: hand-written parser vs dateparser (held-out) =="; .venv-api/bin/python bench/dates.py
echo "== /api/chat latency =="; .venv-api/bin/python bench/latency.py
echo "== One long conversation: cost per turn =="; .venv-api/bin/python bench/growth.py
echo "== Load: 20 and 50 concurrent conversations, embedded; 50 on PostgreSQL + Redis, 2 gateways + 2 Rasa =="; for a in "embedded 20" "embedded 50" "cluster 50"; do set -- $a; .venv-api/bin/python bench/load.py --setup "$1" --conversations "$2"; done
if [ -f bench/booking.py ]; then echo "== Booking =="; .venv-api/bin/python bench/booking.py; fi
