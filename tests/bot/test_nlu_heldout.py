"""Intent accuracy on held-out messages (never trained on): at least 95% per language."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "bot" / "models" / "hirondelle.tar.gz"
LANGUAGES = ("fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar")
BAR = 0.95


def held_out(lang: str) -> list[tuple[str, str]]:
    data = yaml.safe_load((ROOT / "tests" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))
    return [(line[2:].strip(), block["intent"]) for block in data["nlu"]
            for line in block["examples"].splitlines() if line.startswith("- ")]


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL))


def test_held_out_data_is_not_in_the_training_data() -> None:
    training = set()
    for path in (ROOT / "bot" / "data" / "nlu").rglob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            training |= {line[2:].strip().lower() for line in block["examples"].splitlines()
                         if line.startswith("- ")}
    for lang in LANGUAGES:
        overlap = [t for t, _ in held_out(lang) if t.lower() in training]
        assert not overlap, f"{lang}: {overlap[:5]}"


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
