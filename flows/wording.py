"""Spot suggestive survey questions and suggest a neutral wording, by simple rules per language.

A question that holds its own answer ("Don't you think the park is dirty?") pushes people
towards yes. The rules below catch the common openings in Dutch, French and English; each
names a balanced question in `wording_rules.json`, in the rule's own language, with `{rest}`
for what followed the opening ("Do you think the park is dirty, or not?"). These are language
data like the gazetteer's names, not the bot's words: a Dutch question is reworded in Dutch
whatever language the coordinator reads. Deliberately simple: a hint, never a refusal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

# The neutral question of each rule, by rule name.
NEUTRAL: dict[str, str] = json.loads(
    resources.files("flows").joinpath("wording_rules.json").read_text("utf-8")
)


@dataclass(frozen=True)
class Rewording:
    """A suggestive opening found in a question, and a neutral way to ask the same thing."""

    language: str
    found: str
    neutral: str


@dataclass(frozen=True)
class _Rule:
    language: str
    pattern: re.Pattern[str]
    name: str


def _rule(language: str, opening: str, name: str) -> _Rule:
    """Compile a rule whose opening is followed by the rest of the question."""
    pattern = re.compile(rf"^\s*(?P<found>{opening})\s+(?P<rest>.+?)\s*\?*\s*$", re.I)
    return _Rule(language, pattern, name)


_APOSTROPHE = "['’]"

RULES: tuple[_Rule, ...] = (
    # Dutch
    _rule("nl", r"(vindt|vind|vinden)\s+(u|je|jij|jullie)\s+(ook\s+)?niet\s+dat", "nl_opinion"),
    _rule("nl", r"(denkt|denk|denken)\s+(u|je|jij|jullie)\s+(ook\s+)?niet\s+dat", "nl_think"),
    _rule(
        "nl",
        r"(bent|ben|zijn)\s+(u|je|jij|jullie)\s+het\s+(er\s*)?(ook\s+)?(mee\s+)?eens\s+(met\s+mij\s+)?dat",
        "nl_agree",
    ),
    _rule("nl", r"is\s+het\s+(ook\s+)?niet\s+(zo|waar)\s+dat", "nl_opinion"),
    _rule("nl", r"(zou|zouden)\s+(u|je|jij|jullie)\s+(ook\s+)?niet\s+zeggen\s+dat", "nl_opinion"),
    _rule("nl", r"(het\s+is\s+toch\s+zo\s+dat|toch\s+ook)", "nl_opinion"),
    # French
    _rule(
        "fr",
        rf"n{_APOSTROPHE}(êtes|etes)[\s-]*(vous|-vous)\s+pas\s+d{_APOSTROPHE}accord\s+(pour\s+dire\s+)?(que|qu{_APOSTROPHE})",
        "fr_agree",
    ),
    _rule(
        "fr",
        rf"n{_APOSTROPHE}es[\s-]*tu\s+pas\s+d{_APOSTROPHE}accord\s+(pour\s+dire\s+)?(que|qu{_APOSTROPHE})",
        "fr_agree",
    ),
    _rule(
        "fr",
        rf"ne\s+(trouvez|pensez|croyez)[\s-]*vous\s+pas\s+(aussi\s+)?(que|qu{_APOSTROPHE})",
        "fr_opinion",
    ),
    _rule(
        "fr",
        rf"ne\s+(trouves|penses|crois)[\s-]*tu\s+pas\s+(aussi\s+)?(que|qu{_APOSTROPHE})",
        "fr_opinion",
    ),
    _rule(
        "fr",
        rf"(êtes|etes)[\s-]*vous\s+d{_APOSTROPHE}accord\s+(pour\s+dire\s+)?(que|qu{_APOSTROPHE})",
        "fr_agree",
    ),
    _rule(
        "fr",
        rf"n{_APOSTROPHE}est[\s-]*(il|ce)\s+pas\s+(vrai\s+)?(que|qu{_APOSTROPHE})",
        "fr_opinion",
    ),
    # English
    _rule(
        "en",
        rf"(don{_APOSTROPHE}t|do\s+not|wouldn{_APOSTROPHE}t|would\s+not)\s+you\s+(also\s+)?(think|agree|feel|find|say)(\s+that)?",
        "en_opinion",
    ),
    _rule(
        "en",
        rf"(isn{_APOSTROPHE}t|is)\s+it\s+(not\s+)?(true|the\s+case)\s+that",
        "en_opinion",
    ),
    _rule(
        "en",
        r"(do|would)\s+you\s+agree(\s+with\s+me)?\s+that",
        "en_agree",
    ),
    _rule("en", r"surely", "en_opinion"),
)


def suggest_neutral(question: str) -> Rewording | None:
    """Return a neutral rewording when a question opens suggestively, else None."""
    for rule in RULES:
        match = rule.pattern.match(question)
        if match is None:
            continue
        rest = match.group("rest").strip().rstrip("?").strip()
        if not rest:
            continue
        return Rewording(
            language=rule.language,
            found=match.group("found").strip(),
            neutral=NEUTRAL[rule.name].format(rest=rest),
        )
    return None
