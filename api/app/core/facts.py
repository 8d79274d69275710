"""The service's facts, loaded from config/service.yml (the one source of facts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from pathlib import Path

import yaml

from app.core.settings import get_settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SERVICES = ("social", "legal")


@dataclass(frozen=True)
class Facts:
    name: str
    partner: str
    partner_by_language: dict[str, str]
    phone: str
    street: str
    postcode: str
    city: str
    timezone: str
    languages: tuple[str, ...]
    # service -> weekday index (0=Mon) -> list of (start, end)
    hours: dict[str, dict[int, list[tuple[time, time]]]]
    slot_minutes: int
    counsellors_per_slot: int
    horizon_days: int
    min_notice_minutes: int
    reminder_hours_before: int
    # Emergency numbers and help lines, each with its source (config/service.yml).
    helplines: dict = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"


def _t(value: str) -> time:
    h, m = value.split(":")
    return time(int(h), int(m))


def load_facts(path: Path) -> Facts:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    svc = raw["service"]
    hours: dict[str, dict[int, list[tuple[time, time]]]] = {}
    for service in SERVICES:
        per_day = raw["permanences"][service]["hours"]
        hours[service] = {
            WEEKDAYS.index(day): [(_t(a), _t(b)) for a, b in spans] for day, spans in per_day.items()
        }
    booking = raw["booking"]
    return Facts(
        name=svc["name"], partner=svc["partner"],
        partner_by_language=dict(svc.get("partner_by_language") or {}), phone=svc["phone"],
        street=svc["address"]["street"], postcode=str(svc["address"]["postcode"]),
        city=svc["address"]["city"], timezone=svc["timezone"], languages=tuple(svc["languages"]),
        hours=hours, slot_minutes=int(booking["slot_minutes"]),
        counsellors_per_slot=int(booking["counsellors_per_slot"]),
        horizon_days=int(booking["horizon_days"]), min_notice_minutes=int(booking["min_notice_minutes"]),
        reminder_hours_before=int(booking["reminder_hours_before"]),
        helplines=dict(raw.get("helplines") or {}),
    )


@lru_cache
def get_facts() -> Facts:
    return load_facts(get_settings().service_config)
