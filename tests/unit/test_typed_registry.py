"""Every button of every flow's questions is taken by its state, typed or tapped.

For each state of each flow in FLOWS, every inline button its question shows is one of the
state's choices, and every reply-keyboard key or location button one of its accepted inputs.
Those buttons (router.shown_buttons) are also typed in nl, fr and en, as shown, upper-cased
and without accents, and must come out of the dispatcher as the tap that button makes.
Reply-keyboard keys likewise, from any state.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bot.dispatch.dispatcher import Dispatcher
from bot.dispatch.i18n import LANGUAGES, load_translator
from bot.dispatch.render import Renderer
from bot.dispatch.typed import ALIASES, KEYBOARD_KEYS, label_words
from bot.reporting import ReportFiles
from flows.consent import consent_for
from flows.diary import CONSENT_VERSION
from flows.engine import Button, Call, FlowConfig, Input, InputKind, Key, Reply, StepContext
from flows.registry import FLOWS
from flows.router import GLOBAL_PREFIX, PENDING, Position, decode_button, shown_buttons
from storage import diaries
from storage import organisations as orgs
from storage import surveys as surveys_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
VERSION = 7
TRANSLATOR = load_translator()
CONFIG = FlowConfig(secret_key="k", reports=ReportFiles(TRANSLATOR.raw))


def without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def typings(label: str) -> set[str]:
    """Return the ways a member may type a label: as shown, in capitals, without accents."""
    return {label, label.upper(), without_accents(label), without_accents(label).lower()}


@dataclass
class Chat:
    session: Session
    ctx: StepContext
    dispatcher: Dispatcher
    draft: dict

    def typed(self, text: str, position: Position) -> Input:
        """Return the input the dispatcher routes when this text is typed at a position."""
        inp = Input(kind=InputKind.TEXT, chat_id=1, user_id=1, date=NOW, message_id=5, text=text)
        return self.dispatcher._keyboard_key(self.ctx, inp, position)

    def tapped(self, text: str, position: Position) -> str | None:
        """Return the button value a typed text stands for, or None when it stays text."""
        inp = self.typed(text, position)
        if inp.kind != InputKind.CALLBACK:
            return None
        data = inp.callback_data or ""
        return data if data.startswith(GLOBAL_PREFIX) else decode_button(data, VERSION)


@pytest.fixture
def chat(session_factory, tmp_path: Path) -> Iterator[Chat]:
    """A coordinator (every flow is open to them) keeping a diary, in a team of two."""
    with session_factory() as session:
        org = orgs.create_organisation(session, "Buurtwerk Noord", NOW, "nl", [1, 2])

        def member(role: str, user_id: int):
            invite = orgs.create_invite(session, org.id, role, NOW, timedelta(days=1))
            return orgs.join_with_invite(
                session, invite, user_id, "nl", consent_for(role).version, NOW
            )

        coordinator = member("coordinator", 1)
        colleague = member("staff", 2)
        ctx = StepContext(session=session, now=NOW, config=CONFIG, member=coordinator)
        diaries.enrol(
            session,
            coordinator,
            consent_version=CONSENT_VERSION,
            started_on=ctx.today() - timedelta(days=2),
            reminder_time="09:00",
            home_wijk=None,
            now=NOW,
        )
        # A survey in the making, so /survey's questions show their buttons.
        survey = surveys_db.create_survey(
            session,
            org.id,
            "Spelen",
            [
                {
                    "kind": "one",
                    "base": "nl",
                    "text": {"nl": "Waar spelen de kinderen?"},
                    "options": {"nl": ["Park", "Straat"]},
                }
            ],
            NOW,
        )
        session.flush()
        dispatcher = Dispatcher(session_factory, Renderer(TRANSLATOR), CONFIG, tmp_path)
        # One draft that every question can be asked from (onboarding, /team, /area, diary).
        draft = {
            "organisation": "Buurtwerk Noord",
            "role": "resident",
            "language": "nl",
            "codes": [1, 2],
            "query": "Brussel",
            "member_id": colleague.id,
            "pseudonym": "P-ABCDEFGH",
            "mode": "enrol",
            "survey_id": survey.id,
        }
        yield Chat(session, ctx, dispatcher, draft)
        session.rollback()


def button_states(chat: Chat) -> list[tuple[Position, tuple[Button, ...]]]:
    """Return every state of every flow with the buttons its question shows."""
    found = []
    for name, flow in FLOWS.items():
        for state in flow.states:
            position = Position(name, state, chat.draft, VERSION)
            buttons = shown_buttons(chat.ctx, position)
            if buttons:
                found.append((position, buttons))
    return found


def test_the_registry_has_many_button_steps(chat: Chat) -> None:
    states = button_states(chat)
    assert len(states) >= 35
    flows = {position.flow for position, _ in states}
    for name in ("onboarding", "language", "missing", "walk", "encounter", "keyperson", "diary"):
        assert name in flows


def test_every_button_a_question_shows_is_taken_by_its_state(chat: Chat) -> None:
    for position, buttons in button_states(chat):
        flow = FLOWS[position.flow or ""]
        state = flow.states[position.state or ""]
        draft = flow.read(position.draft)
        for button in buttons:
            if button.value.startswith(GLOBAL_PREFIX):
                continue  # valid in any state; its handler checks it (flows/registry.py)
            tap = Input(
                kind=InputKind.CALLBACK, chat_id=1, user_id=1, date=NOW, callback_data=button.value
            )
            found = state.find(chat.ctx, tap, draft)
            assert isinstance(found, Call), (position.flow, position.state, button.value)


def test_every_keyboard_key_and_location_button_is_taken_by_its_state(chat: Chat) -> None:
    for flow in FLOWS.values():
        for name, state in flow.states.items():
            for effect in flow.ask(chat.ctx, name, flow.read(chat.draft)):
                if not isinstance(effect, Reply):
                    continue
                for key in effect.keyboard:
                    assert Key(key) in state.on, (flow.name, name, key)
                if effect.request_location:
                    assert InputKind.LOCATION in state.on, (flow.name, name)


def test_every_button_label_typed_in_any_language_is_that_button(chat: Chat) -> None:
    checked = 0
    for position, buttons in button_states(chat):
        for button in buttons:
            for language in LANGUAGES:
                label = TRANSLATOR.plain(language, button.label, button.params)
                for text in typings(label):
                    where = f"{position.flow}/{position.state}: {text!r} ({language})"
                    assert chat.tapped(text, position) == button.value, where
                    checked += 1
    assert checked > 1000


def test_every_alias_typed_is_its_button(chat: Chat) -> None:
    for position, buttons in button_states(chat):
        for button in buttons:
            for language in LANGUAGES:
                entry = TRANSLATOR.catalogs[language].get(f"{button.label}{ALIASES}", "")
                for alias in filter(None, entry.split("|")):
                    for text in typings(alias):
                        where = f"{position.flow}/{position.state}: {text!r} ({language})"
                        assert chat.tapped(text, position) == button.value, where


def test_no_typed_word_names_two_buttons_of_one_question(chat: Chat) -> None:
    for position, buttons in button_states(chat):
        seen: dict[str, str] = {}
        for button in buttons:
            for word in label_words(TRANSLATOR, button):
                other = seen.setdefault(word, button.value)
                assert other == button.value, (position.flow, position.state, word)


def test_every_alias_entry_belongs_to_a_catalog_key() -> None:
    keys = TRANSLATOR.keys("en")
    for key in keys:
        if key.endswith(ALIASES):
            assert key.removesuffix(ALIASES) in keys, key


def test_onboarding_buttons_are_typed_by_someone_not_yet_a_member(chat: Chat) -> None:
    stranger = StepContext(session=chat.session, now=NOW, config=CONFIG, member=None)
    chat.ctx = stranger
    for state, text, value in (
        ("language", "nederlands", "lang:nl"),
        ("language", "Francais", "lang:fr"),
        ("about", "Verder", "about:ok"),
        ("consent", "nee", "consent:no"),
        ("consent", "NON", "consent:no"),
        ("consent", "No", "consent:no"),
        ("consent", "Ik ga akkoord", "consent:yes"),
        ("consent", "oui", "consent:yes"),
    ):
        position = Position("onboarding", state, chat.draft, VERSION)
        assert chat.tapped(text, position) == value, (state, text)


def test_the_abandon_question_and_a_renewed_consent_text_can_be_typed(chat: Chat) -> None:
    pending = {**chat.draft, PENDING: {"command": "language", "args": ""}}
    position = Position("missing", "affected", pending, VERSION)
    for text, value in (
        ("ja", "abandon:yes"),
        ("Non, continuer", "abandon:no"),
        ("no", "abandon:no"),
    ):
        assert chat.tapped(text, position) == value, text
    chat.ctx.member.consent_version = "older"
    walking = Position("walk", "walking", {"walk_id": 1}, VERSION)
    assert chat.tapped("Ik ga akkoord", walking) == "g|consent|yes"
    assert chat.tapped("nee", walking) == "g|consent|no"
    # A flow that records nothing keeps its own buttons meanwhile.
    assert chat.tapped("English", Position("language", "choose", {}, VERSION)) == "lang:en"


def test_reply_keyboard_labels_are_keys_in_any_language(chat: Chat) -> None:
    keyboards = set()
    for flow in FLOWS.values():
        for state in flow.states:
            effects = flow.ask(chat.ctx, state, flow.read(chat.draft))
            keyboards.update(k for e in effects if isinstance(e, Reply) for k in e.keyboard)
    assert keyboards and keyboards <= set(KEYBOARD_KEYS)
    walking = Position("walk", "walking", {"walk_id": 1, "awaiting": [1]}, VERSION)
    for key in KEYBOARD_KEYS:
        for language in LANGUAGES:
            for text in typings(TRANSLATOR.plain(language, key)):
                inp = chat.typed(text, walking)
                assert (inp.kind, inp.keyboard_key) == (InputKind.TEXT, key), (text, language)
    for text in ("passer", "Overslaan", "SKIP", "sla over", "nulle part", "ici"):
        assert chat.typed(text, walking).keyboard_key is not None, text


@pytest.mark.parametrize(
    ("flow", "state", "text"),
    [
        # Questions that take words as the answer: a sentence is never a button.
        ("missing", "affected", "Overslaan kan niet, de ouderen"),
        ("missing", "impact", "nee, niets"),
        ("encounter", "who", "een bewoner van de Brabantwijk"),
        ("keyperson", "contact", "ja: 0470 12 34 56"),
        ("walk", "reflection", "skip the park next time"),
        ("diary", "menu", "vandaag had ik een dokter nodig"),
        # Pure button questions: words that name no button stay text (and are asked again).
        ("missing", "theme", "Gezondheid is belangrijk"),
        ("onboarding", "consent", "nee, eerst lezen"),
        ("onboarding", "language", "English please"),
        ("missing", "theme", "👍"),
        ("missing", "theme", "?!"),
    ],
)
def test_sentences_are_not_buttons(chat: Chat, flow: str, state: str, text: str) -> None:
    position = Position(flow, state, chat.draft, VERSION)
    inp = chat.typed(text, position)
    assert inp.kind == InputKind.TEXT and inp.text == text
    assert inp.keyboard_key is None
