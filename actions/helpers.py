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


# Ordinals that pick from a numbered list ("le deuxième", "the last one", "الثاني"), in
# the nine languages, folded (lower case, no accents or marks: "الأول" -> "الاول").
# Word stems: a word starting with one of them counts. 0 stands for "the last one".
ORDINALS = {
    1: ("premier", "premiere", "1er", "1ere", "eerste", "first", "1st", "primer", "primero", "primera", "erste",
        "перв", "birinci", "ilk", "primo", "prima", "الاول", "اول", "الاولي", "اولي"),
    2: ("deuxieme", "second", "seconde", "2e", "2eme", "tweede", "2nd", "segund", "zweite", "втор", "ikinci",
        "secondo", "seconda", "الثاني", "ثاني", "الثانيه"),
    3: ("troisieme", "3e", "3eme", "derde", "third", "3rd", "tercer", "dritte", "трет", "ucuncu", "terzo", "terza",
        "الثالث", "ثالث", "الثالثه"),
    4: ("quatrieme", "4e", "4eme", "vierde", "fourth", "4th", "cuart", "vierte", "четв", "dorduncu", "quarto",
        "quarta", "الرابع", "رابع", "الرابعه"),
    5: ("cinquieme", "5e", "5eme", "vijfde", "fifth", "5th", "quint", "funfte", "пят", "besinci", "الخامس",
        "خامس", "الخامسه"),
    0: ("dernier", "derniere", "laatste", "last", "ultim", "letzte", "последн", "sonuncu", "son", "الاخير",
        "اخير", "الاخيره", "اخر", "الاخر"),
}
_WORD = re.compile(r"[^\W_]+")


def _ordinal(text: str, count: int) -> int | None:
    words = _WORD.findall(fold(text))
    if not words or len(words) > 4:  # "the first one", not a sentence that mentions "first"
        return None
    found = {n for n, stems in ORDINALS.items() for w in words for stem in stems
             if w == stem or (len(stem) >= 4 and w.startswith(stem))}
    if len(found) != 1:
        return None
    n = found.pop()
    n = count if n == 0 else n
    return n if 1 <= n <= count else None


def parse_choice(text: str, count: int) -> int | None:
    """'2', '2.', 'n°2', '#2', 'le deuxième', 'the last one', 'الثاني' -> 1-based index
    if within the list."""
    m = re.fullmatch(r"\s*(?:n[°o]\.?\s*|#|nr\.?\s*|no\.?\s*)?(\d{1,2})\s*[.)]?\s*", text.lower())
    if m and 1 <= int(m.group(1)) <= count:
        return int(m.group(1))
    return _ordinal(text, count) if not m else None


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


# "I have no phone", in the nine languages (folded): a negation near a word for phone.
_PHONE_WORDS = ("telephone", "phone", "tel", "portable", "gsm", "mobile", "numero", "number", "nummer", "telefoon",
                "telefono", "movil", "celular", "handy", "telefon", "телефон", "номер", "мобильн", "cep", "numara",
                "cellulare", "هاتف", "تلفون", "تليفون", "رقم", "جوال", "موبايل", "portable")
_NEGATIONS = ("pas", "plus", "aucun", "sans", "no", "not", "dont", "don", "haven", "havent", "without", "none", "geen", "niet",
              "zonder", "sin", "tengo", "kein", "keine", "keinen", "ohne", "нет", "без", "не", "yok", "yoktur",
              "degil", "non", "senza", "لا", "ليس", "ليست", "ماعنديش", "معنديش", "بدون", "ما", "مافي", "مفيش")


def says_no_phone(text: str) -> bool:
    """'j'ai pas de téléphone', 'no phone', 'ik heb geen gsm', 'нет телефона',
    'telefonum yok', 'ليس عندي هاتف': the person has no phone number to give."""
    words = _WORD.findall(fold(text).replace("'", " "))
    if not words or len(words) > 10 or any(ch.isdigit() for ch in text):
        return False
    phone = any(w.startswith(p) for w in words for p in _PHONE_WORDS if len(p) >= 3) or "tel" in words
    negated = any(w in _NEGATIONS for w in words) or any(w.startswith(("ليس", "ما", "بدون")) for w in words)
    return phone and negated


_YES = ("oui", "ja", "yes", "si", "sí", "да", "evet", "نعم", "ايوه", "اه", "wel", "ok", "okay", "d'accord", "daccord",
        "yep", "certo", "claro", "jawohl", "конечно", "tamam", "اكيد")
_NO = ("non", "nee", "neen", "no", "nein", "нет", "hayir", "لا", "nope")


def yes_or_no(text: str) -> str | None:
    """'1'/'2' (the numbered answer on SMS and WhatsApp) or a one-word yes or no."""
    stripped = text.strip().rstrip(".!)").strip()
    if stripped in ("1", "2"):
        return "yes" if stripped == "1" else "no"
    words = _WORD.findall(fold(text))
    if len(words) != 1:
        return None
    word = words[0]
    if word in {fold(w) for w in _YES}:
        return "yes"
    if word in {fold(w) for w in _NO}:
        return "no"
    return None
