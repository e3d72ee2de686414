"""The weekly picture as one HTML file and as a short Telegram summary, in nl, fr and en.

The page is parsed, never compared as bytes: what a reader sees is the text outside tags,
`<title>`, `<script>` and `<style>` (a `title` attribute or an SVG tooltip is not seen on a
phone or on paper).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from dataclasses import replace
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.i18n import LANGUAGES, load_translator
from bot.reporting import as_text, catalog_for
from reports import export as exports
from reports.digest import Msg, build_digest
from reports.render import ENV, Words, digest_summary_text, render_digest_html, summary_message
from sandbox.spec import format_text
from storage import organisations as orgs
from tests.test_reports.test_digest_builder import (
    GRAND_PLACE,
    LAST_WEEK,
    MON,
    SUN,
    TUE,
    WEEK,
    Scene,
    add,
    at,
    build,
    place,
    populate,
)

TRANSLATOR = load_translator()
SECTIONS = (
    "short",
    "questions",
    "map",
    "list",
    "coverage",
    "participation",
    "missing",
    "diary",
    "voices",
    "themes",
    "people",
    "context",
)
HIDDEN = ("title", "script", "style")
WED = TUE + timedelta(days=1)


class Page(HTMLParser):
    """The parts of an HTML page the tests look at."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.visible: list[str] = []
        self.stack: list[str] = []
        self.headings: list[str] = []
        self.svg_text: list[str] = []
        self.scripts: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "br", "img", "path", "rect", "circle", "link", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.stack and self.stack[-1] == "script":
            self.scripts.append(data)
        if not any(tag in HIDDEN for tag in self.stack):
            self.visible.append(data)
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
        """Return the text a reader sees, spaces collapsed."""
        return squeeze(" ".join(self.visible))


