"""The weekly picture as one HTML file and as a short Telegram summary, in nl, fr and en."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.i18n import LANGUAGES, load_translator
from bot.reporting import as_text
from reports.digest import Msg, build_digest
from reports.render import ENV, digest_summary_text, render_digest_html, summary_message
from sandbox.spec import format_text
from storage import organisations as orgs
from tests.test_reports.test_digest_builder import (
    LAST_WEEK,
    TUE,
    WEEK,
    Scene,
    add,
    at,
    build,
    populate,
)

TRANSLATOR = load_translator()
SECTIONS = ("glance", "map", "themes", "missing", "diary", "voices", "people", "context")


class Page(HTMLParser):
    """The parts of an HTML page the tests look at."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.headings: list[str] = []
        self.svg_text: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "br", "img", "path", "rect", "circle", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.stack and self.stack[-1] == "h2":
            self.headings.append(data.strip())
        if "svg" in self.stack and self.stack[-1] == "text":
            self.svg_text.append(data)

    def ids(self) -> set[str]:
        return {attrs["id"] for _, attrs in self.tags if attrs.get("id")}

    def all(self, tag: str, css: str | None = None) -> list[dict[str, str | None]]:
        return [
            attrs
            for name, attrs in self.tags
            if name == tag and (css is None or css in (attrs.get("class") or "").split())
        ]

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def catalog(language: str):
    return partial(TRANSLATOR.raw, language)


def plain(key: str, language: str, **params) -> str:
    """Return a catalog text as the page shows it (tags removed, spaces collapsed)."""
    text = TRANSLATOR.raw(language, key)
    if params:
        text = text.format(**params)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


@pytest.fixture
def scene(session_factory: sessionmaker[Session], now: datetime, tmp_path: Path) -> Scene:
    return populate(session_factory, now, tmp_path / "media")


def test_the_page_has_every_section_a_map_and_theme_bars(session_factory, scene) -> None:
    digest = build(session_factory, scene, "en")
    source = render_digest_html(digest, catalog("en"))
    page = Page(source)
    assert set(SECTIONS) | {"questions", "photos"} <= page.ids()
    assert page.all("html")[0]["lang"] == "en"
    assert any(a.get("name") == "viewport" for a in page.all("meta"))
    assert "@media print" in source and "size:A4" in source
    [map_svg] = page.all("svg", "map")
    assert map_svg["viewbox"].startswith("0 0 400 ")
    assert "Grand Place" in page.svg_text and "Dansaert" in page.svg_text
    [bars] = page.all("svg", "bars")
    assert "Shops & services" in page.svg_text and "Health" in page.svg_text
    assert len(page.all("svg", "share")) == 1
    assert len(page.all("img")) == 1 and page.all("img")[0]["src"].startswith("data:image/jpeg")
    # Self-contained: nothing is fetched from elsewhere.
    assert not page.all("link") and not page.all("script")
    assert not re.search(r"""(src|href)=["']?https?:""", source)


def test_user_text_stays_text(session_factory, scene) -> None:
    source = render_digest_html(build(session_factory, scene, "nl"), catalog("nl"))
    page = Page(source)
    assert not page.all("script")
    assert "<script>alert(1)</script>" not in source
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source
    assert "Bench broken <script>alert(1)</script>" in page.plain  # shown, as text
    assert "SECRET" not in source  # no contact details, no unquotable words


def test_an_organisation_name_with_markup_is_escaped_everywhere(session_factory, now) -> None:
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, 'A & B <i>"x"</i>', now - timedelta(days=9), "fr", [1])
        org_id = org.id
    with session_factory() as s:
        digest = build_digest(s, org_id, *WEEK, "fr")
    source = render_digest_html(digest, catalog("fr"))
    assert "<i>" not in source.split("<body>")[1].split("</header>")[0]
    assert "A &amp; B &lt;i&gt;" in source
    summary = digest_summary_text(digest, catalog("fr"))
    assert "A &amp; B &lt;i&gt;&#34;x&#34;" in summary or 'A &amp; B &lt;i&gt;"x"' in summary


def test_an_empty_week_says_so_kindly(session_factory, now) -> None:
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Rustig", now - timedelta(days=60), "nl", [1, 2])
        add(s, org.id, None, "walk_note", at(LAST_WEEK), text="last week")
        org_id = org.id
    with session_factory() as s:
        digest = build_digest(s, org_id, *WEEK, "nl")
    assert digest.is_empty
    page = Page(render_digest_html(digest, catalog("nl")))
    assert "empty" in page.ids()
    assert plain("digest.empty.text", "nl") in page.plain
    assert plain("digest.empty.last_week", "nl", count=1) in page.plain
    assert not page.all("svg", "bars") and not page.all("svg", "map")
    assert {"people", "context", "questions"} <= page.ids()
    assert not ({"glance", "map", "themes", "missing"} & page.ids())
    summary = digest_summary_text(digest, catalog("nl"))
    assert plain("digest.summary.empty", "nl") in re.sub(r"<[^>]+>", "", summary)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_label_is_in_the_readers_language(session_factory, scene, language) -> None:
    digest = build(session_factory, scene, language)
    page = Page(render_digest_html(digest, catalog(language)))
    expected = [plain(f"digest.section.{name}", language) for name in SECTIONS]
    for heading in expected:
        assert heading in page.headings, (heading, page.headings)
    assert plain("digest.figure.walks", language) in page.plain
    assert plain("theme.shops", language) in page.svg_text
    others = [other for other in LANGUAGES if other != language]
    for other in others:
        if plain("digest.section.glance", other) != plain("digest.section.glance", language):
            assert plain("digest.section.glance", other) not in page.headings


