"""Intent accuracy on the dev set (tests/nlu/<lang>.yml, never trained on but studied
while editing the training data): at least 95% per language. The sealed set
(tests/nlu/sealed/<lang>.yml, written by another hand, never read while editing) is not
a gate here: bench/nlu.py prints its accuracy. Neither set may appear in the training
data, compared after folding case, accents and punctuation."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "hirondelle.tar.gz"
LANGUAGES = ("fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar")
BAR = 0.95


def held_out(lang: str, kind: str = "dev") -> list[tuple[str, str]]:
    path = ROOT / "tests" / "nlu" / (f"{lang}.yml" if kind == "dev" else f"sealed/{lang}.yml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(line[2:].strip(), block["intent"]) for block in data["nlu"]
            for line in block["examples"].splitlines() if line.startswith("- ")]


def folded(text: str) -> str:
    """Case, accents and punctuation folded: "C'est où ?" = "cest ou"."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w\s]", "", text)
    return " ".join(text.split())


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL))


def test_dev_and_sealed_sets_are_not_in_the_training_data() -> None:
    training = set()
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            training |= {folded(line[2:]) for line in block["examples"].splitlines() if line.startswith("- ")}
    for kind in ("dev", "sealed"):
        for lang in LANGUAGES:
            examples = held_out(lang, kind)
            assert len(examples) >= (100 if kind == "sealed" else 150), (kind, lang)
            overlap = [t for t, _ in examples if folded(t) in training]
            assert not overlap, f"{kind} {lang}: {overlap[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_intent_accuracy_per_language(agent, lang: str) -> None:
    examples = held_out(lang)
    loop = asyncio.new_event_loop()
    try:
        predicted = [loop.run_until_complete(agent.parse_message(text))["intent"]["name"] for text, _ in examples]
    finally:
        loop.close()
    wrong = [(t, want, got) for (t, want), got in zip(examples, predicted) if got != want]
    accuracy = 1 - len(wrong) / len(examples)
    assert accuracy >= BAR, f"{lang}: {accuracy:.1%} ({len(wrong)} wrong), e.g. {wrong[:8]}"
