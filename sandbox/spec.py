"""Validate Bot API requests against the published spec and parse Telegram's text formatting."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "ApiSpec",
    "FormattedText",
    "SpecError",
    "Upload",
    "Validated",
    "auto_entities",
    "format_text",
    "load_spec",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_len",
]

SPEC_PATH = Path(__file__).with_name("api-10.0.json")

#: Update types delivered when allowed_updates is empty (Telegram's default).
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_INLINE_BUTTON_PLAIN_FIELDS = frozenset({"text", "icon_custom_emoji_id", "style"})
_WHITESPACE = " \t\n\r\x0b\x0c\x00"


class SpecError(Exception):
    """A request that Telegram would reject with 400 Bad Request."""

    def __init__(self, description: str) -> None:
        """Store the Telegram-style description (starts with "Bad Request: ")."""
        super().__init__(description)
        self.description = description


@dataclass
class Upload:
    """One file part of a multipart/form-data request."""

    data: bytes
    file_name: str | None = None
    content_type: str | None = None

    def describe(self) -> dict[str, Any]:
        """Return a JSON-friendly summary used in call logs."""
        return {"upload": self.file_name, "mime_type": self.content_type, "size": len(self.data)}


@dataclass
class FormattedText:
    """Message text after entity parsing: plain text plus MessageEntity dicts."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Validated:
    """A request that passed validation: coerced parameters and parsed texts."""

    method: str
    params: dict[str, Any]
    texts: dict[str, FormattedText] = field(default_factory=dict)


@dataclass(frozen=True)
class _Limit:
    low: int
    high: int
    unit: str  # "characters" or "bytes"
    after_entities: bool


def utf16_len(text: str) -> int:
    """Return the length of text in UTF-16 code units (Telegram's entity unit)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _entity_error(message: str) -> SpecError:
    return SpecError(f"Bad Request: can't parse entities: {message}")


# --------------------------------------------------------------------------- HTML

_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_entity(match: re.Match[str]) -> str | None:
    named, dec, hexa = match.groups()
    if named:
        return _NAMED_ENTITIES[named]
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _decode_attribute(raw: str) -> str:
    return _HTML_ENTITY.sub(lambda m: _decode_entity(m) or m.group(0), raw)


@dataclass
class _OpenTag:
    tag: str
    offset: int
    attrs: dict[str, str]
    index: int


def parse_html(text: str) -> FormattedText:
    """Parse Telegram's HTML subset into plain text and entities; raise SpecError if invalid."""
    out: list[str] = []
    pos = 0  # current UTF-16 offset in the output
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)

    def emit(chunk: str) -> None:
        nonlocal pos
        out.append(chunk)
        pos += utf16_len(chunk)

    while i < n:
        ch = text[i]
        if ch == "&":
            match = _HTML_ENTITY.match(text, i)
            decoded = _decode_entity(match) if match else None
            if match is None or decoded is None:
                raise _entity_error(
                    f'Unsupported HTML entity or unescaped "&" at byte offset '
                    f"{_byte_offset(text, i)}; write it as &amp;"
                )
            emit(decoded)
            i = match.end()
            continue
        if ch != "<":
            j = i
            while j < n and text[j] not in "<&":
                j += 1
            emit(text[i:j])
            i = j
            continue
        start = i
        if i + 1 < n and text[i + 1] == "/":
            end = text.find(">", i + 2)
            if end < 0:
                raise _entity_error(f"Unclosed end tag at byte offset {_byte_offset(text, start)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise _entity_error(
                    f"Unexpected end tag at byte offset {_byte_offset(text, start)}"
                )
            top = stack[-1]
            if name != top.tag:
                raise _entity_error(
                    f"Unmatched end tag at byte offset {_byte_offset(text, start)}, "
                    f'expected "</{top.tag}>", found "</{name}>"'
                )
            stack.pop()
            _close_html_tag(top, pos, stack, entities, "".join(out))
            i = end + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, start)}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise _entity_error(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, start)}'
            )
        attrs, j = _parse_html_attributes(text, j, name, start)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _entity_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(text, start)}"
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise _entity_error(
                f'Tag "tg-emoji" must have a numeric "emoji-id" attribute at byte offset '
                f"{_byte_offset(text, start)}"
            )
        stack.append(_OpenTag(name, pos, attrs, start))
        i = j
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return FormattedText("".join(out), _sorted_entities(entities))


