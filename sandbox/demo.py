"""`buurtbot demo`: four weeks of scripted fieldwork through the real bot and the sandbox.

Several simulated people join with invites, walk with live locations, note encounters, key
persons and what is missing, each at its own hour of four past weeks; the coordinator sets the
round with /round. Then the weekly pictures, the round report and the exports are written to
the output folder. No token, no network.

The weeks differ as real ones do: a first week with a new key person, a quiet second week
(only the diaries), a third whose walk went mostly outside the buurt, and a full fourth week
that ends with a focus group at the tenants' committee (counts, two questions, a voice note,
agreed quotes and whose voice was missing).
In week 1 the coordinator records two hypotheses (round 2 of the method); as the weeks go the
team marks observations as evidence: a tap under a saved line, a reply "-1" to one, and a link
from the weekly picture.
The clock moves on through each walk, so walks last an hour or so. Photos are small JPEGs
drawn here with Pillow, and the voice note is a short Ogg/Opus file encoded here with
soundfile (libsndfile): nothing is downloaded.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.delivery.ratelimit import SendPacer
from bot.dispatch.flood import FloodGuard
from bot.dispatch.i18n import load_translator
from bot.runtime.runner import BotThread
from bot.runtime.settings import Settings
from sandbox.server import SandboxServer
from storage import organisations as orgs
from storage.db import make_engine, make_session_factory, upgrade
from storage.focusgroups import ATTENDANCE

BRUSSELS = ZoneInfo("Europe/Brussels")
# The buurt of the demo organisation: from the Grote Markt to Anneessens and the Marolles.
BUURT = (1, 2, 7, 8, 9, 10)
ROUTE = (
    (50.8467, 4.3525),
    (50.8450, 4.3500),
    (50.8436, 4.3470),
    (50.8418, 4.3452),
    (50.8395, 4.3440),
    (50.8372, 4.3458),
    (50.8355, 4.3489),
)
# A walk that went mostly outside the buurt: Saint-Gilles, from the Parvis to the Barrière.
ROUTE_OUTSIDE = (
    (50.8281, 4.3458),
    (50.8275, 4.3447),
    (50.8268, 4.3431),
    (50.8262, 4.3415),
    (50.8259, 4.3400),
    (50.8262, 4.3392),
    (50.8385, 4.3445),
)
NOTE_EVERY = timedelta(minutes=11)


def demo_photo(seed: int) -> bytes:
    """Return a small JPEG of a street scene (sky, facades, windows, pavement), drawn here."""
    import io
    import random

    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    image = Image.new("RGB", (480, 360), (150 + rnd.randint(0, 60), 190, 230))
    draw = ImageDraw.Draw(image)
    x = 0
    while x < 480:
        width = rnd.randint(60, 120)
        top = rnd.randint(40, 150)
        colour = (rnd.randint(120, 210), rnd.randint(90, 160), rnd.randint(70, 130))
        draw.rectangle((x, top, x + width, 290), fill=colour, outline=(60, 50, 45))
        for wy in range(top + 15, 270, 38):
            for wx in range(x + 10, x + width - 18, 28):
                draw.rectangle((wx, wy, wx + 14, wy + 22), fill=(235, 235, 205))
        x += width
    draw.rectangle((0, 290, 480, 360), fill=(118, 118, 122))
    draw.line((0, 325, 480, 325), fill=(240, 240, 240), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def demo_voice(seconds: float = 4.0) -> bytes:
    """Return a short, valid Ogg/Opus voice note (a murmur of tones), encoded with soundfile."""
    import io

    import numpy as np
    import soundfile

    rate = 48_000
    t = np.arange(int(rate * seconds)) / rate
    pitch = 150 + 40 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    syllables = 0.5 * (1 + np.sin(2 * np.pi * 3.1 * t)) ** 2
    wave = 0.25 * syllables * (np.sin(phase) + 0.4 * np.sin(2 * phase) + 0.2 * np.sin(3 * phase))
    buffer = io.BytesIO()
    soundfile.write(buffer, wave.astype("float32"), rate, format="OGG", subtype="OPUS")
    return buffer.getvalue()


class DemoClock:
    """A clock the script sets to a scripted day; time then runs on from there."""

    def __init__(self) -> None:
        self._base = datetime.now(UTC)
        self._set_at = time.monotonic()

    def set(self, moment: datetime) -> None:
        """Jump to a moment."""
        self._base = moment.astimezone(UTC)
        self._set_at = time.monotonic()

    def now(self) -> datetime:
        """Return the scripted time."""
        return self._base + timedelta(seconds=time.monotonic() - self._set_at)

    def epoch(self) -> float:
        """Return the scripted time as seconds since the epoch (for the sandbox)."""
        return self.now().timestamp()


@dataclass
class Actor:
    """One simulated person and the language they read."""

    user: Any
    language: str

    def text_of(self, key: str) -> str:
        """Return a catalog text as the sandbox shows it, for matching messages."""
        import html
        import re

        raw = load_translator().raw(self.language, key)
        return html.unescape(re.sub(r"<[^>]+>", "", raw)).split("{")[0].strip()[:30]

    def expect(self, *keys: str, timeout: float = 30.0) -> dict[str, Any]:
        """Wait for the next bot message that starts like one of the keys' texts."""
        heads = [self.text_of(key) for key in keys]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.user.new_messages():
                text = message.get("text") or message.get("caption") or ""
                if any(text.startswith(head) for head in heads):
                    return message
            time.sleep(0.05)
        recent = [(m.get("text") or "")[:60] for m in self.user.messages()[-3:]]
        raise TimeoutError(f"the bot did not answer with {keys}; last messages: {recent}")

    def expect_button(self, value: str, timeout: float = 30.0) -> dict[str, Any]:
        """Wait for the next bot message that offers a button with this value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.user.new_messages():
                rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
                values = [b.get("callback_data", "").split("|", 1)[-1] for r in rows for b in r]
                if value in values:
                    return message
            time.sleep(0.05)
        raise TimeoutError(f"the bot offered no button {value}")

    def tap(self, message: dict[str, Any], value: str) -> None:
        """Tap the button of a message whose value ends with the given value."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        for row in rows:
            for button in row:
                data = button.get("callback_data", "")
                if data.split("|", 1)[-1] == value or data.endswith(value):
                    self.user.click(data, message=message)
                    return
        raise LookupError(f"no button {value}")

    def join(self, code: str) -> None:
        """Play onboarding with a code."""
        self.user.send_command("/start", code)
        self.tap(self.expect("onboarding.choose_language"), f"lang:{self.language}")
        self.tap(self.expect("onboarding.about.staff", "onboarding.about.resident"), "about:ok")
        self.tap(self.expect("consent.staff", "consent.resident"), "consent:yes")
        answer = self.expect("name.ask", "onboarding.welcome")
        if "reply_markup" in answer:
            # Staff and volunteers are asked the name their team sees: the first name, one tap.
            self.tap(answer, "name:first")
            self.expect("onboarding.welcome")


