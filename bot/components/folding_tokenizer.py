"""Whitespace tokens, folded so that spelling variants meet the same features.

Users write without accents ("francais", "turkce"), without Arabic hamza or with
ة/ه and ى/ي swapped, ё as е. Folding training and live text the same way lets one
set of examples cover all of those spellings.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

_ARABIC_DIACRITICS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]")
_ARABIC_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"})


def fold(word: str) -> str:
    word = _ARABIC_DIACRITICS.sub("", word.lower()).translate(_ARABIC_MAP)
    word = word.replace("ё", "е").replace("ı", "i").replace("й", "\0")
    decomposed = unicodedata.normalize("NFD", word)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept).replace("\0", "й")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class FoldingWhitespaceTokenizer(WhitespaceTokenizer):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "FoldingWhitespaceTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.text = fold(token.text)
            token.lemma = token.text
        return tokens
