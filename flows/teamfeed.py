"""The team's Telegram group: link it (/linkteam, confirmed in private), unlink it, comments.

linkteam:

| state   | accepts   | step         | goes to |
|---------|-----------|--------------|---------|
| (start) | /linkteam | link_private | end     |

unlinkteam:

| state   | accepts     | step           | goes to |
|---------|-------------|----------------|---------|
| (start) | /unlinkteam | unlink_private | end     |

In a group the router hands every input to `in_group` (groups keep no chat state):

- the bot is added: how a coordinator links the group; another command: 'private only';
- the bot is removed: the feed stops, without an answer;
- the group becomes a supergroup (a new chat id): the feed follows it, without an answer;
- /linkteam from a coordinator: they are asked in their private chat to confirm (buttons);
- /linkteam or /unlinkteam from anyone else: 'only a coordinator can';
- /unlinkteam from the team's coordinator: the feed stops;
- a text reply to a card from a team member: kept as a comment, acknowledged with a reaction;
- anything else: silence.

The feed itself (the cards) is posted by bot/runtime/feed.py from storage/feed.py's choice.
"""

from __future__ import annotations

import re
from typing import Any

from flows.drafts import NoDraft
from flows.engine import (
    END,
    Button,
    CallbackAnswer,
    Effect,
    Flow,
    Go,
    Input,
    InputKind,
    NotYetError,
    Outcome,
    Reaction,
    Reply,
    StepContext,
    ascii_id,
    done,
    reply,
)
from flows.roles import COORDINATOR
from storage import feed

# "2: so true", "#2 so true", "2) so true": a comment on the second card of a batched post.
CARD_NUMBER = re.compile(r"^\s*#?(\d{1,2})\s*[:.)\-]?\s*(.*)$", re.DOTALL)


def _group_id(text: str) -> int | None:
    """Return a group's chat id from a button's data or an update (negative, ASCII digits)."""
    number = ascii_id(text[1:]) if text.startswith("-") else None
    return -number if number else None


def _is_coordinator(ctx: StepContext) -> bool:
    return ctx.member is not None and ctx.member.role == COORDINATOR


def in_group(ctx: StepContext, inp: Input) -> tuple[Effect, ...]:
    """Answer one input from a group: link, unlink, a comment, or one short line or nothing."""
    chat_id = inp.chat_id
    if chat_id is None:
        return ()
    if inp.kind == InputKind.GROUP_LEFT:
        feed.unlink(ctx.session, chat_id)
        return ()
    if inp.kind == InputKind.GROUP_MOVED:
        moved_to = _group_id(inp.args)
        if moved_to is not None:
            feed.move_group(ctx.session, chat_id, moved_to)
        return ()
    if inp.command == "linkteam":
        return _ask_to_link(ctx, inp, chat_id)
    if inp.command == "unlinkteam":
        return _unlink_here(ctx, chat_id)
    if inp.command is None and inp.text is None:
        return (reply("feed.hello"),)
    if inp.command is not None:
        return (reply("group.private_only"),)
    return _comment(ctx, inp, chat_id)


def _ask_to_link(ctx: StepContext, inp: Input, chat_id: int) -> tuple[Effect, ...]:
    """Ask the coordinator, in their private chat, to confirm linking this group."""
    if not _is_coordinator(ctx) or ctx.member is None or inp.user_id is None:
        return (reply("feed.coordinators_only"),)
    group = feed.group_of(ctx.session, chat_id)
    if group is not None and group.linked_at is not None:
        same = group.organisation_id == ctx.member.organisation_id
        return (reply("feed.already_linked" if same else "feed.linked_elsewhere"),)
    feed.request_link(ctx.session, chat_id, ctx.member, ctx.now)
    buttons = (
        (
            Button("feed.button_link", f"g|team|yes|{chat_id}"),
            Button("feed.button_dont_link", f"g|team|no|{chat_id}"),
        ),
    )
    question = Reply(
        "feed.confirm_link",
        {"group": inp.chat_title or "?", "organisation": ctx.member.organisation.name},
        buttons=buttons,
        chat_id=inp.user_id,
    )
    return (reply("feed.asked_in_private"), question)


