"""The running stack keeps its secrets and its users' data to itself (issue 10):

- no secret in any process's command line (/proc/<pid>/cmdline is readable by every local
  user); Rasa gets its API token through bot/scripts/launch.py;
- Rasa's HTTP API opens only with its own token, never with the channel's;
- the database (with -wal and -shm) and the logs are created 0600;
- after a booking in conversation, the three processes' logs hold no reference, conversation
  id, phone number or message text.
"""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.chat_client import send  # noqa: E402
from tools.stack import MODEL, Stack  # noqa: E402

SECRETS = ("RASA_CHANNEL_TOKEN", "RASA_API_TOKEN", "NLG_TOKEN", "INTERNAL_API_TOKEN", "SECRET_KEY",
           "TWILIO_AUTH_TOKEN")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    assert MODEL.exists(), "train the model first: make train"
    tmp = tmp_path_factory.mktemp("privacy")
    s = Stack(database_url=f"sqlite:///{tmp / 'gateway.db'}",
              extra_env={"TWILIO_AUTH_TOKEN": "privacy-twilio-auth-token-4f1d"})
    s.log_dir = tmp / "logs"
    s.db_path = tmp / "gateway.db"
    with s:
        yield s


def _command_lines() -> dict[int, str]:
    lines = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                lines[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:  # gone meanwhile
                pass
    return lines


def test_no_secret_in_any_command_line(stack: Stack) -> None:
    lines = _command_lines()
    ours = {p.pid for p in stack.procs}
    assert ours <= set(lines), "the stack's processes are listed"
    assert any("scripts/launch.py" in lines[p] for p in ours), [lines[p] for p in ours]
    for name in SECRETS:
        value = stack.env[name]
        assert len(value) >= 16
        leaks = [pid for pid, line in lines.items() if value in line]
        assert not leaks, f"{name} is in the command line of {[lines[p][:120] for p in leaks]}"


def test_rasas_api_opens_with_its_own_token_only(stack: Stack) -> None:
    rasa = f"http://127.0.0.1:{stack.rasa_port}"
    assert stack.env["RASA_API_TOKEN"] != stack.env["RASA_CHANNEL_TOKEN"]
    assert httpx.get(f"{rasa}/status", params={"token": stack.env["RASA_API_TOKEN"]}).status_code == 200
    for token in (stack.env["RASA_CHANNEL_TOKEN"], "", "wrong"):
        for path in ("/status", "/conversations/someone/tracker"):
            r = httpx.get(f"{rasa}{path}", params={"token": token} if token else None)
            assert r.status_code == 401, (path, r.status_code)
    # And the other way round: the API token does not let a message in through the channel.
    r = httpx.post(f"{rasa}/webhooks/gateway/webhook", json={"sender": "x", "message": "hello"},
                   headers={"Authorization": f"Bearer {stack.env['RASA_API_TOKEN']}"})
    assert r.status_code == 401
    # The gateway uses the API (health reads /status with it).
    assert httpx.get(f"{stack.url}/health").json()["rasa"] == "ok"


def test_database_and_logs_are_readable_by_their_owner_only(stack: Stack) -> None:
    # While the stack runs (SQLite removes -wal and -shm when the last connection closes).
    files = [stack.db_path, Path(f"{stack.db_path}-wal"), Path(f"{stack.db_path}-shm"),
             *stack.log_dir.glob(f"*-{stack.port}.log")]
    assert len(files) == 6
    for f in files:
        assert f.exists(), f
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, (f, oct(f.stat().st_mode))


def test_a_booking_leaves_no_reference_id_phone_or_text_in_any_log(stack: Stack) -> None:
    s = "privacy-logs"
    texts = ["je voudrais prendre un rendez-vous", "2", "1", "Zenobia", "0470 98 76 54", "oui"]
    replies = [send(stack, s, t) for t in texts]
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    done = replies[-1].json()["messages"][-1]["text"]
    ref = re.search(r"\b([A-HJ-KM-NP-Z2-9]{6})\b", done)
    assert ref, done
    # The action server looked the booking up by reference and by conversation (httpx URLs).
    r = httpx.get(f"{stack.url}/api/appointments/{ref.group(1)}", headers={"X-Phone-Last4": "7654"})
    assert r.status_code == 200
    stack.stop()  # flush and close every log
    logs = {p.name: p.read_text(errors="replace") for p in stack.log_dir.glob(f"*-{stack.port}.log")}
    assert {n.split("-")[0] for n in logs} == {"actions", "rasa", "gateway"}
    assert "Action endpoint is up" in logs[f"actions-{stack.port}.log"]
    for name, text in logs.items():
        for secret in (ref.group(1), "+32470987654", "0470 98 76 54", "470987654", "Zenobia",
                       "prendre un rendez-vous", "privacy-logs"):
            assert secret not in text, (name, secret)
        assert not UUID.search(text), (name, UUID.search(text).group(0))


def test_the_launcher_refuses_a_token_on_the_command_line_or_the_channels_token(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT / "bot" / "scripts"))
    from launch import rasa_argv

    monkeypatch.setenv("RASA_CHANNEL_TOKEN", "channel-token")
    assert rasa_argv(["-p", "5005"], "api-token") == ["rasa", "run", "-p", "5005", "--enable-api",
                                                      "--auth-token=api-token"]
    for args, token in ((["--auth-token", "x"], "api-token"), (["--auth-token=x"], "api-token"),
                        ([], ""), ([], "channel-token")):
        with pytest.raises(SystemExit):
            rasa_argv(args, token)
