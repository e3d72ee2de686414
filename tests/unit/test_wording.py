"""Suggestive survey questions get a neutral rewording, by simple rules per language."""

from __future__ import annotations

import pytest

from flows.wording import NEUTRAL, RULES, suggest_neutral


@pytest.mark.parametrize(
    ("question", "language", "neutral"),
    [
        (
            "Vindt u ook niet dat het park te vuil is?",
            "nl",
            "Vindt u dat het park te vuil is, of niet?",
        ),
        (
            "vind je niet dat er te weinig banken zijn",
            "nl",
            "Vindt u dat er te weinig banken zijn, of niet?",
        ),
        (
            "Bent u het eens dat de straat onveilig is?",
            "nl",
            "Bent u het eens of oneens met de uitspraak dat de straat onveilig is?",
        ),
        (
            "Is het niet zo dat de bus te laat komt?",
            "nl",
            "Vindt u dat de bus te laat komt, of niet?",
        ),
        (
            "N'êtes-vous pas d'accord que le parc est sale ?",
            "fr",
            "Êtes-vous d’accord ou pas d’accord avec l’idée que le parc est sale ?",
        ),
        (
            "N’êtes-vous pas d’accord pour dire que la rue est bruyante?",
            "fr",
            "Êtes-vous d’accord ou pas d’accord avec l’idée que la rue est bruyante ?",
        ),
        (
            "Ne trouvez-vous pas que le quartier a changé ?",
            "fr",
            "Trouvez-vous que le quartier a changé, ou non ?",
        ),
        ("Ne penses-tu pas que c'est cher ?", "fr", "Trouvez-vous que c'est cher, ou non ?"),
        ("Don't you think the park is dirty?", "en", "Do you think the park is dirty, or not?"),
        (
            "Wouldn't you agree that rents are too high?",
            "en",
            "Do you think rents are too high, or not?",
        ),
        (
            "Do you agree that the square needs more trees?",
            "en",
            "Do you agree or disagree that the square needs more trees?",
        ),
        ("Isn't it true that buses are late?", "en", "Do you think buses are late, or not?"),
    ],
)
def test_suggestive_openings_get_a_neutral_question_in_their_language(
    question: str, language: str, neutral: str
) -> None:
    found = suggest_neutral(question)
    assert found is not None
    assert found.language == language
    assert found.neutral == neutral
    assert found.found.lower() in question.lower()


@pytest.mark.parametrize(
    "question",
    [
        "Hoe vaak gaat u naar het park?",
        "Wat mist u in de buurt?",
        "Où faites-vous vos courses ?",
        "Que pensez-vous du parc ?",
        "How safe does the street feel?",
        "What do you think of the square?",
        "Vindt u dat?",  # nothing after the opening to reword
        "",
    ],
)
def test_neutral_questions_get_no_hint(question: str) -> None:
    assert suggest_neutral(question) is None


def test_every_rule_has_its_neutral_question_with_a_place_for_the_rest() -> None:
    for rule in RULES:
        assert "{rest}" in NEUTRAL[rule.name], rule.name
    assert {rule.language for rule in RULES} == {"nl", "fr", "en"}
