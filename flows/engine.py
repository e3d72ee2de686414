"""The flow engine's vocabulary: inputs, replies as values, and flows as tables of states."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from flows.drafts import check_draft_type, read_draft, write_draft

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.filejobs import ClaimedJob
    from storage.models import Member


class InputKind(StrEnum):
    """What a user sent, as far as flows care."""

    COMMAND = "command"
    TEXT = "text"
    CALLBACK = "callback"
    LOCATION = "location"
    LIVE_LOCATION = "live_location"
    LIVE_STOPPED = "live_stopped"
    PHOTO = "photo"
    VOICE = "voice"
    VIDEO = "video"
    DOCUMENT = "document"
    UNSUPPORTED = "unsupported"
    EDITED = "edited"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    GROUP = "group"
    # The bot was removed from a group (or the group was deleted).
    GROUP_LEFT = "group_left"
    # A group became a supergroup with a new chat id (in `args`).
    GROUP_MOVED = "group_moved"
    IGNORED = "ignored"


# Short names for the input kinds flow tables name most.
TEXT = InputKind.TEXT
VOICE = InputKind.VOICE
PHOTO = InputKind.PHOTO
VIDEO = InputKind.VIDEO
DOCUMENT = InputKind.DOCUMENT
LOCATION = InputKind.LOCATION

MEDIA_KINDS = frozenset({InputKind.PHOTO, InputKind.VOICE, InputKind.VIDEO, InputKind.DOCUMENT})
# What a member may send that is kept as a note when no flow asked for it.
KEEPABLE_KINDS = frozenset({*MEDIA_KINDS, InputKind.TEXT, InputKind.LOCATION})


@dataclass(frozen=True)
class Point:
    """A WGS84 position with its accuracy in metres when known."""

    lat: float
    lon: float
    accuracy_m: float | None = None


@dataclass(frozen=True)
class Media:
    """A file a user sent, as Telegram describes it (not yet downloaded)."""

    file_id: str
    file_unique_id: str
    file_size: int | None = None
    duration: int | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class Input:
    """One thing a user did, translated from a Telegram update into plain values."""

    kind: InputKind
    chat_id: int | None
    user_id: int | None
    date: datetime
    chat_type: str = "private"
    message_id: int | None = None
    language_code: str | None = None
    text: str | None = None
    command: str | None = None
    args: str = ""
    callback_data: str | None = None
    callback_query_id: str | None = None
    callback_message_id: int | None = None
    location: Point | None = None
    live_period: int | None = None
    media: Media | None = None
    caption: str | None = None
    content_type: str | None = None
    # Set when a text is the label of a reply-keyboard button (e.g. "button.skip").
    keyboard_key: str | None = None
    # An edit of an earlier message (a live location moving is an edit of its first message).
    edited: bool = False
    # The data of the inline buttons on the bot message this one replies to (a saved line).
    reply_to_buttons: tuple[str, ...] = ()
    # Set when a reply to a bot message is a verdict word ("+1", "klopt niet"): supports or
    # contradicts (bot/dispatch/typed.py reads the words from the catalogs).
    verdict: str | None = None
    # The sender's Telegram first name: only offered back as a display name, never kept as is.
    first_name: str | None = None
    # In a group: the message this one replies to (a card of the team feed), the group's title.
    reply_to_message_id: int | None = None
    chat_title: str | None = None


@dataclass(frozen=True)
class Button:
    """An inline button: a message key for its label and the value it sends back."""

    label: str
    value: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MenuKey:
    """A main-menu button under the typing field: its label (catalog key) and its command."""

    label: str
    command: str


# The main menu: rows of big buttons that stay under the typing field (flows/menu.py).
Menu = tuple[tuple[MenuKey, ...], ...]


@dataclass(frozen=True)
class Reply:
    """A message to send, as a catalog key with parameters; the renderer translates it."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    buttons: tuple[tuple[Button, ...], ...] = ()
    request_location: str | None = None
    # More reply-keyboard buttons (catalog keys) under the location button, e.g. skip.
    keyboard: tuple[str, ...] = ()
    remove_keyboard: bool = False
    # Show this main menu under the typing field (it replaces a removed or one-time keyboard).
    menu: Menu = ()
    # Replace the message whose button was tapped instead of sending a new one.
    edit: bool = False
    # A picture of a QR code for this text (an invite link), sent with the message as caption.
    qr: str | None = None
    # A file under the media folder (e.g. exports/x.geojson) sent as a document after the text.
    document: str | None = None
    # Send to this chat instead of the one the input came from (a group's confirmation goes to
    # the coordinator's private chat); its buttons must be global ones (g|...).
    chat_id: int | None = None


