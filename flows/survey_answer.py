"""Answering a survey: on a doorstep (a team member asks), alone through a link, or as a trial.

Every answer is kept as it arrives (storage/surveys.py), so a respondent who stops halfway
leaves a partial response and a restart continues at the question they were at. A person
answering through the link is found again by a keyed hash of (survey, Telegram user): their
chat's draft holds the survey and the question number, never their answers nor a link to them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from flows.engine import (
    Button,
    Choice,
    Effect,
    Input,
    Outcome,
    Reply,
    StepContext,
    Text,
    done,
    goto,
    reply,
    stay,
)
from flows.observe import media_of, text_of
from flows.onboarding import LANGUAGE_BUTTONS
from flows.places import author_of, place_at, place_from_text, place_label
from storage import surveys as surveys_db
from storage.models import Observation, Survey
from storage.surveys import (
    CHOICE_TYPES,
    FREE,
    MANY,
    NUMBER,
    ONE,
    PLACE,
    SCALE,
    SCALE_VALUES,
    VOICE_ANSWER,
    Question,
)

SKIP = "skip"
FINISHED = "done"
# Longest option label on a button; longer ones are cut (the full text stays in the survey).
BUTTON_TEXT = 60
MAX_ANSWER = 2000


def questions_of(survey: Survey) -> tuple[Question, ...]:
    """Return a stored survey's questions."""
    return surveys_db.questions_of(survey.questions)


def stored_questions(questions: tuple[Question, ...] | list[Question]) -> list[dict[str, Any]]:
    """Return questions as the survey row stores them (every field, for readers elsewhere)."""
    return [asdict(question) for question in questions]


@dataclass(frozen=True)
class SurveyDraft:
    """What /survey and a survey link carry between messages (no answers, no Telegram id).

    Designing: the title, the questions so far, the one being written. Answering: the survey,
    the channel (door, self, trial), the language shown and the question reached; a door or
    trial response's id (the respondent of a self-completed one is found by keyed hash).
    """

    # designing
    title: str = ""
    questions: tuple[Question, ...] = ()
    kind: str = ""
    wording: str = ""
    options: tuple[str, ...] = ()
    translate_to: str = ""
    translate_index: int = 0
    # answering, and the survey a coordinator manages
    survey_id: int = 0
    mode: str = ""
    language: str = ""
    index: int = 0
    response_id: int = 0


def answer_values(ctx: StepContext, draft: SurveyDraft) -> tuple[str, ...]:
    """Return what the current question's buttons may send."""
    survey = surveys_db.get_survey(ctx.session, draft.survey_id)
    if survey is None:
        return ()
    questions = questions_of(survey)
    if not 0 <= draft.index < len(questions):
        return ()
    question = questions[draft.index]
    if question.kind in CHOICE_TYPES:
        values = tuple(str(i) for i in range(len(question.base_choices())))
        return (*values, SKIP, FINISHED) if question.kind == MANY else (*values, SKIP)
    if question.kind == SCALE:
        return (*SCALE_VALUES, SKIP)
    return (SKIP,)


ANSWER = Choice("ans", answer_values, shown="CHOICE, 1-5, skip, done")
RESPONDENT_CONSENT = Choice(
    "rc", ("yes", "no"), label={"yes": "survey.consent_yes", "no": "survey.consent_no"}
)
DOOR_CONSENT = Choice("dc", ("yes", "no"), label={"yes": "survey.door_yes", "no": "survey.door_no"})


ANSWER_LANGUAGE = Choice("al", LANGUAGE_BUTTONS, label="survey.language_{}")


def _survey(ctx: StepContext, draft: SurveyDraft) -> Survey | None:
    return surveys_db.get_survey(ctx.session, draft.survey_id)


def _response(ctx: StepContext, inp: Input | None, draft: SurveyDraft) -> Observation | None:
    """Return the response being answered: by id (door, trial) or by keyed hash (link)."""
    if draft.mode == surveys_db.SELF:
        user_id = inp.user_id if inp is not None else None
        if user_id is None:
            return None
        key = surveys_db.respondent_key(ctx.session, draft.survey_id, user_id)
        return surveys_db.find_response(ctx.session, draft.survey_id, key)
    return ctx.session.get(Observation, draft.response_id) if draft.response_id else None


