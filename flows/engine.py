"""The flow engine's vocabulary: inputs, replies as values, states and flows as tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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
    IGNORED = "ignored"


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


@dataclass(frozen=True)
class Button:
    """An inline button: a message key for its label and the value it sends back."""

    label: str
    value: str
    params: Mapping[str, Any] = field(default_factory=dict)


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
    # Replace the message whose button was tapped instead of sending a new one.
    edit: bool = False
    # A picture of a QR code for this text (an invite link), sent with the message as caption.
    qr: str | None = None
    # A file under the media folder (e.g. exports/x.geojson) sent as a document after the text.
    document: str | None = None


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


Effect = Reply | CallbackAnswer | SetCommands | Reaction


@dataclass(frozen=True)
class Outcome:
    """What a step decided: the next state (None ends the flow), effects and the draft."""

    state: str | None
    effects: tuple[Effect, ...] = ()
    draft: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Switch:
    """Move the chat into a flow from a global button: the flow's name and its first outcome."""

    flow: str
    outcome: Outcome


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
    ) -> ExportWritten | None:
        """Write an export of a period to path; None when it holds nothing.

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
        """Return the report maker; the composition root (bot/app.py) always provides one."""
        assert self.config.reports is not None
        return self.config.reports


Step = Callable[[StepContext, Input, Mapping[str, Any]], Outcome]
Prompt = Callable[[StepContext, Mapping[str, Any]], tuple[Effect, ...]]


@dataclass(frozen=True)
class State:
    """One state of a flow: which inputs it accepts, the step for each, how it asks again."""

    accepts: Mapping[InputKind, Step]
    prompt: Prompt


@dataclass(frozen=True)
class Flow:
    """A conversation as a table: its entry step and its states."""

    name: str
    start: Step
    states: Mapping[str, State]
    # A draft worth asking about before another command abandons it.
    keeps_draft: bool = True
    # Commands the flow answers itself while it runs (e.g. /endwalk during a walk).
    commands: Mapping[str, Step] = field(default_factory=dict)
    # What /cancel does here, when leaving is not simply dropping the draft.
    cancel: Step | None = None

    def step_for(self, state: str, kind: InputKind) -> Step | None:
        """Return the step that handles this input in this state, if the state accepts it."""
        table = self.states.get(state)
        return table.accepts.get(kind) if table else None


def reply(key: str, /, **params: Any) -> Reply:
    """Return a plain text reply."""
    return Reply(key=key, params=params)


def done(*effects: Effect) -> Outcome:
    """End the flow with these effects."""
    return Outcome(state=None, effects=effects)


def goto(state: str, draft: Mapping[str, Any], *effects: Effect) -> Outcome:
    """Move to a state with a draft and effects."""
    return Outcome(state=state, effects=effects, draft=draft)
