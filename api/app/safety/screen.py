"""The danger screen: does this message say that someone's life or safety is at stake?

It runs in the gateway on every inbound message, before routing and without Rasa, so a
danger message is answered even when the assistant is down or a counsellor holds the
conversation. It does not rest on the intent classifier: it matches hand-written
phrase lists per language (``lexicon/<lang>.yml``) against the folded message, and every
language's list is tried whatever the conversation's language (people switch, and short
messages are hard to place).

Matching is built for the way people type on a phone in distress:

- folding: case, accents, Turkish dotless i, ё, Arabic hamza/ta marbuta/alef maqsura,
  diacritics and tatweel; letters repeated three times or more count once ("helppp");
- a pattern is a sequence of words that must appear in order, with at most ``MAX_GAP``
  other words between two of them ("je veux vraiment plus vivre" matches "veux plus vivre");
- a word of a pattern may end with ``*`` (any ending: "suicid*"), start with ``*`` (any
  beginning, for attached Arabic particles), list alternatives with ``|``
  ("veux|veut|voulais");
- a pattern word of five letters or more also matches one typo away (one letter
  added, dropped, changed, or two swapped): "respirre", "suicde"; but where the pattern
  is that one word alone, a message word that is itself a common, rightly spelt word of
  one of the nine languages is no typo of it ("stayed" is not "stabed", "отправил" is
  not "отравил", "desayuno" is not "desmay*").

Behind the lists, a statistical model (``model.py``) reads every message the lists find
no life at stake in; when it is sure enough, the screen reports a *possible* danger of the
category it guesses (``Screening.possible``): 112 and a counsellor all the same, in words
that fit a doubt.

Recall per language and category, and the false-alarm rate on ordinary messages, are
measured by ``bench/safety.py`` on a dev set and on a sealed set nobody tunes against.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import yaml

LEXICON_DIR = Path(__file__).parent / "lexicon"
LANGUAGES = ("fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar")
MAX_GAP = 2
FUZZY_MIN_LEN = 5
# The most frequent words of each language (wordfreq, a package with its data: nothing is
# downloaded) are taken as rightly spelt: a one-word pattern forgives them no typo.
KNOWN_WORDS_PER_LANGUAGE = 30_000
log = logging.getLogger("app.safety.screen")


class Category(StrEnum):
    suicide = "suicide"
    medical = "medical"
    violence = "violence"
    trafficking = "trafficking"
    child_alone = "child_alone"
    detention = "detention"
    homeless = "homeless"


class Level(StrEnum):
    life = "life"        # life or safety at stake now: 112 first
    urgent = "urgent"    # an urgent situation for a person, a specialised service


LIFE = (Category.suicide, Category.medical, Category.violence)
URGENT = (Category.trafficking, Category.child_alone, Category.detention, Category.homeless)
# When a message says several things, the reply speaks to the most pressing one.
PRIORITY = (Category.medical, Category.suicide, Category.violence, Category.trafficking,
            Category.child_alone, Category.detention, Category.homeless)

_ARABIC_MAP = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي",
    "ک": "ك", "ی": "ي", "ـ": None, "ڤ": "ف", "گ": "ك", "چ": "ج", "پ": "ب",
})
# Apostrophes are dropped: "j'veux", "jveux" and "j’veux" are one word, as users type them.
_LATIN_MAP = str.maketrans({"ı": "i", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ё": "е",
                            "'": None, "’": None, "`": None, "´": None, "ʼ": None})
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_REPEAT = re.compile(r"(\D)\1{2,}")


def fold(text: str) -> str:
    """Lower-case, strip accents and Arabic diacritics, unify letter variants."""
    text = text.lower().translate(_LATIN_MAP)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFC", text).translate(_ARABIC_MAP).translate(_LATIN_MAP)
    return _REPEAT.sub(r"\1", text)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def _close(a: str, b: str) -> bool:
    """At most one edit apart (insert, delete, substitute, or swap two neighbours)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if la > lb:
        a, b = b, a
    # b is one letter longer: dropping one of its letters gives a.
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


