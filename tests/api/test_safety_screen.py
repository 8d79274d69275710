"""The danger screen's matcher and its phrase lists (recall figures: bench/safety.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.safety.screen import LANGUAGES, LIFE, Category, Level, compile_pattern, fold, load_patterns, screen, tokens

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from safety import danger_set, ordinary_messages  # noqa: E402


def test_every_language_has_a_list_for_every_category() -> None:
    patterns = load_patterns()
    for lang in LANGUAGES:
        for category in Category:
            assert any(p.language == lang and p.category == category for p in patterns), (lang, category)


def test_folding_meets_the_ways_people_type() -> None:
    assert tokens("J’VEUX   mourrrir!!!") == ["jveux", "mourir"]
    assert fold("Yaşamak İSTEMİYORUM artık") == "yasamak istemiyorum artik"
    assert fold("أُريدُ الموتَ") == fold("اريد الموت")
    assert fold("ещё") == fold("еще")


def test_pattern_words_keep_their_order_with_small_gaps() -> None:
    p = compile_pattern("veux|voulais plus vivre", "fr", Category.suicide)
    hits = lambda text: p.search([{id(w) for w in p.words if w.matches(t)} for t in tokens(text)])  # noqa: E731
    assert hits("je veux vraiment plus vivre")
    assert not hits("vivre plus veux")
    assert not hits("je veux un rendez vous et plus tard je veux vivre")


def test_one_typo_is_forgiven_on_long_words_only() -> None:
    assert screen("i want to comit suicde").danger
    assert Category.medical in screen("my baby is not breathng").categories


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_life_threatening_dev_message_is_caught(lang: str) -> None:
    missed = [text for text, cat in danger_set("dev", lang)
              if cat in LIFE and screen(text).level is not Level.life]
    assert missed == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_almost_every_urgent_dev_message_is_caught(lang: str) -> None:
    rows = [(t, c) for t, c in danger_set("dev", lang) if c not in LIFE]
    missed = [t for t, _ in rows if not screen(t).danger]
    assert len(missed) <= max(1, len(rows) // 20), missed


def test_false_alarms_stay_under_one_percent_of_ordinary_messages() -> None:
    rows = [(t, i) for lang in LANGUAGES for t, i in ordinary_messages(lang)]
    life = [(t, i) for t, i in rows if screen(t).level is Level.life]
    assert len(life) / len(rows) < 0.01, life[:20]
