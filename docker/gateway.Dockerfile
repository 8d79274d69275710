# The gateway (api/): FastAPI on uvicorn, Python 3.11 as in .venv-api.
# Build from the repository root: docker compose build gateway
# (or docker build -f docker/gateway.Dockerfile .). No secret is baked in: every one
# comes from the environment at run time (docker-compose.yml).
FROM python:3.11.16-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Runtime dependencies only: requirements.in names them and requirements.txt (the freeze
# the tests ran with) fixes every version, transitive ones included. The test tools of
# requirements-dev.in (pytest, playwright, schemathesis...) stay out of the image.
COPY api/requirements.in api/requirements.txt /tmp/requirements/
RUN pip install -r /tmp/requirements/requirements.in -c /tmp/requirements/requirements.txt \
    && rm -rf /tmp/requirements

# A system user with no home and no shell; the code stays root-owned, so the service
# cannot change it.
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin gateway

WORKDIR /app
COPY api/ api/
# config/service.yml: hours, address, languages (settings.service_config, REPO_ROOT-relative).
COPY config/ config/
# The language detector's lexicon reads the Rasa training data (api/app/language/detect.py
# reads data/nlu/<lang>/).
COPY data/nlu/ data/nlu/
COPY docker/gateway-entrypoint.sh docker/healthcheck.py docker/
RUN python -m compileall -q api/app api/migrations

ENV PYTHONPATH=/app/api \
    ENVIRONMENT=production
WORKDIR /app/api
USER gateway
EXPOSE 8000
# The entrypoint waits for the database, runs `alembic upgrade head`, then execs uvicorn.
ENTRYPOINT ["/bin/sh", "/app/docker/gateway-entrypoint.sh"]
