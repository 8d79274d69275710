"""Danger screen: recall per language and category, and false alarms on ordinary messages.

Run: .venv-api/bin/python bench/safety.py [--show-dev-misses] [--show-false-alarms]

- dev set (tests/safety/dev/<lang>.yml): studied while editing the phrase lists;
  ``--show-dev-misses`` prints what it misses.
- sealed set (tests/safety/sealed/<lang>.yml): written by another hand and never read
  while tuning; only its figures are printed, never its messages.
- false alarms: every ordinary message of the NLU training data and the held-out NLU
  test set (data/nlu, tests/nlu), nine languages, none of them a danger message.
  Messages that talk *about* the service's own subjects (for example "can victims of
  trafficking get help?" in ask_eligibility) do raise an urgent handoff: they are
  counted as false alarms here all the same, and reported apart from life-threatening
  false alarms, which are the ones that send a 112 reply.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "api"))

from app.safety.screen import LANGUAGES, LIFE, Category, Level, screen  # noqa: E402


def danger_set(kind: str, lang: str) -> list[tuple[str, Category]]:
    """Every file of the set for a language: <lang>.yml and <lang>-<part>.yml (several hands)."""
    rows = []
    for path in sorted((ROOT / "tests" / "safety" / kind).glob(f"{lang}*.yml")):
        if path.stem != lang and not path.stem.startswith(f"{lang}-"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rows += [(m["text"], Category(m["category"])) for m in data["messages"]]
    return rows


def ordinary_messages(lang: str) -> list[tuple[str, str]]:
    """(text, intent) from the NLU training data and held-out set of one language."""
    files = sorted((ROOT / "data" / "nlu" / lang).glob("*.yml")) + [ROOT / "tests" / "nlu" / f"{lang}.yml"]
    out = []
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    out.append((line.strip()[2:].strip(), block["intent"]))
    return out


def recall(kind: str, show: bool) -> None:
    print(f"\n{kind} set: recall (life-threatening = suicide, medical, violence)")
    header = f"{'lang':<5}{'n':>5}{'life':>12}{'urgent':>12}{'all':>12}{'right kind':>12}"
    print(header)
    totals = defaultdict(lambda: [0, 0])
    per_cat = defaultdict(lambda: [0, 0])
    for lang in LANGUAGES:
        rows = danger_set(kind, lang)
        if not rows:
            print(f"{lang:<5}{'(no set)':>10}")
            continue
        res = defaultdict(lambda: [0, 0])
        for text, cat in rows:
            found = screen(text)
            group = "life" if cat in LIFE else "urgent"
            hit = found.danger and (found.level is Level.life or group == "urgent")
            res[group][0] += hit
            res[group][1] += 1
            res["all"][0] += found.danger
            res["all"][1] += 1
            res["kind"][0] += cat in found.categories
            res["kind"][1] += 1
            per_cat[cat][0] += hit
            per_cat[cat][1] += 1
            if show and not hit:
                print(f"   MISS {lang} {cat}: {text}")
        for key in res:
            totals[key][0] += res[key][0]
            totals[key][1] += res[key][1]

        def pct(key: str, res: dict = res) -> str:
            hit, n = res[key]
            return f"{100 * hit / n:.1f}% ({hit}/{n})" if n else "-"

        print(f"{lang:<5}{res['all'][1]:>5}{pct('life'):>12}{pct('urgent'):>12}{pct('all'):>12}{pct('kind'):>12}")
    if totals["all"][1]:
        def tpct(key: str) -> str:
            hit, n = totals[key]
            return f"{100 * hit / n:.1f}%" if n else "-"
        print(f"{'all':<5}{totals['all'][1]:>5}{tpct('life'):>12}{tpct('urgent'):>12}{tpct('all'):>12}{tpct('kind'):>12}")
        print("per category: " + ", ".join(f"{c.value} {100 * h / n:.0f}% ({h}/{n})"
                                           for c, (h, n) in per_cat.items()))


def false_alarms(show: bool) -> None:
    print("\nfalse alarms on ordinary messages (NLU training data + held-out set)")
    print(f"{'lang':<5}{'n':>7}{'any':>10}{'112 reply':>11}")
    all_n = all_any = all_life = 0
    t0 = time.perf_counter()
    for lang in LANGUAGES:
        rows = ordinary_messages(lang)
        n_any = n_life = 0
        for text, intent in rows:
            found = screen(text)
            if found.danger:
                n_any += 1
                n_life += found.level is Level.life
                if show:
                    print(f"   ALARM {lang} [{intent}] {text} -> {found.matched}")
        all_n += len(rows)
        all_any += n_any
        all_life += n_life
        print(f"{lang:<5}{len(rows):>7}{100 * n_any / len(rows):>9.2f}%{100 * n_life / len(rows):>10.2f}%")
    elapsed = time.perf_counter() - t0
    print(f"{'all':<5}{all_n:>7}{100 * all_any / all_n:>9.2f}%{100 * all_life / all_n:>10.2f}%"
          f"   ({1000 * elapsed / all_n:.2f} ms per message)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-dev-misses", action="store_true")
    parser.add_argument("--show-false-alarms", action="store_true")
    parser.add_argument("--dev-only", action="store_true", help="skip the sealed set")
    args = parser.parse_args()
    recall("dev", args.show_dev_misses)
    if not args.dev_only:
        recall("sealed", False)
    false_alarms(args.show_false_alarms)


if __name__ == "__main__":
    main()