@dataclass(frozen=True)
class Text:
    """A translatable piece inside another message's parameters (e.g. one line of /help)."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallbackAnswer:
    """The short answer to a tapped button (a toast), by catalog key."""

    key: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reaction:
    """React to the user's message with an emoji: the lightest acknowledgement."""

    emoji: str = "✍"


@dataclass(frozen=True)
class SetCommands:
    """Show this chat the command menu of a role in the member's language."""

    role: str | None


@dataclass(frozen=True)
class EditButtons:
    """Replace the buttons of the message whose button was tapped, keeping its words."""

    buttons: tuple[tuple[Button, ...], ...]


Effect = Reply | CallbackAnswer | SetCommands | Reaction | EditButtons


@dataclass(frozen=True)
class FlowConfig:
    """Deployment settings a step may need."""

    default_language: str = "nl"
    invite_valid_days: int = 14
    bot_username: str | None = None
    secret_key: str = ""
    timezone: str = "Europe/Brussels"
    max_wrong_codes: int = 5
    wrong_code_window_minutes: int = 15
    # Where generated files (exports, QR codes) are written; sent files must lie under it.
    media_dir: str = "media/"
    # Makes the files flows send (weekly pictures, exports); the composition root passes
    # bot/reporting.py's adapter, so flows import neither reports/ nor bot/.
    reports: ReportMaker | None = None


@dataclass(frozen=True)
class WeeklyPicture:
    """One week's picture of the buurt in one language: the summary message and the HTML."""

    week_label: str
    language: str
    summary: Text
    html: str


@dataclass(frozen=True)
class RoundPicture:
    """A round report in one language: the period, the summary message and the HTML."""

    first_day: date
    last_day: date
    language: str
    summary: Text
    html: str


@dataclass(frozen=True)
class ExportWritten:
    """What an export file holds (and the track points' CSV beside a CSV export)."""

    observations: int
    located: int
    tracks: int
    track_points: int
    tracks_path: Path | None = None


class ExportTooBigError(Exception):
    """The export would pass the upload limit; `size` is its estimated size in bytes."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


# What a sweep or a file job sends: (chat, member id, effects) per recipient.
Messages = list[tuple[int, int, tuple[Effect, ...]]]


@dataclass(frozen=True)
class FileMade:
    """What a file job made: the messages to queue, and what to record with them.

    `record` runs in the worker's last transaction, with the messages and the job's done-mark
    (the path of a scheduled picture on its row, say).
    """

    messages: Messages = field(default_factory=list)
    record: Callable[[Session], None] | None = None


def to_asker(job: ClaimedJob, *effects: Effect) -> FileMade:
    """Return a file job's messages for the member who asked for it, in their chat."""
    assert job.chat_id is not None and job.member_id is not None
    return FileMade([(job.chat_id, job.member_id, effects)])


@dataclass(frozen=True)
class MemberFiles:
    """What /mydata sends: the JSON of a member's data and, when they sent files, a ZIP."""

    data: str
    media: str | None = None


