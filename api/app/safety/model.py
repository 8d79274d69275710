"""The danger screen's second net: a statistical model behind the phrase lists.

The phrase lists (``screen.py``) catch what they were written for; a person in danger may
say it in words no list holds. This model reads the message as character and word
n-grams (folded as the lists fold it) and gives the probability that it says a life is at
stake now (suicide, a medical emergency, violence). When the lists find nothing and the
model is sure enough, the screen reports a *possible* danger: the person gets 112 and a
counsellor at once, with words that fit a doubt ("if you or someone near you is in
danger now...", ``danger_possible``), never a diagnosis.

It is trained when the gateway starts (a few seconds, before it serves), from files in
the repository, never downloaded:
- the danger examples ``examples/<lang>*.yml`` (several hands, nine languages, each
  labelled with its category: the same messages the phrase lists are tuned on);
- every ordinary message of the assistant's training data (``data/nlu/<lang>/``), and
  the sentences of the assistant's own replies but those about danger
  (``app/i18n/catalogues``), as text that is not a danger.

The threshold was chosen on messages the model never saw, never on the sealed set: the
eighth round of danger examples, written by new hands, held out of training (at 0.6 the
lists and the model together caught 91.4% of its life-threatening messages, against 87.7%
at 0.8, for 0.30% of held-out ordinary messages newly flagged), then 5-fold
cross-validation (``bench/safety.py --cv``): 0.6, and 0.9 for two-word messages. Messages
of one word are left to the lists (``screen.MODEL_MIN_WORDS``).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from app.core.settings import REPO_ROOT

log = logging.getLogger("app.safety.model")

EXAMPLES_DIR = Path(__file__).parent / "examples"
CATALOGUE_DIR = Path(__file__).parents[1] / "i18n" / "catalogues"
NLU_DIR = REPO_ROOT / "data" / "nlu"
THRESHOLD = 0.6
# Two-word messages ("à plus", "se agradece") are the commonest ordinary replies and carry
# the least evidence: the model must be surer there. Cross-validated, of 2,004 two-word
# ordinary messages 13 are newly flagged at 0.6, 5 at 0.8, 2 at 0.9; the lists catch
# every two-word danger example.
SHORT_THRESHOLD = 0.9
SHORT_WORDS = 2
LIFE_LABELS = ("suicide", "medical", "violence")
OTHER = "other"
_lock = threading.Lock()


def danger_examples(directory: Path | None = None) -> list[tuple[str, str, str]]:
    """(text, category, language) of every danger example: <lang>.yml and <lang>-<part>.yml."""
    rows = []
    for path in sorted((directory or EXAMPLES_DIR).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        rows += [(str(m["text"]), str(m["category"]), str(data.get("language", path.stem[:2])))
                 for m in data.get("messages") or []]
    return rows


def ordinary_examples(directory: Path | None = None) -> list[tuple[str, str]]:
    """(text, language) of every ordinary message of the NLU training data."""
    rows = []
    for path in sorted((directory or NLU_DIR).glob("*/*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if "intent" in block:
                rows += [(line.strip()[2:].strip(), path.parent.name)
                         for line in str(block["examples"]).splitlines() if line.strip().startswith("- ")]
    return rows


# The assistant's own replies that speak of danger, safety or the on-call alert: not
# ordinary text for the model (they hold "112", "danger", "violence").
_NOT_ORDINARY_KEYS = re.compile(r"danger|safe|urgent|emergenc|helpline|crisis|suicid|violen|on_call")


def assistant_sentences(directory: Path | None = None) -> list[str]:
    """Every sentence of the assistant's replies (the catalogues, nine languages), but those
    about danger: ordinary text unlike the users' questions ("Estas son las horas libres
    más cercanas" once got 0.95), so that the model does not take any unfamiliar
    wording for a danger."""
    out: set[str] = set()

    def walk(key: str, value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(key or str(k), v)
        elif isinstance(value, list):
            for v in value:
                walk(key, v)
        elif isinstance(value, str) and not _NOT_ORDINARY_KEYS.search(key):
            for sentence in re.split(r"(?<=[.!?])\s+|\n+", value):
                sentence = re.sub(r"\{[^}]*\}", "", sentence).strip()
                if len(sentence.split()) >= 2:
                    out.add(sentence)

    for path in sorted((directory or CATALOGUE_DIR).glob("*.yml")):
        walk("", yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return sorted(out)


def training_set(danger_dir: Path | None = None, nlu_dir: Path | None = None,
                 catalogue_dir: Path | None = None) -> tuple[list[str], list[str], list[str]]:
    """(texts, labels, groups): groups are "danger", "ordinary" (the users' ordinary
    messages) and "assistant" (the assistant's own sentences)."""
    texts, labels, groups = [], [], []
    for text, category, _ in danger_examples(danger_dir):
        texts.append(text)
        labels.append(category if category in LIFE_LABELS else OTHER)  # urgent ones: the lists' job
        groups.append("danger")
    for text, _ in ordinary_examples(nlu_dir):
        texts.append(text)
        labels.append(OTHER)
        groups.append("ordinary")
    for text in assistant_sentences(catalogue_dir):
        texts.append(text)
        labels.append(OTHER)
        groups.append("assistant")
    return texts, labels, groups


def build():
    """An untrained pipeline (scikit-learn): folded character 2-5-grams and word 1-2-grams,
    logistic regression with balanced classes (danger examples are the rarer)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    from app.safety.screen import fold

    features = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), preprocessor=fold, sublinear_tf=True),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), preprocessor=fold, sublinear_tf=True))
    return make_pipeline(features, LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced"))


@dataclass(frozen=True)
class Guess:
    category: str      # suicide, medical or violence
    probability: float  # that a life is at stake, whatever the category


class DangerModel:
    def __init__(self, pipeline) -> None:
        self.pipeline = pipeline
        self.other = list(pipeline.classes_).index(OTHER)
        # The gateway screens a message twice (before its conversation's line, then when it
        # is answered): the second look at the same text costs nothing.
        self.guess = lru_cache(maxsize=4096)(self._guess)

    def life_probability(self, texts: list[str]) -> list[Guess]:
        out = []
        for row in self.pipeline.predict_proba(texts):
            best = max((i for i in range(len(row)) if i != self.other), key=lambda i: row[i])
            out.append(Guess(str(self.pipeline.classes_[best]), float(1.0 - row[self.other])))
        return out

    def _guess(self, text: str) -> Guess | None:
        """The category when the model is sure enough that a life is at stake, else None."""
        found = self.life_probability([text])[0]
        return found if found.probability >= threshold(text) else None


def threshold(text: str) -> float:
    from app.safety.screen import tokens

    return SHORT_THRESHOLD if len(tokens(text)) <= SHORT_WORDS else THRESHOLD


@lru_cache
def get_model() -> DangerModel | None:
    """Trained once per process (the gateway trains it at startup). None when it cannot
    be trained (no examples in the image, scikit-learn missing): the lists still work."""
    with _lock:
        try:
            texts, labels, _ = training_set()
            if not any(label != OTHER for label in labels):
                log.warning("danger model: no danger examples in %s; phrase lists only", EXAMPLES_DIR)
                return None
            pipeline = build().fit(texts, labels)
        except Exception:  # the lists must keep working whatever happens here
            log.exception("danger model could not be trained; phrase lists only")
            return None
        log.info("danger model trained on %d messages", len(texts))
        return DangerModel(pipeline)
