"""/survey: coordinators design a short survey, try it, open and close it; the team asks people.

| state     | accepts                            | step             | goes to            |
|-----------|------------------------------------|------------------|--------------------|
| (start)   | /survey                            | start            | menu, language,    |
|           |                                    |                  | consent, question, |
|           |                                    |                  | end                |
| menu      | tap menu:new, m<ID>, a<ID>         | pick_menu        | title, manage,     |
|           |                                    |                  | consent, end       |
| title     | text                               | take_title       | type               |
| type      | tap qtype:one, many, scale,        | take_type        | wording, manage    |
|           | number, text, place, done          |                  |                    |
| wording   | text                               | take_wording     | reword, options,   |
|           |                                    |                  | theme              |
| reword    | tap reword:use, keep               | take_reword      | options, theme     |
| reword    | text                               | retype_wording   | options, theme     |
| options   | text                               | take_options     | theme              |
| theme     | tap qtheme:THEME, none             | take_theme       | type, manage       |
| manage    | tap manage:try, tr_<LANG>, open,   | take_manage      | consent,           |
|           | ask, link, close, leave            |                  | translate, end     |
| translate | text                               | take_translation | translate, manage, |
|           |                                    |                  | end                |
| translate | tap trskip:skip                    | skip_translation | translate, manage, |
|           |                                    |                  | end                |
| language  | tap al:nl, fr, en                  | choose_language  | consent            |
| consent   | tap rc:yes, no, tap dc:yes, no     | answer_consent   | question, end      |
| question  | tap ans:CHOICE, 1-5, skip, done    | answer_tap       | question, manage,  |
|           |                                    |                  | end                |
| question  | text                               | answer_text      | question, manage,  |
|           |                                    |                  | end                |
| question  | voice                              | answer_voice     | question, manage,  |
|           |                                    |                  | end                |
| question  | location                           | answer_location  | question, manage,  |
|           |                                    |                  | end                |
| (any)     | /cancel                            | leave            | end                |

A survey link (/start s_<code>) leads here too: anyone may answer, member or not.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flows import survey_answer as answering
from flows.engine import (
    END,
    LOCATION,
    TEXT,
    VOICE,
    Button,
    Choice,
    Effect,
    Flow,
    Go,
    Input,
    Outcome,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
    onward,
    reply,
    stay,
)
from flows.invite import invite_link
from flows.observe import text_of
from flows.onboarding import LANGUAGE_BUTTONS
from flows.roles import COORDINATOR
from flows.survey_answer import (
    ANSWER,
    ANSWER_LANGUAGE,
    DOOR_CONSENT,
    RESPONDENT_CONSENT,
    SurveyDraft,
    questions_of,
    stored_questions,
)
from flows.themes import theme_choice, theme_rows
from flows.wording import suggest_neutral
from storage import surveys as surveys_db
from storage.models import Survey
from storage.surveys import CHOICE_TYPES, QUESTION_TYPES, Question

LINK_PREFIX = "s_"
MAX_TITLE = 120
MAX_QUESTION = 400
MIN_OPTIONS = 2
MAX_OPTIONS = 10
# Surveys the menu lists (newest first); older ones stay reachable through the CLI.
MENU_SURVEYS = 6
NO_THEME = "none"


def survey_link(bot_username: str | None, code: str) -> str | None:
    """Return the t.me link that opens a survey for answering."""
    return invite_link(bot_username, LINK_PREFIX + code)


def _is_coordinator(ctx: StepContext) -> bool:
    return ctx.member is not None and ctx.member.role == COORDINATOR


def _menu_surveys(ctx: StepContext) -> list[Survey]:
    assert ctx.member is not None
    found = surveys_db.list_surveys(ctx.session, ctx.member.organisation_id)
    if _is_coordinator(ctx):
        return found[:MENU_SURVEYS]
    return [survey for survey in found if survey.status == surveys_db.OPEN][:MENU_SURVEYS]


def menu_values(ctx: StepContext, draft: SurveyDraft) -> tuple[str, ...]:
    """Return the menu's values: new (coordinators), a survey to manage or to ask."""
    if ctx.member is None:
        return ()
    values: list[str] = ["new"] if _is_coordinator(ctx) else []
    for survey in _menu_surveys(ctx):
        if _is_coordinator(ctx):
            values.append(f"m{survey.id}")
        if survey.status == surveys_db.OPEN:
            values.append(f"a{survey.id}")
    return tuple(values)


MENU = Choice("menu", menu_values, shown="new, m<ID>, a<ID>")


