"""/keyperson: someone who opens a door to a community or network, and when to follow up.

| state     | accepts                            | step         | goes to      |
|-----------|------------------------------------|--------------|--------------|
| (start)   | /keyperson                         | start        | alias        |
| alias     | text                               | alias        | role         |
| role      | text                               | role         | where        |
| where     | location, keyboard here, keyboard  | where_answer | network      |
|           | skip, text                         |              |              |
| network   | text                               | network      | follow_up    |
| follow_up | tap skip                           | no_follow_up | when         |
| follow_up | text                               | follow_up    | when         |
| when      | tap when:week, 2weeks, month, none | when_tapped  | consent      |
| when      | text                               | when_typed   | consent      |
| consent   | tap consent:yes, no                | consent      | contact, end |
| contact   | tap skip                           | no_contact   | end          |
| contact   | text                               | contact      | end          |

Contact details are asked only after the member confirms the person agreed to it; without that
agreement nothing of them is kept. The observation (kind "key_person") keeps the answers in its
details and the follow-up date (Brussels) in follow_up_on.

Scheduled: due_follow_ups() reminds the member on that date, once.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from flows.dates import PAST, read_day
from flows.encounter import SKIP, PlaceAnswer, answer_place, place_question
from flows.engine import (
    END,
    HERE_KEY,
    LOCATION,
    SKIP_KEY,
    TEXT,
    Button,
    CallbackAnswer,
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
    stay,
)
from flows.observe import saved_line, text_of
from flows.places import author_of
from storage import observations as obs
from storage.models import Observation

WHEN = Choice("when", ("week", "2weeks", "month", "none"), label="keyperson.when.{}")
CONSENT = Choice("consent", ("yes", "no"), label="keyperson.consent_{}")
DATE_FORMAT = "%d/%m/%Y"


@dataclass(frozen=True)
class KeyPersonDraft(PlaceAnswer):
    """The answers so far; contact details only once the person agreed to them being kept."""

    alias: str | None = None
    role: str | None = None
    network: str | None = None
    follow_up: str | None = None
    follow_up_on: date | None = None
    contact_consent: bool = False
    contact: str | None = None


def a_month_after(day: date) -> date:
    """Return the same day next month (the month's last day when it is shorter)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_date(choice: str, on: date) -> date | None:
    """Return the date a follow-up button means, counted from a day."""
    if choice == "week":
        return on + timedelta(days=7)
    if choice == "2weeks":
        return on + timedelta(days=14)
    if choice == "month":
        return a_month_after(on)
    return None


def read_date(typed: str, on: date) -> tuple[date | None, str | None]:
    """Read a typed follow-up date (flows.dates lists the forms); return it and what is wrong.

    (date, None) is a date to use; (date, "keyperson.past_date") is a date gone by, asked
    again (a day/month just past is not moved a year ahead); (None, "keyperson.bad_date") is
    not a date.
    """
    found, problem = read_day(typed, on)
    if problem == PAST:
        return found, "keyperson.past_date"
    if found is None:
        return None, "keyperson.bad_date"
    return found, None


# Questions (also used to ask again when something unexpected arrives).


def skip_row() -> tuple[tuple[Button, ...], ...]:
    """Return one row with a skip button."""
    return SKIP.rows()


def when_buttons() -> tuple[tuple[Button, ...], ...]:
    """Return the follow-up moments, two per row."""
    return WHEN.rows(per_row=2)


def ask_alias(ctx: StepContext, draft: KeyPersonDraft) -> tuple[Effect, ...]:
    """Ask for a description or nickname."""
    return (Reply("keyperson.ask_alias"),)


def ask_role(ctx: StepContext, draft: KeyPersonDraft) -> tuple[Effect, ...]:
    """Ask what their role is."""
    return (Reply("keyperson.ask_role"),)


def ask_where(ctx: StepContext, draft: KeyPersonDraft) -> tuple[Effect, ...]:
    """Ask where the member met them."""
    return (place_question("keyperson.ask_where"),)


def ask_network(ctx: StepContext, draft: KeyPersonDraft) -> tuple[Effect, ...]:
    """Ask which community or network they open."""
    return (Reply("keyperson.ask_network"),)


def ask_follow_up(ctx: StepContext, draft: KeyPersonDraft) -> tuple[Effect, ...]:
    """Ask how to follow up (optional)."""
    return (Reply("keyperson.ask_follow_up", buttons=skip_row()),)


def ask_when(ctx: StepContext, draft: KeyPersonDraft) -> tuple[Effect, ...]:
    """Ask when to follow up."""
    return (Reply("keyperson.ask_when", buttons=when_buttons()),)


def ask_consent(ctx: StepContext, draft: KeyPersonDraft) -> tuple[Effect, ...]:
    """Ask whether they agreed that their contact details are kept."""
    return (Reply("keyperson.ask_consent", buttons=CONSENT.rows(per_row=2)),)


def ask_contact(ctx: StepContext, draft: KeyPersonDraft) -> tuple[Effect, ...]:
    """Ask for the contact details (only after consent)."""
    return (Reply("keyperson.ask_contact", buttons=skip_row()),)


# Steps.


def start(ctx: StepContext, inp: Input, draft: KeyPersonDraft) -> Outcome[KeyPersonDraft]:
    """Begin: who is it?"""
    return onward(draft)


def alias(ctx: StepContext, inp: Input, draft: KeyPersonDraft) -> Outcome[KeyPersonDraft]:
    """Keep the description or nickname."""
    return onward(replace(draft, alias=text_of(inp)))


def role(ctx: StepContext, inp: Input, draft: KeyPersonDraft) -> Outcome[KeyPersonDraft]:
    """Keep their role."""
    return onward(replace(draft, role=text_of(inp)))


def where_answer(ctx: StepContext, inp: Input, draft: KeyPersonDraft) -> Outcome[KeyPersonDraft]:
    """Keep where they met (a location, here, a typed place) or none."""
    placed, effects = answer_place(ctx, inp, draft, "keyperson")
    if placed is None:
        return stay(draft, *effects)
    return onward(placed, *effects)


def network(ctx: StepContext, inp: Input, draft: KeyPersonDraft) -> Outcome[KeyPersonDraft]:
    """Keep the community or network they open."""
    return onward(replace(draft, network=text_of(inp)))


def follow_up(ctx: StepContext, inp: Input, draft: KeyPersonDraft) -> Outcome[KeyPersonDraft]:
    """Keep how to follow up."""
    return onward(replace(draft, follow_up=text_of(inp)))


def no_follow_up(
    ctx: StepContext, inp: Input, draft: KeyPersonDraft, value: str
) -> Outcome[KeyPersonDraft]:
    """Skip how to follow up."""
    return onward(replace(draft, follow_up=None), CallbackAnswer())


def when_tapped(
    ctx: StepContext, inp: Input, draft: KeyPersonDraft, code: str
) -> Outcome[KeyPersonDraft]:
    """Keep the follow-up moment tapped."""
    on = follow_up_date(code, ctx.today())
    return onward(replace(draft, follow_up_on=on), CallbackAnswer(), when_answer(on, edit=True))


def when_typed(ctx: StepContext, inp: Input, draft: KeyPersonDraft) -> Outcome[KeyPersonDraft]:
    """Keep a typed follow-up date, or explain what is wrong with it."""
    on, problem = read_date(text_of(inp) or "", ctx.today())
    if problem is not None or on is None:
        params = {"date": on.strftime(DATE_FORMAT)} if on is not None else {}
        return stay(draft, Reply(problem or "keyperson.bad_date", params, buttons=when_buttons()))
    return onward(replace(draft, follow_up_on=on), when_answer(on))


def when_answer(on: date | None, edit: bool = False) -> Reply:
    """Say when the reminder comes (or that none will)."""
    if on is None:
        return Reply("keyperson.when_answer_none", edit=edit)
    return Reply("keyperson.when_answer", {"date": on.strftime(DATE_FORMAT)}, edit=edit)


def consent(
    ctx: StepContext, inp: Input, draft: KeyPersonDraft, answer: str
) -> Outcome[KeyPersonDraft]:
    """Ask for contact details only when they agreed; otherwise save at once."""
    if answer == "yes":
        agreed = Reply("keyperson.consent_answer_yes", edit=True)
        return goto("contact", replace(draft, contact_consent=True), CallbackAnswer(), agreed)
    refused = Reply("keyperson.consent_answer_no", edit=True)
    return save(ctx, replace(draft, contact_consent=False), CallbackAnswer(), refused)


def contact(ctx: StepContext, inp: Input, draft: KeyPersonDraft) -> Outcome[KeyPersonDraft]:
    """Keep the contact details and save."""
    return save(ctx, replace(draft, contact=text_of(inp)))


def no_contact(
    ctx: StepContext, inp: Input, draft: KeyPersonDraft, value: str
) -> Outcome[KeyPersonDraft]:
    """Save without contact details."""
    return save(ctx, replace(draft, contact=None), CallbackAnswer())


def save(ctx: StepContext, draft: KeyPersonDraft, *before: Effect) -> Outcome[Any]:
    """Store the key person and end with the saved line."""
    assert ctx.member is not None
    details: dict[str, Any] = {
        "alias": draft.alias,
        "role": draft.role,
        "network": draft.network,
        "follow_up": draft.follow_up,
        "contact_consent": draft.contact_consent,
    }
    if draft.contact_consent and draft.contact:
        details["contact"] = draft.contact
    if draft.place_text:
        details["place_text"] = draft.place_text
    observation = obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=author_of(ctx),
        kind="key_person",
        now=ctx.now,
        text=draft.network,
        place=draft.place,
        details=details,
        follow_up_on=draft.follow_up_on,
    )
    saved = saved_line(ctx, observation, draft.place, key="keyperson.saved")
    return done(*before, saved)


