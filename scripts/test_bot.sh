#!/usr/bin/env bash
# Bot suites: Rasa conversation tests (every topic, every language) and held-out NLU accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD:$PWD/api" RASA_TELEMETRY_ENABLED=false
mkdir -p var/results
(.venv-bot/bin/rasa test core --stories tests/stories --model models/hirondelle.tar.gz \
  --fail-on-prediction-errors --out var/results/core --no-plot >var/results/rasa-test-core.log 2>&1) \
  || { tail -40 var/results/rasa-test-core.log; cat var/results/core/failed_test_stories.yml 2>/dev/null | head -60; exit 1; }
echo "rasa test core: all conversation tests passed ($(grep -c '^- story' tests/stories/*.yml | awk -F: '{s+=$2} END {print s}') stories)"
.venv-bot/bin/python -m pytest tests/bot -q