# -- entering ---------------------------------------------------------------------------------


def begin_link(ctx: StepContext, inp: Input, code: str) -> Outcome[SurveyDraft]:
    """Start answering through a link: a new person, a restart halfway, or someone done."""
    survey = surveys_db.survey_by_code(ctx.session, code)
    if survey is None:
        return done(reply("survey.link_unknown"))
    if survey.status != surveys_db.OPEN:
        key = "survey.link_closed" if survey.status == surveys_db.CLOSED else "survey.link_not_open"
        return done(reply(key))
    # The bot's own words exist in every language; a question missing in the one chosen is
    # shown in a language it has (Question.language_for). Telegram's language tells which.
    told = (inp.language_code or "").split("-")[0].lower()
    if ctx.member is not None:
        language = ctx.member.language
    else:
        language = told if told in LANGUAGE_BUTTONS else ""
    draft = SurveyDraft(survey_id=survey.id, mode=surveys_db.SELF, language=language)
    key = surveys_db.respondent_key(ctx.session, survey.id, inp.user_id or 0)
    response = surveys_db.find_response(ctx.session, survey.id, key)
    if response is not None:
        kept = response.details or {}
        if kept.get(surveys_db.STATUS_KEY) == surveys_db.COMPLETE:
            return done(reply("survey.already_answered", title=survey.title))
        language = draft.language or str(kept.get(surveys_db.LANGUAGE_KEY) or "")
        resumed = replace(draft, language=language, index=surveys_db.next_question(response))
        return goto("question", resumed, reply("survey.welcome_back", title=survey.title))
    if not language:
        return goto("language", draft)
    return goto("consent", draft)


def begin_asking(
    ctx: StepContext, draft: SurveyDraft, survey: Survey, mode: str
) -> Outcome[SurveyDraft]:
    """Start a door-to-door interview or a trial: consent comes first."""
    assert ctx.member is not None
    language = ctx.member.language
    return goto(
        "consent",
        replace(draft, survey_id=survey.id, mode=mode, language=language, index=0, response_id=0),
    )


# -- questions --------------------------------------------------------------------------------


