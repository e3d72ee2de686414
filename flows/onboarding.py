"""/start CODE: join an organisation — language, what the bot stores, consent, help.

| state    | accepts              | step            | goes to       |
|----------|----------------------|-----------------|---------------|
| (start)  | /start               | start           | language, end |
| language | tap lang:nl, fr, en  | choose_language | about         |
| about    | tap about:ok         | read_about      | consent       |
| consent  | tap consent:yes, no  | answer_consent  | name, end     |
| name     | tap name:first, none | tapped_name     | end           |
| name     | text                 | typed_name      | end           |
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import timedelta

from flows.consent import consent_for
from flows.engine import (
    END,
    TEXT,
    Button,
    CallbackAnswer,
    Choice,
    Flow,
    Go,
    Input,
    Outcome,
    Reply,
    SetCommands,
    State,
    StepContext,
    Text,
    done,
    goto,
    onward,
    reply,
    stay,
)
from flows.help import help_reply
from flows.hypothesis import is_link, mark_from_link
from flows.name import NAMES, chosen_name, name_question, name_saved
from flows.roles import FIELDWORKERS, consent_audience
from storage import organisations as orgs

LANGUAGE_BUTTONS = ("nl", "fr", "en")
LANGUAGES = Choice("lang", LANGUAGE_BUTTONS, label="language.button_{}")
ABOUT_READ = Choice("about", ("ok",), label="button.continue")
CONSENT = Choice("consent", ("yes", "no"), label={"yes": "button.agree", "no": "button.decline"})


@dataclass(frozen=True)
class JoinDraft:
    """Joining with an invite: the code, its role and organisation, and the language chosen."""

    invite_id: int = 0
    code: str = ""
    role: str = ""
    organisation: str = ""
    language: str = ""
    # After consent only: the Telegram first name, offered as the name the team sees.
    first_name: str = ""


def preferred_language(language_code: str | None, default: str) -> str:
    """Return nl, fr or en from Telegram's language_code (e.g. 'fr-BE'), else the default."""
    code = (language_code or "").split("-")[0].lower()
    return code if code in LANGUAGE_BUTTONS else default


def user_hash(secret_key: str, user_id: int) -> str:
    """Return a keyed hash of a Telegram user id: counts wrong codes without storing the id."""
    return hmac.new(secret_key.encode(), f"code:{user_id}".encode(), hashlib.sha256).hexdigest()


def language_buttons(selected: str | None) -> tuple[tuple[Button, ...], ...]:
    """Return one row of language buttons, the preselected one ticked."""
    return (
        tuple(
            LANGUAGES.button(code, mark="✓ " if code == selected else "")
            for code in LANGUAGE_BUTTONS
        ),
    )


def ask_language(ctx: StepContext, draft: JoinDraft) -> tuple[Reply, ...]:
    """Ask which language to use, the detected one preselected."""
    return (
        Reply(
            "onboarding.choose_language",
            {"organisation": draft.organisation},
            buttons=language_buttons(draft.language or None),
        ),
    )


def ask_about(ctx: StepContext, draft: JoinDraft) -> tuple[Reply, ...]:
    """Explain what the bot does and stores, in words fitted to the audience."""
    audience = consent_audience(draft.role)
    return (
        Reply(
            f"onboarding.about.{audience}",
            {"organisation": draft.organisation},
            buttons=ABOUT_READ.rows(),
        ),
    )


def ask_consent(ctx: StepContext, draft: JoinDraft) -> tuple[Reply, ...]:
    """Show the versioned consent text with agree / decline buttons."""
    consent = consent_for(draft.role)
    return (
        Reply(
            consent.key,
            {"organisation": draft.organisation, "version": consent.version},
            buttons=CONSENT.rows(per_row=2),
        ),
    )


