"""`make audit`'s allowlist (tools/audit-allowlist.txt) holds only what Rasa 3.6 forces, for
the versions really installed: an entry whose pin moved or that Rasa does not require fails
here, before it can hide an advisory."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.audit import load_allowlist, norm  # noqa: E402

BOT_SITE = sorted((ROOT / ".venv-bot").glob("lib/python3*/site-packages"))


@pytest.mark.skipif(not BOT_SITE, reason="the bot's environment is not installed (make install)")
def test_every_entry_is_a_pin_rasa_forces_at_the_installed_version() -> None:
    site = BOT_SITE[-1]
    installed = {}
    for info in site.glob("*.dist-info"):
        name, version = info.name[: -len(".dist-info")].rsplit("-", 1)
        installed[norm(name)] = version
    rasa_meta = next(site.glob("rasa-3.6.*.dist-info")) / "METADATA"
    required = {norm(m.group(1)) for m in re.finditer(r"^Requires-Dist: ([A-Za-z0-9_.-]+)", rasa_meta.read_text(),
                                                      re.M)}
    entries = load_allowlist()
    assert entries
    for e in entries:
        assert re.fullmatch(r"(GHSA-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}|PYSEC-\d{4}-\d+|CVE-\d{4}-\d+)", e.advisory,
                            re.I), e
        assert installed.get(e.package) == e.version, (e, installed.get(e.package))
        assert e.package in required, f"{e.package} is not a requirement of Rasa: upgrade it instead"
