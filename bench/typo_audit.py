"""Danger lists: which common words of the nine languages set off the screen on their own.

Run: .venv-api/bin/python bench/typo_audit.py [--top 6000] [--life-only]

Every one of the ``--top`` most frequent words of each language (wordfreq, installed with
the gateway) is screened alone by the phrase lists. A word that gets a category is printed
with the pattern that fired and the word's frequency rank: most are danger words themselves
("suicide", "ambulance"), the rest are traps ("coma", a Spanish verb, fired the French and
Dutch medical lists until they were given a context word). The typo tolerance no longer
reaches a common word on a one-word pattern (app.safety.screen.known_words), so what shows
here matches exactly, by its beginning or by its end. About a minute for 6,000 words a language.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "api"))

from app.safety.screen import LANGUAGES, Level, screen_lists  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=6000, help="words per language")
    parser.add_argument("--life-only", action="store_true", help="only words given a 112 reply")
    args = parser.parse_args()
    from wordfreq import top_n_list

    t0 = time.perf_counter()
    hits: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    counts = {"life": 0, "urgent": 0, "words": 0}
    for lang in LANGUAGES:
        for rank, word in enumerate(top_n_list(lang, args.top)):
            counts["words"] += 1
            found = screen_lists(word)
            if not found.danger or (args.life_only and found.level is not Level.life):
                continue
            counts["life" if found.level is Level.life else "urgent"] += 1
            for matched in found.matched:
                hits[matched].append((lang, rank, word))
    for matched, words in sorted(hits.items(), key=lambda kv: min(rank for _, rank, _ in kv[1])):
        shown = ", ".join(f"{lang}:{word}#{rank}" for lang, rank, word in sorted(words, key=lambda w: w[1])[:8])
        print(f"{matched[:100]}  <-  {shown}")
    print(f"\n{counts['words']} common words ({args.top} a language): {counts['life']} given a 112 reply alone, "
          f"{counts['urgent']} an urgent handoff ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
