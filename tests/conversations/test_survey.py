"""/survey and survey links through the real HTTP stack: design, try, open, ask, answer, forget."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from flows.drafts import write_draft
from flows.survey_answer import SurveyDraft, stored_questions
from storage import surveys as surveys_db
from storage.models import (
    ChatState,
    MediaFile,
    Observation,
    OutboxMessage,
    Survey,
    SurveyResponse,
)
from storage.surveys import Question
from tests.conversations.helpers import TRANSLATOR, button_texts, join, says, tap, wait_until

pytestmark = pytest.mark.pipeline

VOICE = b"OggS" + b"\x00" * 100
GRAND_PLACE = (50.8467, 4.3525)


def label(lang: str, key: str, /, **params) -> str:
    return TRANSLATOR.plain(lang, key, params)


def member(sandbox, world, user_id: int, role: str, language: str = "en", organisation=None):
    organisation = organisation or world.organisation()
    user = sandbox.user(user_id=user_id, language_code=language)
    join(user, world.invite(organisation, role), language)
    return user, organisation


def make_survey(
    world, organisation: int, questions: list[Question], status: str = "open"
) -> Survey:
    with world.factory.begin() as session:
        survey = surveys_db.create_survey(
            session, organisation, "Playing outside", stored_questions(questions), datetime.now(UTC)
        )
        if status == "open":
            surveys_db.open_survey(session, survey, datetime.now(UTC))
        session.flush()
        session.expunge(survey)
        return survey


FIVE = [
    Question(
        kind="one",
        theme="youth",
        base="en",
        text={"en": "Where do the children play?", "fr": "Où jouent les enfants ?"},
        options={"en": ["Park", "Street", "Indoors"], "fr": ["Parc", "Rue", "Intérieur"]},
    ),
    Question(
        kind="many",
        theme="green",
        base="en",
        text={"en": "What would help?"},
        options={"en": ["Benches", "Trees", "Lights"]},
    ),
    Question(kind="scale", theme="safety", base="en", text={"en": "How safe does it feel?"}),
    Question(kind="number", base="en", text={"en": "How many children live with you?"}),
    Question(kind="text", base="en", text={"en": "What do you miss?"}),
    Question(kind="place", base="en", text={"en": "Where do you live?"}),
]


def responses(world, survey_id: int) -> list[Observation]:
    with world.factory() as session:
        rows = session.scalars(
            select(Observation)
            .join(SurveyResponse, SurveyResponse.observation_id == Observation.id)
            .where(SurveyResponse.survey_id == survey_id)
            .order_by(Observation.id)
        ).all()
        for row in rows:
            _ = list(row.media)
        return list(rows)


def answer_key(survey: Survey, number: int) -> str:
    return surveys_db.answer_key(survey.id, number - 1)


# -- designing --------------------------------------------------------------------------------


def test_a_coordinator_designs_every_question_type_is_warned_translates_tries_and_opens(
    sandbox, world
) -> None:
    coordinator, _ = member(sandbox, world, 5100, "coordinator", "nl")
    coordinator.send_command("/survey")
    [menu] = coordinator.wait_for_messages(1)
    assert says(menu, "survey.menu", "nl")
    tap(coordinator, menu, label("nl", "survey.menu_new"))
    [title] = coordinator.wait_for_messages(1)
    assert says(title, "survey.ask_title", "nl")
    coordinator.send_text("Spelen in de buurt")

    def add(kind: str, wording: str, options: str | None = None, theme: str = "button.skip"):
        [kinds] = coordinator.wait_for_messages(1)
        assert says(kinds, "survey.ask_type", "nl")
        tap(coordinator, kinds, label("nl", f"survey.type.{kind}"))
        [ask] = coordinator.wait_for_messages(1)
        assert says(ask, "survey.ask_wording", "nl")
        coordinator.send_text(wording)
        if options is not None:
            [ask_options] = coordinator.wait_for_messages(1)
            assert says(ask_options, "survey.ask_options", "nl")
            coordinator.send_text(options)
        [themes] = coordinator.wait_for_messages(1)
        assert says(themes, "survey.ask_theme", "nl")
        tap(coordinator, themes, label("nl", theme))

    add("one", "Waar spelen de kinderen?", "Park\nStraat\nBinnen", "theme.youth")
    # A choice question with one choice is refused with a short reason, and asked again.
    [kinds] = coordinator.wait_for_messages(1)
    tap(coordinator, kinds, label("nl", "survey.type.many"))
    coordinator.wait_for_messages(1)
    coordinator.send_text("Wat zou helpen?")
    coordinator.wait_for_messages(1)
    coordinator.send_text("Banken")
    [too_few] = coordinator.wait_for_messages(1)
    assert says(too_few, "survey.options_count", "nl")
    coordinator.send_text("- Banken\n- Bomen\n- Licht")
    [themes] = coordinator.wait_for_messages(1)
    tap(coordinator, themes, label("nl", "theme.green"))
    # A suggestive question gets the hint and a neutral wording, which the coordinator takes.
    [kinds] = coordinator.wait_for_messages(1)
    tap(coordinator, kinds, label("nl", "survey.type.scale"))
    coordinator.wait_for_messages(1)
    coordinator.send_text("Vindt u ook niet dat de buurt onveilig is?")
    [hint] = coordinator.wait_for_messages(1)
    assert says(hint, "survey.suggestive", "nl")
    assert "Vindt u dat de buurt onveilig is, of niet?" in hint["text"]
    tap(coordinator, hint, label("nl", "survey.reword_use"))
    [themes] = coordinator.wait_for_messages(1)
    tap(coordinator, themes, label("nl", "theme.safety"))
    add("number", "Hoeveel kinderen wonen bij u?")
    add("text", "Wat mist u?")
    add("place", "Waar woont u?")
    [kinds] = coordinator.wait_for_messages(1)
    tap(coordinator, kinds, label("nl", "survey.questions_done"))
    saved, overview = coordinator.wait_for_messages(2)
    assert says(saved, "survey.saved", "nl")
    assert "Vindt u dat de buurt onveilig is, of niet?" in overview["text"]
    assert label("nl", "survey.manage_open") in button_texts(overview)
    with world.factory() as session:
        survey = session.scalars(select(Survey)).one()
        kinds_stored = [q["kind"] for q in survey.questions]
        assert kinds_stored == ["one", "many", "scale", "number", "text", "place"]
        assert survey.questions[0]["theme"] == "youth"
        assert survey.questions[0]["options"] == {"nl": ["Park", "Straat", "Binnen"]}
        assert survey.status == "draft"


DUTCH = [
    Question(
        kind="one",
        theme="youth",
        base="nl",
        text={"nl": "Waar spelen de kinderen?"},
        options={"nl": ["Park", "Straat", "Binnen"]},
    ),
    Question(
        kind="many", base="nl", text={"nl": "Wat zou helpen?"}, options={"nl": ["Banken", "Bomen"]}
    ),
    Question(kind="scale", base="nl", text={"nl": "Hoe veilig voelt u zich?"}),
    Question(kind="number", base="nl", text={"nl": "Hoeveel kinderen wonen bij u?"}),
    Question(kind="text", base="nl", text={"nl": "Wat mist u?"}),
    Question(kind="place", base="nl", text={"nl": "Waar woont u?"}),
]


def test_a_coordinator_translates_tries_opens_and_closes_a_survey(sandbox, world) -> None:
    coordinator, organisation = member(sandbox, world, 5105, "coordinator", "nl")
    survey = make_survey(world, organisation, DUTCH, status="draft")
    coordinator.send_command("/survey")
    [menu] = coordinator.wait_for_messages(1)
    status = label("nl", "survey.status.draft")
    tap(coordinator, menu, label("nl", "survey.menu_survey", title=survey.title, status=status))
    [overview] = coordinator.wait_for_messages(1)
    assert says(overview, "survey.overview", "nl")
    # French for every question: a choice question takes its choices on the lines below.
    # French for every question: a choice question takes its choices on the lines below.
    french = label("nl", "survey.manage_translate", language=label("nl", "survey.language_fr"))
    tap(coordinator, overview, french)
    [first] = coordinator.wait_for_messages(1)
    assert says(first, "survey.ask_translation_choices", "nl")
    coordinator.send_text("Où jouent les enfants ?\nParc\nRue")
    [wrong] = coordinator.wait_for_messages(1)
    assert says(wrong, "survey.translation_choices", "nl")
    coordinator.send_text("Où jouent les enfants ?\nParc\nRue\nIntérieur")
    [second] = coordinator.wait_for_messages(1)
    tap(coordinator, second, label("nl", "button.skip"))
    [third] = coordinator.wait_for_messages(1)
    assert says(third, "survey.ask_translation", "nl")
    coordinator.send_text("N'êtes-vous pas d'accord que le quartier est dangereux ?")
    noted, fourth = coordinator.wait_for_messages(2)
    assert says(noted, "survey.suggestive_noted", "nl")
    for text in ("Combien d'enfants vivent chez vous ?", "Que vous manque-t-il ?"):
        coordinator.send_text(text)
        coordinator.wait_for_messages(1)
    coordinator.send_text("Où habitez-vous ?")
    done, overview = coordinator.wait_for_messages(2)
    assert says(done, "survey.translated", "nl")
    with world.factory() as session:
        survey = session.scalars(select(Survey)).one()
        assert survey.questions[0]["options"]["fr"] == ["Parc", "Rue", "Intérieur"]
        assert "fr" not in survey.questions[1]["text"]
        assert survey.questions[5]["text"]["fr"] == "Où habitez-vous ?"

    # Trying it: the respondent's consent and questions; nothing is kept afterwards.
    tap(coordinator, overview, label("nl", "survey.manage_try"))
    [consent] = coordinator.wait_for_messages(1)
    assert says(consent, "survey.trial_consent", "nl")
    tap(coordinator, consent, label("nl", "survey.consent_yes"))
    [q1] = coordinator.wait_for_messages(1)
    assert "1/6" in q1["text"] and "Waar spelen de kinderen?" in q1["text"]
    tap(coordinator, q1, "Straat")
    [q2] = coordinator.wait_for_messages(1)
    assert len(responses(world, survey.id)) == 1  # kept as it arrives, even in a trial
    for _ in range(5):
        assert button_texts(q2), [m.get("text") for m in coordinator.messages()[-3:]]
        tap(coordinator, q2, label("nl", "button.skip"))
        messages = coordinator.wait_for_messages(1)
        q2 = messages[-1]
    ended, overview = [q2, *coordinator.wait_for_messages(1)]
    assert says(ended, "survey.trial_done", "nl")
    assert responses(world, survey.id) == []

    tap(coordinator, overview, label("nl", "survey.manage_open"))
    opened = coordinator.wait_for_messages(2)
    link = f"https://t.me/{sandbox.bot_username}?start=s_{survey.code}"
    assert any(link in (m.get("text") or m.get("caption") or "") for m in opened)
    assert any("photo" in m for m in opened), "the link comes with its QR code"
    with world.factory() as session:
        assert session.get(Survey, survey.id).status == "open"
    overview = opened[-1] if "reply_markup" in opened[-1] else coordinator.wait_for_messages(1)[0]
    tap(coordinator, overview, label("nl", "survey.manage_close"))
    [closed] = coordinator.wait_for_messages(1)
    assert says(closed, "survey.closed", "nl")
    with world.factory() as session:
        assert session.get(Survey, survey.id).status == "closed"


def test_more_than_twelve_questions_are_refused(sandbox, world) -> None:
    coordinator, _ = member(sandbox, world, 5110, "coordinator", "en")
    # Eleven questions written already (typing them all here would trip the flood guard).
    eleven = tuple(
        Question(kind="number", base="en", text={"en": f"How many rooms, count {n}?"})
        for n in range(1, 12)
    )
    with world.factory.begin() as session:
        session.add(
            ChatState(
                chat_id=5110,
                flow="survey",
                state="type",
                draft=write_draft(SurveyDraft(title="Long one", questions=eleven)),
                version=3,
                updated_at=datetime.now(UTC),
            )
        )
    coordinator.send_text(label("en", "survey.type.number"))  # typed instead of tapped
    [ask] = coordinator.wait_for_messages(1)
    assert says(ask, "survey.ask_wording", "en")
    coordinator.send_text("How many bedrooms?")
    [themes] = coordinator.wait_for_messages(1)
    tap(coordinator, themes, label("en", "button.skip"))
    most, saved, overview = coordinator.wait_for_messages(3)
    assert says(most, "survey.most_questions", "en")
    assert says(saved, "survey.saved", "en")
    assert says(overview, "survey.overview", "en")
    with world.factory() as session:
        survey = session.scalars(select(Survey)).one()
        assert len(survey.questions) == 12
        assert survey.questions[-1]["text"] == {"en": "How many bedrooms?"}
    # No way to a thirteenth: the survey's buttons offer no new question.
    assert label("en", "survey.questions_done") not in button_texts(overview)
    with pytest.raises(ValueError), world.factory.begin() as session:
        surveys_db.create_survey(
            session, 1, "x", stored_questions([*eleven, *eleven]), datetime.now(UTC)
        )


# -- answering through the link ---------------------------------------------------------------


def test_a_stranger_answers_by_link_stops_halfway_continues_and_cannot_answer_twice(
    sandbox, world
) -> None:
    organisation = world.organisation()
    survey = make_survey(world, organisation, FIVE)
    person = sandbox.user(user_id=5200, language_code="fr-BE", first_name="Amina")
    person.send_command("/start", f"s_{survey.code}")
    [consent] = person.wait_for_messages(1)
    assert says(consent, "survey.self_consent", "fr")
    tap(person, consent, label("fr", "survey.consent_yes"))
    [q1] = person.wait_for_messages(1)
    # French where the survey has it, English (its own language) where it does not.
    assert "Où jouent les enfants ?" in q1["text"]
    tap(person, q1, "Rue")
    [q2] = person.wait_for_messages(1)
    assert "What would help?" in q2["text"]
    tap(person, q2, "Trees")
    wait_until(lambda: "✓ Trees" in button_texts(person.messages()[-1]))
    tap(person, person.messages()[-1], "Lights")
    wait_until(lambda: "✓ Lights" in button_texts(person.messages()[-1]))
    [partial] = responses(world, survey.id)
    assert partial.details[answer_key(survey, 2)] == ["Trees", "Lights"]
    tap(person, person.messages()[-1], label("fr", "survey.choices_done"))
    [q3] = person.wait_for_messages(1)
    assert "3/6" in q3["text"]
    # Stopping halfway leaves a partial response with what was answered.
    person.send_command("/cancel")
    [left] = person.wait_for_messages(1)
    assert says(left, "survey.left_kept", "fr")
    [partial] = responses(world, survey.id)
    assert partial.details["survey_status"] == "partial"
    assert partial.details[answer_key(survey, 1)] == "Street"  # kept in the survey's language
    with world.factory() as session:
        assert session.get(ChatState, 5200) is None

    # The link again: welcome back, at question 3.
    person.send_command("/start", f"s_{survey.code}")
    back, q3 = person.wait_for_messages(2)
    assert says(back, "survey.welcome_back", "fr")
    assert "3/6" in q3["text"]
    person.send_text("4")
    [q4] = person.wait_for_messages(1)
    person.send_text("beaucoup")
    not_number, q4 = person.wait_for_messages(2)
    assert says(not_number, "survey.not_a_number", "fr")
    person.send_text("2,5")
    [q5] = person.wait_for_messages(1)
    person.send_voice(VOICE)
    [q6] = person.wait_for_messages(1)
    person.send_location(*GRAND_PLACE)
    [thanks] = person.wait_for_messages(1)
    assert says(thanks, "survey.thanks", "fr")

    [done] = responses(world, survey.id)
    assert done.id == partial.id, "one person, one response"
    assert done.details["survey_status"] == "complete"
    assert done.details[answer_key(survey, 3)] == 4
    assert done.details[answer_key(survey, 4)] == 2.5
    assert [m.kind for m in done.media] == ["voice"]
    assert done.wijk_code is not None and done.lat is not None
    # No Telegram id or name anywhere with the answers, nor in the chat's state.
    assert done.member_id is None and done.chat_id is None and done.message_id is None
    stored = json.dumps(
        {"details": done.details, "author": done.author, "text": done.text}, ensure_ascii=False
    )
    assert "5200" not in stored and "Amina" not in stored
    with world.factory() as session:
        link = session.scalars(select(SurveyResponse)).one()
        assert "5200" not in link.respondent_key
        assert session.get(ChatState, 5200) is None
        # What the bot showed them (the ticked choices) does not wait for the daily purge.
        shown = session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.chat_id == 5200, OutboxMessage.status == "sent"
            )
        ).all()
        assert not any("✓" in json.dumps(payload, ensure_ascii=False) for payload in shown)

    # A second go through the link is told kindly.
    person.send_command("/start", f"s_{survey.code}")
    [again] = person.wait_for_messages(1)
    assert says(again, "survey.already_answered", "fr")
    assert len(responses(world, survey.id)) == 1


def test_the_chat_state_of_a_respondent_holds_no_answers_while_answering(sandbox, world) -> None:
    organisation = world.organisation()
    survey = make_survey(world, organisation, FIVE)
    person = sandbox.user(user_id=5210, language_code="en")
    person.send_command("/start", f"s_{survey.code}")
    tap(person, person.wait_for_messages(1)[0], label("en", "survey.consent_yes"))
    tap(person, person.wait_for_messages(1)[0], "Park")
    person.wait_for_messages(1)
    with world.factory() as session:
        state = session.get(ChatState, 5210)
        assert state is not None and state.flow == "survey"
        assert "Park" not in json.dumps(state.draft)
        assert set(state.draft) <= {"survey_id", "mode", "language", "index"}


def test_a_link_to_a_survey_not_open_or_unknown_is_answered_kindly(sandbox, world) -> None:
    organisation = world.organisation()
    draft = make_survey(world, organisation, FIVE, status="draft")
    person = sandbox.user(user_id=5220, language_code="nl")
    person.send_command("/start", f"s_{draft.code}")
    [not_open] = person.wait_for_messages(1)
    assert says(not_open, "survey.link_not_open", "nl")
    person.send_command("/start", "s_nothinghere")
    [unknown] = person.wait_for_messages(1)
    assert says(unknown, "survey.link_unknown", "nl")
    person.send_command("/start", f"s_{draft.code}")
    person.wait_for_messages(1)
    # Declining keeps nothing.
    with world.factory.begin() as session:
        surveys_db.open_survey(session, session.get(Survey, draft.id), datetime.now(UTC))
    person.send_command("/start", f"s_{draft.code}")
    [consent] = person.wait_for_messages(1)
    tap(person, consent, label("nl", "survey.consent_no"))
    [declined] = person.wait_for_messages(1)
    assert says(declined, "survey.declined", "nl")
    assert responses(world, draft.id) == []


def test_a_respondent_forgets_their_answers(sandbox, world) -> None:
    organisation = world.organisation()
    survey = make_survey(world, organisation, FIVE)
    person = sandbox.user(user_id=5230, language_code="en")
    person.send_command("/start", f"s_{survey.code}")
    tap(person, person.wait_for_messages(1)[0], label("en", "survey.consent_yes"))
    tap(person, person.wait_for_messages(1)[0], "Park")
    person.wait_for_messages(1)
    person.send_command("/cancel")
    person.wait_for_messages(1)
    assert len(responses(world, survey.id)) == 1
    # Someone else's /forget leaves this response alone.
    other = sandbox.user(user_id=5231, language_code="en")
    other.send_command("/forget")
    [how] = other.wait_for_messages(1)
    assert says(how, "stranger.how_to_join", "en")
    assert len(responses(world, survey.id)) == 1
    person.send_command("/forget")
    [ask] = person.wait_for_messages(1)
    assert says(ask, "survey.forget_ask", "en")
    tap(person, ask, label("en", "forget.button_yes"))
    [gone] = person.wait_for_messages(1)
    assert says(gone, "survey.forgotten", "en")
    assert responses(world, survey.id) == []
    with world.factory() as session:
        assert session.scalars(select(SurveyResponse)).all() == []
        sent = select(OutboxMessage).where(
            OutboxMessage.chat_id == 5230, OutboxMessage.status == "sent"
        )
        assert all(row.payload.get("text", "").startswith("🗑") for row in session.scalars(sent))


# -- door to door -----------------------------------------------------------------------------


def test_a_volunteer_asks_someone_on_the_doorstep(sandbox, world) -> None:
    volunteer, organisation = member(sandbox, world, 5300, "volunteer", "en")
    survey = make_survey(world, organisation, FIVE)
    volunteer.send_command("/survey")
    [consent] = volunteer.wait_for_messages(1)
    assert says(consent, "survey.door_consent", "en")
    tap(volunteer, consent, label("en", "survey.door_yes"))
    [q1] = volunteer.wait_for_messages(1)
    assert says(
        q1,
        "survey.door_question",
        "en",
        number=1,
        total=6,
        text=FIVE[0].text["en"],
        how=_how("one"),
    )
    volunteer.send_text("park")  # typed instead of tapped
    [q2] = volunteer.wait_for_messages(1)
    tap(volunteer, q2, "Benches")
    wait_until(lambda: "✓ Benches" in button_texts(volunteer.messages()[-1]))
    tap(volunteer, volunteer.messages()[-1], label("en", "survey.choices_done"))
    [q3] = volunteer.wait_for_messages(1)
    volunteer.send_text("seven")
    use_buttons, q3 = volunteer.wait_for_messages(2)
    assert says(use_buttons, "survey.use_buttons", "en")
    tap(volunteer, q3, "2")
    [q4] = volunteer.wait_for_messages(1)
    tap(volunteer, q4, label("en", "button.skip"))
    [q5] = volunteer.wait_for_messages(1)
    volunteer.send_text("A launderette, since the old one closed")
    [q6] = volunteer.wait_for_messages(1)
    volunteer.send_text("Anderlecht")
    [saved] = volunteer.wait_for_messages(1)
    assert says(saved, "survey.door_done", "en")
    [response] = responses(world, survey.id)
    details = response.details
    assert details["survey_channel"] == "door" and details["survey_status"] == "complete"
    assert details[answer_key(survey, 1)] == "Park"
    assert details[answer_key(survey, 2)] == ["Benches"]
    assert details[answer_key(survey, 3)] == 2
    assert details[answer_key(survey, 4)] is None
    assert details[answer_key(survey, 6)] == "Anderlecht"
    assert response.member_id == world.member(5300).id
    assert response.wijk_code is not None or response.municipality_nis is not None


def _how(kind: str):
    from flows.engine import Text

    return Text(f"survey.how.{kind}")


def test_a_doorstep_refusal_and_a_stop_halfway(sandbox, world) -> None:
    staff, organisation = member(sandbox, world, 5310, "staff", "en")
    survey = make_survey(world, organisation, FIVE)
    staff.send_command("/survey")
    [consent] = staff.wait_for_messages(1)
    tap(staff, consent, label("en", "survey.door_no"))
    [declined] = staff.wait_for_messages(1)
    assert says(declined, "survey.door_declined", "en")
    assert responses(world, survey.id) == []
    staff.send_command("/survey")
    tap(staff, staff.wait_for_messages(1)[0], label("en", "survey.door_yes"))
    tap(staff, staff.wait_for_messages(1)[0], "Park")
    staff.wait_for_messages(1)
    staff.send_command("/cancel")
    [left] = staff.wait_for_messages(1)
    assert says(left, "survey.door_left", "en")
    [partial] = responses(world, survey.id)
    assert partial.details["survey_status"] == "partial"


@pytest.mark.parametrize(("role", "reply_key"), [("resident", "error.not_allowed")])
def test_residents_and_strangers_cannot_design_or_ask(sandbox, world, role, reply_key) -> None:
    resident, _ = member(sandbox, world, 5400, role, "en")
    resident.send_command("/survey")
    [refused] = resident.wait_for_messages(1)
    assert says(refused, reply_key, "en")
    stranger = sandbox.user(user_id=5401, language_code="en")
    stranger.send_command("/survey")
    [how] = stranger.wait_for_messages(1)
    assert says(how, "stranger.how_to_join", "en")


def test_staff_without_an_open_survey_are_told_so_and_a_forged_button_changes_nothing(
    sandbox, world
) -> None:
    staff, organisation = member(sandbox, world, 5410, "staff", "en")
    staff.send_command("/survey")
    [none] = staff.wait_for_messages(1)
    assert says(none, "survey.none_open", "en")
    first = make_survey(world, organisation, FIVE)
    second = make_survey(world, organisation, FIVE[:2])
    staff.send_command("/survey")
    [menu] = staff.wait_for_messages(1)
    assert says(menu, "survey.menu_team", "en")
    assert label("en", "survey.menu_new") not in button_texts(menu)
    # A forged "manage" tap (a coordinator's button) is answered as stale.
    with world.factory() as session:
        version = session.get(ChatState, 5410).version
    sandbox.push_update(
        {
            "callback_query": {
                "id": "forged-manage",
                "from": {"id": 5410, "is_bot": False, "first_name": "S", "language_code": "en"},
                "chat_instance": "c",
                "data": f"{version}|menu:m{first.id}",
                "message": {
                    "message_id": menu["message_id"],
                    "date": menu["date"],
                    "chat": {"id": 5410, "type": "private"},
                    "text": "x",
                },
            }
        }
    )
    wait_until(
        lambda: any(
            c["params"]["callback_query_id"] == "forged-manage"
            for c in sandbox.calls("answerCallbackQuery")
        )
    )
    with world.factory() as session:
        assert session.get(ChatState, 5410).state == "menu"
    staff.click(f"{version}|menu:a{second.id}", message=menu)
    [consent] = staff.wait_for_messages(1)
    assert says(consent, "survey.door_consent", "en")


def test_media_of_a_voice_answer_is_kept_with_the_response(sandbox, world) -> None:
    staff, organisation = member(sandbox, world, 5420, "staff", "en")
    survey = make_survey(world, organisation, [FIVE[4]])
    staff.send_command("/survey")
    tap(staff, staff.wait_for_messages(1)[0], label("en", "survey.door_yes"))
    staff.wait_for_messages(1)
    staff.send_voice(VOICE)
    [saved] = staff.wait_for_messages(1)
    assert says(saved, "survey.door_done", "en")
    [response] = responses(world, survey.id)
    with world.factory() as session:
        files = session.scalars(
            select(MediaFile).where(MediaFile.observation_id == response.id)
        ).all()
        assert [f.kind for f in files] == ["voice"]


def test_someone_whose_telegram_speaks_another_language_picks_one(sandbox, world) -> None:
    organisation = world.organisation()
    survey = make_survey(world, organisation, FIVE)
    person = sandbox.user(user_id=5240, language_code="ar")
    person.send_command("/start", f"s_{survey.code}")
    [choose] = person.wait_for_messages(1)
    assert says(choose, "survey.choose_language", "nl")
    assert button_texts(choose) == ["Nederlands", "Français", "English"]
    tap(person, choose, "Français")
    [consent] = person.wait_for_messages(1)
    assert says(consent, "survey.self_consent", "fr")
    tap(person, consent, label("fr", "survey.consent_yes"))
    [q1] = person.wait_for_messages(1)
    assert "Où jouent les enfants ?" in q1["text"]
    [response] = responses(world, survey.id)
    assert response.details["survey_language"] == "fr"