def _unlink_here(ctx: StepContext, chat_id: int) -> tuple[Effect, ...]:
    """Stop the feed to this group, when a coordinator of its team asks."""
    group = feed.group_of(ctx.session, chat_id)
    if not _is_coordinator(ctx) or ctx.member is None:
        return (reply("feed.coordinators_only"),)
    if group is None or group.organisation_id != ctx.member.organisation_id:
        return (reply("feed.not_linked"),)
    feed.unlink(ctx.session, chat_id)
    return (reply("feed.unlinked"),)


def _comment(ctx: StepContext, inp: Input, chat_id: int) -> tuple[Effect, ...]:
    """Keep a team member's reply to a card as a comment on its observation."""
    member = ctx.member
    if member is None or member.role not in feed.TEAM_ROLES or inp.reply_to_message_id is None:
        return ()
    group = feed.group_of(ctx.session, chat_id)
    if group is None or group.linked_at is None or group.organisation_id != member.organisation_id:
        return ()
    cards = feed.cards_replied_to(ctx.session, chat_id, inp.reply_to_message_id)
    if not cards and inp.message_id is not None and feed.post_in_flight(ctx.session, chat_id):
        # The reply may be to a post whose message id the sender has not recorded yet (it is
        # recorded just after Telegram answers): try the reply again rather than lose it.
        raise NotYetError("a feed post is on its way")
    if not cards or inp.message_id is None:
        return ()
    text = (inp.text or "").strip()
    if len(cards) == 1:
        card = cards[0]
    else:
        match = CARD_NUMBER.match(text)
        numbered = [c for c in cards if match and c.position == int(match.group(1))]
        if not numbered or match is None:
            return (reply("feed.which_card", count=len(cards)),)
        card, text = numbered[0], match.group(2).strip()
    if not text or card.removed_at is not None:
        return ()
    if card.observation_id is None and card.walk_id is None:
        return ()
    feed.add_comment(ctx.session, card, member, text, chat_id, inp.message_id, ctx.now)
    return (Reaction(),)


def team_button(ctx: StepContext, inp: Input, args: list[str]) -> tuple[Effect, ...]:
    """Handle the coordinator's answer to 'link this group?' (g|team|yes|CHAT or no)."""
    chat_id = _group_id(args[1]) if len(args) > 1 else None
    if chat_id is None or ctx.member is None or not _is_coordinator(ctx):
        return (CallbackAnswer("error.stale_button"),)
    if args[0] == "yes" and feed.confirm_link(ctx.session, chat_id, ctx.member, ctx.now):
        return (
            CallbackAnswer(),
            Reply("feed.linked", edit=True),
            Reply("feed.linked_group", chat_id=chat_id),
        )
    if args[0] == "no" and feed.drop_request(ctx.session, chat_id, ctx.member):
        return (CallbackAnswer(), Reply("feed.not_linked_kept", edit=True))
    return (CallbackAnswer("error.stale_button"),)


def link_private(ctx: StepContext, inp: Input, draft: NoDraft) -> Outcome[Any]:
    """Explain that /linkteam is sent in the team's group."""
    return done(reply("feed.link_in_group"))


def unlink_private(ctx: StepContext, inp: Input, draft: NoDraft) -> Outcome[Any]:
    """Stop the feed to the organisation's group from the private chat."""
    assert ctx.member is not None
    group = feed.linked_group(ctx.session, ctx.member.organisation_id)
    if group is None:
        return done(reply("feed.no_group"))
    chat_id = group.chat_id
    feed.unlink(ctx.session, chat_id)
    return done(reply("feed.unlinked_private"), Reply("feed.unlinked", chat_id=chat_id))


LINKTEAM = Flow(name="linkteam", draft=NoDraft, start=Go(link_private, END), keeps_draft=False)
UNLINKTEAM = Flow(
    name="unlinkteam", draft=NoDraft, start=Go(unlink_private, END), keeps_draft=False
)