PLACE_ANSWER = Go(where_answer, "network")

KEYPERSON = Flow(
    name="keyperson",
    draft=KeyPersonDraft,
    start=Go(start, "alias"),
    states={
        "alias": State(ask_alias, {TEXT: Go(alias, "role")}),
        "role": State(ask_role, {TEXT: Go(role, "where")}),
        "where": State(
            ask_where,
            {
                LOCATION: PLACE_ANSWER,
                HERE_KEY: PLACE_ANSWER,
                SKIP_KEY: PLACE_ANSWER,
                TEXT: PLACE_ANSWER,
            },
        ),
        "network": State(ask_network, {TEXT: Go(network, "follow_up")}),
        "follow_up": State(
            ask_follow_up, {SKIP: Go(no_follow_up, "when"), TEXT: Go(follow_up, "when")}
        ),
        "when": State(
            ask_when, {WHEN: Go(when_tapped, "consent"), TEXT: Go(when_typed, "consent")}
        ),
        "consent": State(ask_consent, {CONSENT: Go(consent, "contact", END)}),
        "contact": State(ask_contact, {SKIP: Go(no_contact, END), TEXT: Go(contact, END)}),
    },
)


# Scheduled: remind members of the key persons they planned to follow up.


def due_follow_ups(ctx: StepContext) -> list[tuple[int, int, tuple[Effect, ...]]]:
    """Return (chat, member id, reminder) for follow-ups due today or earlier; mark them sent.

    Only active members are reminded; the caller commits and sends through the outbox.
    """
    results: list[tuple[int, int, tuple[Effect, ...]]] = []
    for observation, member in obs.due_follow_ups(ctx.session, ctx.today()):
        observation.follow_up_sent_at = ctx.now
        results.append((member.telegram_user_id, member.id, (reminder(observation),)))
    return results


def reminder(observation: Observation) -> Reply:
    """Return the follow-up reminder for one key person."""
    details = observation.details or {}
    note = details.get("follow_up")
    return Reply(
        "keyperson.reminder",
        {
            "alias": details.get("alias") or Text("keyperson.no_alias"),
            "network": details.get("network") or observation.text or Text("keyperson.no_network"),
            "note": note or Text("keyperson.no_note"),
        },
    )
