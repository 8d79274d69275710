"""Language detection accuracy per language on the held-out messages (tests/nlu).

Run: .venv-api/bin/python bench/langdetect.py
A message counts as right only when the detected language is the one it was written
in; "menu" counts messages where the detector would ask (too short to tell), and
those count as wrong here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "api"))

from app.language.detect import LANGUAGES, LanguageDetector, get_detector, words  # noqa: E402


def held_out(lang: str) -> list[str]:
    data = yaml.safe_load((ROOT / "tests" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))
    return [line[2:].strip() for block in data["nlu"] for line in block["examples"].splitlines()
            if line.startswith("- ")]


def main() -> None:
    variants = {"lingua alone": LanguageDetector(), "lingua + lexicon (used)": get_detector()}
    for label, detector in variants.items():
        detector.warm_up()
        print(f"\n{label}")
        print(f"{'lang':<5}{'1-3 words':>16}{'longer':>16}{'menu':>7}")
        tot = {"s": [0, 0], "l": [0, 0]}
        t0, n = time.perf_counter(), 0
        for lang in LANGUAGES:
            res = {"s": [0, 0], "l": [0, 0]}
            menu = 0
            for text in held_out(lang):
                d = detector.detect(text)
                n += 1
                k = "s" if len(words(text)) <= 3 else "l"
                res[k][1] += 1
                res[k][0] += d.language == lang
                menu += d.language is None
            for k in res:
                tot[k][0] += res[k][0]
                tot[k][1] += res[k][1]
            pct = {k: 100 * a / b if b else float("nan") for k, (a, b) in res.items()}
            print(f"{lang:<5}{pct['s']:>9.1f}% ({res['s'][1]:>3}){pct['l']:>9.1f}% ({res['l'][1]:>3}){menu:>7}")
        elapsed = time.perf_counter() - t0
        print(f"{'all':<5}{100*tot['s'][0]/tot['s'][1]:>9.1f}% ({tot['s'][1]:>3})"
              f"{100*tot['l'][0]/tot['l'][1]:>9.1f}% ({tot['l'][1]:>3})   {1000*elapsed/n:.2f} ms/message")


if __name__ == "__main__":
    main()
