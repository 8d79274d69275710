"""The danger screen's matcher, its phrase lists and the model behind them (recall figures:
bench/safety.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from app.safety.screen import (
    LANGUAGES,
    LIFE,
    Category,
    Level,
    compile_pattern,
    fold,
    load_patterns,
    screen,
    screen_lists,
    tokens,
)

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
def test_every_life_threatening_dev_message_is_caught_by_the_lists_alone(lang: str) -> None:
    missed = [text for text, cat in danger_set("dev", lang)
              if cat in LIFE and screen_lists(text).level is not Level.life]
    assert missed == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_almost_every_urgent_dev_message_is_caught(lang: str) -> None:
    rows = [(t, c) for t, c in danger_set("dev", lang) if c not in LIFE]
    missed = [t for t, _ in rows if not screen_lists(t).danger]
    assert len(missed) <= max(1, len(rows) // 20), missed


def test_false_alarms_stay_under_one_percent_of_ordinary_messages() -> None:
    rows = [(t, i) for lang in LANGUAGES for t, i in ordinary_messages(lang)]
    life = [(t, i) for t, i in rows if screen(t).level is Level.life]
    assert len(life) / len(rows) < 0.01, life[:20]


# --- the model behind the lists (app/safety/model.py) ------------------------------------------
# Messages written for these tests, none of them in the lists' or the model's examples: what
# the lists miss and the model catches, in several languages and scripts.
MODEL_CATCHES = [
    ("ابني شرب دوا الغسيل", "ar"),                               # my son drank the washing liquid
    ("mi hijo se tomó las pastillas de la abuela", "es"),          # my son took grandma's pills
]


@pytest.mark.parametrize(("text", "lang"), MODEL_CATCHES)
def test_the_model_catches_what_no_list_holds_as_a_possible_danger(text: str, lang: str) -> None:
    assert not screen_lists(text).danger, "the lists learnt it: write a new one here"
    found = screen(text)
    assert found.level is Level.life and found.possible, found
    assert found.category in LIFE and found.model_category is found.category
    assert found.matched[-1].startswith("model/")


def test_a_list_match_is_never_called_possible_and_the_model_can_be_left_out() -> None:
    found = screen("my baby is not breathing")
    assert found.level is Level.life and not found.possible and found.model_category is None
    assert screen("ابني شرب دوا الغسيل", model=False).danger is False


@pytest.mark.parametrize("text", ["ya", "ok", "1", "merci beaucoup", "when are you open?", "0470 12 34 56",
                                  "ich möchte einen termin", "مرحبا", "da", "evet", "si grazie", "end", "he",
                                  # Arabic and Russian in Latin letters (the model once took this
                                  # spelling itself for a sign: found by test_e2e_off_path)
                                  "salam bghit nrja3 l bladi", "kogda vy otkryty", "3afak chno homa lwa9t",
                                  # two-word farewells and thanks, the commonest replies: at the
                                  # threshold for longer messages the model took them for danger
                                  "à plus", "à toute", "se agradece"])
def test_short_ordinary_answers_are_not_flagged_by_the_model(text: str) -> None:
    assert not screen(text).danger, screen(text).matched


def test_without_examples_the_lists_still_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.safety import model

    monkeypatch.setattr(model, "EXAMPLES_DIR", tmp_path)  # an image without the examples
    model.get_model.cache_clear()
    try:
        assert model.get_model() is None
        assert screen("i want to kill myself").level is Level.life
        assert not screen("ابني شرب دوا الغسيل").danger
    finally:
        monkeypatch.undo()
        model.get_model.cache_clear()


def test_going_home_to_the_bled_is_not_bleeding() -> None:
    # French "le bled" (one's home country) is one letter from English "bleed".
    assert not screen("je veux rentrer au bled").danger
    assert screen("he bled a lot from the head").level is Level.life


# One typo forgiven on a long pattern word reaches common words of the nine languages: found
# by trying every one-word pattern on dictionary words (Debian's word lists), and by the
# ninth round's helpers. Each of these got a 112 reply or an urgent handoff.
@pytest.mark.parametrize("text", [
    "the noise at night in the centre is terrible",        # noose
    "i am painting the room of my son",                     # fainting
    "the strangest thing happened at the office",           # strangl*
    "no sé qué va a suceder con mi caso",                   # sucid* (suicide)
    "sono lucido, capisco tutto",                           # sucid*
    "ho perso la chiave della camera",                      # schiav* (trafficking)
    "sono propenso a tornare a casa",                       # proxen* (trafficking)
    "le délai s'écoule, que faire ?",                       # secroul* (collapse)
    "je suis épanoui ici en Belgique",                      # evanoui*
    "mi madrina vive en Bélgica",                           # madriza (a beating)
    "si butta via tutto alla fine",                         # tetto (from a roof)
    "mi butto sul letto e dormo",                           # mbutto
    "ik slaap bij mijn neef",                               # nzeef (bleeding, Darija)
    "можно взять лекарства с собой в самолёт?",             # побои (a beating): "собой" folds to "собои"
])
def test_one_typo_does_not_turn_common_words_into_danger(text: str) -> None:
    found = screen_lists(text)
    assert not found.danger, found.matched


# A common word, rightly spelt, is no typo of a one-word pattern. Found by screening the
# 30,000 most frequent words of each language (wordfreq): each of these got a 112 reply
# or an urgent handoff through one typo forgiven.
@pytest.mark.parametrize("text", [
    "I stayed in Belgium for 3 years",                       # stabed (stabbed)
    "I am staying at my cousin's place",                     # stabing
    "me molesta el ruido en el centro",                      # molested
    "я отправил документы адвокату",                         # отравил (poisoned)
    "общего собрания в центре не будет?",                     # обжег (burnt)
    "oğlum Belçika'da doğdu, oturum alabilir mi?",           # bogdu (choked him)
    "el desayuno en el centro es a las 8?",                  # desmay* (fainted)
    "tengo las manos frías",                                 # manose* (groped)
    "bu soruyu sormak istiyorum",                            # skoruyu (an ambulance, ru)
    "görelim bakalım ne olacak",                             # ugorel* (CO poisoning, ru)
    "ik heb kleding nodig voor mijn kind",                   # bleding (bleeding)
    "devo notare una cosa sul mio permesso",                 # notarz (emergency doctor)
    "toplantıya katıldım dün",                               # satildi (sold)
    "kafama takıldı bir soru",                               # kanama (bleeding)
    "es desagradable esperar tanto",                         # desangra
    "il cartello dice chiuso",                               # curtello (a knife)
    "hij kämpft voor zijn papieren",                         # krampft (a seizure)
    "telefonum bozuldu, nasıl arayabilirim?",                # boguldu (drowned)
    "kalorifer yanmıyor odada",                              # uyanmi* (does not wake up)
    "mein Baby schläft viel, ist das normal?",               # schlaff (limp)
    "me van a sacar sangre el martes para el análisis",      # sangra ... parar
    "wie viele Tabletten darf ich mitnehmen?",               # 'viele Tabletten', 'nehmen'
    "quiero que mi hijo coma bien en el centro",             # coma (fr, nl), a Spanish verb
    "dat is flauw van de gemeente",                          # flauw (faint), also 'lame'
])
def test_a_common_word_is_not_a_typo_of_a_danger_word(text: str) -> None:
    found = screen_lists(text)
    assert not found.danger, found.matched


@pytest.mark.parametrize("text", ["he was stabed in the street", "ma fille ne respirre plus",
                                  "my son is bleding a lot", "cocugum boguluyor", "bebek uyanmiyor",
                                  "mi hijo sangra mucho de la cabeza", "mein Baby ist ganz schlaff",
                                  "ich habe zu viele Tabletten genommen", "des mecs ont attaque mon cousin",
                                  "il est dans le coma", "mijn vriendin valt flauw"])
def test_misspellings_and_danger_words_are_still_caught(text: str) -> None:
    assert screen_lists(text).level is Level.life, screen_lists(text).matched


def test_the_common_words_are_there() -> None:
    # wordfreq is a dependency of the gateway: without it every typo would be forgiven again.
    from app.safety.screen import known_words

    words = known_words()
    assert {"stayed", "desayuno", "отправил", "kleding"} <= words
    assert not {"stabed", "bleding", "respirre"} & words


@pytest.mark.parametrize("text", ["he fainted and does not wake up", "he is strangling her",
                                  "me quiero sucidar", "mi butto dal tetto stanotte",
                                  "ze is flauwgevallen bel een ambilance", "он опять нанёс мне побои"])
def test_the_narrowed_words_still_catch_danger(text: str) -> None:
    assert screen_lists(text).level is Level.life, screen_lists(text).matched


# Found on the running stack: a head in the oven with the gas open got an answer about
# appointments in Arabic. Now in every language's list.
@pytest.mark.parametrize("text", ["اختي حطت راسها فالفرن وفتحت الغاز", "khti 7attat rasha f lfour",
                                  "she put her head in the oven", "elle a mis la tête dans le four",
                                  "metió la cabeza en el horno", "er hat den Kopf in den Ofen gesteckt",
                                  "ha messo la testa nel forno", "ze heeft haar hoofd in de oven gestoken",
                                  "она засунула голову в духовку", "kafasını fırına soktu"])
def test_a_head_in_the_oven_is_a_suicide_attempt(text: str) -> None:
    assert screen_lists(text).level is Level.life, text


@pytest.mark.parametrize("text", ["the oven is broken in the kitchen", "le four ne marche pas",
                                  "فتحت الغاز باش نطيب", "kafam karışık, fırın kapalı mı"])
def test_an_oven_alone_is_not_a_danger(text: str) -> None:
    assert not screen_lists(text).danger, screen_lists(text).matched
