"""The hand-written date parser (api/app/appointments/parse.py + vocabulary.py) against
dateparser, on held-out time expressions (tests/dates/<lang>.yml), per language.

    .venv-api/bin/python bench/dates.py [--show-misses]

A case is right when the parser gives what the text means, as parse.WhenFilter says
it: the same day (a weekday alone may also be answered by its next date, today
included, within a week), the same time, the same part of the day. When the text
names no day, a day the parser fills in is not held against it (dateparser always
returns a full date). dateparser has no notion of "the afternoon", so the second
figure leaves out the cases that name a part of the day: its best case.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "api"))

from app.appointments.parse import parse_when  # noqa: E402

LANGUAGES = ("fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar")
TZ = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday; the files' answers depend on it


@dataclass(frozen=True)
class Reading:
    day: date | None = None
    weekday: int | None = None
    at: time | None = None
    part: str | None = None


def expected(case: dict) -> Reading:
    at = case.get("at")
    return Reading(day=case.get("day"), weekday=case.get("weekday"),
                   at=time.fromisoformat(at) if at else None, part=case.get("part"))


def same_day(want: Reading, got: Reading) -> bool:
    if want.day is None and want.weekday is None:
        return True  # no day named: whatever day a parser fills in is not counted
    if want.day is not None:
        return got.day == want.day
    if got.weekday is not None:
        return got.weekday == want.weekday
    return got.day is not None and got.day.weekday() == want.weekday and 0 <= (got.day - NOW.date()).days <= 7


def right(want: Reading, got: Reading) -> bool:
    return same_day(want, got) and got.at == want.at and got.part == want.part


def handwritten(text: str, language: str) -> Reading:
    f = parse_when(text, NOW, language)
    return Reading(day=f.day, weekday=f.weekday, at=f.at, part=f.part)


def _dateparser():
    import dateparser
    from dateparser.search import search_dates

    settings = {"RELATIVE_BASE": NOW.replace(tzinfo=None), "PREFER_DATES_FROM": "future",
                "RETURN_TIME_AS_PERIOD": True}

    def read(text: str, language: str) -> Reading:
        # The whole text as one date, else the pieces it finds in it read together
        # ("demain" + "10 heures"), else the first piece: the best it offers.
        parser = dateparser.DateDataParser(languages=[language], settings=settings)
        data = parser.get_date_data(text)
        if data.date_obj is None:
            found = search_dates(text, languages=[language], settings=settings) or []
            if not found:
                return Reading()
            data = parser.get_date_data(" ".join(piece for piece, _ in found))
            if data.date_obj is None:
                data = parser.get_date_data(found[0][0])
            if data.date_obj is None:
                return Reading(day=found[0][1].date())
        moment = data.date_obj
        return Reading(day=moment.date(), at=moment.time().replace(second=0, microsecond=0)
                       if data.period == "time" else None)

    return read


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")  # dateparser's own deprecation notices
    parsers = {"hand-written": handwritten, "dateparser": _dateparser()}
    totals = {name: [0, 0, 0, 0] for name in parsers}  # right, n, right without part, n without part
    print(f"now = {NOW.isoformat()} ({NOW:%A})")
    print(f"{'lang':<5}{'cases':>6}  {'hand-written':>14}{'dateparser':>12}   "
          f"{'no part: hand-written':>22}{'dateparser':>12}")
    for lang in LANGUAGES:
        cases = yaml.safe_load((ROOT / "tests" / "dates" / f"{lang}.yml").read_text(encoding="utf-8"))["cases"]
        row = {}
        for name, parse in parsers.items():
            ok = ok_np = n_np = 0
            for case in cases:
                want, got = expected(case), parse(case["text"], lang)
                good = right(want, got)
                ok += good
                if want.part is None:
                    n_np += 1
                    ok_np += good
                if not good and args.show_misses:
                    print(f"  miss {name:<12} {lang} {case['text']!r}: got {got}, want {want}")
            row[name] = (ok, ok_np, n_np)
            t = totals[name]
            t[0], t[1], t[2], t[3] = t[0] + ok, t[1] + len(cases), t[2] + ok_np, t[3] + n_np
        hw, dp = row["hand-written"], row["dateparser"]
        print(f"{lang:<5}{len(cases):>6}  {hw[0] / len(cases):>14.1%}{dp[0] / len(cases):>12.1%}   "
              f"{hw[1] / hw[2]:>22.1%}{dp[1] / dp[2]:>12.1%}")
    hw, dp = totals["hand-written"], totals["dateparser"]
    print(f"{'all':<5}{hw[1]:>6}  {hw[0] / hw[1]:>14.1%}{dp[0] / dp[1]:>12.1%}   "
          f"{hw[2] / hw[3]:>22.1%}{dp[2] / dp[3]:>12.1%}")


if __name__ == "__main__":
    main()
