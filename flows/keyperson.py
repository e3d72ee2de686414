"""/keyperson: someone who opens a door to a community or network, and when to follow up.

| state     | accepts                                        | step            | goes to          |
|-----------|------------------------------------------------|-----------------|------------------|
| (start)   | /keyperson                                     | start           | alias            |
| alias     | text (a description or nickname)               | alias           | role             |
| role      | text                                           | role            | where            |
| where     | location; text: "here", "skip" or a place      | where_answer    | network (where)  |
| network   | text                                           | network         | follow_up        |
| follow_up | text, callback skip                            | follow_up       | when             |
| when      | callback when:*, text: a date (flows.dates)    | when_button,    | consent (when)   |
|           |                                                | when_typed      |                  |
| when      | text: a date gone by, or no date               | when_typed      | when (ask again) |
| consent   | callback consent:yes                           | consent         | contact          |
| consent   | callback consent:no                            | consent         | ends (saved)     |
| contact   | text, callback skip                            | contact         | ends (saved)     |

Contact details are asked only after the member confirms the person agreed to it; without that
agreement nothing of them is kept. The observation (kind "key_person") keeps the answers in its
details and the follow-up date (Brussels) in follow_up_on.

Scheduled: due_follow_ups() reminds the member on that date, once.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from flows.dates import PAST, read_day
from flows.encounter import SKIP, answer_place, place_in, place_question, stale
from flows.engine import (
    Button,
    CallbackAnswer,
    Effect,
    Flow,
    Input,
    InputKind,
    Outcome,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
)
from flows.observe import language_of, saved_line, text_of
from flows.places import author_of
from storage import observations as obs
from storage.models import Observation

WHEN = ("week", "2weeks", "month", "none")
DATE_FORMAT = "%d/%m/%Y"


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
    return ((Button("button.skip", SKIP),),)


def when_buttons() -> tuple[tuple[Button, ...], ...]:
    """Return the follow-up moments, two per row."""
    buttons = [Button(f"keyperson.when.{code}", f"when:{code}") for code in WHEN]
    return (tuple(buttons[:2]), tuple(buttons[2:]))


def ask_alias(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask for a description or nickname."""
    return (Reply("keyperson.ask_alias"),)


