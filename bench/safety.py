"""Danger screen: recall per language and category, and false alarms on ordinary messages.

Run: .venv-api/bin/python bench/safety.py [--show-dev-misses] [--show-false-alarms] [--cv]
     [--lang xx] [--lists-only]   (one language's danger set, and the lists alone: a quick
                                   check while editing one language's list)
     [--fresh j,k]   (a new round's messages, examples/*-j.yml and *-k.yml, with a model
                      trained without them: what wording the screen never saw gets)

Each set is screened twice: by the phrase lists alone, and by the whole screen (the lists,
then the model of app/safety/model.py where they find no life at stake).

- dev set (api/app/safety/examples/<lang>*.yml): studied while editing the phrase lists,
  and the model's danger examples, so the whole screen's dev figure is not a measure;
  ``--show-dev-misses`` prints what the lists miss.
- sealed set (tests/safety/sealed/<lang>.yml): written by another hand and never read
  while tuning; only its figures are printed, never its messages.
- ``--cv``: the model measured on messages it never saw: 5-fold cross-validation over the
  dev set and the ordinary messages of the NLU training data (recall on life-threatening
  dev messages, ordinary messages newly flagged at the threshold).
- ``--fresh``: each round of danger examples is written before its authors read the lists;
  its messages, screened by a model trained without them, measure what new wording gets
  from the model. The lists' figure is fresh only when run before the round's list work
  (in a git worktree at the commit that added the round's examples).
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

SETS = {"dev": ROOT / "api" / "app" / "safety" / "examples", "sealed": ROOT / "tests" / "safety" / "sealed"}


def danger_set(kind: str, lang: str) -> list[tuple[str, Category]]:
    """Every file of the set for a language: <lang>.yml and <lang>-<part>.yml (several hands)."""
    rows = []
    for path in sorted(SETS[kind].glob(f"{lang}*.yml")):
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


def hard_ordinary_messages() -> list[str]:
    """Ordinary messages written to look like danger ("I'm dying to see my mother"), kept
    beside the danger examples as the model's negatives: examples/ordinary-*.yml."""
    rows = []
    for path in sorted(SETS["dev"].glob("ordinary-*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        rows += [str(m["text"]) for m in data.get("messages") or []]
    return rows


def recall(kind: str, show: bool, model: bool, languages: tuple[str, ...] = LANGUAGES) -> None:
    print(f"\n{kind} set, {'lists + model' if model else 'phrase lists alone'}: recall "
          f"(life-threatening = suicide, medical, violence)")
    header = f"{'lang':<5}{'n':>5}{'life':>12}{'urgent':>12}{'all':>12}{'right kind':>12}"
    print(header)
    totals = defaultdict(lambda: [0, 0])
    per_cat = defaultdict(lambda: [0, 0])
    for lang in languages:
        rows = danger_set(kind, lang)
        if not rows:
            print(f"{lang:<5}{'(no set)':>10}")
            continue
        res = defaultdict(lambda: [0, 0])
        for text, cat in rows:
            found = screen(text, model=model)
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


def false_alarms(show: bool, model: bool) -> None:
    which = "lists + model (the model was trained on the training part: see --cv)" if model else "phrase lists alone"
    print(f"\nfalse alarms on ordinary messages (NLU training data + held-out set), {which}")
    print(f"{'lang':<5}{'n':>7}{'any':>10}{'112 reply':>11}")
    all_n = all_any = all_life = 0
    t0 = time.perf_counter()
    for lang in LANGUAGES:
        rows = ordinary_messages(lang)
        n_any = n_life = 0
        for text, intent in rows:
            found = screen(text, model=model)
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
    hard = hard_ordinary_messages()
    n_any = n_life = 0
    for text in hard:
        found = screen(text, model=model)
        n_any += found.danger
        n_life += found.level is Level.life
        if show and found.danger:
            print(f"   ALARM hard-ordinary {text} -> {found.matched}")
    if hard:
        print(f"{'hard':<5}{len(hard):>7}{100 * n_any / len(hard):>9.2f}%{100 * n_life / len(hard):>10.2f}%"
              "   (examples/ordinary-*.yml: ordinary messages written to look like danger; not in 'all')")
    print(f"{'all':<5}{all_n:>7}{100 * all_any / all_n:>9.2f}%{100 * all_life / all_n:>10.2f}%"
          f"   ({1000 * elapsed / all_n:.2f} ms per message)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-dev-misses", action="store_true")
    parser.add_argument("--show-false-alarms", action="store_true")
    parser.add_argument("--dev-only", action="store_true", help="skip the sealed set")
    parser.add_argument("--cv", action="store_true", help="cross-validate the model (about a minute)")
    parser.add_argument("--lang", choices=LANGUAGES, action="append",
                        help="only this language's danger set (false alarms are still counted on all nine)")
    parser.add_argument("--lists-only", action="store_true", help="skip the model")
    parser.add_argument("--fresh", metavar="PARTS",
                        help="only a new round: examples/*-PART.yml (comma-separated parts) screened "
                             "with a model trained without them")
    args = parser.parse_args()
    if args.fresh:
        fresh_round(tuple(args.fresh.split(",")), args.show_dev_misses)
        return
    languages = tuple(args.lang) if args.lang else LANGUAGES
    for model in (False,) if args.lists_only else (False, True):
        recall("dev", args.show_dev_misses and not model, model, languages)
        if not args.dev_only:
            recall("sealed", False, model, languages)
        false_alarms(args.show_false_alarms, model)
    if args.cv:
        cross_validate()


def fresh_round(parts: tuple[str, ...], show: bool = False) -> None:
    """A round's messages (examples/<lang>-<part>.yml and ordinary-<lang>-<part>.yml), screened
    by the lists as they stand and by a model trained on every other example."""
    import shutil
    import tempfile

    from app.safety import model as danger_model
    from app.safety.screen import MODEL_MIN_WORDS, screen_lists, tokens

    held = {p for p in SETS["dev"].glob("*.yml") if p.stem.rsplit("-", 1)[-1] in parts and "-" in p.stem}
    if not held:
        sys.exit(f"no examples/*-{{{','.join(parts)}}}.yml")
    with tempfile.TemporaryDirectory() as tmp:
        for path in set(SETS["dev"].glob("*.yml")) - held:
            shutil.copy(path, tmp)
        texts, labels, _ = danger_model.training_set(Path(tmp))
    fitted = danger_model.DangerModel(danger_model.build().fit(texts, labels))

    def row(name: str, h: list[int], u: list[int]) -> None:
        if h[3] or u[1]:
            life = "".join(f"{100 * x / h[3]:>{w}.1f}%" if h[3] else f"{'-':>{w + 1}}"
                           for x, w in zip(h[:3], (15, 15, 17), strict=True))
            print(f"{name:<5}{h[3]:>5}{life}{f'{100 * u[0] / u[1]:.1f}% ({u[0]}/{u[1]})' if u[1] else '-':>22}")

    messages = defaultdict(list)  # language -> (text, category, look-alike?)
    for path in sorted(held):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        messages[data.get("language")] += [(str(m["text"]), m["category"], path.stem.startswith("ordinary-"))
                                           for m in data.get("messages") or []]
    print(f"\nnew round {'+'.join(parts)}: life-threatening messages, phrase lists as they stand, and "
          f"lists + a model trained on the {len(texts)} other messages")
    print(f"{'lang':<5}{'n':>5}{'lists':>16}{'model alone':>16}{'lists + model':>18}{'urgent (lists)':>22}")
    totals = [0, 0, 0, 0]
    urgent_totals = [0, 0]
    look_alikes = [0, 0, 0]
    for lang in LANGUAGES:
        hits = [0, 0, 0, 0]  # lists, model alone, lists + model, n (life-threatening)
        urgent = [0, 0]      # caught by the lists, n
        for text, category, look_alike in messages[lang]:
            found = screen_lists(text)
            if not look_alike and Category(category) not in LIFE:
                urgent[0] += found.danger
                urgent[1] += 1
                if show and not found.danger:
                    print(f"   MISS {lang} {category}: {text}")
                continue
            lists = found.level is Level.life
            model = len(tokens(text)) >= MODEL_MIN_WORDS and fitted.guess(text) is not None
            both = lists or model
            if look_alike:
                look_alikes[0] += both
                look_alikes[1] += 1
                look_alikes[2] += both and not lists
                if show and both:
                    print(f"   ALARM {lang} ({'lists' if lists else 'model'}): {text}")
                continue
            if show and not both:
                print(f"   MISS {lang} {category}: {text}")
            hits = [hits[0] + lists, hits[1] + model, hits[2] + both, hits[3] + 1]
        row(lang, hits, urgent)
        totals = [t + h for t, h in zip(totals, hits, strict=True)]
        urgent_totals = [t + u for t, u in zip(urgent_totals, urgent, strict=True)]
    row("all", totals, urgent_totals)
    if look_alikes[1]:
        print(f"look-alikes of the round given a 112 reply: {look_alikes[0]}/{look_alikes[1]} "
              f"({look_alikes[2]} by the model alone)")


def cross_validate(folds: int = 5) -> None:
    """The model on messages it never saw, with the lists' verdict beside it."""
    import numpy as np
    from app.safety import model as danger_model
    from app.safety.screen import screen_lists
    from sklearn.model_selection import StratifiedKFold

    texts, labels, groups = danger_model.training_set()
    texts, labels, groups = np.array(texts, dtype=object), np.array(labels), np.array(groups)
    ordinary = groups == "ordinary"
    assistant = groups == "assistant"
    life = labels != danger_model.OTHER
    p_life = np.zeros(len(texts))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, labels):
        fitted = danger_model.DangerModel(danger_model.build().fit(texts[train], labels[train]))
        p_life[test] = [g.probability for g in fitted.life_probability(list(texts[test]))]
    lists = np.array([screen_lists(t).level is Level.life for t in texts])
    print(f"\nmodel, {folds}-fold cross-validation over {life.sum()} life-threatening dev messages, "
          f"{ordinary.sum()} ordinary messages of the NLU training data and {assistant.sum()} sentences of "
          f"the assistant's replies")
    print(f"{'threshold':>10}{'recall (model alone)':>22}{'ordinary newly flagged':>26}{'assistant sentences':>22}")
    in_use = np.array([danger_model.threshold(t) for t in texts])
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9, None):
        flagged = p_life >= (in_use if threshold is None else threshold)
        newly = (flagged & ordinary & ~lists).sum()
        label = (f"{danger_model.THRESHOLD} ({danger_model.SHORT_THRESHOLD} for {danger_model.SHORT_WORDS} "
                 f"words, in use)" if threshold is None else f"{threshold:>10.1f}")
        other = (flagged & assistant & ~lists).sum()
        print(f"{label:>10}{100 * (flagged & life).sum() / life.sum():>21.1f}%"
              f"{newly:>12} ({100 * newly / ordinary.sum():.3f}%){other:>10} ({100 * other / assistant.sum():.2f}%)")


if __name__ == "__main__":
    main()
