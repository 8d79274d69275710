"""How people say a day and a time, in the nine languages of the service.

Data only; ``parse.py`` reads it. Write entries in lower case; accents, Arabic
diacritics and hamza forms are optional because both the entries and the user's text
are folded the same way (``parse.fold``). Hyphens count as spaces ("après-midi" is
matched by "apres midi").

Wildcards:
- ``word*``  the word may go on (inflections): "пятниц*" matches пятница, пятницу;
- ``*word``  letters may come before it (Arabic's attached ال / و / ب): "*جمعه".
- ``+suffix`` (after_hour only) written right after the number, no space: "10'da".
- ``=word``   only counts when the conversation is in this language (false friends).
Without wildcards an entry must be a whole word. Longer entries win over shorter ones
at the same place ("pasado mañana" before "mañana", "cumartesi" before "cuma").
"""

from __future__ import annotations

from typing import TypedDict


class Vocabulary(TypedDict, total=False):
    weekdays: tuple[list[str], ...]      # Monday first
    relative: dict[str, int]             # words for today (0), tomorrow (1), the day after (2)
    combined: dict[str, tuple[int, str]]  # one word for a day and a part: "morgenochtend"
    morning: list[str]
    afternoon: list[str]
    noon: list[str]                      # means 12:00
    months: tuple[list[str], ...]        # January first; only read right after a day number
    before_hour: list[str]               # "à 10", "om 10", "a las 10", "в 10"
    after_hour: list[str]                # "10h", "10 uur", "10 Uhr"; "+" = attached only: "10'da"


