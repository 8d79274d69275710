"""docker-compose.yml and the Dockerfiles, checked without a container engine.

`docker-compose config` (Debian's docker-compose package; `make compose-tool` installs it)
interpolates and validates the file the way `docker compose up` reads it. The checks are on
its output: only the gateway publishes a port, every service has a health check and a
restart policy, pulled images carry an exact version tag, the internal services sit on a
network with no route out, and each required secret stops compose, by name, when it is
missing. The Dockerfiles are read as text: pinned FROM lines, a non-root USER, no secret.
The images are never built here (there is no engine): the README says how to build them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILES = sorted((ROOT / "docker").glob("*.Dockerfile"))

# Secrets (and the deployment facts the gateway cannot run without) that compose must
# refuse to start without: settings.py refuses placeholders for these outside development.
REQUIRED = (
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "SECRET_KEY",
    "NLG_TOKEN",
    "RASA_CHANNEL_TOKEN",
    "RASA_API_TOKEN",
    "INTERNAL_API_TOKEN",
    "PHONE_ENCRYPTION_KEYS",
    "PHONE_HASH_KEY",
    "TWILIO_AUTH_TOKEN",
    "PUBLIC_BASE_URL",
)
PUBLIC = "gateway"
RESTART_POLICIES = {"always", "unless-stopped", "on-failure"}
# An exact release tag (name:MAJOR.MINOR.PATCH[-variant]), or a digest. PostgreSQL numbers
# its releases MAJOR.MINOR since version 10, so 15.19 is exact there; 7.4 or 3.10 float.
TAG = re.compile(r"^(?P<name>[a-z0-9][a-z0-9._/-]*):(?P<version>\d+(?:\.\d+)*)(?:-[a-z0-9][a-z0-9.-]*)?$")
RELEASE_PARTS = {"postgres": 2}


def pinned(image: str) -> bool:
    if re.match(r"^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$", image):
        return True
    tag = TAG.match(image)
    return bool(tag) and tag["version"].count(".") + 1 == RELEASE_PARTS.get(tag["name"], 3)


DOCKER_COMPOSE = shutil.which("docker-compose")
needs_compose = pytest.mark.skipif(
    DOCKER_COMPOSE is None,
    reason="docker-compose is not installed: `make compose-tool` installs Debian's package "
    "(it needs root and apt-get); nothing else here can validate docker-compose.yml",
)


def dummy_env(**overrides: str | None) -> dict[str, str]:
    """A clean environment: PATH, HOME and a dummy value for each required variable."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(ROOT)}
    env.update({name: f"dummy-{name.lower()}" for name in REQUIRED})
    env["PUBLIC_BASE_URL"] = "https://assistant.example.be"
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def compose_config(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # An empty env file, so a developer's .env at the root never fills in what the test leaves out.
    empty = tmp_path / "empty.env"
    empty.write_text("")
    return subprocess.run(
        [DOCKER_COMPOSE, "--env-file", str(empty), "-f", str(COMPOSE_FILE), "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict:
    result = compose_config(dummy_env(), tmp_path_factory.mktemp("compose"))
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@needs_compose
def test_the_file_is_valid_and_has_the_five_services(config: dict) -> None:
    assert set(config["services"]) == {"gateway", "rasa", "actions", "postgres", "redis"}


@needs_compose
def test_only_the_gateway_publishes_a_port_on_loopback_by_default(config: dict) -> None:
    published = {name for name, svc in config["services"].items() if svc.get("ports") or svc.get("expose")}
    assert published == {PUBLIC}
    ports = config["services"][PUBLIC]["ports"]
    assert len(ports) == 1
    port = ports[0] if isinstance(ports[0], str) else f"{ports[0].get('host_ip')}:{ports[0].get('published')}"
    assert port.startswith("127.0.0.1:"), port


@needs_compose
def test_internal_services_have_no_route_out(config: dict) -> None:
    networks = config["networks"]
    for name, svc in config["services"].items():
        attached = set(svc.get("networks") or {"default"})
        assert "default" not in attached, f"{name} is on the default network"
        outside = {n for n in attached if not networks.get(n, {}).get("internal")}
        if name == PUBLIC:
            assert "internal" in attached and outside, "the gateway bridges the internal network and the edge"
        else:
            assert not outside, f"{name} is on a network with a route out: {outside}"


@needs_compose
def test_every_service_has_a_health_check_and_a_restart_policy(config: dict) -> None:
    for name, svc in config["services"].items():
        check = svc.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert svc.get("restart") in RESTART_POLICIES, f"{name}: restart={svc.get('restart')!r}"


def test_the_pin_rule() -> None:
    for image in ("postgres:15.19-bookworm", "redis:7.4.11-bookworm", "python:3.10.21-slim-bookworm"):
        assert pinned(image), image
    for image in ("postgres:15-bookworm", "redis:7.4-bookworm", "redis:latest", "redis", "python:3.10-slim"):
        assert not pinned(image), image


@needs_compose
def test_images_are_pinned_or_built_from_the_repository(config: dict) -> None:
    for name, svc in config["services"].items():
        if "build" in svc:
            dockerfile = ROOT / svc["build"].get("dockerfile", "Dockerfile")
            assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"
            assert Path(svc["build"]["context"]).resolve() == ROOT
            assert ":latest" not in svc.get("image", ""), name
        else:
            image = svc["image"]
            assert pinned(image), f"{name}: {image} is not pinned to a release"


@needs_compose
def test_production_settings_and_named_volumes(config: dict) -> None:
    gateway = config["services"][PUBLIC]["environment"]
    assert gateway["ENVIRONMENT"] == "production"
    assert gateway["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert gateway["FORWARDED_ALLOW_IPS"] == "127.0.0.1"  # the safe default: no proxy trusted
    assert gateway["PUBLIC_BASE_URL"] == "https://assistant.example.be"
    # The data lives in named volumes, not in a container's layer or a host path.
    assert "postgres-data:/var/lib/postgresql/data" in " ".join(
        v if isinstance(v, str) else f"{v['source']}:{v['target']}" for v in config["services"]["postgres"]["volumes"]
    )
    assert {"postgres-data", "redis-data"} <= set(config["volumes"])
    for name in ("gateway", "rasa", "actions"):
        svc = config["services"][name]
        assert svc.get("cap_drop") == ["ALL"] and "no-new-privileges:true" in svc.get("security_opt", []), name


@needs_compose
@pytest.mark.parametrize("variable", REQUIRED)
def test_a_missing_secret_stops_compose_by_name(variable: str, tmp_path: Path) -> None:
    result = compose_config(dummy_env(**{variable: None}), tmp_path)
    assert result.returncode != 0, f"compose accepted a stack without {variable}"
    # docker-compose 1.x: '... in service "x": <message>'; Compose v2: '... is missing a value: <message>'.
    found = re.search(r'(?:in service "[^"]+": |is missing a value: )(.*)$', result.stderr.strip())
    assert found, result.stderr
    assert found.group(1).startswith(f"set {variable}"), found.group(1)


def test_required_secrets_use_the_mandatory_form() -> None:
    text = COMPOSE_FILE.read_text()
    for variable in REQUIRED:
        uses = re.findall(rf"\$\{{{variable}(:?[?:-]?)", text)
        assert uses, f"{variable} is not in docker-compose.yml"
        assert set(uses) == {":?"}, f"{variable} has a use without ${{{variable}:?...}}"
    # No secret written into the file itself: a secret's value is always a ${...}.
    for key, value in re.findall(r"^\s*(\w*(?:PASSWORD|TOKEN|SECRET|_KEYS?|_AUTH)):[ \t]*(.*)$", text, re.M):
        assert value.startswith("${"), f"{key} is given a value in docker-compose.yml"


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", path.read_text())
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_there_is_a_dockerfile_per_built_service() -> None:
    assert {p.name for p in DOCKERFILES} == {"gateway.Dockerfile", "rasa.Dockerfile", "actions.Dockerfile"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_is_pinned_runs_as_a_user_and_bakes_in_no_secret(dockerfile: Path) -> None:
    instructions = dockerfile_instructions(dockerfile)
    froms = [arg for op, arg in instructions if op == "FROM"]
    assert froms
    for arg in froms:
        image = next(word for word in arg.split() if not word.startswith("--"))
        assert pinned(image), f"FROM {image} is not pinned to a release"
    final_stage = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    users = [arg.split(":")[0].strip() for op, arg in final_stage if op == "USER"]
    assert users, "no USER: the service would run as root"
    assert users[-1] not in ("root", "0"), users[-1]
    for op, arg in instructions:
        if op in ("ENV", "ARG"):
            assert not re.search(r"(SECRET|TOKEN|PASSWORD|_KEY)\b", arg), f"{op} {arg}"
        if op == "COPY":
            assert ".env" not in arg.split(), arg


def test_the_build_context_leaves_out_secrets_environments_and_models() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv-*", ".git", "var", "models"} <= ignored


def test_gateway_migrates_before_serving_and_trusts_only_configured_proxies() -> None:
    script = (ROOT / "docker" / "gateway-entrypoint.sh").read_text()
    migrate, serve = script.index("alembic upgrade head"), script.index("exec uvicorn")
    assert migrate < serve
    assert '--forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"' in script