def walk(
    actor: Actor,
    clock: DemoClock,
    start: datetime,
    week: dict[str, Any],
    route: tuple[tuple[float, float], ...] = ROUTE,
) -> None:
    """Walk a route with a live location, a note every few minutes, then reflect."""
    user = actor.user
    clock.set(start)
    user.send_command("/walk")
    actor.tap(actor.expect("walk.started"), "focus:meeting")
    live = user.send_location(*route[0], live_period=7200, horizontal_accuracy=10)
    actor.expect("walk.tracking")
    notes = week["notes"]
    for index, point in enumerate(route[1:]):
        clock.set(start + NOTE_EVERY * (index + 1))
        user.edit_location(live["message_id"], *point, horizontal_accuracy=12)
        if index < len(notes):
            if index == week.get("photo", 1):
                user.send_photo(demo_photo(start.toordinal() + index), caption=notes[index])
            else:
                user.send_text(notes[index])
            actor.expect("observe.saved", "observe.saved_theme")
        if index == week.get("voice"):
            user.send_voice(demo_voice(), duration=4)
            actor.expect("observe.saved", "observe.saved_theme")
    clock.set(start + NOTE_EVERY * len(route) + timedelta(minutes=4))
    user.send_command("/endwalk")
    actor.expect("walk.ask_reflection")
    clock.set(start + NOTE_EVERY * len(route) + timedelta(minutes=9))
    user.send_text(week["reflection"])
    actor.expect("walk.reflection_saved")