class ReportMaker(Protocol):
    """The files flows write, send and delete under the media folder; made behind this port.

    Paths handed back are relative to the media folder, as Reply.document wants them.
    """

    export_formats: tuple[str, ...]

    def export_extension(self, fmt: str) -> str:
        """Return the file extension of an export format, with its dot."""
        ...

    def write_export(
        self,
        session: Session,
        organisation_id: int,
        start: date | None,
        end: date | None,
        timezone: str,
        fmt: str,
        path: Path,
        limit: int,
        *,
        language: str = "nl",
    ) -> ExportWritten | None:
        """Write an export of a period to path, its words in `language`; None when empty.

        Raises ExportTooBigError, leaving no file, when it would pass `limit` bytes.
        """
        ...

    def weekly_picture(
        self,
        session: Session,
        organisation_id: int,
        iso_year: int,
        iso_week: int,
        language: str,
        timezone: str,
        media_dir: str,
        as_of: datetime | None = None,
    ) -> WeeklyPicture:
        """Build and render one week's picture (up to `as_of` for the week running)."""
        ...

    def write_picture(self, picture: WeeklyPicture, media_dir: str, folder: str, tag: str) -> str:
        """Write a picture's HTML into a folder under the media folder; return its path."""
        ...

    def round_report(
        self,
        session: Session,
        organisation_id: int,
        first_day: date,
        last_day: date,
        language: str,
        timezone: str,
    ) -> RoundPicture:
        """Build and render the round report of a period (both days included)."""
        ...

    def write_round_report(self, report: RoundPicture, media_dir: str, folder: str) -> str:
        """Write a round report's HTML into a folder under the media folder; return its path."""
        ...

    def write_member_data(
        self, data: Mapping[str, Any], media: Sequence[str], media_dir: str
    ) -> MemberFiles:
        """Write a member's data as JSON, and the media files named (when present) as a ZIP."""
        ...

    def delete_media(self, media_dir: str, paths: Iterable[str]) -> None:
        """Delete files under the media folder (those of a forgotten member)."""
        ...


@dataclass
class StepContext:
    """What a step may use besides the input and the draft: the transaction and the member."""

    session: Session
    now: datetime
    config: FlowConfig
    member: Member | None

    def today(self) -> date:
        """Return today's date in the deployment's time zone (Brussels)."""
        now = self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)
        return now.astimezone(ZoneInfo(self.config.timezone)).date()

    def reports(self) -> ReportMaker:
        """Return the report maker; the composition root (bot/runtime/app.py) provides one."""
        assert self.config.reports is not None
        return self.config.reports


# -- flows as tables ---------------------------------------------------------------------------
#
# A flow is data the router reads: its states, what each accepts, the step for each and where
# that step may go. Steps are plain functions returning an Outcome; the router checks every
# outcome against the table (going anywhere else is a programming error, FlowError), and the
# question of the state the chat enters follows the step's effects. `python -m flows.tables`
# prints every flow's table; the tables in the flow modules' docstrings are checked against it.

D = TypeVar("D")

# As a step's target: the flow ends (Go(save, END)); an Outcome with state END ends it.
END = None
# Outcome states the router resolves: the state the chat is in, the one state a step declares.
_STAY = "(stay)"
_ONWARD = "(onward)"


class FlowError(Exception):
    """A step went where its flow's table does not let it: a bug, caught by the tests."""


class NotYetError(Exception):
    """What an update refers to is still on its way: keep the update and try it again later.

    Raised by a step that cannot be done yet (a reply to a team-feed card whose message id is
    not recorded yet); the dispatcher keeps the update as failed for its usual retries.
    """


@dataclass(frozen=True)
class Outcome(Generic[D]):
    """What a step decided: where the chat goes, what it is told, and the draft it keeps.

    `state` END (None) ends the flow. With `ask`, the question of the state entered follows
    the effects; a step that words that question itself (or asks nothing) says ask=False.
    """

    state: str | None
    effects: tuple[Effect, ...] = ()
    draft: D | None = None
    ask: bool = False


def goto(state: str, draft: D, *effects: Effect, ask: bool = True) -> Outcome[D]:
    """Go to one of the states the step declares; its question follows the effects."""
    return Outcome(state, effects, draft, ask)


def onward(draft: D, *effects: Effect, ask: bool = True) -> Outcome[D]:
    """Go to the one state (or the end) the step declares; its question follows the effects."""
    return Outcome(_ONWARD, effects, draft, ask)


def stay(draft: D, *effects: Effect, ask: bool = False) -> Outcome[D]:
    """Stay in the state the chat is in (always allowed); ask=True asks its question again."""
    return Outcome(_STAY, effects, draft, ask)


def done(*effects: Effect) -> Outcome[Any]:
    """End the flow with these effects."""
    return Outcome(END, effects)


def reply(key: str, /, **params: Any) -> Reply:
    """Return a plain text reply."""
    return Reply(key=key, params=params)


# Ids in callback data fit a database integer: at most 18 digits.
MAX_ID_DIGITS = 18


