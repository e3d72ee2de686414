"""The renderer turns reply values into Bot API calls in the member's language."""

from __future__ import annotations

from pathlib import Path

from bot.dispatch.i18n import load_translator
from bot.dispatch.render import Renderer, RenderTarget, split_text
from flows.engine import Button, CallbackAnswer, MenuKey, Reply, SetCommands
from flows.router import decode_button


def target(tmp_path: Path, **extra) -> RenderTarget:
    return RenderTarget(chat_id=5, language="fr", version=12, media_dir=tmp_path, **extra)


def test_reply_with_buttons_becomes_an_html_message_with_versioned_callback_data(tmp_path) -> None:
    renderer = Renderer(load_translator())
    reply = Reply("invite.choose_role", buttons=((Button("role.staff", "role:staff"),),))
    [call] = renderer.render([reply], target(tmp_path))
    assert call.method == "sendMessage"
    assert call.payload["parse_mode"] == "HTML"
    assert call.payload["text"] == "Pour qui est cette invitation ?"
    [[button]] = call.payload["reply_markup"]["inline_keyboard"]
    assert button["text"] == "membre de l'équipe"
    assert decode_button(button["callback_data"], 12) == "role:staff"
    assert decode_button(button["callback_data"], 13) is None


def test_a_tapped_button_is_always_answered_and_its_keyboard_cleared(tmp_path) -> None:
    renderer = Renderer(load_translator())
    calls = renderer.render(
        [CallbackAnswer("error.stale_button")],
        target(tmp_path, callback_query_id="q1", callback_message_id=8, clear_source_keyboard=True),
    )
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageReplyMarkup"]
    assert calls[0].payload == {"callback_query_id": "q1", "text": "Ce bouton n'est plus actif."}
    assert calls[1].payload == {"chat_id": 5, "message_id": 8}
    plain = renderer.render([], target(tmp_path, callback_query_id="q2"))
    assert plain[0].payload == {"callback_query_id": "q2"}


def test_location_keyboard_and_keyboard_removal(tmp_path) -> None:
    renderer = Renderer(load_translator())
    [asked] = renderer.render(
        [Reply("cancel.done", request_location="button.continue")], target(tmp_path)
    )
    assert asked.payload["reply_markup"]["keyboard"][0][0]["request_location"] is True
    [removed] = renderer.render([Reply("cancel.done", remove_keyboard=True)], target(tmp_path))
    assert removed.payload["reply_markup"] == {"remove_keyboard": True}


def test_command_menu_is_scoped_to_the_chat_in_its_language(tmp_path) -> None:
    renderer = Renderer(load_translator())
    [call] = renderer.render([SetCommands("coordinator")], target(tmp_path))
    assert call.method == "setMyCommands"
    assert call.payload["scope"] == {"type": "chat", "chat_id": 5}
    # The chat speaks French (target): the menu shows the French words of the commands.
    names = [c["command"] for c in call.payload["commands"]]
    assert "inviter" in names and "commencer" in names and "invite" not in names
    resident = [c["command"] for c in renderer.command_list("resident", "nl")]
    assert "uitnodigen" not in resident and "dagboek" in resident
    assert [c["command"] for c in renderer.command_list("staff", "en")][:5] == [
        "start",
        "help",
        "language",
        "cancel",
        "walk",
    ]


def test_the_main_menu_is_a_persistent_keyboard_in_the_chat_language(tmp_path) -> None:
    renderer = Renderer(load_translator())
    menu = ((MenuKey("menu.walk", "walk"),), (MenuKey("menu.help", "help"),))
    [call] = renderer.render([Reply("menu.here", menu=menu)], target(tmp_path))
    assert call.payload["reply_markup"] == {
        "keyboard": [[{"text": "🚶 Balade"}], [{"text": "💡 Aide"}]],
        "is_persistent": True,
        "resize_keyboard": True,
    }


def test_qr_reply_adds_a_photo_from_the_media_folder(tmp_path) -> None:
    renderer = Renderer(load_translator())
    link = "https://t.me/x?start=ABC"
    calls = renderer.render(
        [
            Reply(
                "invite.created",
                {"code": "ABC", "role": "r", "expires": "e", "uses": "u", "link": link},
                qr=link,
            )
        ],
        target(tmp_path),
    )
    assert [c.method for c in calls] == ["sendMessage", "sendPhoto"]
    path = tmp_path / calls[1].payload["photo"]["path"]
    assert path.read_bytes().startswith(b"\x89PNG")


def test_long_texts_are_split_at_line_breaks_under_the_limit() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(200))
    pieces = split_text(text, 4096)
    assert len(pieces) > 1
    assert all(len(piece) <= 4096 for piece in pieces)
    assert "\n".join(pieces) == text
    assert split_text("y" * 5000, 4096) == ["y" * 4096, "y" * 904]


def test_plain_text_places_show_no_html_entities(tmp_path) -> None:
    renderer = Renderer(load_translator())
    reply = Reply("observe.choose_theme", buttons=((Button("theme.shops", "t:shops"),),))
    [call] = renderer.render([reply], RenderTarget(5, "en", 1, tmp_path))
    assert call.payload["reply_markup"]["inline_keyboard"][0][0]["text"] == "Shops & services"