def _parse_html_attributes(text: str, j: int, name: str, start: int) -> tuple[dict[str, str], int]:
    n = len(text)
    attrs: dict[str, str] = {}
    while True:
        while j < n and text[j].isspace():
            j += 1
        if j >= n:
            raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, start)}")
        if text[j] == ">":
            return attrs, j + 1
        k = j
        while k < n and not text[k].isspace() and text[k] not in "=>":
            k += 1
        attr = text[j:k].lower()
        if not attr:
            raise _entity_error(
                f'Empty attribute name in the tag "{name}" at byte offset {_byte_offset(text, j)}'
            )
        j = k
        while j < n and text[j].isspace():
            j += 1
        if j < n and text[j] == "=":
            j += 1
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise _entity_error(
                    f"Unclosed start tag at byte offset {_byte_offset(text, start)}"
                )
            if text[j] in "\"'":
                quote = text[j]
                k = text.find(quote, j + 1)
                if k < 0:
                    raise _entity_error(
                        f'Unclosed end of attribute value in the tag "{name}" at byte offset '
                        f"{_byte_offset(text, j)}"
                    )
                attrs[attr] = _decode_attribute(text[j + 1 : k])
                j = k + 1
            else:
                k = j
                while k < n and (text[k].isalnum() or text[k] in ".-_"):
                    k += 1
                if k == j:
                    raise _entity_error(
                        f'Unexpected character in the value of attribute "{attr}" of the tag '
                        f'"{name}" at byte offset {_byte_offset(text, j)}'
                    )
                attrs[attr] = text[j:k]
                j = k
        elif attr == "expandable" or (j < n and text[j] == ">"):
            attrs[attr] = ""
        else:
            raise _entity_error(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                f"at byte offset {_byte_offset(text, j)}"
            )


def _close_html_tag(
    tag: _OpenTag, pos: int, stack: list[_OpenTag], entities: list[dict[str, Any]], plain: str
) -> None:
    kind = _HTML_TAGS[tag.tag]
    length = pos - tag.offset
    if kind == "code" and stack and stack[-1].tag == "pre":
        css = tag.attrs.get("class", "")
        if css.startswith("language-") and len(css) > 9:
            stack[-1].attrs["_language"] = css[9:]
        return
    if length <= 0:
        return
    entity: dict[str, Any] = {"type": kind, "offset": tag.offset, "length": length}
    if kind == "text_link":
        href = tag.attrs.get("href", "")
        if not href:
            entity["type"] = "url"
        else:
            entity["url"] = href
    elif kind == "pre" and "_language" in tag.attrs:
        entity["language"] = tag.attrs["_language"]
    elif kind == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    entities.append(entity)


def _sorted_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# ---------------------------------------------------------------------- Markdown

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "blockquote": "BlockQuote",
}


