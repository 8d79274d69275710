"""SMS encoding, segment counting and splitting (pure functions)."""

from __future__ import annotations

import pytest
from app.channels.twilio.segments import (
    Encoding,
    encoding,
    is_gsm7,
    segment_count,
    split_chars,
    split_sms,
    units,
)

FRENCH = ("Nos permanences sociales ont lieu du lundi au vendredi de 9:00 à 13:00. "
          "La permanence juridique gratuite a lieu le mardi de 14:00 à 17:00. ")
ARABIC = "مرحبا، أنا مساعد الخدمة. يمكنني أن أخبرك عن العودة الطوعية وساعات العمل والمساعدة القانونية المجانية. "


@pytest.mark.parametrize("text", [
    "Quelles sont vos heures d'ouverture ?",
    "Où est le bureau ? Ici à 9:00, rendez-vous.",  # ù, à, é are in the basic table
    "Straße, Müller, año, niño, Ça va",
    "Price: 10€ [a] {b} ~c^ |d| back\\slash",    # the extension table
    "@£$¥ ΔΦΓΛΩΠΨΣΘΞ ¡¿§",
])
def test_gsm7_texts(text: str) -> None:
    assert is_gsm7(text)
    assert encoding(text) is Encoding.gsm7


@pytest.mark.parametrize("text", [
    "Quelle est la différence ? Ça dépend, c'est prêt",  # ê and lowercase ç are not GSM-7
    "ما هي ساعات العمل؟",                                # Arabic
    "Какие у вас часы работы?",                          # Russian
    "Çalışma saatleriniz nedir? ş ğ ı",                  # Turkish letters
    "Merci 🙏",                                          # emoji
    "l’heure",                                           # typographic apostrophe
])
def test_ucs2_texts(text: str) -> None:
    assert not is_gsm7(text)
    assert encoding(text) is Encoding.ucs2


def test_extended_characters_take_two_septets() -> None:
    assert units("a€") == 3
    assert segment_count("€" * 80) == 1   # 160 septets: one segment
    assert segment_count("€" * 81) == 2   # 162: concatenated (153 per segment)


@pytest.mark.parametrize(("text", "expected"), [
    ("", 0), ("À", 1),
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("ب" * 70, 1), ("ب" * 71, 2), ("ب" * 134, 2), ("ب" * 135, 3),
])
def test_segment_limits(text: str, expected: int) -> None:
    assert segment_count(text) == expected


def test_an_escape_pair_is_never_split_between_segments() -> None:
    # 152 plain septets then "€" (2): the pair does not fit the first segment's 153.
    assert segment_count("a" * 152 + "€" + "a" * 10) == 2
    assert segment_count("a" * 154 + "a" * 152) == 2      # 306 septets: two full segments
    assert segment_count("a" * 152 + "€" + "a" * 152) == 3  # 306 too, but the pair moves whole


def test_an_emoji_is_two_code_units_and_stays_whole() -> None:
    assert units("🙂") == 2
    assert segment_count("🙂" * 35) == 1
    assert segment_count("🙂" * 36) == 2


def _rejoin(parts: list[str]) -> list[str]:
    return " ".join(parts).split()


@pytest.mark.parametrize("max_segments", [1, 2, 3])
def test_french_split_never_cuts_a_word_and_keeps_every_word(max_segments: int) -> None:
    text = FRENCH * 8
    parts = split_sms(text, max_segments)
    assert len(parts) > 1
    assert _rejoin(parts) == text.split()
    assert all(segment_count(p) <= max_segments for p in parts)
    assert all(encoding(p) is Encoding.gsm7 for p in parts)


def test_arabic_parts_are_much_shorter_than_french_ones() -> None:
    french, arabic = split_sms(FRENCH * 6, 3), split_sms(ARABIC * 6, 3)
    assert all(len(p) <= 3 * 153 for p in french)
    assert all(len(p) <= 3 * 67 for p in arabic)
    assert max(len(p) for p in french) > 300
    assert _rejoin(arabic) == (ARABIC * 6).split()
    assert all(segment_count(p) <= 3 for p in arabic)
    assert len(arabic) > len(french)


def test_split_prefers_a_sentence_end() -> None:
    text = FRENCH * 4
    parts = split_sms(text, 2)
    assert parts[0].endswith((".", ":00."))


def test_short_text_is_one_part() -> None:
    assert split_sms("  Bonjour  ") == ["Bonjour"]
    assert split_sms("") == []


def test_a_word_longer_than_a_message_is_the_only_thing_cut() -> None:
    link = "https://example.be/" + "x" * 400
    parts = split_sms(f"Voir {link} merci", 1)
    assert all(segment_count(p) == 1 for p in parts)
    assert "".join(p.replace(" ", "") for p in parts) == f"Voir{link}merci"


def test_each_part_has_its_own_encoding() -> None:
    text = "a " * 150 + "prêt " + "b " * 20
    parts = split_sms(text, 1)
    encodings = {encoding(p) for p in parts}
    assert encodings == {Encoding.gsm7, Encoding.ucs2}


def test_split_chars_for_whatsapp() -> None:
    text = "mot " * 1000
    parts = split_chars(text, 1600)
    assert all(len(p) <= 1600 for p in parts)
    assert _rejoin(parts) == text.split()