def ask_language(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """Ask which of the survey's languages to answer in."""
    return (Reply("survey.choose_language", buttons=ANSWER_LANGUAGE.rows(3)),)


def choose_language(
    ctx: StepContext, inp: Input, draft: SurveyDraft, language: str
) -> Outcome[SurveyDraft]:
    """Take the language and ask consent in it."""
    return goto("consent", replace(draft, language=language))


def ask_consent(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """Ask consent: words to read aloud on a doorstep, a short text for someone alone."""
    survey = _survey(ctx, draft)
    title = survey.title if survey is not None else ""
    if draft.mode == surveys_db.DOOR:
        return (Reply("survey.door_consent", {"title": title}, buttons=DOOR_CONSENT.rows(2)),)
    organisation = survey_organisation(ctx, survey)
    key = "survey.trial_consent" if draft.mode == surveys_db.TRIAL else "survey.self_consent"
    return (
        Reply(
            key,
            {"title": title, "organisation": organisation},
            buttons=RESPONDENT_CONSENT.rows(2),
        ),
    )


def survey_organisation(ctx: StepContext, survey: Survey | None) -> str:
    """Return the name of the organisation asking."""
    from storage import organisations as orgs

    if survey is None:
        return ""
    organisation = orgs.get_organisation(ctx.session, survey.organisation_id)
    return organisation.name if organisation is not None else ""


def answer_consent(
    ctx: StepContext, inp: Input, draft: SurveyDraft, answer: str
) -> Outcome[SurveyDraft]:
    """Begin the response on agreement; on refusal keep nothing."""
    survey = _survey(ctx, draft)
    if answer != "yes" or survey is None:
        key = "survey.door_declined" if draft.mode == surveys_db.DOOR else "survey.declined"
        return done(reply(key))
    if draft.mode == surveys_db.SELF:
        if survey.status != surveys_db.OPEN:
            return done(reply("survey.link_closed"))
        key = surveys_db.respondent_key(ctx.session, survey.id, inp.user_id or 0)
        existing = surveys_db.find_response(ctx.session, survey.id, key)
        if existing is not None:
            # A second tap of an old consent button: carry on where that response is.
            return goto("question", replace(draft, index=surveys_db.next_question(existing)))
        surveys_db.start_response(
            ctx.session, survey, key, surveys_db.SELF, ctx.now, language=draft.language
        )
        return goto("question", replace(draft, index=0))
    assert ctx.member is not None
    response = surveys_db.start_response(
        ctx.session,
        survey,
        surveys_db.new_code() + surveys_db.new_code(),
        draft.mode,
        ctx.now,
        language=draft.language,
        member_id=ctx.member.id,
        author=author_of(ctx),
    )
    return goto("question", replace(draft, index=0, response_id=response.id))


def _option_button(value: str, text: str, ticked: bool = False) -> Button:
    label = "survey.option_ticked" if ticked else "survey.option"
    return ANSWER.button(value, label, text=text[:BUTTON_TEXT])


def ask_question(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """Ask the question reached, with the buttons its type offers."""
    ticked: list[Any] = []
    response = ctx.session.get(Observation, draft.response_id) if draft.response_id else None
    if response is not None:
        # A door or trial response is named by the draft; a link respondent's ticks start
        # empty when the question is asked again (what they ticked before is still kept).
        current = (response.details or {}).get(surveys_db.answer_key(draft.survey_id, draft.index))
        ticked = current if isinstance(current, list) else []
    return question_reply(ctx, draft, ticked)


def question_reply(
    ctx: StepContext, draft: SurveyDraft, ticked: list[Any], edit: bool = False
) -> tuple[Effect, ...]:
    """Return the question reached, the choices ticked so far marked."""
    survey = _survey(ctx, draft)
    if survey is None:
        return (reply("survey.gone"),)
    questions = questions_of(survey)
    if not 0 <= draft.index < len(questions):
        return ()
    question = questions[draft.index]
    rows: list[tuple[Button, ...]] = []
    if question.kind in CHOICE_TYPES:
        base = question.base_choices()
        rows.extend(
            (_option_button(str(i), text, base[i] in ticked),)
            for i, text in enumerate(question.choices(draft.language))
        )
        if question.kind == MANY:
            rows.append((ANSWER.button(FINISHED, "survey.choices_done"),))
    elif question.kind == SCALE:
        rows.append(
            tuple(ANSWER.button(value, "survey.option", text=value) for value in SCALE_VALUES)
        )
    rows.append((ANSWER.button(SKIP, "button.skip"),))
    params = {
        "number": draft.index + 1,
        "total": len(questions),
        "text": question.words(draft.language),
        "how": Text(f"survey.how.{question.kind}"),
    }
    key = "survey.door_question" if draft.mode == surveys_db.DOOR else "survey.question"
    return (Reply(key, params, buttons=tuple(rows), edit=edit),)


def _keep(
    ctx: StepContext,
    inp: Input,
    draft: SurveyDraft,
    value: Any,
    *,
    place: Any = None,
    media: Any = (),
    move_on: bool = True,
) -> Outcome[SurveyDraft]:
    """Store an answer and ask the next question, or finish."""
    survey = _survey(ctx, draft)
    response = _response(ctx, inp, draft)
    if survey is None or response is None:
        return done(reply("survey.gone"))
    surveys_db.put_answer(
        ctx.session,
        response,
        survey,
        draft.index,
        value,
        ctx.now,
        move_on=move_on,
        place=place,
        media=media,
    )
    if not move_on:
        ticked = value if isinstance(value, list) else []
        return stay(draft, *question_reply(ctx, draft, ticked, edit=True))
    following = draft.index + 1
    if following < len(survey.questions or ()):
        return goto("question", replace(draft, index=following))
    if draft.mode == surveys_db.SELF and inp.chat_id is not None:
        surveys_db.drop_delivered(ctx.session, inp.chat_id)
    return finish(ctx, draft, response)


def finish(ctx: StepContext, draft: SurveyDraft, response: Observation) -> Outcome[SurveyDraft]:
    """Thank the respondent; a trial is thrown away and the coordinator is back at the survey."""
    if draft.mode == surveys_db.TRIAL:
        surveys_db.delete_responses(ctx.session, [response.id])
        return goto("manage", replace(draft, index=0, response_id=0), reply("survey.trial_done"))
    if draft.mode == surveys_db.DOOR:
        return done(reply("survey.door_done"))
    return done(reply("survey.thanks"))


def _question(ctx: StepContext, draft: SurveyDraft) -> Question | None:
    survey = _survey(ctx, draft)
    if survey is None:
        return None
    questions = questions_of(survey)
    return questions[draft.index] if 0 <= draft.index < len(questions) else None


def answer_tap(
    ctx: StepContext, inp: Input, draft: SurveyDraft, value: str
) -> Outcome[SurveyDraft]:
    """Take a tapped choice, scale point, skip, or the end of several choices."""
    question = _question(ctx, draft)
    if question is None:
        return done(reply("survey.gone"))
    if value == SKIP:
        return _keep(ctx, inp, draft, None)
    if question.kind == SCALE:
        return _keep(ctx, inp, draft, int(value))
    base = question.base_choices()
    if question.kind == ONE:
        return _keep(ctx, inp, draft, base[int(value)])
    response = _response(ctx, inp, draft)
    key = surveys_db.answer_key(draft.survey_id, draft.index)
    current = (response.details or {}).get(key) if response is not None else None
    ticked = list(current) if isinstance(current, list) else []
    if value == FINISHED:
        return _keep(ctx, inp, draft, ticked)
    label = base[int(value)]
    ticked = [item for item in ticked if item != label] if label in ticked else [*ticked, label]
    ordered = [item for item in base if item in ticked]
    return _keep(ctx, inp, draft, ordered, move_on=False)


def _number(text: str) -> float | int | None:
    cleaned = text.strip().replace(" ", "").replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    if number != number or abs(number) > 1e9:  # NaN or absurd
        return None
    return int(number) if number.is_integer() else number


def answer_text(ctx: StepContext, inp: Input, draft: SurveyDraft) -> Outcome[SurveyDraft]:
    """Take typed words: free text, a number, a place, or a scale point typed."""
    question = _question(ctx, draft)
    if question is None:
        return done(reply("survey.gone"))
    words = (text_of(inp) or "")[:MAX_ANSWER]
    if not words:
        return stay(draft, *ask_question(ctx, draft))
    if question.kind == FREE:
        return _keep(ctx, inp, draft, words)
    if question.kind == NUMBER:
        number = _number(words)
        if number is None:
            return stay(draft, reply("survey.not_a_number"), ask=True)
        return _keep(ctx, inp, draft, number)
    if question.kind == PLACE:
        place = place_from_text(ctx, words)
        return _keep(ctx, inp, draft, words, place=place)
    if question.kind == SCALE and words.strip() in SCALE_VALUES:
        return _keep(ctx, inp, draft, int(words.strip()))
    return stay(draft, reply("survey.use_buttons"), ask=True)


def answer_voice(ctx: StepContext, inp: Input, draft: SurveyDraft) -> Outcome[SurveyDraft]:
    """Take a spoken answer to a free question; other questions need their own kind of answer."""
    question = _question(ctx, draft)
    if question is None:
        return done(reply("survey.gone"))
    if question.kind != FREE:
        return stay(draft, ask=True)
    return _keep(ctx, inp, draft, VOICE_ANSWER, media=media_of(inp))


def answer_location(ctx: StepContext, inp: Input, draft: SurveyDraft) -> Outcome[SurveyDraft]:
    """Take a shared location as the answer to a place question."""
    question = _question(ctx, draft)
    if question is None or inp.location is None:
        return done(reply("survey.gone"))
    if question.kind != PLACE:
        return stay(draft, ask=True)
    place = place_at(ctx, inp.location, "message")
    label = place_label(place, draft.language or "nl")
    return _keep(ctx, inp, draft, label or f"{place.lat:.5f}, {place.lon:.5f}", place=place)


def leave(ctx: StepContext, inp: Input, draft: SurveyDraft) -> Outcome[Any]:
    """On /cancel: a trial is dropped; answers given so far are kept for a later return."""
    if draft.mode == surveys_db.TRIAL and draft.response_id:
        surveys_db.delete_responses(ctx.session, [draft.response_id])
        return done(reply("survey.trial_left"))
    if draft.mode == surveys_db.SELF and draft.survey_id:
        return done(reply("survey.left_kept"))
    if draft.mode == surveys_db.DOOR and draft.response_id:
        return done(reply("survey.door_left"))
    return done(Reply("cancel.done", remove_keyboard=True))