def squeeze(text: str) -> str:
    """Collapse runs of spaces and line breaks (a no-break space stays, as a reader sees it)."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def section(source: str, name: str) -> Page:
    """Return one section of the page, parsed."""
    start = source.index(f'<section id="{name}"')
    return Page(source[start : source.index("</section>", start)])


def catalog(language: str):
    return catalog_for(language)


def plain(key: str, language: str, **params) -> str:
    """Return a catalog text as the page shows it (tags removed, spaces collapsed)."""
    text = str(Words(language, catalog=catalog(language)).t(key, **params))
    return squeeze(html.unescape(re.sub(r"<[^>]+>", "", text)))


@pytest.fixture
def scene(session_factory: sessionmaker[Session], now: datetime, tmp_path: Path) -> Scene:
    return populate(session_factory, now, tmp_path / "media")


def test_the_page_has_every_section_a_numbered_map_and_theme_bars(session_factory, scene) -> None:
    digest = build(session_factory, scene, "en")
    source = render_digest_html(digest, catalog("en"))
    page = Page(source)
    assert set(SECTIONS) | {"glance"} <= page.ids()
    assert page.all("html")[0]["lang"] == "en"
    assert any(a.get("name") == "viewport" for a in page.all("meta"))
    assert "@media print" in source and "size:A4" in source
    [map_svg] = page.all("svg", "map")
    assert map_svg["viewbox"].startswith("0 0 360 ")
    assert "Grand Place" in page.svg_text and "Dansaert" in page.svg_text
    assert len(page.all("svg", "bars")) == 1
    assert "Shops & services" in page.svg_text and "Health" in page.svg_text
    assert len(page.all("svg", "share")) == 1
    [image] = page.all("img")
    assert image["src"].startswith("data:image/jpeg")
    # Markers are links to the list entries with the same number.
    markers = page.all("a", "mk")
    assert markers and all(m["href"] == f"#o{m['data-n'].split()[0]}" for m in markers)
    assert {m["href"][1:] for m in markers} <= page.ids()


def test_the_only_script_is_inline_and_allowed_by_its_hash(session_factory, scene) -> None:
    source = render_digest_html(build(session_factory, scene, "nl"), catalog("nl"))
    page = Page(source)
    [script] = page.all("script")
    assert "src" not in script
    [policy] = [m for m in page.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    [code] = page.scripts
    expected = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
    assert f"script-src 'sha256-{expected}'" in policy["content"]
    assert "default-src 'none'" in policy["content"]
    # Self-contained: nothing is fetched from elsewhere.
    assert not page.all("link")
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", source)
    assert "fetch(" not in code and "XMLHttpRequest" not in code and "import(" not in code


def test_user_text_stays_text(session_factory, scene) -> None:
    source = render_digest_html(build(session_factory, scene, "nl"), catalog("nl"))
    page = Page(source)
    assert len(page.all("script")) == 1
    assert "<script>alert(1)</script>" not in source
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source
    assert "Bench broken <script>alert(1)</script>" in page.plain  # shown, as text
    assert "SECRET-CONTACT" not in source  # a key person's contact details never
    assert "0470" not in source


def test_every_observation_is_in_the_list_as_visible_text(session_factory, scene) -> None:
    digest = build(session_factory, scene, "en")
    source = render_digest_html(digest, catalog("en"))
    listed = section(source, "list")
    texts = [
        "Bench broken <script>alert(1)</script>",
        "Busy bakery",
        "Far",
        "No location",
        "The boulevard is a border",  # the walk's reflection
        "I love the market",  # what the person met said
        "Imam at the bakery",  # the key person's description ...
        "Moroccan community",  # ... and the network they open
        "Laundrette",
        "Bank office",
    ]
    for text in texts:
        assert text in listed.plain, text
    # An encounter that may not be quoted is listed for the team, marked as such, and never
    # quoted in "Voices" or the summary.
    assert "SECRET-NOT-QUOTED" in listed.plain
    assert plain("digest.list.not_quoted", "en") in listed.plain
    assert "SECRET-NOT-QUOTED" not in section(source, "voices").plain
    assert "SECRET-NOT-QUOTED" not in section(source, "short").plain
    # Diary entries are private: never in the list.
    assert "doctor" not in listed.plain and "bread" not in listed.plain
    numbers = [int(a["id"][1:]) for a in listed.all("li", "entry")]
    assert numbers == list(range(1, len(digest.entries) + 1))
    # Each entry shows its place, date and the author's pseudonym.
    first = digest.entries[0]
    author = f"P-{scene.staff_id:06d}"
    assert first.place == "Grand Place" and first.author == author
    assert f"Grand Place · Tue 24 Nov 10:05 · {author}" in listed.plain


def test_the_list_and_map_numbers_match_the_export(session_factory, scene) -> None:
    digest = build(session_factory, scene, "nl")
    with session_factory() as session:
        stream = exports.open_export(session, scene.org_id, MON, SUN)
        features = [
            f for f in stream.observation_features() if f["properties"]["kind"] != "diary_entry"
        ]
    assert [e.id for e in digest.entries] == [f["id"] for f in features]
    by_id = {f["id"]: f for f in features}
    for entry in digest.entries:
        feature = by_id[entry.id]
        assert entry.author == feature["properties"]["author"]
        assert entry.theme == feature["properties"]["theme"]
        if entry.on_map:
            assert feature["geometry"] is not None
    assert digest.map is not None
    drawn = {p.number for p in digest.map.points}
    assert drawn == {e.number for e in digest.entries if e.on_map}
    located = sum(1 for f in features if f["geometry"] is not None)
    assert len(drawn) + digest.map.outside == located
    missing = sum(1 for f in features if f["properties"]["kind"] == "missing")
    assert digest.figure("missing").value == missing == digest.missing.total
    source = render_digest_html(digest, catalog("nl"))
    assert plain("digest.list.intro", "nl", count=len(features)) in Page(source).plain


def test_the_first_screen_reads_findings_then_questions_then_counts(session_factory, scene):
    digest = build(session_factory, scene, "nl")
    assert 3 <= len(digest.findings) <= 5
    source = render_digest_html(digest, catalog("nl"))
    ids = [attrs["id"] for _, attrs in Page(source).tags if attrs.get("id")]
    assert ids.index("short") < ids.index("questions") < ids.index("glance") < ids.index("map")
    short = section(source, "short")
    assert "Laundrette" in short.plain  # the most-mentioned missing thing
    assert "I love the market" in short.plain  # what a person met said (agreed to be quoted)
    assert "Imam at the bakery" in short.plain  # the new key person
    counts = section(source, "glance").plain
    assert "1 wandeling (2,5 km, 1 uur 30 min)" in counts
    assert "5 meldingen van een gemis (+3)" in counts and "1 sleutelfiguur (+1)" in counts


def test_an_organisation_name_with_markup_is_escaped_everywhere(session_factory, now) -> None:
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, 'A & B <i>"x"</i>', now - timedelta(days=9), "fr", [1])
        org_id = org.id
    with session_factory() as s:
        digest = build_digest(s, org_id, *WEEK, "fr")
    source = render_digest_html(digest, catalog("fr"))
    assert "<i>" not in source.split("<body>")[1].split("</header>")[0]
    assert "A &amp; B &lt;i&gt;" in source
    # The printed page header is a CSS string: nothing in it can close the style element.
    style = source.split("<style>")[1].split("</style>")[0]
    assert "<" not in style and '"x"' not in style
    summary = digest_summary_text(digest, catalog("fr"))
    assert "A &amp; B &lt;i&gt;&#34;x&#34;" in summary or 'A &amp; B &lt;i&gt;"x"' in summary


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_empty_week_says_so_kindly(session_factory, now, language) -> None:
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Rustig", now - timedelta(days=60), "nl", [1, 2])
        add(s, org.id, None, "walk_note", at(LAST_WEEK), text="last week")
        org_id = org.id
    with session_factory() as s:
        digest = build_digest(s, org_id, *WEEK, language)
    assert digest.is_empty
    page = Page(render_digest_html(digest, catalog(language)))
    assert [m.key for m in digest.findings] == ["digest.find.empty", "digest.find.empty_last_week"]
    assert plain("digest.find.empty", language) in page.plain
    assert plain("digest.find.empty_last_week", language, count=1) in page.plain
    assert not page.all("svg", "bars") and not page.all("svg", "map")
    assert {"short", "people", "context", "questions"} <= page.ids()
    assert not ({"glance", "map", "list", "themes", "missing"} & page.ids())
    summary = digest_summary_text(digest, catalog(language))
    assert plain("digest.find.empty", language) in html.unescape(re.sub(r"<[^>]+>", "", summary))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_label_is_in_the_readers_language(session_factory, scene, language) -> None:
    digest = build(session_factory, scene, language)
    page = Page(render_digest_html(digest, catalog(language)))
    expected = [plain(f"digest.section.{name}", language) for name in SECTIONS]
    for heading in expected:
        assert heading in page.headings, (heading, page.headings)
    assert plain("theme.shops", language) in page.svg_text
    for other in (other for other in LANGUAGES if other != language):
        assert plain("digest.section.short", other) not in page.headings


@pytest.mark.parametrize(
    ("language", "key", "count", "expected"),
    [
        ("nl", "digest.count.missing", 1, "1 melding van een gemis"),
        ("nl", "digest.count.missing", 3, "3 meldingen van een gemis"),
        ("nl", "digest.count.notes", 1, "1 notitie"),
        ("fr", "digest.missing.distance_value", 1, "sur 1 signalement avec"),
        ("fr", "digest.missing.distance_value", 0, "sur 0 signalement avec"),
        ("fr", "digest.missing.distance_value", 2, "sur 2 signalements avec"),
        ("en", "digest.count.diary_entries", 1, "1 diary entry"),
        ("en", "digest.count.diary_entries", 2, "2 diary entries"),
    ],
)
def test_counts_take_the_languages_plural_forms(language, key, count, expected) -> None:
    words = Words(language, catalog=catalog(language))
    assert expected in words.plain(key, count=count, km="x")


@pytest.mark.parametrize(
    ("language", "metres", "hours", "km", "time"),
    [
        ("nl", 300, 8 / 60, "0,3 km", "8 min"),
        ("fr", 2500, 1.5, "2,5 km", "1 h 30 min"),
        ("en", 2500, 1.0, "2.5 km", "1 hr"),
    ],
)
def test_numbers_and_durations_follow_the_locale(language, metres, hours, km, time) -> None:
    words = Words(language, catalog=catalog(language))
    spaces = str.maketrans({"\u202f": " ", "\xa0": " "})
    assert words.km(metres).translate(spaces) == km
    assert words.duration(hours).translate(spaces) == time
    assert "0.1" not in words.duration(0.1)


def test_a_short_walk_reads_in_minutes(session_factory, now) -> None:
    from storage import walks as walks_db

    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Kort", now - timedelta(days=30), "nl", [1])
        row = walks_db.start_walk(
            s, organisation_id=org.id, member_id=None, author="P-1", chat_id=1, now=at(TUE, 10)
        )
        row.ended_at, row.closed_reason, row.distance_m = at(TUE, 10, 8), "ended", 300.0
        org_id = org.id
    with session_factory() as s:
        digest = build_digest(s, org_id, *WEEK, "nl")
    counts = section(render_digest_html(digest, catalog("nl")), "glance").plain
    assert "1 wandeling (0,3 km, 8 min)" in counts
    assert "0,1 u" not in counts


def test_the_summary_is_short_telegram_html_with_the_findings(session_factory, scene) -> None:
    digest = build(session_factory, scene, "en")
    text = digest_summary_text(digest, catalog("en"))
    assert len(text) <= 4096
    assert set(re.findall(r"</?([a-z]+)", text)) <= {"b", "i"}
    assert "🚶 1 walk · 2.5 km · 1 hr 30 mins" in text
    assert "• Missed most often: “Laundrette” (3 reports)." in text
    assert "week 48" in text


def test_long_user_text_keeps_the_summary_within_telegram_limits(session_factory, scene) -> None:
    digest = build(session_factory, scene, "en")
    huge = "<b>" + "x" * 20000
    group = replace(digest.missing.groups[0], text=huge)
    digest = replace(
        digest,
        organisation_name=huge,
        missing=replace(digest.missing, groups=(group,)),
        findings=(Msg("digest.find.missing_thing", {"text": huge, "count": 3}),),
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
        # Telegram must accept it: a theme such as "Shops & services" is passed as escaped
        # text, so no bare "&" reaches the HTML parser.
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
        ("note", {}),
        ("encounter", {"quote_ok": True, "who": "unknown-code", "channel": "odd"}),
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
        assert "questions" in page.ids() and digest.findings
        if kind not in ("walk", "diary_entry"):
            assert "Iets <b>vet</b>" in page.plain  # listed, as text
        assert digest_summary_text(digest, catalog(language))


def test_markers_on_one_spot_are_spread_or_badged(session_factory, now) -> None:
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Druk", now - timedelta(days=30), "nl", [1])
        for index in range(3):
            add(s, org.id, None, "walk_note", at(TUE, 10, index), text=f"a{index}",
                place=place(*GRAND_PLACE))  # fmt: skip
        for index in range(12):
            add(s, org.id, None, "missing", at(WED, 11, index), text=f"b{index}",
                place=place(50.8440, 4.3480))  # fmt: skip
        org_id = org.id
    with session_factory() as s:
        digest = build_digest(s, org_id, *WEEK, "nl")
    page = Page(render_digest_html(digest, catalog("nl")))
    single = [m for m in page.all("a", "mk") if "badge" not in (m.get("class") or "")]
    assert sorted(int(m["data-n"]) for m in single) == [1, 2, 3]
    [badge] = page.all("a", "badge")
    assert badge["data-n"].split() == [str(n) for n in range(4, 16)]
    assert "12" in page.svg_text  # the badge shows the count


def test_voice_notes_play_inline_within_the_budget(session_factory, now, tmp_path, monkeypatch):
    from reports import images
    from tests.test_reports.test_digest_builder import photo

    media = tmp_path / "media"
    (media / "voice").mkdir(parents=True)
    (media / "voice" / "v.ogg").write_bytes(b"OggS" + b"\0" * 3000)
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Stem", now - timedelta(days=30), "nl", [1])
        note = add(s, org.id, None, "walk_note", at(TUE), text="listen")
        photo(s, note, "voice/v.ogg", "stored")
        note.media[-1].kind, note.media[-1].duration = "voice", 42
        org_id = org.id
    with session_factory() as s:
        digest = build_digest(s, org_id, *WEEK, "nl", media_dir=media)
    [voice] = digest.entries[0].voices
    assert voice.seconds == 42 and voice.data_uri.startswith("data:audio/ogg;base64,T2dnUw")
    page = Page(render_digest_html(digest, catalog("nl")))
    [audio] = page.all("audio")
    assert audio["src"] == voice.data_uri and "controls" in audio
    assert plain("digest.list.voice", "nl", length="0:42") in page.plain
    # Past the budget: the length, and the way to the media zip.
    monkeypatch.setattr(images, "VOICE_BUDGET_BYTES", 1000)
    with session_factory() as s:
        digest = build_digest(s, org_id, *WEEK, "nl", media_dir=media)
    assert digest.media is not None and not digest.media.voices_embedded
    page = Page(render_digest_html(digest, catalog("nl")))
    assert not page.all("audio")
    assert plain("digest.list.in_zip", "nl") in page.plain
    assert plain("digest.list.voices_zip", "nl", count=1) in page.plain


def test_narrow_screens_and_print_are_styled(session_factory, scene) -> None:
    source = render_digest_html(build(session_factory, scene, "fr"), catalog("fr"))
    style = source.split("<style>")[1].split("</style>")[0]
    # The indicator table becomes one block per indicator on a phone.
    assert "@media (max-width:559px)" in style and "content:attr(data-label)" in style
    # A4 pages carry the organisation and week, and page numbers; the map stays whole.
    assert "@top-left{content:" in style and "Buurtwerk Noord" in style
    assert "Semaine 48, 2026" in style and "counter(page)" in style
    assert ".map-figure{break-inside:avoid" in style
    # Chart text is at least 12.5 viewBox units on a map about as wide as a phone.
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', source)]
    assert sizes and min(sizes) >= 12.5
    # Sources and footers are in the reader's language.
    page = Page(source)
    assert plain("digest.context.sources", "fr") in page.plain
    assert plain("digest.footer.boundaries", "fr") in page.plain
    assert "National Register" not in page.plain


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
    assert digest.retention is not None
    assert (digest.retention.texts, digest.retention.media) == (4, 2)
    assert earlier.retention is None
    page = Page(render_digest_html(digest, catalog("nl")))
    assert "retention" in page.ids()
    assert plain("digest.retention", "nl", texts=4, media=2, months=12) in page.plain


GLOSSARY_LINE = re.compile(r"^#\s{2,}(\S.*?)\s{2,}.*\((?:niet|pas|not)\s?:\s*([^)]*)\)", re.M)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_keeps_one_term_per_concept(language) -> None:
    """digest.po opens with a glossary; no text of the language's catalog uses a term it rules
    out."""
    folder = Path(__file__).resolve().parents[2] / "bot" / "locale" / language
    source = (folder / "digest.po").read_text(encoding="utf-8")
    head = source.split('msgid ""')[0]
    ruled_out = [
        term.strip()
        for _, terms in GLOSSARY_LINE.findall(head)
        for term in terms.split(",")
        if term.strip()
    ]
    assert len(ruled_out) >= 5, head
    from babel.messages.pofile import read_po

    messages = []
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            messages.extend(read_po(handle, locale=language))
    for message in messages:
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            words = re.sub(r"\{[a-z_]+\}", " ", form).casefold()
            for term in ruled_out:
                found = re.search(rf"(?<!\w){re.escape(term.casefold())}(?!\w)", words)
                assert found is None, (language, message.id, term)


def test_french_says_portrait_du_quartier() -> None:
    words = Words("fr", catalog=catalog("fr"))
    assert words.plain("digest.kicker") == "Portrait du quartier"
    title = words.plain("digest.html_title", week="1", organisation="x")
    assert title.startswith("Portrait du quartier")