def question_types(ctx: StepContext, draft: SurveyDraft) -> tuple[str, ...]:
    """Return the answer types offered, and 'done' once there is a question."""
    return (*QUESTION_TYPES, "done") if draft.questions else QUESTION_TYPES


QTYPE = Choice("qtype", question_types, shown="one, many, scale, number, text, place, done")
REWORD = Choice(
    "reword", ("use", "keep"), label={"use": "survey.reword_use", "keep": "survey.reword_keep"}
)
QTHEME = theme_choice("qtheme", skip=NO_THEME)


def manage_values(ctx: StepContext, draft: SurveyDraft) -> tuple[str, ...]:
    """Return what can be done with the survey now, by its status."""
    survey = surveys_db.get_survey(ctx.session, draft.survey_id)
    if survey is None or not _is_coordinator(ctx):
        return ()
    missing = [f"tr_{lang}" for lang in LANGUAGE_BUTTONS if _untranslated(survey, lang)]
    if survey.status == surveys_db.DRAFT:
        return ("try", *missing, "open", "leave")
    if survey.status == surveys_db.OPEN:
        return ("ask", "link", "try", *missing, "close", "leave")
    return ("leave",)


MANAGE = Choice("manage", manage_values, shown="try, tr_<LANG>, open, ask, link, close, leave")
TRANSLATE_SKIP = Choice("trskip", ("skip",), label="button.skip")


def _untranslated(survey: Survey, language: str) -> list[int]:
    return [
        index
        for index, question in enumerate(questions_of(survey))
        if question.language_for(language) != language
    ]


# -- the menu ---------------------------------------------------------------------------------


def start(ctx: StepContext, inp: Input, draft: SurveyDraft) -> Outcome[SurveyDraft]:
    """Open a survey link, or show the menu (coordinators) or the open surveys (the team)."""
    if inp.command == "start":
        return answering.begin_link(ctx, inp, inp.args.strip()[len(LINK_PREFIX) :])
    if ctx.member is None:
        return done(reply("stranger.how_to_join"))
    surveys = _menu_surveys(ctx)
    if not _is_coordinator(ctx):
        if not surveys:
            return done(reply("survey.none_open"))
        if len(surveys) == 1:
            return answering.begin_asking(ctx, draft, surveys[0], surveys_db.DOOR)
    return goto("menu", draft)


