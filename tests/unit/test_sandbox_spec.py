"""Unit tests for the sandbox's Bot API validator and Telegram text-formatting parsers."""

from __future__ import annotations

import pytest

from sandbox.spec import (
    SpecError,
    Upload,
    format_text,
    load_spec,
    parse_html,
    parse_markdown_v2,
    utf16_len,
)


def test_html_entities_offsets_in_utf16() -> None:
    parsed = parse_html('👋 <b>Hoi <i>Amina</i></b> &amp; <a href="https://x.be">link</a>')
    assert parsed.text == "👋 Hoi Amina & link"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 7, "length": 5},
        {"type": "text_link", "offset": 15, "length": 4, "url": "https://x.be"},
    ]


def test_html_supported_tags_and_attributes() -> None:
    parsed = parse_html(
        '<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler><u>c</u><s>d</s>'
        '<pre><code class="language-python">x = 1</code></pre><blockquote expandable>q'
        '</blockquote><tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>&#228;&#x1F600;'
    )
    kinds = [(e["type"], e.get("language")) for e in parsed.entities]
    assert ("spoiler", None) in kinds
    assert ("underline", None) in kinds
    assert ("strikethrough", None) in kinds
    assert ("pre", "python") in kinds
    assert ("expandable_blockquote", None) in kinds
    assert ("custom_emoji", None) in kinds
    assert parsed.text.endswith("ä😀")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a < b", 'Unsupported start tag ""'),
        ("fish & chips", 'unescaped "&"'),
        ("&nbsp;", 'unescaped "&"'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag"),
        ("<br>", 'Unsupported start tag "br"'),
        ("<div>x</div>", 'Unsupported start tag "div"'),
        ('<span class="x">s</span>', 'must have class "tg-spoiler"'),
        ("<a href=>x</a>", "Unexpected character"),
    ],
)
def test_html_errors_like_telegram(text: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_html(text)
    assert info.value.description.startswith("Bad Request: can't parse entities: ")
    assert fragment in info.value.description


def test_markdown_v2_reserved_characters() -> None:
    parsed = parse_markdown_v2(r"*vet* en _schuin_ \- [link](https://x.be) `code`")
    assert parsed.text == "vet en schuin - link code"
    assert [e["type"] for e in parsed.entities] == ["bold", "italic", "text_link", "code"]
    with pytest.raises(SpecError, match="Character '.' is reserved"):
        parse_markdown_v2("Klaar.")
    with pytest.raises(SpecError, match="Can't find end of Bold entity"):
        parse_markdown_v2("*open")


def test_format_text_trims_and_detects_entities() -> None:
    formatted = format_text("  <b>Hi</b> see https://example.org and /help  ", "HTML")
    assert formatted.text == "Hi see https://example.org and /help"
    types = {e["type"]: (e["offset"], e["length"]) for e in formatted.entities}
    assert types == {"bold": (0, 2), "url": (7, 19), "bot_command": (31, 5)}


def test_utf16_len_counts_astral_characters_twice() -> None:
    assert utf16_len("a😀é") == 4


def test_validator_coerces_form_strings() -> None:
    spec = load_spec()
    validated = spec.validate(
        "sendMessage",
        {
            "chat_id": "1001",
            "text": "123",
            "disable_notification": "true",
            "reply_markup": '{"inline_keyboard": [[{"text": "Ja", "callback_data": "y"}]]}',
        },
    )
    assert validated.params["chat_id"] == "1001"  # Integer or String: kept as sent
    assert validated.params["text"] == "123"  # a String stays a string
    assert validated.params["disable_notification"] is True
    assert validated.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "y"
    assert validated.texts["text"].text == "123"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"chat_id": 1}, "message text is empty"),
        ({"text": "x"}, "chat_id is empty"),
        ({"chat_id": 1, "text": "x", "colour": "red"}, 'unknown parameter "colour"'),
        ({"chat_id": 1, "text": "x", "disable_notification": "maybe"}, "must be Boolean"),
        ({"chat_id": [1], "text": "x"}, "must be Integer or String"),
        ({"chat_id": 1, "text": "x" * 4097}, "message is too long"),
        ({"chat_id": 1, "text": "😀" * 2049}, "message is too long"),
        ({"chat_id": 1, "text": "<b>x", "parse_mode": "HTML"}, "can't parse entities"),
        ({"chat_id": 1, "text": "x", "parse_mode": "html5"}, "unsupported parse_mode"),
        (
            {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a"}]]}},
            "text buttons are unallowed",
        ),
        (
            {
                "chat_id": 1,
                "text": "x",
                "reply_markup": {
                    "inline_keyboard": [[{"text": "a", "callback_data": "b", "colour": "red"}]]
                },
            },
            'unknown field "reply_markup.inline_keyboard[0][0].colour"',
        ),
        (
            {
                "chat_id": 1,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "é" * 33}]]},
            },
            "BUTTON_DATA_INVALID",
        ),
        (
            {"chat_id": 1, "text": "x", "reply_markup": {"keyboard": "not a list"}},
            "can't parse",
        ),
    ],
)
def test_validator_rejects(params: dict, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec().validate("sendMessage", params)
    assert fragment in info.value.description
    assert info.value.description.startswith("Bad Request: ")


def test_validator_nested_unions_and_discriminators() -> None:
    spec = load_spec()
    scope = {"type": "chat", "chat_id": 5}
    commands = [{"command": "start", "description": "Begin"}]
    ok = spec.validate("setMyCommands", {"commands": commands, "scope": scope})
    assert ok.params["scope"] == scope
    with pytest.raises(SpecError, match="must be one of"):
        spec.validate("setMyCommands", {"commands": commands, "scope": {"type": "everyone"}})
    with pytest.raises(SpecError, match='"scope.chat_id" is required'):
        spec.validate("setMyCommands", {"commands": commands, "scope": {"type": "chat"}})
    with pytest.raises(SpecError, match="BOT_COMMAND_INVALID"):
        spec.validate("setMyCommands", {"commands": [{"command": "Start", "description": "x"}]})
    keyboard = {"keyboard": [["Ja", {"text": "Locatie", "request_location": True}]]}
    assert spec.validate("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": keyboard})


def test_validator_input_files() -> None:
    spec = load_spec()
    upload = Upload(b"data", "a.txt", "text/plain")
    validated = spec.validate("sendDocument", {"chat_id": 1, "document": upload})
    assert validated.params["document"] is upload
    assert spec.validate("sendDocument", {"chat_id": 1, "document": "BQACfileid"})
    media = '[{"type": "photo", "media": "attach://p1"}, {"type": "photo", "media": "attach://p2"}]'
    uploads = {"p1": upload, "p2": upload}
    params = {"chat_id": 1, "media": media, "p1": upload, "p2": upload}
    assert spec.validate("sendMediaGroup", params, uploads)
    with pytest.raises(SpecError, match="must be InputFile"):
        spec.validate("setWebhook", {"url": "https://x.be", "certificate": "abc"})
    with pytest.raises(SpecError, match="caption is too long"):
        spec.validate("sendDocument", {"chat_id": 1, "document": upload, "caption": "x" * 1025})
