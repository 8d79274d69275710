"""Which of the nine languages a message is written in.

Script first (Arabic and Cyrillic letters are unambiguous here), then
lingua-language-detector restricted to the seven Latin-script languages. Messages
without letters (digits, emoji, "ok") are language-neutral, and a conversation keeps
its language through them and through short messages such as "merci" or a name.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

LANGUAGES = ("fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar")
LATIN = ("fr", "nl", "en", "es", "de", "tr", "it")
# Order of the numbered menu shown when a first message is too short to tell.
MENU = LANGUAGES
NATIVE_NAMES = {
    "fr": "Français", "nl": "Nederlands", "en": "English", "es": "Español", "de": "Deutsch",
    "ru": "Русский", "tr": "Türkçe", "it": "Italiano", "ar": "العربية",
}

_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)

NEUTRAL_WORDS = {"ok", "okay", "oke", "okey", "okk", "kk", "k", "ok.", "yes", "si", "ya", "hm", "hmm",
                 "lol", "xd", "mm", "iom", "oim", "avrr", "sms", "whatsapp", "wifi"}

# Language names as users write them, in any of the nine languages, after accent folding.
_SWITCH_NAMES: dict[str, tuple[str, ...]] = {
    "fr": ("francais", "french", "frans", "franzosisch", "frances", "francese", "fransizca",
           "французский", "по-французски", "по французски", "الفرنسية", "بالفرنسية", "فرنسي", "بالفرنساوي"),
    "nl": ("nederlands", "neerlandais", "dutch", "vlaams", "flamand", "niederlandisch", "flamisch",
           "holandes", "neerlandes", "olandese", "hollandaca", "felemenkce", "нидерландский", "голландский",
           "الهولندية", "بالهولندية"),
    "en": ("english", "anglais", "engels", "englisch", "ingles", "inglese", "ingilizce", "английский",
           "по-английски", "по английски", "الإنجليزية", "الانجليزية", "بالإنجليزية", "بالانجليزية", "انجليزي",
           "بالانجليزي"),
    "es": ("espanol", "spanish", "espagnol", "spaans", "spanisch", "spagnolo", "ispanyolca", "испанский",
           "по-испански", "الإسبانية", "الاسبانية", "بالإسبانية", "بالاسبانية"),
    "de": ("deutsch", "german", "allemand", "duits", "aleman", "tedesco", "almanca", "немецкий",
           "по-немецки", "الألمانية", "الالمانية", "بالألمانية", "بالالمانية"),
    "ru": ("русский", "по-русски", "по русски", "на русском", "russian", "russe", "russisch", "ruso",
           "russo", "rusca", "الروسية", "بالروسية", "روسي"),
    "tr": ("turkce", "turkish", "turc", "turks", "turkisch", "turco", "турецкий", "по-турецки",
           "التركية", "بالتركية", "تركي"),
    "it": ("italiano", "italian", "italien", "italiaans", "italienisch", "italyanca", "итальянский",
           "по-итальянски", "الإيطالية", "الايطالية", "بالإيطالية", "بالايطالية"),
    "ar": ("arabic", "arabe", "arabisch", "arabo", "arapca", "арабский", "по-арабски", "عربي", "العربية",
           "بالعربية", "بالعربي", "عربية", "بالعربى"),
}
# A question about languages ("do you speak Arabic?") is not a request to switch.
_QUESTION_VERBS = ("speak", "parle", "parlez", "spreek", "spreekt", "sprech", "habla", "parla",
                   "говор", "konus", "تتكلم", "تتحدث", "كتهضر", "تحكي")


def fold(text: str) -> str:
    """Lower-case and strip Latin accents (not Arabic or Cyrillic letters)."""
    out = []
    for ch in unicodedata.normalize("NFKD", text.lower()):
        if unicodedata.combining(ch) and not ("\u0600" <= ch <= "\u06ff") and ch not in "\u0306\u0308":
            continue
        out.append(ch)
    folded = unicodedata.normalize("NFC", "".join(out))
    return folded.replace("ı", "i").replace("ё", "е")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_neutral(text: str) -> bool:
    """No letters at all, or only words that belong to no language ("ok", "lol")."""
    ws = [fold(w) for w in words(text)]
    return not ws or all(w in NEUTRAL_WORDS for w in ws)


def requested_switch(text: str) -> str | None:
    """'English please', 'en français', 'بالعربية' -> the language asked for."""
    folded = fold(text).strip()
    if "?" in folded or "؟" in folded or len(words(folded)) > 4:
        return None
    if any(v in folded for v in _QUESTION_VERBS):
        return None
    found = {lang for lang, names in _SWITCH_NAMES.items()
             if any(re.search(rf"(?<![^\W\d_]){re.escape(n)}(?![^\W\d_])", folded) for n in names)}
    return found.pop() if len(found) == 1 else None


def menu_choice(text: str) -> str | None:
    stripped = text.strip().rstrip(".)")
    if stripped.isdigit() and 1 <= int(stripped) <= len(MENU):
        return MENU[int(stripped) - 1]
    return None


def menu_text() -> str:
    lines = [f"{i}. {NATIVE_NAMES[code]}" for i, code in enumerate(MENU, start=1)]
    return "Language? Langue ? Taal? Idioma? Sprache? Язык? Dil? Lingua? اللغة؟\n" + "\n".join(lines)


@dataclass(frozen=True)
class Detection:
    language: str | None  # None: too short or too mixed to tell
    confidence: float
    reason: str


class LanguageDetector:
    """Thread-safe, lazily built (lingua's models take a moment and ~100 MB)."""

    # Below this margin between the best and second-best language, lingua is guessing.
    MIN_CONFIDENCE = 0.40

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._detector = None
        self._codes: dict[object, str] = {}

    def _lingua(self):  # noqa: ANN202
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in LATIN]
                    self._codes = {lang: code for lang, code in zip(langs, LATIN)}
                    self._detector = (LanguageDetectorBuilder.from_languages(*langs)
                                      .with_preloaded_language_models().build())
        return self._detector

    def warm_up(self) -> None:
        self._lingua()

    def detect(self, text: str) -> Detection:
        letters = _LETTER.findall(text)
        if is_neutral(text):
            return Detection(None, 0.0, "neutral")
        arabic = sum(1 for ch in letters if _ARABIC.match(ch))
        cyrillic = sum(1 for ch in letters if _CYRILLIC.match(ch))
        if arabic * 2 > len(letters):
            return Detection("ar", 1.0, "script")
        if cyrillic * 2 > len(letters):
            return Detection("ru", 1.0, "script")
        latin_text = " ".join(w for w in words(text) if not _ARABIC.search(w) and not _CYRILLIC.search(w))
        values = self._lingua().compute_language_confidence_values(latin_text)
        if not values:
            return Detection(None, 0.0, "unknown")
        best = values[0]
        second = values[1].value if len(values) > 1 else 0.0
        code = self._codes[best.language]
        margin = best.value - second
        if best.value < self.MIN_CONFIDENCE:
            return Detection(None, best.value, f"ambiguous:{code}")
        return Detection(code, margin, "lingua")


@lru_cache
def get_detector() -> LanguageDetector:
    return LanguageDetector()
