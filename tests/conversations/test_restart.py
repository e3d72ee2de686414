"""Flow state lives in the database: a restarted bot carries on where the chat was."""

from __future__ import annotations

import pytest

from bot.runtime.runner import BotThread
from tests.conversations.helpers import says, tap, unpaced

pytestmark = pytest.mark.pipeline


def test_onboarding_continues_after_a_restart(sandbox, settings, world, bot) -> None:
    code = world.invite(world.organisation(), "staff")
    user = sandbox.user(user_id=800, language_code="fr")
    user.send_command("/start", code)
    [choose] = user.wait_for_messages(1)
    tap(user, choose, "Français")
    [about] = user.wait_for_messages(1)
    bot.stop()
    restarted = BotThread(settings, pacer=unpaced()).start()
    try:
        tap(user, about, "Continuer")
        [consent] = user.wait_for_messages(1)
        assert says(consent, "consent.staff", "fr")
        tap(user, consent, "J'accepte")
        [ask_name] = user.wait_for_messages(1)
        tap(user, ask_name, user.user["first_name"])
        user.wait_for_messages(3)
        assert world.member(800).language == "fr"
    finally:
        restarted.stop()
