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
from pathlib import Path

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
    "tr": ("turkce", "türkce", "türkçe", "turkish", "turc", "turks", "turkisch", "turco", "турецкий", "по-турецки",
           "التركية", "بالتركية", "تركي"),
    "it": ("italiano", "italian", "italien", "italiaans", "italienisch", "italyanca", "итальянский",
           "по-итальянски", "الإيطالية", "الايطالية", "بالإيطالية", "بالايطالية"),
    "ar": ("arabic", "arabe", "arabisch", "arabo", "arapca", "арабский", "по-арабски", "عربي", "العربية",
           "بالعربية", "بالعربي", "عربية", "بالعربى"),
}
# Words that may stand around a language name in a request to switch ("English
# please", "en français svp", "auf Deutsch bitte", "بالعربي من فضلك"). Any other word
# makes it a sentence about languages ("interprète arabe", "traducteur russe"), not a switch.
_SWITCH_FILLERS = {
    "please", "pls", "plz", "in", "en", "auf", "na", "po", "bitte", "svp", "stp", "s'il", "vous", "plait",
    "por", "favor", "per", "favore", "lutfen", "lütfen", "пожалуйста", "пжл", "من", "فضلك", "لو", "سمحت",
    "het", "op", "ok", "okay", "oke", "dil", "dilinde", "язык", "языке", "lingua", "langue", "taal", "sprache",
    "idioma", "language", "the", "switch", "to", "yes", "oui", "ja", "si", "da", "да", "evet", "نعم", "al", "a",
    "اللغة", "باللغة", "dans", "la", "graag", "alstublieft", "aub", "gerne", "prego",
    "rica", "ederim", "بالله", "عليك",
    # "and in German please?", "und auf Deutsch?", "et en français ?", "e in italiano?"
    "and", "und", "et", "y", "e", "ve", "и", "و", "en", "then", "dann", "alors", "dan", "entonces", "allora",
    "maybe", "rather", "liever", "plutot", "lieber", "mejor", "meglio",
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
    # "und auf Deutsch bitte?" asks for German: a question mark alone does not make it a
    # question about languages ("do you speak Arabic?" is kept out by its verb below).
    folded = fold(text).strip().replace("?", " ").replace("؟", " ").replace("¿", " ")
    if len(words(folded)) > 5:
        return None
    if any(v in folded for v in _QUESTION_VERBS):
        return None
    found = set()
    rest = folded
    for lang, names in _SWITCH_NAMES.items():
        for n in sorted(names, key=len, reverse=True):
            pattern = rf"(?<![^\W\d_]){re.escape(n)}(?![^\W\d_])"
            if re.search(pattern, rest):
                found.add(lang)
                rest = re.sub(pattern, " ", rest)
    if len(found) != 1:
        return None
    if any(w not in _SWITCH_FILLERS for w in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", rest)):
        return None
    return found.pop()


def menu_choice(text: str) -> str | None:
    stripped = text.strip().rstrip(".)")
    if stripped.isdigit() and 1 <= int(stripped) <= len(MENU):
        return MENU[int(stripped) - 1]
    return None


def menu_text() -> str:
    lines = [f"{i}. {NATIVE_NAMES[code]}" for i, code in enumerate(MENU, start=1)]
    return "Language? Langue ? Taal? Idioma? Sprache? Язык? Dil? Lingua? اللغة؟\n" + "\n".join(lines)


_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")


def _squeeze(text: str) -> str:
    """'dankeee' -> 'danke', 'no no' -> 'no': repetition says nothing about the language."""
    seen: list[str] = []
    for w in _STRETCHED.sub(r"\1", text).split():
        if not seen or seen[-1].lower() != w.lower():
            seen.append(w)
    return " ".join(seen)


# Arabic and Russian written in Latin letters ("salam bghit nrja3 l bladi", "kogda vy
# otkryty"). Lingua would call them French, Spanish or Dutch and the assistant would
# answer in a third language. Only words that are not also common words of the seven
# Latin-script languages are listed (no "da", "net", "la", "fin", "est").
_ROMANIZED = {
    "ar": frozenset("""salam slm salamo salamou salamu alaykom alaikum 3alaykom aleykoum bghit bghina bgheet
        nrja3 nrje3 nroja3 nrj3 rje3 raje3 bladi bladna wach wash wesh kifach kifesh kifash kifech chno chnou
        shno chnowa chnou 3afak 3afek 3la 3andi 3ndi andi mzyan mezyan mlih bzaf barcha barsha khouya khoya
        khti ukhti fayn fein wein dyal dial mta3 ta3 bach bech chhal shhal 9adech kadesh 9ad 7ta hta daba tawa
        lyoum lyouma ghedda ghda chokran choukran shukran shokran barakallah inshallah nchallah hamdoulah
        hamdullah labas bikhir mabghitch makaynch makaynsh kayn kayna wakha iyeh mochkil mouchkil mushkil lwra9
        lwraq lkhedma khedma flous floss ndir ndiro n9der nekder nqder momkin mumkin mumken 3awni 3awnouni
        msa3da mosa3ada wa9t w9t sa3a yamken nmchi nemchi nemshi rou7 ro7 n3ich 3ayech 7na 7ena ahna hna
        lmghrib lmaghrib tounes dzayer mohami m7ami l9anoun 9anoun kanbghi kanbgho bghiti 3tini 3teni""".split()),
    "ru": frozenset("""privet zdravstvuyte zdravstvuite zdrastvuyte zdrastvuite zdravstvujte spasibo pozhaluysta
        pozhalujsta pozhalusta kogda otkryty otkryto otkrito rabotaete rabotayete gde chto shto pochemu
        mne nuzhno nuzhen nuzhna hochu khochu vernutsya vernutsa vernutya domoy domoi pomoshch pomosh pomogite
        yurist advokat zapis zapisatsya zapisatsa priyom priem dokumenty skolko stoit besplatno mozhno mozhete
        horosho khorosho ponyal ponimayu menya vas rodinu stranu deportatsiya segodnya zavtra subbotu subbota
        ponedelnik vtornik sreda chetverg pyatnitsa nedelyu adres chasy rabota rabotu pomoch pomogat
        skazhite podskazhite uekhat uehat vyezd pasport vizu vizy ubezhishche ubezhische otkaz""".split()),
}


def romanized(text: str) -> str | None:
    """'ar' or 'ru' for Arabic or Russian written in Latin letters, else None."""
    tokens = re.findall(r"[a-z0-9']+", fold(text))
    if not tokens:
        return None
    best, hits_best = None, 0
    for lang, vocab in _ROMANIZED.items():
        hits = sum(1 for t in tokens if t in vocab)
        if lang == "ar":  # "nrja3", "3afak", "7ta": digits standing for Arabic letters
            hits += sum(1 for t in tokens if t not in vocab and re.fullmatch(r"[a-z]*[2379][a-z]*", t)
                        and re.search(r"[a-z]", t))
        if hits > hits_best:
            best, hits_best = lang, hits
    words_only = [t for t in tokens if re.search(r"[a-z]", t)]
    if hits_best >= 2 and hits_best * 10 >= 4 * len(words_only):
        return best
    return None


@dataclass(frozen=True)
class Detection:
    language: str | None  # None: too short or too mixed to tell
    confidence: float
    reason: str


class Lexicon:
    """Word frequencies per language from the assistant's own training data and texts.

    Users write in the service's vocabulary ("afspraak", "rendez-vous", "cita"); a
    word seen in one language's examples is strong evidence for that language, where
    a general-purpose detector hesitates on one or two words.
    """

    def __init__(self, texts: dict[str, list[str]]) -> None:
        from collections import Counter

        self.counts = {lang: Counter(fold(w) for t in ts for w in words(t)) for lang, ts in texts.items()}
        self.totals = {lang: sum(c.values()) for lang, c in self.counts.items()}
        self.vocab = set().union(*self.counts.values()) if self.counts else set()

    def log_likelihoods(self, text: str) -> dict[str, float]:
        import math

        scores = {lang: 0.0 for lang in LATIN}
        v = len(self.vocab) or 1
        for w in (fold(w) for w in words(text)):
            if w not in self.vocab or w in NEUTRAL_WORDS:
                continue
            for lang in LATIN:
                c = self.counts.get(lang, {}).get(w, 0)
                scores[lang] += math.log((c + 0.1) / (self.totals.get(lang, 0) + 0.1 * v))
        return scores


def load_lexicon(root: Path) -> Lexicon:
    import yaml

    texts: dict[str, list[str]] = {lang: [] for lang in LATIN}
    for lang in LATIN:
        for path in sorted((root / "data" / "nlu" / lang).glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for block in data.get("nlu") or []:
                texts[lang] += [line[2:].strip() for line in str(block.get("examples", "")).splitlines()
                                if line.startswith("- ")]
        cat = root / "api" / "app" / "i18n" / "catalogues" / f"{lang}.yml"
        if cat.exists():
            for value in (yaml.safe_load(cat.read_text(encoding="utf-8")) or {}).values():
                if isinstance(value, str):
                    texts[lang].append(value)
                elif isinstance(value, dict) and isinstance(value.get("text"), str):
                    texts[lang].append(value["text"])
    return Lexicon(texts)


class LanguageDetector:
    """Thread-safe, lazily built (lingua's models take a moment and ~100 MB)."""

    # Below this probability for the best language, the message is too short to tell.
    MIN_CONFIDENCE = 0.40

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self._lock = threading.Lock()
        self._detector = None
        self._codes: dict[object, str] = {}
        self._lexicon = lexicon

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
        latinized = romanized(text)
        if latinized:
            # Too uncertain to answer in: the numbered menu (or the conversation's language).
            return Detection(None, 0.0, f"romanized:{latinized}")
        latin_text = _squeeze(" ".join(w for w in words(text) if not _ARABIC.search(w) and not _CYRILLIC.search(w)))
        import math

        values = self._lingua().compute_language_confidence_values(latin_text)
        if not values:
            return Detection(None, 0.0, "unknown")
        # Combine lingua's probabilities with the domain lexicon (a naive Bayes product).
        scores = {self._codes[v.language]: math.log(v.value + 1e-4) for v in values}
        if self._lexicon is not None:
            for lang, ll in self._lexicon.log_likelihoods(latin_text).items():
                scores[lang] = scores.get(lang, math.log(1e-4)) + ll
        top = max(scores.values())
        probs = {lang: math.exp(sc - top) for lang, sc in scores.items()}
        total = sum(probs.values())
        code, best = max(((lang, p / total) for lang, p in probs.items()), key=lambda x: x[1])
        if best < self.MIN_CONFIDENCE:
            return Detection(None, best, f"ambiguous:{code}")
        return Detection(code, best, "lingua+lexicon" if self._lexicon else "lingua")


@lru_cache
def get_detector() -> LanguageDetector:
    return LanguageDetector(load_lexicon(Path(__file__).resolve().parents[3]))