def ascii_id(text: str) -> int | None:
    """Return the id a button's data or a command's argument holds, or None if it holds none.

    Only ASCII digits count: str.isdigit() is also True for '²' or '٣', which int() then
    refuses or reads as another number, so forged callback data must not reach int() that way.
    """
    if not text or len(text) > MAX_ID_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


Step = Callable[[StepContext, Input, D], Outcome[D]]
"""Handles an input: (context, input, draft) -> outcome."""
Pick = Callable[[StepContext, Input, D, str], Outcome[D]]
"""Handles a tapped button of a Choice: (context, input, draft, the value picked) -> outcome."""
Ask = Callable[[StepContext, D], tuple[Effect, ...]]
"""Asks a state's question: (context, draft) -> the messages."""


class Go(Generic[D]):
    """A step and where it may lead: Go(step, "where", END). Staying put is always allowed."""

    def __init__(self, step: Callable[..., Outcome[D]], *to: str | None) -> None:
        self.step = step
        self.to: tuple[str | None, ...] = to

    @property
    def name(self) -> str:
        """Return the step's function name."""
        return self.step.__name__

    def __repr__(self) -> str:
        targets = ("END" if target is END else repr(target) for target in self.to)
        return f"Go({', '.join((self.name, *targets))})"


@dataclass(frozen=True, eq=False)
class Choice:
    """One question's buttons: the values they send, under a prefix ("who:resident").

    The router reads a tap once: a value this choice does not offer now (an old or forged
    button) is answered as stale and changes nothing, so a step only gets values it offered.
    Values that depend on the chat (the wijken a search found) come from a function of the
    context and the draft; `shown` names them in the flow's table (e.g. "CODE").
    """

    prefix: str
    values: tuple[str, ...] | Callable[[StepContext, Any], Collection[str]]
    # The catalog key of a value's label: "{}" stands for the value; or a key per value.
    label: str | Mapping[str, str] = "{}"
    shown: str = ""

    def data(self, value: str) -> str:
        """Return what the button of a value sends."""
        return f"{self.prefix}:{value}" if self.prefix else value

    def button(self, value: str, label: str | None = None, **params: Any) -> Button:
        """Return the button that picks a value, labelled by the choice's pattern unless given."""
        if label is None:
            label = self.label.format(value) if isinstance(self.label, str) else self.label[value]
        return Button(label, self.data(value), params)

    def rows(
        self, per_row: int = 1, values: Iterable[str] | None = None
    ) -> tuple[tuple[Button, ...], ...]:
        """Return the buttons of some values (by default every fixed one), per_row to a row."""
        if values is None:
            assert isinstance(self.values, tuple), "a choice of the chat's values names them"
            values = self.values
        buttons = [self.button(value) for value in values]
        return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))

    def offered(self, ctx: StepContext, draft: Any) -> Collection[str]:
        """Return the values this choice offers now."""
        return self.values(ctx, draft) if callable(self.values) else self.values

    def read(self, data: str, ctx: StepContext, draft: Any) -> str | None:
        """Return the value a tap picked, if it is this choice's and offered now."""
        if self.prefix:
            head, colon, value = data.partition(":")
            if not colon or head != self.prefix:
                return None
        else:
            value = data
        return value if value in self.offered(ctx, draft) else None


@dataclass(frozen=True)
class Key:
    """A reply-keyboard button (button.skip ...): tapped or typed, it is this answer, not words."""

    key: str


SKIP_KEY = Key("button.skip")
HERE_KEY = Key("button.here")
NOWHERE_KEY = Key("button.nowhere")
DID_WITHOUT_KEY = Key("button.did_without")

Accepts = InputKind | Choice | Key


@dataclass(frozen=True)
class Call(Generic[D]):
    """The step the table names for an input, with the arguments to call it with."""

    go: Go[D]
    args: tuple[Any, ...]


# What a state answers to a tap none of its choices offers.
STALE = "stale"