VOCABULARY: dict[str, Vocabulary] = {
    "fr": {
        "weekdays": (["lundi*"], ["mardi*"], ["mercredi*"], ["jeudi*"], ["vendredi*"], ["samedi*"],
                     ["dimanche*"]),
        "relative": {"aujourd'hui": 0, "aujourdhui": 0, "demain": 1, "après-demain": 2},
        "morning": ["matin", "matinée"],
        "afternoon": ["après-midi", "aprem", "après le midi"],
        "noon": ["midi"],
        "months": (["janvier", "janv"], ["février", "févr"], ["mars"], ["avril", "avr"], ["mai"], ["juin"],
                   ["juillet", "juil"], ["août"], ["septembre", "sept"], ["octobre", "oct"],
                   ["novembre", "nov"], ["décembre", "déc"]),
        "before_hour": ["à", "vers"],
        "after_hour": ["h", "heure", "heures", "hr"],
    },
    "nl": {
        "weekdays": (["maandag*"], ["dinsdag*"], ["woensdag*"], ["donderdag*"], ["vrijdag*"], ["zaterdag*"],
                     ["zondag*"]),
        "relative": {"vandaag": 0, "morgen": 1, "overmorgen": 2},
        "combined": {"morgenochtend": (1, "morning"), "morgenvroeg": (1, "morning"),
                     "morgenvoormiddag": (1, "morning"), "morgenmiddag": (1, "afternoon"),
                     "morgennamiddag": (1, "afternoon")},
        "morning": ["ochtend*", "voormiddag*", "'s morgens", "'s ochtends", "'s voormiddags", "vroeg"],
        "afternoon": ["namiddag*", "middag", "'s middags", "'s namiddags", "na de middag"],
        "noon": ["12 uur 's middags"],
        "months": (["januari", "jan"], ["februari", "feb"], ["maart"], ["april", "apr"], ["mei"], ["juni"],
                   ["juli"], ["augustus", "aug"], ["september", "sep", "sept"], ["oktober", "okt"],
                   ["november", "nov"], ["december", "dec"]),
        "before_hour": ["om", "rond", "tegen", "vanaf"],
        "after_hour": ["u", "uur", "h"],
    },
    "en": {
        # Abbreviations only count in English: "mon" is French for "my", "tue" Italian for "your".
        "weekdays": (["monday*", "=mon"], ["tuesday*", "=tue", "=tues"], ["wednesday*", "=wed"],
                     ["thursday*", "=thu", "=thur", "=thurs"], ["friday*", "=fri"], ["saturday*", "=sat"],
                     ["sunday*", "=sun"]),
        "relative": {"today": 0, "tonight": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1,
                     "day after tomorrow": 2, "the day after tomorrow": 2},
        "morning": ["morning*", "in the morning"],
        "afternoon": ["afternoon*", "in the afternoon"],
        "noon": ["noon", "midday", "12 noon"],
        "months": (["january", "jan"], ["february", "feb"], ["march", "mar"], ["april", "apr"], ["may"],
                   ["june", "jun"], ["july", "jul"], ["august", "aug"], ["september", "sep", "sept"],
                   ["october", "oct"], ["november", "nov"], ["december", "dec"]),
        "before_hour": ["at", "around"],
        "after_hour": ["o'clock", "oclock", "h"],  # am / pm: parse.py knows them
    },
    "es": {
        "weekdays": (["lunes"], ["martes"], ["miércoles"], ["jueves"], ["viernes"], ["sábado*"], ["domingo*"]),
        # "mañana" alone is tomorrow; "la mañana" is the morning ("por la mañana").
        "relative": {"hoy": 0, "mañana": 1, "pasado mañana": 2},
        "morning": ["la mañana", "de mañana", "temprano"],
        "afternoon": ["tarde", "la tarde", "por la tarde"],
        "noon": ["mediodía", "medio día"],
        "months": (["enero"], ["febrero"], ["marzo"], ["abril"], ["mayo"], ["junio"], ["julio"], ["agosto"],
                   ["septiembre", "setiembre"], ["octubre"], ["noviembre"], ["diciembre"]),
        "before_hour": ["a las", "a la", "las", "sobre las", "hacia las", "desde las"],
        "after_hour": ["h", "horas", "hs"],
    },
    "de": {
        "weekdays": (["montag*"], ["dienstag*"], ["mittwoch*"], ["donnerstag*"], ["freitag*"],
                     ["samstag*", "sonnabend*"], ["sonntag*"]),
        # "morgen" is tomorrow; "morgens" / "am Morgen" is the morning.
        "relative": {"heute": 0, "morgen": 1, "übermorgen": 2, "uebermorgen": 2},
        "morning": ["morgens", "am Morgen", "vormittag*", "früh", "frueh"],
        "afternoon": ["nachmittag*"],
        "noon": ["mittag", "mittags"],
        "months": (["januar", "jan", "jänner"], ["februar", "feb"], ["märz", "maerz"], ["april", "apr"], ["mai"],
                   ["juni"], ["juli"], ["august", "aug"], ["september", "sept"], ["oktober", "okt"],
                   ["november", "nov"], ["dezember", "dez"]),
        "before_hour": ["um", "gegen", "ab"],
        "after_hour": ["uhr", "h"],
    },
    "ru": {
        "weekdays": (["понедельник*"], ["вторник*"], ["среда", "среду", "среды"], ["четверг*"], ["пятниц*"],
                     ["суббот*"], ["воскресень*"]),
        "relative": {"сегодня": 0, "завтра": 1, "послезавтра": 2},
        "morning": ["утр*", "с утра"],
        "afternoon": ["днём", "после обеда", "после полудня", "во второй половине дня"],
        "noon": ["полдень", "в полдень"],
        "months": (["январ*"], ["феврал*"], ["март*"], ["апрел*"], ["мая", "май"], ["июн*"], ["июл*"],
                   ["август*"], ["сентябр*"], ["октябр*"], ["ноябр*"], ["декабр*"]),
        "before_hour": ["в", "к", "около"],
        "after_hour": ["ч", "час", "часа", "часов"],
    },
    "tr": {
        # "salı" only counts in Turkish: Spanish "salir" would read as Tuesday.
        "weekdays": (["pazartesi*"], ["=salı*"], ["çarşamba*"], ["perşembe*"], ["cuma*"], ["cumartesi*"],
                     ["pazar*"]),
        "relative": {"bugün*": 0, "yarın*": 1, "öbür gün*": 2, "yarından sonra": 2},
        "morning": ["sabah*", "öğleden önce"],
        "afternoon": ["öğleden sonra*", "ikindi*"],
        "noon": ["öğle*", "öğlen*"],
        "months": (["ocak*"], ["şubat*"], ["mart*"], ["nisan*"], ["mayıs*"], ["haziran*"], ["temmuz*"],
                   ["ağustos*"], ["eylül*"], ["ekim*"], ["kasım*"], ["aralık*"]),
        "before_hour": ["saat"],
        "after_hour": ["+'da", "+'de", "+'ta", "+'te", "+da", "+de", "+ta", "+te"],
    },
    "it": {
        "weekdays": (["lunedì"], ["martedì"], ["mercoledì"], ["giovedì"], ["venerdì"], ["sabato"], ["domenica"]),
        "relative": {"oggi": 0, "domani": 1, "dopodomani": 2, "dopo domani": 2},
        "morning": ["mattina*", "mattino", "di mattina", "in mattinata"],
        "afternoon": ["pomeriggio", "di pomeriggio", "nel pomeriggio"],
        "noon": ["mezzogiorno", "mezzodì"],
        "months": (["gennaio"], ["febbraio"], ["marzo"], ["aprile"], ["maggio"], ["giugno"], ["luglio"],
                   ["agosto"], ["settembre"], ["ottobre"], ["novembre"], ["dicembre"]),
        "before_hour": ["alle", "all'", "ore", "verso le", "per le", "dalle"],
        "after_hour": ["h"],
    },
    "ar": {
        "weekdays": (["الاثنين", "الإثنين"], ["*ثلاثاء"], ["*أربعاء"], ["*خميس"], ["*جمعة"],
                     ["*سبت"], ["الأحد"]),
        "relative": {"اليوم": 0, "النهارده": 0, "غدًا": 1, "غدوة": 1, "بكرة": 1, "بكرا": 1, "بعد غد": 2,
                     "بعد غدٍ": 2, "بعد بكرة": 2, "بعد بكرا": 2},
        "morning": ["*صباح*"],
        "afternoon": ["بعد الظهر", "بعد الظهيرة", "*عصر*", "*مساء*", "ظهرًا"],
        "noon": ["الظهر", "الظهيرة"],
        "months": (["يناير"], ["فبراير"], ["مارس"], ["أبريل"], ["مايو"], ["يونيو"], ["يوليو"], ["أغسطس"],
                   ["سبتمبر"], ["أكتوبر"], ["نوفمبر"], ["ديسمبر"]),
        "before_hour": ["*الساعة", "ساعة"],
        "after_hour": [],
    },
}
