"""Pure helpers for the actions: no rasa-sdk imports, unit-tested on their own."""

from __future__ import annotations

import re
import unicodedata

REFERENCE = re.compile(r"\b([A-HJ-KM-NP-Z2-9]{6})\b")

# Words by which a user names a service, in the nine languages (folded, no accents).
SERVICE_WORDS = {
    "social": ("social", "sociale", "sociaal", "sozial", "sosyal", "социальн", "اجتماع", "retour", "return",
               "terugkeer", "ruckkehr", "regreso", "retorno", "rimpatrio", "возвращ", "donus", "عودة", "العودة"),
    "legal": ("legal", "juridique", "juridisch", "juridico", "giuridic", "legale", "recht", "rechtlich", "avocat",
              "advocaat", "anwalt", "abogado", "avvocato", "hukuk", "avukat", "юрид", "юрист", "قانون", "محامي",
              "lawyer", "jurist", "juriste"),
}


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("ı", "i"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def parse_choice(text: str, count: int) -> int | None:
    """'2', '2.', 'n°2', '#2' -> 1-based index if within the list."""
    m = re.fullmatch(r"\s*(?:n[°o]\.?\s*|#|nr\.?\s*|no\.?\s*)?(\d{1,2})\s*[.)]?\s*", text.lower())
    if m and 1 <= int(m.group(1)) <= count:
        return int(m.group(1))
    return None


def parse_service(text: str) -> str | None:
    stripped = text.strip().rstrip(".)")
    if stripped in ("1", "2"):
        return "social" if stripped == "1" else "legal"
    folded = fold(text)
    found = {svc for svc, words in SERVICE_WORDS.items() if any(w in folded for w in words)}
    return found.pop() if len(found) == 1 else None


def find_reference(text: str) -> str | None:
    m = REFERENCE.search(text.upper())
    return m.group(1) if m and any(ch.isdigit() for ch in m.group(1)) else None


def clean_first_name(text: str) -> str | None:
    """A first name or initials: letters only, short. Long sentences keep their last word."""
    words = re.findall(r"[^\W\d_]+(?:[.'-][^\W\d_]+)*\.?", text)
    if not words or re.search(r"\d", text):
        return None
    name = words[-1] if len(words) > 3 else " ".join(words)
    return name[:40]