@dataclass(frozen=True)
class _Word:
    """One word of a pattern: alternatives, each exact, prefix, suffix or infix."""

    options: tuple[tuple[str, bool, bool], ...]  # (stem, any beginning, any ending)
    # The whole pattern: a single word, with no context to confirm a typo. A common word
    # of the nine languages is then not taken for a typo of it ("stayed" for "stabed").
    alone: bool = False

    def matches(self, word: str, known: bool = False) -> bool:
        """``known``: the word is a common, rightly spelt word (see ``known_words``)."""
        fuzzy = not (known and self.alone)
        for stem, any_start, any_end in self.options:
            if any_start and any_end:
                if stem in word:
                    return True
            elif any_end:
                if word.startswith(stem):
                    return True
                # A typo in the stem: the word's start, one letter shorter, as long or longer.
                if fuzzy and len(stem) >= FUZZY_MIN_LEN and any(
                        _close(word[:len(stem) + d], stem) for d in (-1, 0, 1)):
                    return True
            elif any_start:
                if word.endswith(stem):
                    return True
            elif word == stem or (fuzzy and len(stem) >= FUZZY_MIN_LEN and _close(word, stem)):
                return True
        return False


@dataclass(frozen=True)
class Pattern:
    source: str
    language: str
    category: Category
    words: tuple[_Word, ...]

    def search(self, hits: list[frozenset[int]] | list[set[int]]) -> bool:
        """``hits[i]``: the ids of the pattern words that token i matches."""
        first = id(self.words[0])
        for start in range(len(hits)):
            if first in hits[start] and self._rest(hits, start + 1, 1):
                return True
        return False

    def _rest(self, hits: list[set[int]], pos: int, k: int) -> bool:
        if k == len(self.words):
            return True
        wid = id(self.words[k])
        for i in range(pos, min(len(hits), pos + MAX_GAP + 1)):
            if wid in hits[i] and self._rest(hits, i + 1, k + 1):
                return True
        return False


_WORDS: dict[tuple, _Word] = {}


def _compile_word(raw: str, alone: bool = False) -> _Word:
    options = []
    for alt in raw.split("|"):
        any_start, any_end = alt.startswith("*"), alt.endswith("*")
        stem = "".join(tokens(alt.strip("*")))
        if stem:
            options.append((stem, any_start, any_end))
    if not options:
        raise ValueError(f"empty word in pattern: {raw!r}")
    # One object per distinct word: the index matches each distinct word once per token.
    return _WORDS.setdefault((tuple(options), alone), _Word(tuple(options), alone))


def compile_pattern(source: str, language: str, category: Category) -> Pattern:
    # Words are split on spaces; the folding of each word happens in _compile_word so
    # that "j'veux" in a list means the two words "j" "veux", as in a message.
    parts = [p for raw in source.split() for p in re.split(r"[^\w*|]+", fold(raw)) if p.strip("*|")]
    words = [_compile_word(p, alone=len(parts) == 1) for p in parts]
    if not words:
        raise ValueError(f"empty pattern in {language}/{category}")
    return Pattern(source, language, category, tuple(words))


def _deletions(text: str) -> set[str]:
    return {text} | {text[:i] + text[i + 1:] for i in range(len(text))}


class _Index:
    """Which pattern words can match a token, without trying all of them: exact stems in
    a dict, prefixes and suffixes by their length, typos through a one-deletion index
    (any two strings one edit apart share a string once one letter is deleted from
    each). Candidates are then confirmed with ``_Word.matches``."""

    def __init__(self, words: list[_Word]) -> None:
        self.exact: dict[str, set[int]] = {}
        self.prefix: dict[str, set[int]] = {}
        self.suffix: dict[str, set[int]] = {}
        self.infix: list[_Word] = []
        self.fuzzy: dict[str, set[int]] = {}        # deletion variant -> exact stems' words
        self.fuzzy_prefix: dict[str, set[int]] = {}  # deletion variant -> prefix stems' words
        self.by_id = {id(w): w for w in words}
        for word in words:
            wid = id(word)
            for stem, any_start, any_end in word.options:
                if any_start and any_end:
                    self.infix.append(word)
                elif any_end:
                    self.prefix.setdefault(stem, set()).add(wid)
                    if len(stem) >= FUZZY_MIN_LEN:
                        for variant in _deletions(stem):
                            self.fuzzy_prefix.setdefault(variant, set()).add(wid)
                elif any_start:
                    self.suffix.setdefault(stem, set()).add(wid)
                else:
                    self.exact.setdefault(stem, set()).add(wid)
                    if len(stem) >= FUZZY_MIN_LEN:
                        for variant in _deletions(stem):
                            self.fuzzy.setdefault(variant, set()).add(wid)
        self._cache: dict[str, frozenset[int]] = {}
        self.prefix_lengths = sorted({len(k) for k in self.prefix})
        self.suffix_lengths = sorted({len(k) for k in self.suffix})

    def hits(self, tok: str) -> frozenset[int]:
        # People reuse the same words: a token's matches are remembered (bounded).
        found = self._cache.get(tok)
        if found is None:
            if len(self._cache) > 100_000:
                self._cache.clear()
            found = self._cache[tok] = frozenset(self._hits(tok))
        return found

    def _hits(self, tok: str) -> set[int]:
        candidates: set[int] = set(self.exact.get(tok, ()))
        for n in self.prefix_lengths:
            if n > len(tok):
                break
            candidates |= self.prefix.get(tok[:n], set())
        for n in self.suffix_lengths:
            if n > len(tok):
                break
            candidates |= self.suffix.get(tok[-n:], set())
        known = tok in known_words()
        if len(tok) >= FUZZY_MIN_LEN - 1:
            variants = _deletions(tok)
            for variant in variants:
                candidates |= self.fuzzy.get(variant, set())
            # A prefix stem one typo away from the start of the token: the token's
            # starts (of any length) meet the stem in the deletion index.
            starts: set[str] = set()
            for cut in range(FUZZY_MIN_LEN - 1, len(tok) + 1):
                starts |= _deletions(tok[:cut])
            for variant in starts:
                hit = self.fuzzy_prefix.get(variant)
                if hit:
                    candidates |= hit
        found = {wid for wid in candidates if self.by_id[wid].matches(tok, known)}
        found.update(id(w) for w in self.infix if w.matches(tok))
        return found


