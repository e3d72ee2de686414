"""Privacy in the member's hands: /mydata, /forget, and asking consent again after a change.

mydata:

| state   | accepts | step         | goes to |
|---------|---------|--------------|---------|
| (start) | /mydata | send_my_data | end     |

forget:

| state   | accepts            | step           | goes to      |
|---------|--------------------|----------------|--------------|
| (start) | /forget            | ask_forget     | confirm, end |
| confirm | tap forget:yes, no | confirm_forget | end          |

Global buttons g|consent|yes and g|consent|no answer a re-asked consent text from any state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.consent import consent_for, consent_is_current
from flows.drafts import NoDraft
from flows.engine import (
    END,
    Button,
    CallbackAnswer,
    Choice,
    Effect,
    Flow,
    Go,
    Input,
    Outcome,
    Reply,
    SetCommands,
    State,
    StepContext,
    done,
    goto,
    reply,
)
from flows.onboarding import preferred_language
from flows.roles import RESIDENT, VOLUNTEER
from storage import privacy as privacy_db
from storage import surveys as surveys_db

FORGET_ANSWER = Choice(
    "forget", ("yes", "no"), label={"yes": "forget.button_yes", "no": "forget.button_no"}
)


@dataclass(frozen=True)
class ForgetDraft:
    """Kept while /forget asks: the member's language, so the goodbye still reads right."""

    language: str = ""


def reconsent_prompt(ctx: StepContext) -> tuple[Effect, ...]:
    """Show the new consent text with agree / decline buttons."""
    assert ctx.member is not None
    consent = consent_for(ctx.member.role)
    return (
        reply("consent.changed"),
        Reply(
            consent.key,
            {"organisation": ctx.member.organisation.name, "version": consent.version},
            buttons=(
                (
                    Button("button.agree", "g|consent|yes"),
                    Button("button.decline", "g|consent|no"),
                ),
            ),
        ),
    )


def needs_consent(ctx: StepContext) -> bool:
    """Say whether the member must agree to a newer consent text before recording."""
    return ctx.member is not None and not consent_is_current(
        ctx.member.role, ctx.member.consent_version
    )


def consent_button(ctx: StepContext, inp: Input, args: list[str]) -> tuple[Effect, ...]:
    """Record agreement to the current consent text, or explain what declining means."""
    if ctx.member is None or not args:
        return (CallbackAnswer("error.stale_button"),)
    if args[0] == "yes":
        consent = consent_for(ctx.member.role)
        ctx.member.consent_version = consent.version
        ctx.member.consent_at = ctx.now
        return (CallbackAnswer(), Reply("consent.thanks", edit=True))
    return (CallbackAnswer(), Reply("consent.declined_again", edit=True))


def send_my_data(ctx: StepContext, inp: Input, draft: NoDraft) -> Outcome[Any]:
    """Send the member everything stored about them and by them, as JSON (and their media)."""
    if ctx.member is None:
        return done(reply("stranger.how_to_join"))
    data = privacy_db.member_data(ctx.session, ctx.member, ctx.config.secret_key)
    media = privacy_db.member_media_paths(ctx.session, ctx.member.id)
    files = ctx.reports().write_member_data(data, media, ctx.config.media_dir)
    effects: list[Effect] = [Reply("mydata.ready", document=files.data)]
    if files.media is not None:
        effects.append(Reply("mydata.media", document=files.media))
    return done(*effects)


def ask_forget(ctx: StepContext, inp: Input, draft: ForgetDraft) -> Outcome[ForgetDraft]:
    """Explain what /forget erases and what stays, then ask for confirmation."""
    if ctx.member is None:
        # Someone who answered a survey through its link: their answers are found again by
        # recomputing the keyed hashes, since no Telegram id is stored with them.
        answered = surveys_db.responses_of_person(ctx.session, inp.user_id or 0)
        if not answered:
            return done(reply("stranger.how_to_join"))
        language = preferred_language(inp.language_code, ctx.config.default_language)
        return goto("confirm", ForgetDraft(language=language))
    return goto("confirm", ForgetDraft(language=ctx.member.language))


def forget_question(ctx: StepContext, draft: ForgetDraft) -> tuple[Reply, ...]:
    """Return the confirmation question, worded for the member's role."""
    if ctx.member is None:
        return (Reply("survey.forget_ask", buttons=FORGET_ANSWER.rows(per_row=2)),)
    key = "forget.ask_resident" if ctx.member.role in (RESIDENT, VOLUNTEER) else "forget.ask_staff"
    return (
        Reply(
            key,
            {"organisation": ctx.member.organisation.name},
            buttons=FORGET_ANSWER.rows(per_row=2),
        ),
    )


def confirm_forget(ctx: StepContext, inp: Input, draft: ForgetDraft, answer: str) -> Outcome[Any]:
    """Erase the member and their personal data, or keep everything."""
    if answer != "yes":
        return done(reply("forget.kept"))
    answers = surveys_db.forget_respondent(ctx.session, inp.user_id or 0)
    if ctx.member is None:
        ctx.reports().delete_media(ctx.config.media_dir, answers)
        return done(reply("survey.forgotten"))
    paths = answers + privacy_db.forget_member(ctx.session, ctx.member)
    ctx.reports().delete_media(ctx.config.media_dir, paths)
    ctx.member = None
    # Nothing of the member's menus stays behind: the command menu and the main buttons go.
    return done(Reply("forget.done", remove_keyboard=True), SetCommands(None))


MYDATA = Flow(name="mydata", draft=NoDraft, start=Go(send_my_data, END), keeps_draft=False)
FORGET = Flow(
    name="forget",
    draft=ForgetDraft,
    start=Go(ask_forget, "confirm", END),
    states={"confirm": State(forget_question, {FORGET_ANSWER: Go(confirm_forget, END)})},
    keeps_draft=False,
)
