"""The demo's survey: a coordinator designs five questions in Telegram, adds French, opens it;
twelve people answer, half on their doorstep (asked by a volunteer), half through the link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from sandbox.demo import ROUTE, Actor, DemoClock
from sandbox.server import SandboxServer
from storage.models import Survey

TITLE = "Spelen en wonen in de buurt"
# (type, Dutch wording, Dutch choices, theme, French wording, French choices)
QUESTIONS: tuple[tuple[str, str, tuple[str, ...], str, str, tuple[str, ...]], ...] = (
    (
        "one",
        "Waar spelen de kinderen meestal?",
        ("Park", "Straat", "Binnen"),
        "youth",
        "Où jouent surtout les enfants ?",
        ("Parc", "Rue", "Intérieur"),
    ),
    # Suggestive on purpose: the demo shows the hint and takes the neutral wording.
    ("scale", "Vindt u ook niet dat de buurt onveilig is?", (), "safety", "", ()),
    (
        "many",
        "Wat zou de buurt beter maken?",
        ("Banken", "Bomen", "Verlichting"),
        "green",
        "Qu'est-ce qui améliorerait le quartier ?",
        ("Bancs", "Arbres", "Éclairage"),
    ),
    ("text", "Wat mist u het meest?", (), "shops", "Que vous manque-t-il le plus ?", ()),
    (
        "place",
        "In welke straat of wijk woont u?",
        (),
        "housing",
        "Dans quelle rue ou quel quartier habitez-vous ?",
        (),
    ),
)
# The French for the reworded scale question (the neutral one the coordinator took).
SCALE_FR = "Trouvez-vous que le quartier est dangereux, ou non ?"

# Twelve respondents: (channel, language, choice, scale, ticks, free answer, place).
RESPONDENTS: tuple[tuple[str, str, str, str, tuple[str, ...], str | None, Any], ...] = (
    ("self", "nl", "Park", "2", ("Bomen",), "Een bakker om de hoek", ROUTE[1]),
    ("self", "fr", "Rue", "4", ("Éclairage", "Bancs"), "Un endroit pour les jeunes", ROUTE[3]),
    ("self", "fr", "Parc", "3", ("Arbres",), "Une poste", "Anderlecht"),
    ("self", "en", "Park", "2", ("Bomen", "Banken"), "A quiet place to sit", ROUTE[5]),
    ("self", "nl", "Binnen", "5", ("Verlichting",), None, ROUTE[2]),  # stops at the free answer
    ("self", "nl", "Straat", "3", (), "Een wasserette", "Molenbeek"),
    # The volunteer reads English; the questions have no English, so they show in Dutch.
    ("door", "en", "Park", "4", ("Banken",), "voice", ROUTE[0]),
    ("door", "en", "Straat", "5", ("Verlichting",), "Het bankkantoor is weg", ROUTE[4]),
    ("door", "en", "Binnen", "3", ("Bomen",), "Een dokter die Arabisch spreekt", ROUTE[6]),
    ("door", "en", "Park", "1", ("Bomen", "Verlichting"), "voice", "Sint-Gillis"),
    ("door", "en", "Straat", "4", (), "Goedkope verse groenten", ROUTE[2]),
    ("door", "en", "Park", "2", ("Banken",), "Niets, ik woon hier graag", ROUTE[3]),
)


def design(coordinator: Actor) -> None:
    """Design the survey in Telegram, add French, and open it."""
    user = coordinator.user
    user.send_command("/survey")
    coordinator.tap(coordinator.expect("survey.menu"), "menu:new")
    coordinator.expect("survey.ask_title")
    user.send_text(TITLE)
    for kind, wording, choices, theme, _french, _choices_fr in QUESTIONS:
        coordinator.tap(coordinator.expect("survey.ask_type"), f"qtype:{kind}")
        coordinator.expect("survey.ask_wording")
        user.send_text(wording)
        if kind == "scale":
            coordinator.tap(coordinator.expect("survey.suggestive"), "reword:use")
        if choices:
            coordinator.expect("survey.ask_options")
            user.send_text("\n".join(choices))
        coordinator.tap(coordinator.expect("survey.ask_theme"), f"qtheme:{theme}")
    coordinator.tap(coordinator.expect("survey.ask_type"), "qtype:done")
    coordinator.tap(coordinator.expect("survey.overview"), "manage:tr_fr")
    for _kind, _wording, _choices, _theme, french, choices_fr in QUESTIONS:
        coordinator.expect("survey.ask_translation", "survey.ask_translation_choices")
        user.send_text("\n".join((french or SCALE_FR, *choices_fr)))
    coordinator.tap(coordinator.expect("survey.overview"), "manage:open")
    coordinator.expect("survey.opened")


def _answer(actor: Actor, respondent: tuple[Any, ...], voice: Callable[[], bytes]) -> None:
    """Answer the five questions: buttons by typing their labels, a place, words or a voice."""
    _channel, _language, choice, scale, ticks, free, place = respondent
    user = actor.user
    question = "survey.door_question" if respondent[0] == "door" else "survey.question"
    actor.expect(question)
    user.send_text(choice)
    actor.expect(question)
    user.send_text(scale)
    actor.expect(question)
    for tick in ticks:
        user.send_text(tick)
    user.send_text(actor.text_of("survey.choices_done").split(" ", 1)[-1])
    actor.expect(question)
    if free is None:
        user.send_command("/cancel")  # stops halfway: a partial response stays
        actor.expect("survey.left_kept")
        return
    if free == "voice":
        user.send_voice(voice(), duration=5)
    else:
        user.send_text(free)
    actor.expect(question)
    if isinstance(place, tuple):
        user.send_location(*place)
    else:
        user.send_text(place)
    actor.expect("survey.thanks", "survey.door_done")


def play_survey(
    server: SandboxServer,
    people: dict[str, Actor],
    clock: DemoClock,
    factory: Any,
    start: datetime,
    voice: Callable[[], bytes],
) -> int:
    """Design and open the survey, then let twelve people answer it; return its id."""
    clock.set(start)
    design(people["coordinator"])
    with factory() as session:
        survey = session.scalars(select(Survey).order_by(Survey.id.desc())).first()
        assert survey is not None
        code, survey_id = survey.code, survey.id
    volunteer = people["volunteer"]
    for number, respondent in enumerate(RESPONDENTS):
        clock.set(start + timedelta(hours=2, minutes=25 * number))
        channel, language = respondent[0], respondent[1]
        if channel == "self":
            actor = Actor(server.user(user_id=400 + number, language_code=language), language)
            actor.user.send_command("/start", f"s_{code}")
            actor.tap(actor.expect("survey.self_consent"), "rc:yes")
            _answer(actor, respondent, voice)
        else:
            volunteer.user.send_command("/survey")
            volunteer.tap(volunteer.expect("survey.door_consent"), "dc:yes")
            _answer(volunteer, respondent, voice)
    return survey_id