def ask_menu(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """List the surveys with what can be done with each."""
    rows: list[tuple[Button, ...]] = []
    if _is_coordinator(ctx):
        rows.append((MENU.button("new", "survey.menu_new"),))
    for survey in _menu_surveys(ctx):
        row: list[Button] = []
        if _is_coordinator(ctx):
            status = Text(f"survey.status.{survey.status}")
            row.append(
                MENU.button(
                    f"m{survey.id}", "survey.menu_survey", title=survey.title[:40], status=status
                )
            )
        if survey.status == surveys_db.OPEN:
            row.append(MENU.button(f"a{survey.id}", "survey.menu_ask", title=survey.title[:40]))
        rows.append(tuple(row))
    key = "survey.menu" if _is_coordinator(ctx) else "survey.menu_team"
    return (Reply(key, buttons=tuple(rows)),)


def pick_menu(ctx: StepContext, inp: Input, draft: SurveyDraft, value: str) -> Outcome[SurveyDraft]:
    """Start a new survey, manage one, or ask someone one."""
    if value == "new":
        return goto("title", SurveyDraft())
    survey = surveys_db.get_survey(ctx.session, int(value[1:]))
    if survey is None:
        return done(reply("survey.gone"))
    if value.startswith("a"):
        return answering.begin_asking(ctx, draft, survey, surveys_db.DOOR)
    return goto("manage", replace(draft, survey_id=survey.id))


# -- designing --------------------------------------------------------------------------------


def ask_title(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """Ask what the survey is called (for the team and the poster)."""
    return (reply("survey.ask_title"),)


def take_title(ctx: StepContext, inp: Input, draft: SurveyDraft) -> Outcome[SurveyDraft]:
    """Keep the title and ask for the first question's type."""
    title = text_of(inp)
    if not title:
        return stay(draft, ask=True)
    return onward(replace(draft, title=title[:MAX_TITLE]))


def ask_type(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """Ask what kind of answer the next question wants."""
    buttons = [QTYPE.button(kind, f"survey.type.{kind}") for kind in QUESTION_TYPES]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    if draft.questions:
        rows.append((QTYPE.button("done", "survey.questions_done"),))
    number = len(draft.questions) + 1
    return (
        Reply(
            "survey.ask_type",
            {"number": number, "most": surveys_db.MAX_QUESTIONS},
            buttons=tuple(rows),
        ),
    )


def take_type(ctx: StepContext, inp: Input, draft: SurveyDraft, kind: str) -> Outcome[SurveyDraft]:
    """Take the answer type, or store the survey when the coordinator is done."""
    if kind == "done":
        return _store(ctx, draft)
    return goto("wording", replace(draft, kind=kind, wording="", options=()))


def _store(ctx: StepContext, draft: SurveyDraft) -> Outcome[SurveyDraft]:
    """Store the designed survey as a draft and show what can be done with it."""
    assert ctx.member is not None
    survey = surveys_db.create_survey(
        ctx.session,
        ctx.member.organisation_id,
        draft.title,
        stored_questions(draft.questions),
        ctx.now,
        ctx.member.id,
    )
    saved = SurveyDraft(survey_id=survey.id)
    count = len(draft.questions)
    return goto("manage", saved, reply("survey.saved", title=survey.title, count=count))


def _writing_language(ctx: StepContext) -> str:
    assert ctx.member is not None
    return ctx.member.language


def ask_wording(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """Ask for the question's words in the coordinator's language."""
    return (
        reply(
            "survey.ask_wording",
            number=len(draft.questions) + 1,
            kind=Text(f"survey.type.{draft.kind}"),
            language=Text(f"survey.language_{_writing_language(ctx)}"),
        ),
    )


def _after_wording(draft: SurveyDraft, wording: str) -> Outcome[SurveyDraft]:
    moved = replace(draft, wording=wording)
    if draft.kind in CHOICE_TYPES:
        return goto("options", moved)
    return goto("theme", moved)


def take_wording(ctx: StepContext, inp: Input, draft: SurveyDraft) -> Outcome[SurveyDraft]:
    """Keep the question; a suggestive one gets a gentle hint and a neutral wording."""
    wording = (text_of(inp) or "")[:MAX_QUESTION]
    if not wording:
        return stay(draft, ask=True)
    if suggest_neutral(wording) is not None:
        return goto("reword", replace(draft, wording=wording))
    return _after_wording(draft, wording)


def ask_reword(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """Show the hint: the question holds its answer; a neutral wording is offered."""
    found = suggest_neutral(draft.wording)
    if found is None:
        return ()
    return (
        Reply(
            "survey.suggestive",
            {"found": found.found, "neutral": found.neutral},
            buttons=REWORD.rows(1),
        ),
    )


def take_reword(
    ctx: StepContext, inp: Input, draft: SurveyDraft, value: str
) -> Outcome[SurveyDraft]:
    """Use the neutral wording or keep one's own."""
    found = suggest_neutral(draft.wording)
    wording = found.neutral if value == "use" and found is not None else draft.wording
    return _after_wording(draft, wording)


def retype_wording(ctx: StepContext, inp: Input, draft: SurveyDraft) -> Outcome[SurveyDraft]:
    """Take a question typed again instead of either button."""
    wording = (text_of(inp) or "")[:MAX_QUESTION]
    if not wording:
        return stay(draft, ask=True)
    if suggest_neutral(wording) is not None:
        return stay(replace(draft, wording=wording), ask=True)
    return _after_wording(draft, wording)


def ask_options(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """Ask for the choices, one per line."""
    return (reply("survey.ask_options", least=MIN_OPTIONS, most=MAX_OPTIONS),)


def split_options(text: str) -> list[str]:
    """Return the choices typed one per line (bullets and numbering dropped, no doubles)."""
    found: list[str] = []
    for line in text.splitlines():
        cleaned = line.strip().lstrip("-•*").strip()
        head, dot, rest = cleaned.partition(".")
        if dot and head.isdigit() and rest.strip():
            cleaned = rest.strip()
        if cleaned and cleaned.casefold() not in (item.casefold() for item in found):
            found.append(cleaned[:100])
    return found


def take_options(ctx: StepContext, inp: Input, draft: SurveyDraft) -> Outcome[SurveyDraft]:
    """Keep the choices and ask for the theme."""
    options = split_options(text_of(inp) or "")
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        return stay(draft, reply("survey.options_count", least=MIN_OPTIONS, most=MAX_OPTIONS))
    return onward(replace(draft, options=tuple(options)))


def ask_theme(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """Ask which life domain the question is about."""
    return (Reply("survey.ask_theme", buttons=theme_rows(QTHEME)),)


def take_theme(
    ctx: StepContext, inp: Input, draft: SurveyDraft, theme: str
) -> Outcome[SurveyDraft]:
    """Add the question; at the most questions, store the survey."""
    language = _writing_language(ctx)
    question = Question(
        kind=draft.kind,
        theme=None if theme == NO_THEME else theme,
        base=language,
        text={language: draft.wording},
        options={language: list(draft.options)} if draft.kind in CHOICE_TYPES else {},
    )
    added = replace(draft, questions=(*draft.questions, question), kind="", wording="", options=())
    if len(added.questions) >= surveys_db.MAX_QUESTIONS:
        stored = _store(ctx, added)
        most = reply("survey.most_questions", most=surveys_db.MAX_QUESTIONS)
        return replace(stored, effects=(most, *stored.effects))
    return goto("type", added)


# -- managing ---------------------------------------------------------------------------------


def ask_manage(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """Show the survey's questions and what can be done with it now."""
    survey = surveys_db.get_survey(ctx.session, draft.survey_id)
    if survey is None:
        return (reply("survey.gone"),)
    language = ctx.member.language if ctx.member is not None else "nl"
    lines = tuple(
        Text(
            "survey.overview_line",
            {
                "number": index + 1,
                "text": question.words(language),
                "kind": Text(f"survey.type.{question.kind}"),
                "languages": ", ".join(
                    lang for lang in LANGUAGE_BUTTONS if question.text.get(lang)
                ),
            },
        )
        for index, question in enumerate(questions_of(survey))
    )
    buttons: list[tuple[Button, ...]] = []
    for value in manage_values(ctx, draft):
        if value.startswith("tr_"):
            label = Text(f"survey.language_{value[3:]}")
            buttons.append((MANAGE.button(value, "survey.manage_translate", language=label),))
        else:
            buttons.append((MANAGE.button(value, f"survey.manage_{value}"),))
    return (
        Reply(
            "survey.overview",
            {
                "title": survey.title,
                "status": Text(f"survey.status.{survey.status}"),
                "lines": lines,
            },
            buttons=tuple(buttons),
        ),
    )


def take_manage(
    ctx: StepContext, inp: Input, draft: SurveyDraft, value: str
) -> Outcome[SurveyDraft]:
    """Try, translate, open, close, hand out the link, or ask someone."""
    survey = surveys_db.get_survey(ctx.session, draft.survey_id)
    if survey is None:
        return done(reply("survey.gone"))
    if value == "leave":
        return done(reply("survey.left_manage"))
    if value == "try":
        return answering.begin_asking(ctx, draft, survey, surveys_db.TRIAL)
    if value == "ask":
        return answering.begin_asking(ctx, draft, survey, surveys_db.DOOR)
    if value.startswith("tr_"):
        language = value[3:]
        first = _untranslated(survey, language)[0]
        return goto("translate", replace(draft, translate_to=language, translate_index=first))
    if value == "open":
        surveys_db.open_survey(ctx.session, survey, ctx.now)
        return stay(draft, *_link_replies(ctx, survey, "survey.opened"), ask=True)
    if value == "link":
        return stay(draft, *_link_replies(ctx, survey, "survey.link"), ask=True)
    surveys_db.close_survey(survey, ctx.now)
    return done(reply("survey.closed", title=survey.title))


# Said instead when the bot's username is not known yet (no t.me link can be made).
WITHOUT_LINK = {"survey.opened": "survey.opened_no_link", "survey.link": "survey.link_no_link"}


def _link_replies(ctx: StepContext, survey: Survey, key: str) -> tuple[Effect, ...]:
    link = survey_link(ctx.config.bot_username, survey.code)
    if link is None:
        return (reply(WITHOUT_LINK[key], title=survey.title, code=LINK_PREFIX + survey.code),)
    return (Reply(key, {"title": survey.title, "link": link}, qr=link),)


# -- translating ------------------------------------------------------------------------------


def ask_translation(ctx: StepContext, draft: SurveyDraft) -> tuple[Effect, ...]:
    """Show one question in its own language and ask for it in the language being added."""
    survey = surveys_db.get_survey(ctx.session, draft.survey_id)
    if survey is None:
        return (reply("survey.gone"),)
    question = questions_of(survey)[draft.translate_index]
    params: dict[str, Any] = {
        "number": draft.translate_index + 1,
        "language": Text(f"survey.language_{draft.translate_to}"),
        "text": question.text[question.base],
    }
    if question.kind in CHOICE_TYPES:
        params["options"] = "\n".join(question.base_choices())
        key = "survey.ask_translation_choices"
    else:
        key = "survey.ask_translation"
    return (Reply(key, params, buttons=TRANSLATE_SKIP.rows()),)


def take_translation(ctx: StepContext, inp: Input, draft: SurveyDraft) -> Outcome[SurveyDraft]:
    """Keep a question's words in another language; then the next untranslated one."""
    survey = surveys_db.get_survey(ctx.session, draft.survey_id)
    if survey is None:
        return done(reply("survey.gone"))
    questions = list(questions_of(survey))
    question = questions[draft.translate_index]
    lines = [line.strip() for line in (text_of(inp) or "").splitlines() if line.strip()]
    if not lines:
        return stay(draft, ask=True)
    options = question.options
    if question.kind in CHOICE_TYPES:
        choices = split_options("\n".join(lines[1:]))
        if len(choices) != len(question.base_choices()):
            return stay(
                draft, reply("survey.translation_choices", count=len(question.base_choices()))
            )
        options = {**options, draft.translate_to: choices}
    wording = lines[0][:MAX_QUESTION]
    questions[draft.translate_index] = replace(
        question, text={**question.text, draft.translate_to: wording}, options=options
    )
    surveys_db.set_questions(ctx.session, survey, stored_questions(questions))
    effects: tuple[Effect, ...] = ()
    hint = suggest_neutral(wording)
    if hint is not None:
        effects = (reply("survey.suggestive_noted", found=hint.found, neutral=hint.neutral),)
    return _next_translation(ctx, draft, survey, effects)


def skip_translation(
    ctx: StepContext, inp: Input, draft: SurveyDraft, value: str
) -> Outcome[SurveyDraft]:
    """Leave this question untranslated (respondents see it in its own language)."""
    survey = surveys_db.get_survey(ctx.session, draft.survey_id)
    if survey is None:
        return done(reply("survey.gone"))
    return _next_translation(ctx, draft, survey, ())


def _next_translation(
    ctx: StepContext, draft: SurveyDraft, survey: Survey, effects: tuple[Effect, ...]
) -> Outcome[SurveyDraft]:
    later = [i for i in _untranslated(survey, draft.translate_to) if i > draft.translate_index]
    if later:
        return goto("translate", replace(draft, translate_index=later[0]), *effects)
    language = Text(f"survey.language_{draft.translate_to}")
    back = replace(draft, translate_to="", translate_index=0)
    return goto("manage", back, *effects, reply("survey.translated", language=language))


SURVEY = Flow(
    name="survey",
    draft=SurveyDraft,
    start=Go(start, "menu", "language", "consent", "question", END),
    states={
        "menu": State(ask_menu, {MENU: Go(pick_menu, "title", "manage", "consent", END)}),
        "title": State(ask_title, {TEXT: Go(take_title, "type")}),
        "type": State(ask_type, {QTYPE: Go(take_type, "wording", "manage")}),
        "wording": State(ask_wording, {TEXT: Go(take_wording, "reword", "options", "theme")}),
        "reword": State(
            ask_reword,
            {
                REWORD: Go(take_reword, "options", "theme"),
                TEXT: Go(retype_wording, "options", "theme"),
            },
        ),
        "options": State(ask_options, {TEXT: Go(take_options, "theme")}),
        "theme": State(ask_theme, {QTHEME: Go(take_theme, "type", "manage")}),
        "manage": State(ask_manage, {MANAGE: Go(take_manage, "consent", "translate", END)}),
        "translate": State(
            ask_translation,
            {
                TEXT: Go(take_translation, "translate", "manage", END),
                TRANSLATE_SKIP: Go(skip_translation, "translate", "manage", END),
            },
        ),
        "language": State(
            answering.ask_language, {ANSWER_LANGUAGE: Go(answering.choose_language, "consent")}
        ),
        "consent": State(
            answering.ask_consent,
            {
                RESPONDENT_CONSENT: Go(answering.answer_consent, "question", END),
                DOOR_CONSENT: Go(answering.answer_consent, "question", END),
            },
        ),
        "question": State(
            answering.ask_question,
            {
                ANSWER: Go(answering.answer_tap, "question", "manage", END),
                TEXT: Go(answering.answer_text, "question", "manage", END),
                VOICE: Go(answering.answer_voice, "question", "manage", END),
                LOCATION: Go(answering.answer_location, "question", "manage", END),
            },
        ),
    },
    cancel=Go(answering.leave, END),
)