@dataclass(frozen=True)
class State(Generic[D]):
    """One question of a flow: how it is asked, and what it accepts with the step for each.

    `on` maps an input kind (text, voice, location ...), a Choice (its buttons) or a Key (a
    reply-keyboard button) to the step that takes it. Taps are only read through choices.
    """

    ask: Ask[D]
    on: Mapping[Accepts, Go[D]]

    def choices(self) -> tuple[tuple[Choice, Go[D]], ...]:
        """Return the state's choices with their steps."""
        return tuple((item, go) for item, go in self.on.items() if isinstance(item, Choice))

    def find(self, ctx: StepContext, inp: Input, draft: D) -> Call[D] | str | None:
        """Return the step for an input, STALE for a tap no choice offers, None if not taken."""
        if inp.kind == InputKind.CALLBACK:
            data = inp.callback_data or ""
            for choice, go in self.choices():
                value = choice.read(data, ctx, draft)
                if value is not None:
                    return Call(go, (ctx, inp, draft, value))
            return STALE
        if inp.kind == InputKind.TEXT and inp.keyboard_key is not None:
            keyed = self.on.get(Key(inp.keyboard_key))
            if keyed is not None:
                return Call(keyed, (ctx, inp, draft))
        taken = self.on.get(inp.kind)
        return Call(taken, (ctx, inp, draft)) if taken is not None else None


@dataclass(frozen=True)
class Flow(Generic[D]):
    """A conversation as a table: its draft type, how it starts, and its states."""

    name: str
    # The typed draft the steps pass on, stored as JSON between inputs (flows/drafts.py).
    draft: type[D]
    start: Go[D]
    states: Mapping[str, State[D]] = field(default_factory=dict)
    # A draft worth asking about before another command abandons it.
    keeps_draft: bool = True
    # Commands the flow answers itself while it runs (e.g. /endwalk during a walk).
    commands: Mapping[str, Go[D]] = field(default_factory=dict)
    # What /cancel does here, when leaving is not simply dropping the draft.
    cancel: Go[D] | None = None
    # Other ways in than the command, by name: e.g. "note", a kept note becoming this record.
    entries: Mapping[str, Go[D]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_draft_type(self.draft)
        for go in self.steps():
            for target in go.to:
                if target is not END and target not in self.states:
                    raise FlowError(f"{self.name}: {go!r} leads to no state of the flow")

    def steps(self) -> tuple[Go[D], ...]:
        """Return every step the table declares."""
        found = [self.start, *self.commands.values(), *self.entries.values()]
        if self.cancel is not None:
            found.append(self.cancel)
        for state in self.states.values():
            found.extend(state.on.values())
        return tuple(found)

    def read(self, data: Mapping[str, Any] | None) -> D:
        """Return the draft stored for a chat; DraftError when it cannot be read."""
        return read_draft(self.draft, data)

    def write(self, draft: D | None) -> dict[str, Any]:
        """Return a draft as the JSON object stored for the chat."""
        return write_draft(draft) if draft is not None else {}

    def fresh(self) -> D:
        """Return an empty draft: what the flow starts with."""
        return self.draft()

    def ask(self, ctx: StepContext, state: str, draft: D) -> tuple[Effect, ...]:
        """Return a state's question."""
        return self.states[state].ask(ctx, draft)

    def settle(
        self, ctx: StepContext, go: Go[D], here: str | None, outcome: Outcome[D]
    ) -> Outcome[D]:
        """Check a step's outcome against the table and return where it really goes.

        Resolves stay and onward, and adds the question of the state entered when asked for.
        `here` is the state the chat was in (None when the flow starts or is entered).
        """
        state = outcome.state
        if state == _STAY:
            if here is None:
                raise FlowError(f"{self.name}: {go!r} stays, but the chat is in no state yet")
            state = here
        elif state == _ONWARD:
            if len(go.to) != 1:
                raise FlowError(f"{self.name}: {go!r} goes onward, but declares several ways")
            state = go.to[0]
        elif state not in go.to:
            target = "END" if state is END else repr(state)
            raise FlowError(f"{self.name}: {go!r} went to {target}, which it does not declare")
        if state is END:
            return Outcome(END, outcome.effects)
        if outcome.draft is None:
            raise FlowError(f"{self.name}: {go!r} went to {state!r} without a draft")
        effects = outcome.effects
        if outcome.ask:
            effects = (*effects, *self.ask(ctx, state, outcome.draft))
        return Outcome(state, effects, outcome.draft)


@dataclass(frozen=True)
class Switch:
    """Move the chat into a flow from outside it (a global button, a kept note).

    `outcome` is the first outcome of the flow's start (entry None) or of one of its entries.
    """

    flow: str
    outcome: Outcome[Any]
    entry: str | None = None
