"""Action names are unique, follow the conventions, and match the domain."""

import inspect
from pathlib import Path

import yaml
from rasa_sdk import Action

from actions import appointments

ROOT = Path(__file__).resolve().parents[2]


def _actions() -> list[type[Action]]:
    return [cls for _, cls in inspect.getmembers(appointments, inspect.isclass)
            if issubclass(cls, Action) and cls.__module__ == appointments.__name__]


def test_action_names_are_unique_and_declared_in_the_domain() -> None:
    names = [cls().name() for cls in _actions()]
    assert len(names) == len(set(names))
    declared = set()
    declared |= set((yaml.safe_load((ROOT / "domain.yml").read_text()) or {}).get("actions") or [])
    assert set(names) <= declared, set(names) - declared
    for cls, name in zip(_actions(), names):
        assert name.startswith(("action_", "validate_")), name
        if name.startswith("action_"):
            expected = "".join(p.capitalize() for p in name.split("_"))
            assert cls.__name__ == expected, (cls.__name__, name)


def test_every_response_used_in_rules_is_in_the_catalogue() -> None:
    en = yaml.safe_load((ROOT / "api/app/i18n/catalogues/en.yml").read_text())
    for path in (ROOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            for step in rule.get("steps", []):
                action = step.get("action", "") if isinstance(step, dict) else ""
                if action.startswith("utter_"):
                    assert action in en, f"{action} ({path.name})"
    source = (ROOT / "actions" / "appointments.py").read_text()
    import re

    for response in re.findall(r'response="(utter_\w+)"', source):
        assert response in en, response