def test_the_summary_is_short_telegram_html(session_factory, scene) -> None:
    digest = build(session_factory, scene, "en")
    text = digest_summary_text(digest, catalog("en"))
    assert len(text) <= 4096
    assert set(re.findall(r"</?([a-z]+)", text)) <= {"b", "i"}
    assert "Walks: <b>1</b> (=) · 2.5 km · 1.5 h" in text
    assert "Mentioned most as missing: <i>Laundrette</i> (3×)" in text
    assert "week 48" in text


def test_long_user_text_keeps_the_summary_within_telegram_limits(session_factory, scene) -> None:
    digest = build(session_factory, scene, "en")
    huge = "<b>" + "x" * 20000
    group = replace(digest.missing.groups[0], text=huge)
    digest = replace(
        digest,
        organisation_name=huge,
        missing=replace(digest.missing, groups=(group,)),
        questions=(Msg("digest.q.missing_thing", {"text": huge, "count": 3}),),
    )
    text = digest_summary_text(digest, catalog("en"))
    assert len(text) < 1500
    assert "<b>x" not in text and "&lt;b&gt;xxx" in text


def test_the_bot_renders_the_same_summary(session_factory, scene) -> None:
    """bot.reporting hands the same message tree to the bot's Translator."""
    for language in LANGUAGES:
        digest = build(session_factory, scene, language)
        summary = as_text(summary_message(digest))
        rendered = TRANSLATOR.text(language, summary.key, summary.params)
        assert rendered == digest_summary_text(digest, catalog(language))
        # Telegram must accept it: the theme in the first question ("Shops & services") is
        # passed as escaped text, so no bare "&" reaches the HTML parser.
        assert digest.questions[0].key == "digest.q.missing_theme"
        assert "&amp;" in rendered
        format_text(rendered, "HTML", None)


def test_there_is_one_autoescaping_environment() -> None:
    assert ENV.autoescape is not False
    template = ENV.from_string("{{ x }}")
    assert template.render(x="<script>") == "&lt;script&gt;"
    assert ENV.get_template("digest.html") is ENV.get_template("digest.html")


@pytest.mark.parametrize(
    ("kind", "details"),
    [
        ("walk_note", {}),
        ("walk_note", {"reflection": True}),
        ("encounter", {"quote_ok": True, "who": "unknown-code"}),
        ("key_person", {}),
        ("missing", {}),
        ("diary_entry", {"met": "no"}),
        ("diary_entry", {"nothing": True}),
        ("walk", {}),
    ],
)
def test_a_week_with_a_single_thing_renders_in_every_language(
    session_factory, now, kind, details
) -> None:
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Een ding", now - timedelta(days=30), "nl", [])
        if kind == "walk":
            from storage import walks as walks_db

            walks_db.start_walk(
                s, organisation_id=org.id, member_id=None, author="P", chat_id=1, now=at(TUE)
            )
        else:
            add(s, org.id, None, kind, at(TUE), text="Iets <b>vet</b>", details=details)
        org_id = org.id
    for language in LANGUAGES:
        with session_factory() as s:
            digest = build_digest(s, org_id, *WEEK, language)
        assert not digest.is_empty
        page = Page(render_digest_html(digest, catalog(language)))
        assert not page.all("b") and "questions" in page.ids()
        assert digest_summary_text(digest, catalog(language))


def test_the_picture_notes_what_retention_removed_that_week(session_factory, now) -> None:
    import json

    from storage import deployment

    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Bewaren", now - timedelta(days=60), "nl", [1])
        org.retention_months = 12
        add(s, org.id, None, "walk_note", at(TUE), text="this week")
        deployment.set_value(
            s,
            f"retention:{org.id}",
            json.dumps({"at": at(TUE).isoformat(), "texts": 4, "media": 2}),
        )
        org_id = org.id
    with session_factory() as s:
        digest = build_digest(s, org_id, *WEEK, "nl")
        earlier = build_digest(s, org_id, 2026, 47, "nl")
    assert digest.retention is not None and (digest.retention.texts, digest.retention.media) == (
        4,
        2,
    )
    assert earlier.retention is None
    page = Page(render_digest_html(digest, catalog("nl")))
    assert "retention" in page.ids()
    assert plain("digest.retention", "nl", texts=4, media=2, months=12) in page.plain