def ask_role(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask what their role is."""
    return (Reply("keyperson.ask_role"),)


def ask_where(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask where the member met them."""
    return (place_question("keyperson.ask_where"),)


def ask_network(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask which community or network they open."""
    return (Reply("keyperson.ask_network"),)


def ask_follow_up(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask how to follow up (optional)."""
    return (Reply("keyperson.ask_follow_up", buttons=skip_row()),)


def ask_when(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask when to follow up."""
    return (Reply("keyperson.ask_when", buttons=when_buttons()),)


def ask_consent(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask whether they agreed that their contact details are kept."""
    return (
        Reply(
            "keyperson.ask_consent",
            buttons=(
                (
                    Button("keyperson.consent_yes", "consent:yes"),
                    Button("keyperson.consent_no", "consent:no"),
                ),
            ),
        ),
    )


def ask_contact(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask for the contact details (only after consent)."""
    return (Reply("keyperson.ask_contact", buttons=skip_row()),)


# Steps.


def start(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Begin: who is it?"""
    return goto("alias", {}, *ask_alias(ctx, {}))


def alias(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the description or nickname."""
    new = {**draft, "alias": text_of(inp)}
    return goto("role", new, *ask_role(ctx, new))


def role(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep their role."""
    new = {**draft, "role": text_of(inp)}
    return goto("where", new, *ask_where(ctx, new))


def where_answer(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep where they met (a location, here, a typed place) or none."""
    new, effects = answer_place(ctx, inp, draft, "keyperson")
    if new is None:
        return goto("where", draft, *effects)
    return goto("network", new, *effects, *ask_network(ctx, new))


def network(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the community or network they open."""
    new = {**draft, "network": text_of(inp)}
    return goto("follow_up", new, *ask_follow_up(ctx, new))


def follow_up(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep how to follow up, or skip."""
    if inp.kind == InputKind.CALLBACK:
        if inp.callback_data != SKIP:
            return stale("follow_up", draft)
        new = {**draft, "follow_up": None}
        return goto("when", new, CallbackAnswer(), *ask_when(ctx, new))
    new = {**draft, "follow_up": text_of(inp)}
    return goto("when", new, *ask_when(ctx, new))


def when_button(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the follow-up moment tapped."""
    code = (inp.callback_data or "").removeprefix("when:")
    if code not in WHEN:
        return stale("when", draft)
    on = follow_up_date(code, ctx.today())
    new = {**draft, "follow_up_on": on.isoformat() if on else None}
    return goto(
        "consent", new, CallbackAnswer(), when_answer(on, edit=True), *ask_consent(ctx, new)
    )


def when_typed(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep a typed follow-up date, or explain what is wrong with it."""
    on, problem = read_date(text_of(inp) or "", ctx.today())
    if problem is not None or on is None:
        params = {"date": on.strftime(DATE_FORMAT)} if on is not None else {}
        again = Reply(problem or "keyperson.bad_date", params, buttons=when_buttons())
        return goto("when", draft, again)
    new = {**draft, "follow_up_on": on.isoformat()}
    return goto("consent", new, when_answer(on), *ask_consent(ctx, new))


def when_answer(on: date | None, edit: bool = False) -> Reply:
    """Say when the reminder comes (or that none will)."""
    if on is None:
        return Reply("keyperson.when_answer_none", edit=edit)
    return Reply("keyperson.when_answer", {"date": on.strftime(DATE_FORMAT)}, edit=edit)


def consent(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Ask for contact details only when they agreed; otherwise save at once."""
    value = (inp.callback_data or "").removeprefix("consent:")
    if value == "yes":
        new = {**draft, "contact_consent": True}
        answer = Reply("keyperson.consent_answer_yes", edit=True)
        return goto("contact", new, CallbackAnswer(), answer, *ask_contact(ctx, new))
    if value == "no":
        new = {**draft, "contact_consent": False}
        return save(ctx, new, CallbackAnswer(), Reply("keyperson.consent_answer_no", edit=True))
    return stale("consent", draft)


def contact(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the contact details (or none) and save."""
    if inp.kind == InputKind.CALLBACK:
        if inp.callback_data != SKIP:
            return stale("contact", draft)
        return save(ctx, {**draft, "contact": None}, CallbackAnswer())
    return save(ctx, {**draft, "contact": text_of(inp)})


def save(ctx: StepContext, draft: Mapping[str, Any], *before: Effect) -> Outcome:
    """Store the key person and end with the saved line."""
    assert ctx.member is not None
    consented = bool(draft.get("contact_consent"))
    details: dict[str, Any] = {
        "alias": draft.get("alias"),
        "role": draft.get("role"),
        "network": draft.get("network"),
        "follow_up": draft.get("follow_up"),
        "contact_consent": consented,
    }
    if consented and draft.get("contact"):
        details["contact"] = draft["contact"]
    if draft.get("place_text"):
        details["place_text"] = draft["place_text"]
    on = draft.get("follow_up_on")
    place = place_in(draft)
    observation = obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=author_of(ctx),
        kind="key_person",
        now=ctx.now,
        text=draft.get("network"),
        place=place,
        details=details,
        follow_up_on=date.fromisoformat(on) if on else None,
    )
    return done(*before, saved_line(observation, place, language_of(ctx), key="keyperson.saved"))


KEYPERSON = Flow(
    name="keyperson",
    start=start,
    states={
        "alias": State({InputKind.TEXT: alias}, ask_alias),
        "role": State({InputKind.TEXT: role}, ask_role),
        "where": State({InputKind.LOCATION: where_answer, InputKind.TEXT: where_answer}, ask_where),
        "network": State({InputKind.TEXT: network}, ask_network),
        "follow_up": State(
            {InputKind.TEXT: follow_up, InputKind.CALLBACK: follow_up}, ask_follow_up
        ),
        "when": State({InputKind.CALLBACK: when_button, InputKind.TEXT: when_typed}, ask_when),
        "consent": State({InputKind.CALLBACK: consent}, ask_consent),
        "contact": State({InputKind.TEXT: contact, InputKind.CALLBACK: contact}, ask_contact),
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
