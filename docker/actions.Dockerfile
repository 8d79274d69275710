# The action server (actions/, rasa-sdk): internal only; it reaches the gateway's HTTP
# API, never the database. Build from the repository root: docker compose build actions
# (or docker build -f docker/actions.Dockerfile .). No secret is baked in.
FROM python:3.10.21-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what the actions import (rasa-sdk and httpx, their lines of bot/requirements.txt),
# not Rasa itself; every dependency at the version .venv-bot was tested with.
COPY bot/requirements.txt docker/bot-constraints.txt /tmp/requirements/
RUN pip install pip==24.0 setuptools==69.5.1 wheel==0.43.0 \
    && grep -E '^(rasa-sdk|httpx)==' /tmp/requirements/requirements.txt > /tmp/requirements/actions.txt \
    && pip install -r /tmp/requirements/actions.txt -c /tmp/requirements/bot-constraints.txt \
    && rm -rf /tmp/requirements

RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin actions

WORKDIR /app
COPY actions/ actions/
COPY docker/healthcheck.py /app/docker/
RUN python -m compileall -q actions

ENV PYTHONPATH=/app
USER actions
EXPOSE 5055
# rasa-sdk listens on SANIC_HOST (0.0.0.0 by default): reachable on the internal network only.
CMD ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"]
