# Rasa 3.6: NLU and dialogue, internal only, with the model trained in the build.
# Build from the repository root: docker compose build rasa
# (or docker build -f docker/rasa.Dockerfile .).
#
# The model is trained here (`rasa train`, about two minutes) rather than mounted: an
# image is then one tested whole, its model made from the training data of the same
# commit, and a host needs no Rasa environment. Changing the data means rebuilding this
# image. No secret is baked in: the tokens come from the environment at run time.
FROM python:3.10.21-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false

# Rasa's line of bot/requirements.txt (rasa==3.6.21, the release without the HTTP API's
# RCE flaw), every dependency at the version .venv-bot was tested with
# (docker/bot-constraints.txt). The build tools' versions are the Makefile's.
COPY bot/requirements.txt docker/bot-constraints.txt /tmp/requirements/
RUN pip install pip==24.0 setuptools==69.5.1 wheel==0.43.0 \
    && grep -E '^rasa==' /tmp/requirements/requirements.txt > /tmp/requirements/rasa.txt \
    && pip install -r /tmp/requirements/rasa.txt -c /tmp/requirements/bot-constraints.txt \
    && rm -rf /tmp/requirements

# Rasa keeps a little state in its home (~/.config/rasa), so this user has one.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/rasa \
        --shell /usr/sbin/nologin rasa

WORKDIR /app
# Rasa's project files as every Rasa user lays them out (config.yml, domain.yml, data/,
# credentials.yml, endpoints.yml: ${VARS} read from the environment) and bot/ (the custom
# NLU components, the gateway channel, the bounded tracker stores, the launcher).
# .dockerignore leaves out models/ (the model is trained below) and .rasa/.
COPY config.yml domain.yml credentials.yml endpoints.yml ./
COPY data/ data/
COPY bot/ bot/
# The domain's responses are generated from the English catalogue, as `make train` does.
COPY api/app/i18n/catalogues/en.yml api/app/i18n/catalogues/en.yml
COPY docker/healthcheck.py docker/

ENV PYTHONPATH=/app
RUN python bot/scripts/gen_responses.py --check \
    && rasa train --domain domain.yml --data data --config config.yml --out models \
        --fixed-model-name hirondelle --quiet \
    && rm -rf .rasa /root/.config/rasa

USER rasa
EXPOSE 5005
# launch.py reads RASA_API_TOKEN from the environment and runs `rasa run --enable-api`
# in-process, so no token appears in the process list. 0.0.0.0 inside the container:
# the port is reachable only on the stack's internal network, never published.
CMD ["python", "bot/scripts/launch.py", "--model", "models/hirondelle.tar.gz", \
     "-i", "0.0.0.0", "-p", "5005", \
     "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"]