def encounter(actor: Actor, point: tuple[float, float], answers: dict[str, str]) -> dict[str, Any]:
    """Note a conversation with a resident met on the street; return its saved line."""
    user = actor.user
    user.send_command("/encounter")
    actor.tap(actor.expect("encounter.ask_who"), f"who:{answers['who']}")
    actor.expect("encounter.ask_where")
    user.send_location(*point)
    actor.tap(actor.expect("encounter.ask_channel"), f"ch:{answers['channel']}")
    user.send_text(answers["experience"])
    actor.expect("encounter.ask_places")
    user.send_text(answers["places"])
    actor.expect("encounter.ask_needs")
    user.send_text(answers["needs"])
    actor.tap(actor.expect("encounter.ask_theme"), f"theme:{answers['theme']}")
    actor.tap(actor.expect("encounter.ask_quote"), "quote:yes")
    return actor.expect("encounter.saved", "observe.saved", "observe.saved_theme")


COUNT_QUESTIONS = tuple(f"focusgroup.ask_count.{group}" for group in ATTENDANCE)


def focus_group(actor: Actor, point: tuple[float, float], group: dict[str, Any]) -> None:
    """Record yesterday's focus group: counts, channel, questions with voice and quotes."""
    user = actor.user
    user.send_command("/focusgroup")
    actor.tap(actor.expect("focusgroup.ask_when"), "when:yesterday")
    actor.expect("focusgroup.ask_where")
    user.send_location(*point)
    for count in group["counts"]:
        actor.tap(actor.expect(*COUNT_QUESTIONS), f"n:{count}")
    actor.tap(actor.expect("focusgroup.ask_channel"), f"ch:{group['channel']}")
    for number, question in enumerate(group["questions"], start=1):
        actor.expect("focusgroup.ask_question", "focusgroup.ask_next_question")
        user.send_text(question["question"])
        actor.expect("focusgroup.ask_said")
        for said in question["said"]:
            if said is None:
                user.send_voice(demo_voice(6.0), duration=6)
            else:
                user.send_text(said)
            kept = actor.expect("focusgroup.said_kept")
        actor.tap(kept, "said:done")
        asked = actor.expect("focusgroup.ask_quotes")
        for quote in question["quotes"]:
            user.send_text(quote)
            asked = actor.expect("focusgroup.quote_kept")
        last = number == len(group["questions"])
        actor.tap(asked, "next:end" if last else "next:question")
    actor.tap(actor.expect("focusgroup.ask_theme"), f"theme:{group['theme']}")
    actor.expect("focusgroup.ask_reflection")
    user.send_text(group["missing_voices"])
    actor.expect("focusgroup.saved", "observe.saved_theme")


def missing(actor: Actor, what: str, theme: str, alternative: str, transport: str) -> None:
    """Report something the neighbourhood lacks and where people go instead."""
    user = actor.user
    user.send_command("/missing")
    actor.expect("missing.ask_what")
    user.send_text(what)
    actor.tap(actor.expect("missing.ask_theme"), f"th:{theme}")
    actor.tap(actor.expect("missing.ask_status"), "st:year")
    actor.expect("missing.ask_place")
    user.send_location(*ROUTE[3])
    actor.expect("missing.ask_alternative")
    user.send_text(alternative)
    actor.tap(actor.expect("missing.ask_transport"), f"tr:{transport}")
    actor.tap(actor.expect("missing.ask_affected"), "skip")
    actor.tap(actor.expect("missing.ask_impact"), "skip")
    actor.expect("missing.saved", "observe.saved", "observe.saved_theme")


