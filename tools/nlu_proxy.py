"""A fast stand-in for the Rasa NLU model, for iterating on training data.

Same features as config.yml (folded tokens, word counts + char_wb 2-5 n-grams,
logistic regression C=10), trained with scikit-learn in seconds instead of a full
`rasa train`. Prints held-out intent accuracy per language and, for the languages
given, the messages it gets wrong. The real figure is bench/nlu.py on the trained model.

Run: .venv-bot/bin/python tools/nlu_proxy.py [lang ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bot.components.folding_tokenizer import fold  # noqa: E402

LANGUAGES = ("fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar")


def load(path: Path) -> list[tuple[str, str]]:
    return [(ln[2:].strip(), b["intent"]) for b in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
            for ln in b["examples"].splitlines() if ln.startswith("- ")]


def prep(text: str) -> str:
    return " ".join(fold(w) for w in text.split())


def main(show: list[str]) -> None:
    train = [ex for p in sorted((ROOT / "data" / "nlu").rglob("*.yml")) for ex in load(p)]
    vec = make_union(CountVectorizer(token_pattern=r"\S+"), CountVectorizer(analyzer="char_wb", ngram_range=(2, 5)))
    clf = LogisticRegression(C=10, max_iter=3000, class_weight="balanced")
    clf.fit(vec.fit_transform([prep(t) for t, _ in train]), [i for _, i in train])
    for lang in LANGUAGES:
        held = load(ROOT / "tests" / "nlu" / f"{lang}.yml")
        pred = clf.predict(vec.transform([prep(t) for t, _ in held]))
        wrong = [(t, w, p) for (t, w), p in zip(held, pred) if w != p]
        print(f"{lang}: {1 - len(wrong) / len(held):.1%} ({len(wrong)} wrong of {len(held)})")
        if lang in show:
            for t, w, p in wrong:
                print(f"    {w:22} -> {p:22} {t}")


if __name__ == "__main__":
    main(sys.argv[1:])
