"""Intent accuracy per language on the held-out messages, with the trained model.

Run: PYTHONPATH=bot .venv-bot/bin/python bench/nlu.py
(`make bench` runs it.) Language detection accuracy: bench/langdetect.py.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar")


def held_out(lang: str) -> list[tuple[str, str]]:
    data = yaml.safe_load((ROOT / "tests" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))
    return [(line[2:].strip(), block["intent"]) for block in data["nlu"]
            for line in block["examples"].splitlines() if line.startswith("- ")]


async def main() -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(str(ROOT / "bot" / "models" / "hirondelle.tar.gz"))
    print(f"{'lang':<5}{'examples':>9}{'accuracy':>10}{'fallback':>10}  most confused")
    all_right = all_n = 0
    t0 = time.perf_counter()
    for lang in LANGUAGES:
        examples = held_out(lang)
        right = fallback = 0
        confused: Counter[tuple[str, str]] = Counter()
        for text, want in examples:
            got = (await agent.parse_message(text))["intent"]["name"]
            right += got == want
            fallback += got == "nlu_fallback"
            if got != want:
                confused[(want, got)] += 1
        all_right += right
        all_n += len(examples)
        top = ", ".join(f"{a}->{b} x{n}" for (a, b), n in confused.most_common(2))
        print(f"{lang:<5}{len(examples):>9}{100 * right / len(examples):>9.1f}%{fallback:>10}  {top}")
    dt = time.perf_counter() - t0
    print(f"{'all':<5}{all_n:>9}{100 * all_right / all_n:>9.1f}%   parse {1000 * dt / all_n:.1f} ms/message")


if __name__ == "__main__":
    asyncio.run(main())