@lru_cache
def known_words(per_language: int = KNOWN_WORDS_PER_LANGUAGE) -> frozenset[str]:
    """The folded common words of the nine languages, long enough for a typo to count.
    Empty (every typo forgiven, as before) if wordfreq is missing: the screen must work."""
    try:
        from wordfreq import top_n_list
    except ImportError:
        log.warning("wordfreq is not installed: typo tolerance applies to every word")
        return frozenset()
    out: set[str] = set()
    for lang in LANGUAGES:
        for word in top_n_list(lang, per_language):
            out.update(tok for tok in tokens(word) if len(tok) >= FUZZY_MIN_LEN - 1)
    return frozenset(out)


@lru_cache
def _index() -> _Index:
    words: dict[int, _Word] = {}
    for pattern in load_patterns():
        for word in pattern.words:
            words[id(word)] = word
    return _Index(list(words.values()))


@lru_cache
def load_patterns(directory: Path = LEXICON_DIR) -> tuple[Pattern, ...]:
    patterns = []
    for lang in LANGUAGES:
        path = directory / f"{lang}.yml"
        if not path.exists():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for category in Category:
            for source in data.get(category.value) or []:
                patterns.append(compile_pattern(str(source), lang, category))
    return tuple(patterns)


@dataclass
class Screening:
    categories: list[Category] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)   # lists that matched, most matches first
    matched: list[str] = field(default_factory=list)     # the patterns (for tests and the bench)
    model_category: Category | None = None               # added by the model, not by a list

    @property
    def possible(self) -> bool:
        """The most pressing category is the model's guess, not a list's match."""
        return self.model_category is not None and self.category is self.model_category

    @property
    def danger(self) -> bool:
        return bool(self.categories)

    @property
    def level(self) -> Level | None:
        if not self.categories:
            return None
        return Level.life if any(c in LIFE for c in self.categories) else Level.urgent

    @property
    def category(self) -> Category | None:
        """The most pressing category."""
        for cat in PRIORITY:
            if cat in self.categories:
                return cat
        return None


MODEL_MIN_WORDS = 2  # one word alone ("end", "he") is too little for a guess: the lists' job


def screen(text: str, *, model: bool = True) -> Screening:
    """The phrase lists, then (``model``) the model when no list found a life at stake in a
    message of two words or more."""
    result = screen_lists(text)
    if model and result.level is not Level.life and len(tokens(text)) >= MODEL_MIN_WORDS:
        from app.safety.model import get_model

        danger_model = get_model()
        guess = danger_model.guess(text) if danger_model is not None else None
        if guess is not None:
            result.model_category = Category(guess.category)
            result.categories.append(result.model_category)
            result.matched.append(f"model/{guess.category}: p={guess.probability:.2f}")
    return result


def screen_lists(text: str) -> Screening:
    toks = tokens(text)
    result = Screening()
    if not toks:
        return result
    counts: dict[str, int] = {}
    index = _index()
    hits = [index.hits(tok) for tok in toks]
    present = set().union(*hits)
    for pattern in load_patterns():
        if id(pattern.words[0]) not in present:
            continue
        if pattern.search(hits):
            if pattern.category not in result.categories:
                result.categories.append(pattern.category)
            counts[pattern.language] = counts.get(pattern.language, 0) + 1
            result.matched.append(f"{pattern.language}/{pattern.category}: {pattern.source}")
    result.languages = sorted(counts, key=lambda lang: -counts[lang])
    return result
