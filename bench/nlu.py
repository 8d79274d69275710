"""Intent accuracy per language, with the trained model, on two held-out sets:
the dev set (tests/nlu/<lang>.yml: never trained on, studied while editing the training
data; tests/bot gates it at 95%) and the sealed set (tests/nlu/sealed/<lang>.yml: written
by another hand, never read while editing; only its figures are printed).

Run: .venv-bot/bin/python bench/nlu.py [path/to/model.tar.gz]   (default: models/hirondelle.tar.gz)
(`make bench` runs it.) Language detection accuracy: bench/langdetect.py.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the custom components: bot.components
LANGUAGES = ("fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar")


def held_out(lang: str, kind: str = "dev") -> list[tuple[str, str]]:
    path = ROOT / "tests" / "nlu" / (f"{lang}.yml" if kind == "dev" else f"sealed/{lang}.yml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(line[2:].strip(), block["intent"]) for block in data["nlu"]
            for line in block["examples"].splitlines() if line.startswith("- ")]


async def main() -> None:
    import logging

    from rasa.core.agent import Agent

    # Rasa's debug log quotes every parsed text: that would print the sealed set.
    logging.disable(logging.INFO)

    agent = Agent.load(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "models" / "hirondelle.tar.gz"))
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    for kind in ("dev", "sealed"):
        await report(agent, kind)


async def report(agent, kind: str) -> None:  # noqa: ANN001
    # The sealed set's mistakes are never printed: reading them would make it a dev set.
    print(f"\n{kind} set" + (" (figures only)" if kind == "sealed" else ""))
    print(f"{'lang':<5}{'examples':>9}{'accuracy':>10}{'fallback':>10}" + ("  most confused" if kind == "dev" else ""))
    all_right = all_n = 0
    t0 = time.perf_counter()
    for lang in LANGUAGES:
        examples = held_out(lang, kind)
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
        top = ", ".join(f"{a}->{b} x{n}" for (a, b), n in confused.most_common(2)) if kind == "dev" else ""
        print(f"{lang:<5}{len(examples):>9}{100 * right / len(examples):>9.1f}%{fallback:>10}  {top}")
    dt = time.perf_counter() - t0
    print(f"{'all':<5}{all_n:>9}{100 * all_right / all_n:>9.1f}%   parse {1000 * dt / all_n:.1f} ms/message")


if __name__ == "__main__":
    asyncio.run(main())