def key_person(actor: Actor, alias: str, role: str, network: str) -> None:
    """Note a key person with a follow-up in two weeks, without contact details."""
    user = actor.user
    user.send_command("/keyperson")
    actor.expect("keyperson.ask_alias")
    user.send_text(alias)
    actor.expect("keyperson.ask_role")
    user.send_text(role)
    actor.expect("keyperson.ask_where")
    user.send_location(*ROUTE[5])
    actor.expect("keyperson.ask_network")
    user.send_text(network)
    actor.expect("keyperson.ask_follow_up")
    user.send_text("Drop by on Wednesday after school")
    actor.tap(actor.expect("keyperson.ask_when"), "when:2weeks")
    actor.tap(actor.expect("keyperson.ask_consent"), "consent:no")
    actor.expect("keyperson.saved", "observe.saved", "observe.saved_theme")


def set_round(actor: Actor) -> None:
    """Set the fieldwork round with /round: from today, four weeks."""
    actor.user.send_command("/round")
    actor.tap(actor.expect("round.set.ask_start"), "rs:today")
    actor.tap(actor.expect("round.set.ask_weeks"), "rw:4")
    actor.expect("round.set.saved")


def current(actor: Actor, message: dict[str, Any]) -> dict[str, Any]:
    """Return a bot message as it is now, with its edits."""
    return next(m for m in actor.user.messages() if m["message_id"] == message["message_id"])