def start(ctx: StepContext, inp: Input, draft: JoinDraft) -> Outcome[JoinDraft]:
    """Greet a member, explain joining to a stranger, or begin joining with a code."""
    code = inp.args.strip()
    if is_link(code):
        # A weekly picture's link that marks evidence: for the team, never an invite code.
        if ctx.member is None:
            return done(reply("stranger.how_to_join"))
        return done(*mark_from_link(ctx, code))
    if ctx.member is not None:
        key = "start.already_member" if code else "start.welcome_back"
        return done(
            reply(key, organisation=ctx.member.organisation.name),
            help_reply(ctx.member.role, ctx.member.language),
        )
    if not code:
        return done(reply("stranger.how_to_join"))
    window = timedelta(minutes=ctx.config.wrong_code_window_minutes)
    hashed = user_hash(ctx.config.secret_key, inp.user_id or 0)
    wait = orgs.lockout_remaining(ctx.session, hashed, ctx.now, ctx.config.max_wrong_codes, window)
    if wait is not None:
        minutes = max(1, int(wait.total_seconds() // 60) + 1)
        return done(reply("start.too_many_tries", minutes=minutes))
    check = orgs.check_invite(ctx.session, code, ctx.now)
    if check.problem is not None or check.invite is None:
        failures = orgs.record_wrong_code(ctx.session, hashed, ctx.now, window)
        problem = check.problem.value if check.problem else "unknown"
        left = ctx.config.max_wrong_codes - failures
        if left <= 0:
            minutes = ctx.config.wrong_code_window_minutes
            return done(
                reply(f"start.code_{problem}"), reply("start.too_many_tries", minutes=minutes)
            )
        return done(reply(f"start.code_{problem}"))
    invite = check.invite
    organisation = orgs.get_organisation(ctx.session, invite.organisation_id)
    joining = JoinDraft(
        invite_id=invite.id,
        code=invite.code,
        role=invite.role,
        organisation=organisation.name if organisation else "",
        language=preferred_language(inp.language_code, ctx.config.default_language),
    )
    return goto("language", joining)


def choose_language(
    ctx: StepContext, inp: Input, draft: JoinDraft, language: str
) -> Outcome[JoinDraft]:
    """Take the chosen language and explain what the bot does."""
    return onward(replace(draft, language=language))


def read_about(ctx: StepContext, inp: Input, draft: JoinDraft, value: str) -> Outcome[JoinDraft]:
    """Move on from the explanation to the consent text."""
    return onward(draft)


def answer_consent(
    ctx: StepContext, inp: Input, draft: JoinDraft, answer: str
) -> Outcome[JoinDraft]:
    """Make the member on agreement; on refusal store nothing and say so."""
    if answer == "no":
        return done(reply("onboarding.declined"))
    check = orgs.check_invite(ctx.session, draft.code, ctx.now)
    if check.invite is None or check.problem is not None:
        problem = check.problem.value if check.problem else "unknown"
        return done(reply(f"start.code_{problem}"))
    consent = consent_for(check.invite.role)
    member = orgs.join_with_invite(
        ctx.session,
        check.invite,
        telegram_user_id=inp.user_id or 0,
        language=draft.language,
        consent_version=consent.version,
        now=ctx.now,
    )
    if member.role in FIELDWORKERS:
        # The team sees staff and volunteers by a name they choose; residents keep a code.
        ctx.member = member
        return goto("name", replace(draft, first_name=(inp.first_name or "")[:64]))
    return welcome(member.role, draft)


def welcome(role: str, draft: JoinDraft) -> Outcome[JoinDraft]:
    """End joining: welcome, what the member can do, and their command menu."""
    return done(
        reply("onboarding.welcome", organisation=draft.organisation, role=Text(f"role.{role}")),
        help_reply(role, draft.language),
        SetCommands(role),
    )


def ask_display_name(ctx: StepContext, draft: JoinDraft) -> tuple[Reply, ...]:
    """Ask which name the team sees, the Telegram first name as one tap."""
    return (name_question(ctx, draft.first_name, draft.role),)


def tapped_name(ctx: StepContext, inp: Input, draft: JoinDraft, value: str) -> Outcome[JoinDraft]:
    """Keep the tapped name (or none) and welcome the member."""
    return _named(ctx, draft, chosen_name(inp, value, draft.first_name))


def typed_name(ctx: StepContext, inp: Input, draft: JoinDraft) -> Outcome[JoinDraft]:
    """Keep a typed name and welcome the member; an empty one asks again."""
    name = chosen_name(inp, None, draft.first_name)
    if name is None:
        return stay(draft, reply("name.empty"), ask=True)
    return _named(ctx, draft, name)


def _named(ctx: StepContext, draft: JoinDraft, name: str | None) -> Outcome[JoinDraft]:
    if ctx.member is None:
        return done(reply("start.code_unknown"))
    saved = name_saved(ctx, name)
    ended = welcome(ctx.member.role, draft)
    return done(CallbackAnswer(), saved, *ended.effects)


ONBOARDING = Flow(
    name="onboarding",
    draft=JoinDraft,
    start=Go(start, "language", END),
    states={
        "language": State(ask_language, {LANGUAGES: Go(choose_language, "about")}),
        "about": State(ask_about, {ABOUT_READ: Go(read_about, "consent")}),
        "consent": State(ask_consent, {CONSENT: Go(answer_consent, "name", END)}),
        "name": State(ask_display_name, {NAMES: Go(tapped_name, END), TEXT: Go(typed_name, END)}),
    },
)