def parse_markdown_v2(text: str) -> FormattedText:
    """Parse MarkdownV2 into plain text and entities; raise SpecError like Telegram does."""
    out: list[str] = []
    pos = 0
    stack: list[tuple[str, int, int]] = []  # (type, utf16 offset, index)
    entities: list[dict[str, Any]] = []
    quote_start: int | None = None
    i, n = 0, len(text)

    def emit(chunk: str) -> None:
        nonlocal pos
        out.append(chunk)
        pos += utf16_len(chunk)

    def toggle(kind: str, index: int) -> None:
        if stack and stack[-1][0] == kind:
            _, offset, _ = stack.pop()
            if pos > offset:
                entities.append({"type": kind, "offset": offset, "length": pos - offset})
        else:
            stack.append((kind, pos, index))

    while i < n:
        ch = text[i]
        at_line_start = i == 0 or text[i - 1] == "\n"
        if at_line_start and quote_start is not None and ch != ">":
            entities.append(
                {"type": "blockquote", "offset": quote_start, "length": pos - quote_start}
            )
            quote_start = None
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            emit(text[i + 1])
            i += 2
            continue
        if ch not in _MDV2_RESERVED:
            emit(ch)
            i += 1
            continue
        if ch == ">" and at_line_start:
            if quote_start is None:
                quote_start = pos
            i += 1
            continue
        if ch == "*":
            toggle("bold", i)
            i += 1
        elif ch == "_":
            if text.startswith("__", i):
                toggle("underline", i)
                i += 2
            else:
                toggle("italic", i)
                i += 1
        elif ch == "~":
            toggle("strikethrough", i)
            i += 1
        elif ch == "|" and text.startswith("||", i):
            toggle("spoiler", i)
            i += 2
        elif ch == "`":
            i = _mdv2_code(text, i, emit, entities, lambda: pos)
        elif ch == "[":
            stack.append(("text_link", pos, i))
            i += 1
        elif ch == "]" and stack and stack[-1][0] == "text_link":
            if not text.startswith("(", i + 1):
                raise _entity_error(
                    f"Can't find end of TextUrl entity at byte offset {_byte_offset(text, i)}"
                )
            url, i = _mdv2_url(text, i + 2)
            _, offset, _ = stack.pop()
            if pos > offset:
                entities.append(
                    {"type": "text_link", "offset": offset, "length": pos - offset, "url": url}
                )
        else:
            raise _entity_error(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
    if quote_start is not None and pos > quote_start:
        entities.append({"type": "blockquote", "offset": quote_start, "length": pos - quote_start})
    if stack:
        kind, _, index = stack[-1]
        raise _entity_error(
            f"Can't find end of {_MDV2_NAMES.get(kind, kind)} entity at byte offset "
            f"{_byte_offset(text, index)}"
        )
    return FormattedText("".join(out), _sorted_entities(entities))


def _mdv2_code(text: str, i: int, emit: Any, entities: list[dict[str, Any]], position: Any) -> int:
    n = len(text)
    is_pre = text.startswith("```", i)
    j = i + (3 if is_pre else 1)
    language = ""
    if is_pre:
        line_end = text.find("\n", j)
        closing = text.find("```", j)
        if 0 <= line_end < (closing if closing >= 0 else n):
            language = text[j:line_end].strip()
            j = line_end + 1
    start = position()
    chunk: list[str] = []
    while j < n:
        if text[j] == "\\" and j + 1 < n and 0 < ord(text[j + 1]) <= 126:
            chunk.append(text[j + 1])
            j += 2
            continue
        if text.startswith("```" if is_pre else "`", j):
            emit("".join(chunk))
            length = position() - start
            if length > 0:
                entity: dict[str, Any] = {
                    "type": "pre" if is_pre else "code",
                    "offset": start,
                    "length": length,
                }
                if language:
                    entity["language"] = language
                entities.append(entity)
            return j + (3 if is_pre else 1)
        chunk.append(text[j])
        j += 1
    name = "Pre" if is_pre else "Code"
    raise _entity_error(f"Can't find end of {name} entity at byte offset {_byte_offset(text, i)}")


def _mdv2_url(text: str, j: int) -> tuple[str, int]:
    url: list[str] = []
    while j < len(text):
        if text[j] == "\\" and j + 1 < len(text):
            url.append(text[j + 1])
            j += 2
            continue
        if text[j] == ")":
            return "".join(url), j + 1
        url.append(text[j])
        j += 1
    raise _entity_error("Can't find end of a URL")


def parse_markdown(text: str) -> FormattedText:
    """Parse legacy Markdown (bold, italic, code, pre, links); raise SpecError if unbalanced."""
    out: list[str] = []
    pos = 0
    entities: list[dict[str, Any]] = []
    markers = {"*": "bold", "_": "italic"}
    i, n = 0, len(text)

    def emit(chunk: str) -> None:
        nonlocal pos
        out.append(chunk)
        pos += utf16_len(chunk)

    while i < n:
        ch = text[i]
        if ch in markers or ch == "`" or ch == "[":
            closing = {"[": "]"}.get(ch, ch)
            if ch == "`" and text.startswith("```", i):
                end = text.find("```", i + 3)
                skip = 3
            else:
                end = text.find(closing, i + 1)
                skip = 1
            if end < 0:
                raise _entity_error(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            inner = text[i + skip : end]
            start = pos
            if ch == "[":
                if not text.startswith("(", end + 1) or text.find(")", end + 2) < 0:
                    emit("[")
                    i += 1
                    continue
                close = text.find(")", end + 2)
                emit(inner)
                if pos > start:
                    entities.append(
                        {
                            "type": "text_link",
                            "offset": start,
                            "length": pos - start,
                            "url": text[end + 2 : close],
                        }
                    )
                i = close + 1
                continue
            kind = markers.get(ch, "pre" if skip == 3 else "code")
            emit(inner)
            if pos > start:
                entities.append({"type": kind, "offset": start, "length": pos - start})
            i = end + skip
            continue
        emit(ch)
        i += 1
    return FormattedText("".join(out), _sorted_entities(entities))


# ------------------------------------------------------------------ auto entities

_AUTO_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("url", re.compile(r"(?<![\w@/.])(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
]
_NO_AUTO_INSIDE = frozenset({"code", "pre", "text_link", "url", "email", "custom_emoji"})


def auto_entities(text: str, existing: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Return existing entities plus those Telegram detects itself (URLs, commands, mentions)."""
    found = list(existing or [])
    taken = [
        (e["offset"], e["offset"] + e["length"]) for e in found if e["type"] in _NO_AUTO_INSIDE
    ]
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            value = match.group(0)
            if kind == "url":
                value = value.rstrip(".,;:!?'\")")
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(value)
            if end <= start or any(start < b and a < end for a, b in taken):
                continue
            found.append({"type": kind, "offset": start, "length": end - start})
            taken.append((start, end))
    return _sorted_entities(found)


def _trim(formatted: FormattedText) -> FormattedText:
    text = formatted.text
    stripped = text.strip(_WHITESPACE)
    if stripped == text:
        return formatted
    shift = utf16_len(text[: len(text) - len(text.lstrip(_WHITESPACE))])
    total = utf16_len(stripped)
    entities = []
    for entity in formatted.entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def format_text(
    text: str, parse_mode: str | None = None, entities: list[dict[str, Any]] | None = None
) -> FormattedText:
    """Apply parse_mode or explicit entities, trim whitespace and add auto-detected entities."""
    mode = (parse_mode or "").strip().lower()
    if entities:
        formatted = FormattedText(text, [dict(e) for e in entities])
    elif mode == "html":
        formatted = parse_html(text)
    elif mode == "markdownv2":
        formatted = parse_markdown_v2(text)
    elif mode == "markdown":
        formatted = parse_markdown(text)
    elif mode:
        raise SpecError("Bad Request: unsupported parse_mode")
    else:
        formatted = FormattedText(text, [])
    formatted = _trim(formatted)
    return FormattedText(formatted.text, auto_entities(formatted.text, formatted.entities))


# ------------------------------------------------------------------ the validator

_PRIMITIVES = frozenset({"Integer", "String", "Boolean", "Float", "True", "InputFile"})
_LIMIT_RE = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_DISCRIMINATOR_RE = re.compile(r"(?:always|must be)\s+[\"“]?([a-z_]+)")
_INT_RE = re.compile(r"^[+-]?\d+$")
_BOT_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^([a-z]{2})?$")


class ApiSpec:
    """The Bot API spec (api-10.0.json) and a validator for requests made against it."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        """Index methods, types, length limits, discriminators and reaction emoji."""
        self.version: str = str(data.get("version", ""))
        self.methods: dict[str, dict[str, Any]] = dict(data["methods"])
        self.types: dict[str, dict[str, Any]] = dict(data["types"])
        self._method_by_lower = {name.lower(): name for name in self.methods}
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}
        self._limits: dict[tuple[str, str], _Limit] = {}
        for owner, spec in [*self.methods.items(), *self.types.items()]:
            fields = {f["name"]: f for f in spec.get("fields", [])}
            self._fields[owner] = fields
            for fname, fspec in fields.items():
                match = _LIMIT_RE.search(fspec.get("description", ""))
                if match and "String" in fspec["types"]:
                    self._limits[(owner, fname)] = _Limit(
                        int(match.group(1)),
                        int(match.group(2)),
                        match.group(3),
                        "after entities parsing" in fspec["description"],
                    )
        self._discriminators: dict[str, tuple[str, dict[str, str]]] = {}
        for name, spec in self.types.items():
            subtypes = spec.get("subtypes")
            if not subtypes:
                continue
            mapping: dict[str, str] = {}
            key = ""
            for sub in subtypes:
                first = (self.types.get(sub, {}).get("fields") or [{}])[0]
                found = _DISCRIMINATOR_RE.search(first.get("description", ""))
                if first.get("name") in {"type", "source", "status"} and found:
                    key = first["name"]
                    mapping[found.group(1)] = sub
            if key and len(mapping) == len(subtypes):
                self._discriminators[name] = (key, mapping)
        emoji_desc = self._fields.get("ReactionTypeEmoji", {}).get("emoji", {}).get("description")
        self.reaction_emoji: frozenset[str] = frozenset(
            re.findall(r"\"([^\"]+)\"", emoji_desc or "")
        )
        self.update_types: frozenset[str] = frozenset(
            f for f in self._fields.get("Update", {}) if f != "update_id"
        )

    # -- lookups

    def method_name(self, name: str) -> str | None:
        """Return the canonical method name for a case-insensitive name, or None."""
        return self._method_by_lower.get(name.lower())

    def returns(self, method: str) -> list[str]:
        """Return the spec's return types of a method."""
        return list(self.methods[method].get("returns", []))

    def fields(self, owner: str) -> dict[str, dict[str, Any]]:
        """Return the fields of a method or type by name."""
        return self._fields.get(owner, {})

    def is_message_sending(self, method: str) -> bool:
        """Tell whether a method sends a chat message (send*/copy*/forward* returning messages)."""
        if not method.startswith(("send", "copy", "forward")):
            return False
        returns = self.returns(method)
        return any(
            r in {"Message", "MessageId"} or r.startswith("Array of Message") for r in returns
        )

    # -- validation

    def validate(
        self, method: str, params: Mapping[str, Any], uploads: Mapping[str, Upload] | None = None
    ) -> Validated:
        """Check and coerce one request's parameters; raise SpecError on the first problem."""
        uploads = dict(uploads or {})
        fields = self.fields(method)
        texts: dict[str, FormattedText] = {}
        referenced: set[str] = set()
        coerced: dict[str, Any] = {}
        for name, value in params.items():
            if name not in fields:
                if isinstance(value, Upload) and name in uploads:
                    continue  # attached via attach://name; checked below
                raise SpecError(f'Bad Request: unknown parameter "{name}" for method {method}')
        for name, fspec in fields.items():
            value = params.get(name)
            if value is None or (value == "" and "String" not in fspec["types"]):
                if fspec["required"]:
                    raise SpecError(self._missing_message(method, name))
                continue
            coerced[name] = self._check(value, fspec["types"], name, uploads, referenced)
        for name, value in params.items():
            if isinstance(value, Upload) and name not in fields and name not in referenced:
                raise SpecError(
                    f'Bad Request: file part "{name}" is not a parameter of {method} and is not '
                    f'referenced with "attach://{name}"'
                )
        self._check_object_rules(method, coerced, "", texts)
        self._check_method_rules(method, coerced)
        return Validated(method, coerced, texts)

    def check_value(self, value: Any, types: list[str], path: str = "value") -> None:
        """Check that a value produced for Telegram objects (e.g. an Update) matches the spec."""
        self._check(copy.deepcopy(value), types, path, {}, set())

    @staticmethod
    def _missing_message(method: str, name: str) -> str:
        if name == "text" and method in {"sendMessage", "editMessageText"}:
            return "Bad Request: message text is empty"
        if name == "chat_id":
            return "Bad Request: chat_id is empty"
        return f'Bad Request: parameter "{name}" is required for method {method}'

    def _check(
        self, value: Any, types: list[str], path: str, uploads: dict[str, Upload], refs: set[str]
    ) -> Any:
        if len(types) == 1:
            return self._check_one(value, types[0], path, uploads, refs)
        if isinstance(value, Upload) and "InputFile" in types:
            return value
        if isinstance(value, str):
            if "InputFile" in types and value.startswith("attach://"):
                return self._check_one(value, "InputFile", path, uploads, refs)
            if "String" in types:
                return value
        primitives = [t for t in types if t in _PRIMITIVES]
        objects = [t for t in types if t not in _PRIMITIVES]
        for candidate in primitives:
            try:
                return self._check_one(value, candidate, path, uploads, refs)
            except SpecError:
                continue
        if objects:
            decoded = self._decode_json(value, path) if isinstance(value, str) else value
            if isinstance(decoded, dict) and all(not t.startswith("Array of ") for t in objects):
                best = max(objects, key=lambda t: len(set(decoded) & set(self.fields(t))))
                return self._check_one(decoded, best, path, uploads, refs)
            for candidate in objects:
                try:
                    return self._check_one(decoded, candidate, path, uploads, refs)
                except SpecError:
                    continue
        raise SpecError(f'Bad Request: field "{path}" must be {" or ".join(types)}')

    def _decode_json(self, value: str, path: str) -> Any:
        try:
            return json.loads(value)
        except ValueError:
            raise SpecError(f'Bad Request: can\'t parse "{path}" JSON object') from None

    def _check_one(
        self, value: Any, type_name: str, path: str, uploads: dict[str, Upload], refs: set[str]
    ) -> Any:
        wrong = SpecError(f'Bad Request: field "{path}" must be {type_name}, got {_kind(value)}')
        if type_name == "Integer":
            if isinstance(value, bool):
                raise wrong
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str) and _INT_RE.match(value.strip()):
                return int(value.strip())
            raise wrong
        if type_name == "Float":
            if isinstance(value, bool):
                raise wrong
            if isinstance(value, int | float):
                return float(value)
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    raise wrong from None
            raise wrong
        if type_name == "String":
            if isinstance(value, str):
                if value.startswith("attach://"):  # InputMedia.media and thumbnails
                    return self._check_one(value, "InputFile", path, uploads, refs)
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise wrong
        if type_name in {"Boolean", "True"}:
            result: bool | None = None
            if isinstance(value, bool):
                result = value
            elif isinstance(value, int) and value in (0, 1):
                result = bool(value)
            elif isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0"}:
                result = value.strip().lower() in {"true", "1"}
            if result is None or (type_name == "True" and result is not True):
                raise wrong
            return result
        if type_name == "InputFile":
            if isinstance(value, Upload):
                return value
            if isinstance(value, str) and value.startswith("attach://"):
                name = value[len("attach://") :]
                if name not in uploads:
                    raise SpecError(
                        f'Bad Request: field "{path}": attached file "{name}" not found'
                    )
                refs.add(name)
                return uploads[name]
            raise wrong
        if type_name.startswith("Array of "):
            inner = type_name[len("Array of ") :]
            if isinstance(value, str):
                value = self._decode_json(value, path)
            if not isinstance(value, list):
                raise wrong
            return [
                self._check(item, [inner], f"{path}[{index}]", uploads, refs)
                for index, item in enumerate(value)
            ]
        return self._check_object(value, type_name, path, uploads, refs)

    def _check_object(
        self, value: Any, type_name: str, path: str, uploads: dict[str, Upload], refs: set[str]
    ) -> Any:
        if type_name not in self.types:
            raise SpecError(f'Bad Request: field "{path}" has unknown type {type_name}')
        if isinstance(value, str):
            if type_name == "KeyboardButton":
                return value  # "String can be used instead of this object"
            value = self._decode_json(value, path)
        if not isinstance(value, dict):
            raise SpecError(f'Bad Request: field "{path}" must be a {type_name} object')
        if type_name in self._discriminators:
            key, mapping = self._discriminators[type_name]
            tag = value.get(key)
            if tag not in mapping:
                raise SpecError(
                    f'Bad Request: field "{path}.{key}" must be one of '
                    f"{', '.join(sorted(mapping))} for {type_name}, got {tag!r}"
                )
            type_name = mapping[tag]
        elif self.types[type_name].get("subtypes"):
            subtypes = self.types[type_name]["subtypes"]
            type_name = max(subtypes, key=lambda t: len(set(value) & set(self.fields(t))))
        fields = self.fields(type_name)
        result: dict[str, Any] = {}
        for key in value:
            if key not in fields:
                raise SpecError(f'Bad Request: unknown field "{path}.{key}" in {type_name}')
        for name, fspec in fields.items():
            item = value.get(name)
            if item is None:
                if fspec["required"]:
                    raise SpecError(
                        f'Bad Request: field "{path}.{name}" is required in {type_name}'
                    )
                continue
            result[name] = self._check(item, fspec["types"], f"{path}.{name}", uploads, refs)
        self._check_object_rules(type_name, result, path + ".", None)
        return result

    def _check_object_rules(
        self,
        owner: str,
        values: dict[str, Any],
        prefix: str,
        texts: dict[str, FormattedText] | None,
    ) -> None:
        fields = self.fields(owner)
        for name, value in values.items():
            limit = self._limits.get((owner, name))
            if limit is None or not isinstance(value, str):
                continue
            if limit.after_entities:
                mode_field = (
                    f"{name}_parse_mode" if f"{name}_parse_mode" in fields else "parse_mode"
                )
                entities_field = "entities" if name == "text" else f"{name}_entities"
                formatted = format_text(value, values.get(mode_field), values.get(entities_field))
                if texts is not None:
                    texts[name] = formatted
                size = utf16_len(formatted.text)
            elif limit.unit == "bytes":
                size = len(value.encode("utf-8"))
            else:
                size = len(value)
            if limit.low <= size <= limit.high:
                continue
            raise SpecError(self._limit_message(owner, prefix + name, name, limit, size))
        if owner == "InlineKeyboardButton":
            actions = [k for k in values if k not in _INLINE_BUTTON_PLAIN_FIELDS]
            if not actions:
                raise SpecError("Bad Request: text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise SpecError(
                    f'Bad Request: inline keyboard button "{prefix.rstrip(".")}" must have exactly '
                    f"one of url, callback_data, ...; got {', '.join(sorted(actions))}"
                )
            url = values.get("url")
            if url is not None and not re.match(r"^(https?|tg)://\S+$", url, re.IGNORECASE):
                raise SpecError(f"Bad Request: inline keyboard button URL '{url}' is invalid")
        elif owner == "BotCommand" and not _BOT_COMMAND_RE.match(values.get("command", "")):
            raise SpecError("Bad Request: BOT_COMMAND_INVALID")
        elif (
            owner == "ReactionTypeEmoji"
            and self.reaction_emoji
            and values.get("emoji") not in self.reaction_emoji
        ):
            raise SpecError("Bad Request: REACTION_INVALID")
        if (
            owner in {"InlineKeyboardButton", "KeyboardButton"}
            and "text" in values
            and not values["text"].strip()
        ):
            raise SpecError("Bad Request: keyboard button text must be non-empty")

    @staticmethod
    def _limit_message(owner: str, path: str, name: str, limit: _Limit, size: int) -> str:
        if owner == "InlineKeyboardButton" and name == "callback_data":
            return "Bad Request: BUTTON_DATA_INVALID"
        if name == "text" and limit.after_entities:
            if size == 0:
                return "Bad Request: message text is empty"
            return "Bad Request: message is too long"
        if name == "caption" and size > limit.high:
            return "Bad Request: message caption is too long"
        if owner == "BotCommand":
            return (
                "Bad Request: BOT_COMMAND_INVALID"
                if name == "command"
                else "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
            )
        unit = "UTF-16 code units" if limit.after_entities else limit.unit
        return (
            f'Bad Request: field "{path}" must be {limit.low}-{limit.high} {unit} long, got {size}'
        )

    def _check_method_rules(self, method: str, params: dict[str, Any]) -> None:
        for key in ("parse_mode", "caption_parse_mode", "question_parse_mode"):
            mode = params.get(key)
            if mode and mode.lower() not in {"html", "markdown", "markdownv2"}:
                raise SpecError("Bad Request: unsupported parse_mode")
        if method == "sendChatAction" and params.get("action") not in CHAT_ACTIONS:
            raise SpecError("Bad Request: wrong parameter action in request")
        if method in {"getUpdates", "setWebhook"}:
            unknown = [u for u in params.get("allowed_updates") or [] if u not in self.update_types]
            if unknown:
                raise SpecError(f"Bad Request: unknown update types in allowed_updates: {unknown}")
        if method in {"setMyCommands", "getMyCommands", "deleteMyCommands"}:
            if not _LANGUAGE_RE.match(params.get("language_code", "")):
                raise SpecError("Bad Request: language_code must be a two-letter ISO 639-1 code")
            if len(params.get("commands") or []) > 100:
                raise SpecError("Bad Request: too many commands, at most 100 are allowed")
        if method == "setMessageReaction" and len(params.get("reaction") or []) > 1:
            raise SpecError("Bad Request: REACTIONS_TOO_MANY")


def _kind(value: Any) -> str:
    if isinstance(value, Upload):
        return "a file upload"
    return {
        bool: "Boolean",
        int: "Integer",
        float: "Float",
        str: "String",
        list: "Array",
        dict: "Object",
    }.get(type(value), type(value).__name__)


@lru_cache(maxsize=1)
def load_spec(path: str | None = None) -> ApiSpec:
    """Load and index the bundled Bot API spec (cached)."""
    with open(path or SPEC_PATH, encoding="utf-8") as handle:
        return ApiSpec(json.load(handle))