def button_data(message: dict[str, Any], value: str) -> str | None:
    """Return the callback data of a message's button with this value, if it has one."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    found = [b.get("callback_data", "") for r in rows for b in r]
    return next((data for data in found if data.split("|", 1)[-1] == value), None)


def tick(actor: Actor, message: dict[str, Any], value: str, timeout: float = 30.0) -> None:
    """Tap a button that edits its own message, and wait for the edit to arrive."""
    before = button_data(current(actor, message), value)
    actor.tap(current(actor, message), value)
    deadline = time.monotonic() + timeout
    while button_data(current(actor, message), value) == before:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the message was not edited after tapping {value}")
        time.sleep(0.05)


def record_hypothesis(
    actor: Actor, statement: str, themes: tuple[str, ...], wijken: tuple[int, ...]
) -> None:
    """Record a hypothesis with /hypothesis: the words, the themes ticked, the wijken ticked."""
    actor.user.send_command("/hypothesis")
    actor.expect("hypothesis.menu")
    actor.user.send_text(statement)
    question = actor.expect("hypothesis.ask_themes")
    for theme in themes:
        tick(actor, question, f"th:{theme}")
    actor.tap(current(actor, question), "next")
    question = actor.expect("hypothesis.ask_wijken")
    for code in wijken:
        tick(actor, question, f"wk:{code}")
    actor.tap(current(actor, question), "save")
    actor.expect("hypothesis.saved")


def mark_by_tap(actor: Actor, line: dict[str, Any], verdict: str, number: int) -> None:
    """Tap 👍 or 👎 for hypothesis H`number` under a saved line."""
    label = f"{'👍' if verdict == 'supports' else '👎'} H{number}"
    before = current(actor, line)
    actor.user.click(label, message=before)
    deadline = time.monotonic() + 30
    while current(actor, line).get("reply_markup") == before.get("reply_markup"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"tapping {label} changed nothing")
        time.sleep(0.05)


def mark_by_reply(actor: Actor, line: dict[str, Any], words: str) -> None:
    """Reply to a saved line with a verdict word ("+1", "-1", "klopt niet" ...)."""
    actor.user.send_text(words, reply_to=line["message_id"])
    actor.expect("hypothesis.marked_supports", "hypothesis.marked_contradicts")


def mark_from_picture(
    actor: Actor, factory: Any, org_id: int, start: datetime, end: datetime
) -> None:
    """Open the weekly picture's 👍 link of H1's newest missing-thing candidate of a week."""
    from sqlalchemy import select

    from storage import hypotheses as hyp
    from storage.models import Observation

    with factory() as session:
        first = hyp.list_hypotheses(session, org_id)[0]
        candidates = hyp.candidate_ids(session, org_id, first, start, end)
        missing_ids = session.scalars(
            select(Observation.id)
            .where(Observation.id.in_(candidates), Observation.kind == "missing")
            .order_by(Observation.id.desc())
        ).all()
    if not missing_ids:
        raise LookupError("the picture lists no missing thing for H1")
    actor.user.send_command("/start", hyp.link_payload(first.id, missing_ids[0], hyp.SUPPORTS))
    actor.expect("hypothesis.marked_supports")


def enrol_diary(actor: Actor, home: tuple[float, float]) -> None:
    """Start a 30-day diary with an evening reminder and home given as a location."""
    user = actor.user
    user.send_command("/diary")
    actor.tap(actor.expect("diary.about"), "yes")
    actor.tap(actor.expect("diary.ask_time"), "t:1900")
    actor.expect("diary.ask_home")
    user.send_location(*home)
    actor.expect("diary.enrolled", "diary.enrolled_reminder", "diary.enrolled_no_reminder")


def diary_entry(actor: Actor, need: str, theme: str, met: str, where: str, transport: str) -> None:
    """Log one need in the diary: met in the neighbourhood or not, and where people went."""
    user = actor.user
    user.send_command("/diary")
    # A reminder may arrive first: wait for the overview that offers "today".
    actor.tap(actor.expect_button("day:today"), "day:today")
    actor.expect("diary.ask_need")
    user.send_text(need)
    actor.tap(actor.expect("diary.ask_theme"), f"th:{theme}")
    actor.tap(actor.expect("diary.ask_met"), f"met:{met}")
    if met != "yes":
        actor.expect("diary.ask_where")
        user.send_text(where)
        actor.tap(actor.expect("diary.ask_transport"), f"tr:{transport}")
        actor.tap(actor.expect("diary.ask_duration"), "du:30to60")
    actor.expect("observe.saved", "observe.saved_theme")


DIARY_NEEDS = (
    ("Fresh vegetables at a fair price", "food", "no", "Anderlecht", "transit"),
    ("Een dokter die 's avonds open is", "health", "no", "Saint-Gilles", "transit"),
    ("Bread from the bakery", "food", "yes", "", ""),
    ("Somewhere to wash my clothes", "shops", "partly", "Schaerbeek", "foot"),
    ("Help with a letter from the OCMW", "welfare", "no", "Molenbeek", "transit"),
)

# Round 2 of the method: the coordinator writes down what the team expects to find.
HYPOTHESES = (
    (
        "Oudere bewoners hebben geen plek meer om samen te komen sinds de bank dicht is.",
        ("welfare", "shops"),
        (1,),
    ),
    ("Jongeren hebben 's avonds niets te doen in de buurt.", ("youth", "safety"), ()),
)

WEEKS: list[dict[str, Any]] = [
    {  # A first full week, with a new key person.
        "notes": [
            "Lots of mothers with prams chatting at the corner of the square.",
            "The bakery on the corner closed; the shutter is covered in posters.",
            "Heavy traffic on the boulevard: people wait long to cross.",
            "A bench in the shade where older men play cards.",
            "Children playing football in the street; no playground nearby.",
        ],
        "reflection": "The boulevard is a real border: on the other side we know almost nobody.",
        "encounters": [
            {
                "who": "resident",
                "channel": "street",
                "experience": "I have lived here 30 years; it got busier but lonelier.",
                "places": "The market on Sunday and the laundrette, where you always meet someone.",
                "needs": "A place to sit and have coffee without having to buy much.",
                "theme": "welfare",
                "mark": ("tap", "supports", 1),
            }
        ],
        "missing": ("Een bank- of postkantoor", "shops", "Anderlecht", "transit"),
        "key_person": ("The baker's wife", "runs the bakery", "Moroccan mothers of the school"),
    },
    {  # A quiet week: nobody walked, only the diaries went on.
        "quiet": True,
    },
    {  # A walk that went mostly outside the buurt, across the border into Saint-Gilles.
        "route": ROUTE_OUTSIDE,
        "notes": [
            "Parvis de Saint-Gilles: the market draws people from our buurt too.",
            "A social grocery shop with a queue outside; half the people speak Arabic.",
            "Playground closed for works until spring.",
            "Older woman with a walker struggling on the broken pavement.",
            "Evening falls early: the square is empty and dark.",
        ],
        "reflection": "Many of our residents do their shopping here, outside our buurt.",
        "encounters": [
            {
                "who": "passerby",
                "channel": "event",
                "experience": "Nice neighbourhood by day, I avoid the square at night.",
                "places": "The community garden and the library.",
                "needs": "Better lighting and something for teenagers in the evening.",
                "theme": "safety",
                "mark": ("tap", "supports", 2),
            }
        ],
        "missing": ("A cheap supermarket within walking distance", "food", "Molenbeek", "foot"),
        "key_person": None,
    },
    {  # A full week: photos, a voice note, two conversations, a new key person.
        "notes": [
            "Market day: crowded and friendly.",
            "The post office has reduced its opening hours.",
            "Teenagers ask if there is a place to play table tennis.",
            "The laundrette is full, people wait outside and chat.",
        ],
        "photo": 1,
        "voice": 2,
        "reflection": "People want to meet; they lack low-threshold places to do it.",
        "encounters": [
            {
                "who": "user",
                "channel": "activity",
                "experience": "Since my husband died I come here for the company.",
                "places": "Your centre and the church.",
                "needs": "Someone to drive me to the card club on Thursday.",
                "theme": "mobility",
            },
            {
                "who": "shopkeeper",
                "channel": "visit",
                "experience": "Customers ask me for help with letters from the administration.",
                "places": "My shop, the mosque, the square.",
                "needs": "Somewhere to send people for help with paperwork.",
                "theme": "welfare",
                # Their shop is a place where people meet: it speaks against H1.
                "mark": ("reply", "-1", 1),
            },
        ],
        "missing": ("Geen wassalon meer sinds de zomer", "shops", "Schaerbeek", "transit"),
        "key_person": ("The chair of the tenants' committee", "volunteer", "Tenants of the towers"),
        # Thursday evening's focus group at the tenants' committee, recorded on Friday.
        "focus_group": {
            "counts": ("8", "3", "2", "0"),
            "channel": "partner",
            "questions": [
                {
                    "question": "Où est-ce que vous vous retrouvez dans le quartier ?",
                    "said": [
                        "La laverie et le marché du dimanche, faute d'autre endroit.",
                        None,  # a voice note: what the group said, summed up aloud
                    ],
                    "quotes": ["Ici, on se croise tous les jours mais on ne se parle pas."],
                },
                {
                    "question": "Qu'est-ce qui manque pour les jeunes le soir ?",
                    "said": ["Un local ouvert après 18 h, avec un éducateur."],
                    "quotes": [
                        "Mon fils traîne sur la place parce qu'il n'y a rien d'autre.",
                        "Un ping-pong, ça suffirait pour commencer.",
                    ],
                },
            ],
            "theme": "youth",
            "missing_voices": "Les jeunes eux-mêmes, et les habitants des tours qui ne parlent "
            "ni français ni néerlandais.",
        },
    },
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """Return a Brussels wall-clock moment."""
    return datetime.combine(day, datetime.min.time(), BRUSSELS) + timedelta(
        hours=hour, minutes=minute
    )


def play_week(
    people: dict[str, Actor],
    diarists: list[Actor],
    clock: DemoClock,
    monday: date,
    number: int,
    week: dict[str, Any],
) -> None:
    """Play one week: a walk, conversations, a missing thing, maybe a key person, diaries."""
    tuesday, wednesday, thursday = (monday + timedelta(days=n) for n in (1, 2, 3))
    if not week.get("quiet"):
        route = week.get("route", ROUTE)
        walk(people["staff"], clock, _at(tuesday, 9, 40), week, route)
        for index, answers in enumerate(week["encounters"]):
            clock.set(_at(wednesday, 14 + 2 * index, 25))
            line = encounter(people["volunteer"], route[2 + index], answers)
            if "mark" in answers:
                clock.set(_at(wednesday, 14 + 2 * index, 40))
                how, verdict, number = answers["mark"]
                if how == "tap":
                    mark_by_tap(people["volunteer"], line, verdict, number)
                else:
                    mark_by_reply(people["volunteer"], line, verdict)
        clock.set(_at(thursday, 11, 15))
        missing(people["resident"], *week["missing"])
        if week["key_person"]:
            clock.set(_at(thursday, 16, 5))
            key_person(people["staff"], *week["key_person"])
        if week.get("focus_group"):
            clock.set(_at(monday + timedelta(days=4), 9, 30))
            focus_group(people["staff"], route[-1], week["focus_group"])
    days = (0, 2, 4) if week.get("quiet") else range(5)
    for day in days:
        clock.set(_at(monday + timedelta(days=day), 19 + day % 3, 5 + 11 * day))
        diarist = diarists[(day + number) % len(diarists)]
        diary_entry(diarist, *DIARY_NEEDS[(day + number) % len(DIARY_NEEDS)])


def run_demo(settings: Settings, out: Path, progress: Callable[[str], None] = print) -> list[Path]:
    """Play four scripted weeks and write the weekly pictures and exports; return the files."""
    out.mkdir(parents=True, exist_ok=True)
    database = out / "demo.db"
    for leftover in (database, out / "demo.db-wal", out / "demo.db-shm"):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(out / "media", ignore_errors=True)
    clock = DemoClock()
    today = datetime.now(BRUSSELS).date()
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=len(WEEKS))
    clock.set(datetime.combine(first_monday, datetime.min.time(), BRUSSELS) + timedelta(hours=9))
    url = f"sqlite:///{database}"
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    with factory.begin() as session:
        organisation = orgs.create_organisation(
            session, "Buurtwerk Zuid (demo)", clock.now(), "nl", list(BUURT)
        )
        org_id = organisation.id
        codes = {
            role: orgs.create_invite(
                session, org_id, role, clock.now(), timedelta(days=60), None
            ).code
            for role in ("coordinator", "staff", "volunteer", "resident")
        }
    server = SandboxServer(strict=True, clock=clock.epoch)
    server.start()
    demo_settings = settings.with_overrides(
        telegram_token=server.token,
        telegram_api_url=server.url,
        database_url=url,
        media_dir=str(out / "media"),
        bot_username=server.bot_username,
        poll_timeout=2,
    )
    # Simulated people answer at once; a small per-chat gap keeps the demo quick.
    bot = BotThread(demo_settings, pacer=SendPacer(private_interval=0.05), clock=clock.now)
    try:
        bot.start()
        # Simulated people type far faster than real ones: the flood guard would hold replies.
        assert bot.app is not None
        bot.app.dispatcher.flood = FloodGuard(limit=100_000)
        people = {
            "coordinator": Actor(server.user(user_id=101, language_code="nl"), "nl"),
            "staff": Actor(server.user(user_id=102, language_code="fr"), "fr"),
            "volunteer": Actor(server.user(user_id=103, language_code="en"), "en"),
            "resident": Actor(server.user(user_id=104, language_code="nl"), "nl"),
        }
        for role, actor in people.items():
            actor.join(codes[role])
        set_round(people["coordinator"])
        diarists = [people["resident"]]
        for user_id, language in ((105, "fr"), (106, "en")):
            neighbour = Actor(server.user(user_id=user_id, language_code=language), language)
            neighbour.join(codes["resident"])
            diarists.append(neighbour)
        for number, diarist in enumerate(diarists):
            enrol_diary(diarist, ROUTE[number + 2])
        progress("a team of four and two more residents joined; three residents keep a diary")
        clock.set(_at(first_monday, 10, 30))
        for statement, themes, wijken in HYPOTHESES:
            record_hypothesis(people["coordinator"], statement, themes, wijken)
        progress("the coordinator recorded two hypotheses")
        for number, week in enumerate(WEEKS):
            monday = first_monday + timedelta(weeks=number)
            if number == 1:
                # Monday morning: the coordinator marks from last week's picture.
                clock.set(_at(monday, 9, 30))
                mark_from_picture(
                    people["coordinator"], factory, org_id, _at(first_monday, 0), _at(monday, 0)
                )
            play_week(people, diarists, clock, monday, number, week)
            progress(f"week {monday.isocalendar().year}-W{monday.isocalendar().week:02d} played")
        from sandbox.demo_survey import RESPONDENTS, play_survey

        last_monday = first_monday + timedelta(weeks=len(WEEKS) - 1)
        play_survey(
            server, people, clock, factory, _at(last_monday + timedelta(days=2), 9), demo_voice
        )
        progress(
            f"a five-question survey was designed, opened and answered by {len(RESPONDENTS)} people"
        )
        time.sleep(1.0)
    finally:
        bot.stop()
        server.stop()
    return write_outputs(
        factory, org_id, first_monday, out, progress, bot_username=server.bot_username
    )


def write_outputs(
    factory: Any,
    org_id: int,
    first_monday: date,
    out: Path,
    progress: Callable[[str], None],
    bot_username: str | None = None,
) -> list[Path]:
    """Write the four weekly pictures, the round report and the exports."""
    from bot.reporting import catalog_for
    from reports import export as exports
    from reports.digest import build_digest
    from reports.render import render_digest_html, render_round_html
    from reports.round.build import build_round_report
    from storage import round as rounds

    written: list[Path] = []
    with factory() as session:
        for number in range(len(WEEKS)):
            monday = first_monday + timedelta(weeks=number)
            year, week, _ = monday.isocalendar()
            digest = build_digest(
                session,
                org_id,
                year,
                week,
                "nl",
                media_dir=out / "media",
                bot_username=bot_username,
            )
            path = out / f"buurtbeeld-{year}-W{week:02d}.html"
            path.write_text(render_digest_html(digest, catalog_for("nl")), encoding="utf-8")
            written.append(path)
        # The round the coordinator set with /round: its report, next to the weekly pictures.
        first, weeks = rounds.round_of(session, org_id) or (first_monday, len(WEEKS))
        last = first + timedelta(weeks=weeks, days=-1)
        report = build_round_report(session, org_id, first, last, "nl")
        path = out / f"rondeverslag-{first}-{last}.html"
        path.write_text(render_round_html(report, catalog_for("nl")), encoding="utf-8")
        written.append(path)
        labels = exports.Labels("nl", catalog_for("nl"))
        data = exports.open_export(session, org_id, None, None, labels=labels)
        for fmt, name, options in (
            ("xlsx", "observations.xlsx", {}),
            ("geojson", "observations.geojson", {}),
            ("geojson", "observations.geojson", {"split": True}),
            ("csv", "observations.csv", {}),
            ("csv", "observations-excel.csv", {"excel": True}),
        ):
            written.extend(exports.write_export(data, fmt, out / name, **options))
    for path in written:
        progress(f"wrote {path}")
    return written
