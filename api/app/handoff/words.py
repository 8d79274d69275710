"""Short answers the gateway itself understands during a handoff, in nine languages
(after folding): withdrawing the request, and yes/no to "is it safe to contact you?".

These are answered without Rasa on purpose: they only make sense in the state the
gateway owns (waiting for a counsellor, a pending safety question)."""

from __future__ import annotations

from app.safety.screen import tokens

WITHDRAW = {
    "en": ["never mind", "nevermind", "forget it", "no need", "cancel the request", "cancel request",
           "i dont need a counsellor", "i dont need anyone", "its ok now", "its fine now", "no longer needed"],
    "fr": ["laisse tomber", "laissez tomber", "pas besoin", "plus besoin", "annuler la demande", "annule la demande",
           "cest bon", "c bon", "oublie", "oubliez", "je nai plus besoin", "ca va aller"],
    "nl": ["laat maar", "laat maar zitten", "hoeft niet", "niet meer nodig", "vergeet het",
           "annuleer de aanvraag", "is al goed", "laat het maar"],
    "es": ["olvidalo", "olvidelo", "da igual", "no hace falta", "ya no hace falta", "cancelar la solicitud",
           "ya no necesito", "dejalo"],
    "de": ["vergiss es", "vergessen sie es", "schon gut", "nicht mehr notig", "nicht notig", "lass gut sein",
           "anfrage abbrechen", "brauche keinen", "hat sich erledigt"],
    "ru": ["не надо", "уже не надо", "не нужно", "уже не нужно", "забудьте", "отменить запрос",
           "ne nado", "ne nuzhno"],
    "tr": ["bosver", "vazgectim", "gerek yok", "gerek kalmadi", "talebi iptal et", "istemiyorum artik"],
    "it": ["lascia stare", "lasci stare", "non importa", "non serve", "non serve piu", "annulla la richiesta",
           "lascia perdere"],
    "ar": ["خلاص", "لا داعي", "ما في داعي", "مابقيتش محتاج", "الغ الطلب", "الغاء الطلب", "مش لازم", "ماشي ضروري",
           "صافي", "khlas", "safi", "machi daroori"],
}

YES = {"yes", "y", "yeah", "yep", "ok", "oui", "ouais", "ja", "jawel", "si", "sim", "da", "да", "evet", "ehe",
       "tamam", "نعم", "ايوه", "اه", "اي", "واه", "ah", "naam", "iyeh", "wah", "safe", "sur", "sicher", "seguro",
       "sicuro", "veilig", "безопасно", "guvenli", "امان", "امن"}
NO = {"no", "n", "nope", "non", "nee", "neen", "nein", "нет", "net", "hayir", "yok", "لا", "la", "lla", "mafi",
      "nao", "not"}


def _phrases() -> list[list[str]]:
    return [tokens(p) for phrases in WITHDRAW.values() for p in phrases if tokens(p)]


_WITHDRAW_TOKENS = _phrases()


def is_withdrawal(text: str) -> bool:
    toks = tokens(text)
    if not toks or len(toks) > 8:
        return False
    for phrase in _WITHDRAW_TOKENS:
        n = len(phrase)
        if any(toks[i:i + n] == phrase for i in range(len(toks) - n + 1)):
            return True
    return False


def yes_or_no(text: str) -> bool | None:
    """True for a yes, False for a no, None for anything else (up to four words)."""
    toks = tokens(text)
    if not toks or len(toks) > 4:
        return None
    yes, no = any(t in YES for t in toks), any(t in NO for t in toks)
    if yes == no:
        return None
    return yes
