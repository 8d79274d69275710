"""Write the responses section of domain.yml from the English catalogue.

The gateway serves every text through Rasa's NLG endpoint, in the conversation's
language; Rasa still needs each response name in its domain (forms look up
utter_ask_*, `rasa data validate` checks stories). The English text is kept there
so that a bare `rasa shell` without the gateway still speaks. Generated: edit the
catalogues in api/app/i18n/catalogues/, never the lines below domain.yml's marker;
everything above the marker is written by hand and kept as it is.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "api" / "app" / "i18n" / "catalogues" / "en.yml"
TARGET = ROOT / "domain.yml"
MARKER = ("# ---- GENERATED below by bot/scripts/gen_responses.py from the English catalogue "
          "(make domain). Do not edit below this line.\n")


def build(current: str) -> str:
    """domain.yml with everything below the marker replaced by the catalogue's responses."""
    if MARKER not in current:
        sys.exit(f"{TARGET.name}: the marker line is missing; put it back at the end:\n{MARKER}")
    catalogue = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    responses = {}
    for key, value in catalogue.items():
        if not key.startswith("utter_"):
            continue
        entry = {"text": value} if isinstance(value, str) else dict(value)
        responses[key] = [entry]
    body = yaml.safe_dump({"responses": responses}, allow_unicode=True, sort_keys=True, width=1000)
    return current.split(MARKER, 1)[0] + MARKER + body


if __name__ == "__main__":
    current = TARGET.read_text(encoding="utf-8")
    content = build(current)
    if "--check" in sys.argv:
        sys.exit(0 if current == content else "domain.yml's responses are out of date: run make domain")
    if content != current:
        TARGET.write_text(content, encoding="utf-8")
