"""Every observation of the week, numbered as on the map: what was seen, heard and noted.

Walk notes, notes kept outside a flow, encounters (with what the person said), key persons
(description and network, never contact details), missing things and walk reflections, oldest
first. Diary entries are private and never listed.
"""

from __future__ import annotations

from collections.abc import Mapping

from reports.images import EntryMedia
from reports.model import Comment, Entry, Fact, Msg, Photo, Quantity
from reports.sections import focusgroups
from reports.sections.common import Week, clip, is_reflection
from reports.sections.voices import said
from storage.kinds import FOCUS_GROUP, kind_of
from storage.weekly import ObservationRow

MAX_ENTRY_TEXT = 1500
MAX_FACT_TEXT = 600


def listed(week: Week) -> tuple[ObservationRow, ...]:
    """Return the week's observations the list shows (every kind that is not private)."""
    return tuple(
        o for o in week.current if not (kind_of(o.kind).private or kind_of(o.kind).summarised)
    )


def numbers(rows: tuple[ObservationRow, ...]) -> dict[int, int]:
    """Return each listed observation's number (1, 2, ... in time order) by id."""
    return {o.id: index for index, o in enumerate(rows, start=1)}


def _coded(prefix: str, value: object, typed: object = None) -> object:
    """Return typed text when given, else a coded answer as a catalog Msg (None if neither)."""
    text = clip(typed, 120)
    if text:
        return text
    if isinstance(value, str) and value:
        return Msg(f"{prefix}.{value}", {"code": value})
    return None


def _facts(observation: ObservationRow) -> tuple[str | None, list[Fact]]:
    """Return an observation's main text and its other answers, by kind."""
    d = observation.details
    facts: list[Fact] = []

    def add(label: str, value: object, limit: int = MAX_FACT_TEXT) -> None:
        if isinstance(value, Msg):
            facts.append(Fact(label, value))
        elif (text := clip(value, limit)) is not None:
            facts.append(Fact(label, text))

    kind = observation.kind
    if kind == "encounter":
        text = said(d, observation.text)
        add("digest.entry.who", _coded("encounter.who", d.get("who"), d.get("who_text")))
        add(
            "digest.entry.channel",
            _coded("encounter.channel", d.get("channel"), d.get("channel_text")),
        )
        if d.get("experience") and d.get("needs"):
            add("digest.entry.needs", d.get("needs"))
        add("digest.entry.places", d.get("places"))
        return clip(text, MAX_ENTRY_TEXT), facts
    if kind == "key_person":
        add("digest.entry.role", d.get("role"), 160)
        add("digest.entry.network", d.get("network"))
        text = d.get("alias") or (observation.text if not d.get("network") else None)
        add("digest.entry.follow_up", d.get("follow_up"))
        if observation.follow_up_on is not None:
            facts.append(Fact("digest.entry.follow_up_on", observation.follow_up_on))
        return clip(text, MAX_ENTRY_TEXT), facts
    if kind == FOCUS_GROUP:
        facts.extend(_focus_group_facts(observation))
        return clip(observation.text, MAX_ENTRY_TEXT), facts
    if kind == "missing":
        if d.get("status"):
            add("digest.entry.status", Msg(f"digest.status.{d['status']}", {"code": d["status"]}))
        if d.get("alternative_source") == "nowhere":
            add("digest.entry.instead", Msg("digest.entry.nowhere"))
        else:
            add("digest.entry.instead", d.get("alternative"), 160)
        if d.get("transport"):
            add("digest.entry.transport", Msg(f"digest.transport.{d['transport']}"))
        distance = d.get("distance_m")
        if isinstance(distance, int | float) and not isinstance(distance, bool):
            facts.append(Fact("digest.entry.distance", Quantity(distance, "km")))
        add("digest.entry.affected", d.get("affected"))
        add("digest.entry.impact", d.get("impact"))
    return clip(observation.text, MAX_ENTRY_TEXT), facts


def _focus_group_facts(observation: ObservationRow) -> list[Fact]:
    """Return a focus group's facts: when, who came, how, what was said, quotes, who was missing."""
    d = observation.details
    facts: list[Fact] = []
    held_on = focusgroups.held_on_of(observation)
    if held_on is not None:
        facts.append(Fact("digest.entry.held_on", held_on))
    counts = {item.label: item.count for item in focusgroups.attendance_of(observation)}
    facts.append(Fact("digest.entry.attendance", Msg("digest.entry.attendance_value", counts)))
    channel = _coded(
        "focusgroup.channel", focusgroups.channel_of(observation), d.get("channel_text")
    )
    if channel is not None:
        facts.append(Fact("digest.entry.channel", channel))
    for label, value in (
        ("digest.entry.said", " · ".join(focusgroups.said_of(observation))),
        ("digest.entry.quotes", " ".join(f"“{q}”" for q in focusgroups.quotes_of(observation))),
        ("digest.entry.missing_voices", d.get("missing_voices")),
    ):
        text = clip(value, MAX_FACT_TEXT)
        if text:
            facts.append(Fact(label, text))
    return facts


def build(
    week: Week,
    rows: tuple[ObservationRow, ...],
    media: Mapping[int, EntryMedia],
    on_map: set[int],
) -> tuple[Entry, ...]:
    """Return the numbered list; `on_map` holds the ids drawn as markers."""
    entries: list[Entry] = []
    nothing = EntryMedia()
    names: dict[int | None, str | None] = {}
    for number, observation in enumerate(rows, start=1):
        text, facts = _facts(observation)
        found = media.get(observation.id, nothing)
        code = observation.wijk_code
        if code not in names:
            names[code] = week.wijk(code)
        wijk = names[code]
        moment = observation.created_at.astimezone(week.tz)
        street = clip(observation.details.get("street"), 120)
        quote = observation.details.get("quote_ok")
        photos: tuple[Photo, ...] = ()
        if found.photos:
            photos = tuple(
                Photo(
                    data_uri=thumb.data_uri,
                    width=thumb.width,
                    height=thumb.height,
                    kind=observation.kind,
                    caption=clip(text, 120),
                    wijk=wijk,
                    day=moment.date(),
                    unfetched=thumb.unfetched,
                    number=number,
                )
                for thumb in found.photos
                if not thumb.skipped
            )
        entries.append(
            Entry(
                number=number,
                id=observation.id,
                kind="reflection" if is_reflection(observation) else observation.kind,
                moment=moment,
                author=observation.author,
                text=text,
                facts=tuple(facts),
                theme=observation.theme,
                place=street or wijk,
                on_map=observation.id in on_map,
                photos=photos,
                voices=found.voices,
                videos=found.videos,
                quotable=(quote is True) if observation.kind == "encounter" else None,
                photos_in_zip=sum(1 for thumb in found.photos if thumb.skipped),
                comments=tuple(
                    Comment(
                        author=week.names.get(c.member_id),
                        role=week.roles.get(c.member_id),
                        text=clip(c.text, MAX_FACT_TEXT) or "",
                    )
                    for c in week.comments.get(observation.id, ())
                ),
            )
        )
    return tuple(entries)
