"""Gateway settings, read from the environment (prefix-free names, as in the README)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[3]
PLACEHOLDER = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: str = "development"  # development | test | production
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'gateway.db'}"
    service_config: Path = REPO_ROOT / "config" / "service.yml"

    # One Rasa server, or several replicas comma-separated ("http://rasa-1:5005,http://rasa-2:5005"):
    # messages go round-robin (app/conversations/rasa.py); replicas share their trackers only
    # through a SQL tracker store (below), never in memory.
    rasa_url: str = "http://127.0.0.1:5005"
    # Rasa's tracker database (bot/scripts/launch.py applies the same rule): this URL when
    # set; else, with a PostgreSQL DATABASE_URL, the database RASA_TRACKER_DB (default
    # "<DATABASE_URL's database>_rasa") on the same server; else Rasa keeps its trackers in
    # memory. Erasure deletes a conversation's rows there itself (Rasa's store never deletes).
    rasa_tracker_db_url: SecretStr = SecretStr("")
    rasa_tracker_db: str = ""
    # Shared secrets between the gateway and the bot (channel webhook and NLG callback).
    rasa_channel_token: SecretStr = SecretStr(PLACEHOLDER)
    # Rasa's HTTP API (health, tracker events, erasure): its own token, so the channel's
    # token lets a message in and never reads a tracker (bot/scripts/launch.py).
    rasa_api_token: SecretStr = SecretStr(PLACEHOLDER)
    nlg_token: SecretStr = SecretStr(PLACEHOLDER)
    rasa_timeout_seconds: float = 10.0

    # Signs web-chat conversation tokens (the widget) and internal API calls.
    secret_key: SecretStr = SecretStr(PLACEHOLDER)
    internal_api_token: SecretStr = SecretStr(PLACEHOLDER)

    max_message_chars: int = 2000

    # Website chat widget (api/app/channels/web). Origins allowed to call the widget's
    # endpoints from the browser: "*" lets any site embed it (its tokens travel in the
    # request, never in cookies); a JSON list restricts it, e.g. ["https://example.be"].
    widget_allowed_origins: list[str] = Field(default_factory=lambda: ["*"])
    # A widget token older than this is refused (the browser then starts a new
    # conversation); every message sent refreshes it.
    widget_token_max_age_days: int = 180
    # Server-sent events: how often a stream looks for new messages, how often it
    # sends a keep-alive comment, and how long one stream lasts before the browser
    # reconnects on its own (with Last-Event-ID, so nothing is lost).
    widget_poll_seconds: float = 1.0
    widget_heartbeat_seconds: float = 15.0
    widget_stream_seconds: float = 300.0
    retention_days: int = 180

    # Several gateway processes (app/core/redis_client.py): with REDIS_URL set, the
    # per-conversation queue, the rate limits, the event-stream caps and the pushes to
    # open streams are shared through Redis; empty keeps them in this process's memory
    # (one process: `make run`, the tests). Keys start with REDIS_PREFIX.
    redis_url: SecretStr = SecretStr("")
    redis_prefix: str = "hirondelle:"
    # A message waiting in its conversation's line holds a lease, renewed by its process;
    # a process that dies stops renewing and its messages leave the line this long after.
    queue_lease_seconds: float = Field(default=30.0, ge=2, le=600)
    # With pushes through Redis, an open stream still reads the database this often, in
    # case a notification was lost (Redis restarting): a safety net, not the way messages come.
    push_fallback_seconds: float = Field(default=10.0, gt=0, le=300)

    # Twilio (issue 4)
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: SecretStr = SecretStr(PLACEHOLDER)
    twilio_sms_number: str = ""
    twilio_whatsapp_number: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    public_base_url: str = "http://localhost:8000"
    twilio_reply_timeout_seconds: float = 5.0
    whatsapp_template_sids: dict[str, str] = Field(default_factory=dict)
    # Outbox (api/app/channels/outbox.py): how often the sender looks for due messages
    # (it is also woken at once when a late answer is queued), how many times one
    # message is tried (429, network failure before sending, undelivered), and the
    # exponential backoff between tries.
    outbox_poll_seconds: float = 2.0
    twilio_send_max_attempts: int = 5
    twilio_retry_base_seconds: float = 30.0
    twilio_retry_max_seconds: float = 3600.0
    twilio_http_timeout_seconds: float = 15.0
    # A long SMS is sent as several messages of at most this many segments each
    # (a segment: 153 GSM-7 or 67 UCS-2 characters once concatenated).
    sms_max_segments: int = 3

    scheduler_enabled: bool = True
    scheduler_interval_seconds: float = 30.0

    # Appointments (api/app/appointments). The booking rules live in config/service.yml;
    # these override two of them per deployment (e.g. a second counsellor joins).
    slot_minutes: int | None = Field(default=None, ge=5, le=240)
    counsellors_per_slot: int | None = Field(default=None, ge=1, le=20)
    # Booking limits, whatever the door (public API, widget, chat): a person (phone number
    # or conversation) holds at most this many upcoming appointments; bookings per client
    # address and per conversation per hour. A person booking normally never meets them.
    # Messages left unanswered while Rasa was down are answered when it is back, if they
    # are not older than this (conversations.catch_up); older ones are left to counsellors.
    unanswered_max_age_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    catch_up_interval_seconds: float = Field(default=15.0, gt=0, le=3600)
    # A message still 'received' this long after it was stored, and in no line, was being
    # answered when something failed: the catch-up answers it.
    stale_received_seconds: float = Field(default=180.0, gt=0, le=86400)
    # Worker threads for the gateway's synchronous endpoints (see main.lifespan).
    worker_threads: int = Field(default=200, ge=8, le=2000)
    max_upcoming_appointments: int = Field(default=2, ge=1, le=50)
    bookings_per_client_per_hour: int = Field(default=6, ge=1, le=10_000)
    bookings_per_conversation_per_hour: int = Field(default=3, ge=1, le=1000)

    # Counsellor console (api/app/console): server-side sessions in an HttpOnly cookie
    # (Secure outside development), closed after this long without a request.
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Failed logins: no delay for the first few, then a delay that doubles with each
    # failure up to a cap, per account and per client address. The per-account cap is
    # short on purpose: a stranger who types a counsellor's name can slow them down,
    # never lock them out during an emergency. An admin can reset both.
    login_free_failures: int = 3
    login_max_delay_account_seconds: float = 30.0
    login_max_delay_ip_seconds: float = 300.0
    # On top, per client address: this many failures within the window, then nothing
    # until the window has passed since the last one (429 with Retry-After). A success
    # clears the account's counter, never the address's.
    login_ip_failures_per_window: int = Field(default=5, ge=1)
    login_failure_window_minutes: float = Field(default=15.0, gt=0)
    # Outside development, admins must use a second factor (TOTP).
    require_admin_totp: bool | None = None

    # Handoff (api/app/handoff). Outside the permanences an urgent case alerts this
    # number by SMS (E.164, empty = nobody on call); an urgent case still waiting after
    # the re-alert delay alerts again. A taken conversation whose counsellor has been
    # idle this long goes back to the queue.
    on_call_number: str = ""
    urgent_realert_minutes: float = Field(default=10.0, gt=0)
    handoff_counsellor_idle_minutes: float = Field(default=20.0, gt=0)
    handoff_interval_seconds: float = 30.0

    # Phone numbers at rest (app/core/crypto.py): Fernet keys, comma-separated, newest
    # first (rotation: README, "Phone numbers at rest"), and the HMAC key of the lookups.
    # Derived from SECRET_KEY in development and test when unset; required elsewhere.
    phone_encryption_keys: SecretStr | None = None
    phone_hash_key: SecretStr | None = None

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> "Settings":
        if self.environment not in ("development", "test"):
            for name in ("rasa_channel_token", "rasa_api_token", "nlg_token", "secret_key",
                         "internal_api_token", "twilio_auth_token"):
                if getattr(self, name).get_secret_value() in ("", PLACEHOLDER):
                    raise ValueError(f"{name.upper()} must be set outside development")
            if self.rasa_api_token.get_secret_value() == self.rasa_channel_token.get_secret_value():
                raise ValueError("RASA_API_TOKEN must differ from RASA_CHANNEL_TOKEN")
        return self

    @model_validator(mode="after")
    def _phone_keys(self) -> "Settings":
        if self.environment not in ("development", "test"):
            for name in ("phone_encryption_keys", "phone_hash_key"):
                value = getattr(self, name)
                if value is None or value.get_secret_value().strip() in ("", PLACEHOLDER):
                    raise ValueError(f"{name.upper()} must be set outside development "
                                     "(README, 'Phone numbers at rest')")
        from app.core import crypto  # the key formats are the crypto module's business

        crypto.check(self)
        return self

    @property
    def rasa_urls(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.rasa_url.split(",") if u.strip()]

    @property
    def development(self) -> bool:
        return self.environment in ("development", "test")

    @property
    def admin_totp_required(self) -> bool:
        return (not self.development) if self.require_admin_totp is None else self.require_admin_totp


@lru_cache
def get_settings() -> Settings:
    return Settings()
