"""The round report as one HTML file and a short Telegram summary, in nl, fr and en.

The page is parsed, never compared as bytes (see test_digest_html.py for the parser).
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta

import pytest

from bot.dispatch.i18n import load_translator
from bot.reporting import catalog_for
from reports.render import ENV, format_telegram, render_round_html, round_summary
from reports.round.sections import SECTIONS
from storage import hypotheses as hyp
from storage.observations import NewMedia
from tests.test_reports.test_digest_html import Page, plain, section
from tests.test_reports.test_round_builder import build_report

TRANSLATOR = load_translator()
LANGUAGES = ("nl", "fr", "en")


def page_of(session_factory, scene, language: str) -> str:
    """Return the scene's round report as HTML."""
    report = build_report(session_factory, scene, language)
    return render_round_html(report, catalog_for(language))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_section_shows_in_every_language(session_factory, round_scene, language) -> None:
    source = page_of(session_factory, round_scene, language)
    page = Page(source)
    assert f'<html lang="{language}">' in source
    ids = page.ids()
    for item in SECTIONS:
        assert item.name in ids
        assert plain(f"round.section.{item.name}", language) in page.headings
    # No catalog key leaks onto the page, in any language.
    assert not re.search(r"\b(round|digest)\.[a-z_]+\.[a-z_]", page.plain)
    # The table of contents links every section.
    links = {a["href"] for a in page.all("a") if (a.get("href") or "").startswith("#")}
    assert {f"#{item.name}" for item in SECTIONS} <= links


def test_every_link_in_the_page_has_its_anchor(session_factory, round_scene) -> None:
    page = Page(page_of(session_factory, round_scene, "en"))
    ids = page.ids()
    hrefs = [a["href"] for a in page.all("a") if (a.get("href") or "").startswith("#")]
    assert any(href.startswith("#obs-") for href in hrefs)
    assert [href for href in hrefs if href[1:] not in ids] == []
    # The SWOT links the bank office to both reports of it.
    swot = section(page_of(session_factory, round_scene, "en"), "swot")
    refs = {a["href"] for a in swot.all("a")}
    assert {f"#obs-{round_scene.ids['bank1']}", f"#obs-{round_scene.ids['bank2']}"} <= refs


def test_user_text_is_escaped_and_nothing_private_shows(session_factory, round_scene) -> None:
    source = page_of(session_factory, round_scene, "en")
    assert "Park &lt;b&gt;Fontainas&lt;/b&gt;" in source
    assert "<b>Fontainas</b>" not in source
    assert "SECRET-CONTACT" not in source
    page = Page(source)
    # The diary is shown by pseudonym, never entry by entry and never as a point.
    cited = section(source, "cited")
    diary_ids = {f"obs-{v}" for k, v in round_scene.ids.items() if k.startswith("diary")}
    assert not diary_ids & cited.ids()
    assert "diary_entry" not in {c for a in page.all("li") for c in (a.get("class") or "").split()}
    assert "P-000003" in section(source, "diaries").plain


def test_the_register_flags_the_dormant_contact(session_factory, round_scene) -> None:
    register = section(page_of(session_factory, round_scene, "nl"), "register")
    [dormant] = register.all("tr", "dormant")
    assert plain("round.register.dormant", "nl") in register.plain
    text = register.plain
    assert text.index("Imam at the bakery") < text.index("Chair of the committee")
    assert dormant is not None


def test_the_hypothesis_shows_its_evidence(session_factory, round_scene) -> None:
    hypotheses = section(page_of(session_factory, round_scene, "fr"), "hypotheses")
    text = hypotheses.plain
    assert "Older residents lost their meeting places" in text
    assert plain("round.hypotheses.supports", "fr", count=1) in text
    assert plain("round.hypotheses.contradicts", "fr", count=1) in text
    assert f"#{round_scene.ids['bank2']}" in text  # an unlinked candidate


def test_the_map_draws_places_and_diary_counts(session_factory, round_scene) -> None:
    kaart = section(page_of(session_factory, round_scene, "en"), "buurtkaart")
    assert kaart.all("svg", "map")
    markers = kaart.all("a", "mk")
    assert len(markers) == 4
    # The diaries' wijk count is a shaded circle with its number, not a marker.
    assert kaart.all("g", "agg")
    assert "2" in kaart.svg_text


def test_the_swot_page_has_four_quadrants_space_to_write_and_questions(
    session_factory, round_scene
) -> None:
    swot = section(page_of(session_factory, round_scene, "nl"), "swot")
    assert len(swot.all("div", "quadrant")) == 4
    assert len(swot.all("div", "write")) >= 16
    for key in ("picture", "reach", "revive", "next"):
        assert plain(f"round.question.{key}", "nl") in swot.plain


def test_an_empty_report_says_so(session_factory, round_scene) -> None:
    from datetime import date

    from reports.round.build import build_round_report

    with session_factory() as session:
        report = build_round_report(
            session, round_scene.org_id, date(2025, 1, 1), date(2025, 1, 31), "en"
        )
    page = Page(render_round_html(report, catalog_for("en")))
    assert plain("round.empty", "en") in page.plain
    assert plain("digest.missing.none", "en") in page.plain
    assert plain("round.register.none", "en") in page.plain


def test_one_environment_and_only_the_hashed_script(session_factory, round_scene) -> None:
    source = page_of(session_factory, round_scene, "en")
    page = Page(source)
    assert ENV.autoescape
    [script] = page.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in source
    assert "http://" not in source.replace("http://www.w3.org/2000/svg", "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_telegram_summary(session_factory, round_scene, language) -> None:
    report = build_report(session_factory, round_scene, language)
    text = format_telegram(round_summary(report), catalog_for(language))
    assert len(text) < 4096
    assert "Bank office" in text or "Laundrette" in text
    assert "{" not in text
    assert re.sub(r"<[^>]+>", "", TRANSLATOR.raw(language, "round.summary.closing")) in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_focus_groups_show_a_line_each_and_the_missing_voices_as_a_question(
    session_factory, focus_scene, language
) -> None:
    source = page_of(session_factory, focus_scene, language)
    assert plain("round.section.focus_groups", language) in Page(source).headings
    groups = section(source, "focus_groups")
    text = groups.plain
    assert plain("round.focus_groups.total", language, count=3, people=23) in text
    # A line per focus group, each linking to its record in the list at the end.
    lines = groups.all("li")
    refs = [a["href"] for a in groups.all("a")]
    ids = focus_scene.ids
    assert refs == [f"#obs-{ids[key]}" for key in ("square", "church", "school")]
    assert {href[1:] for href in refs} <= section(source, "cited").ids()
    assert lines
    assert "Dansaert" in text and "at the soup bar in the church" in text
    assert plain("focusgroup.channel.partner", language) in text
    assert plain("digest.focus_groups.people", language, count=13) in text
    assert "What would make the square safer?" in text
    # Only agreed typed quotes, at most five a group, the rest counted.
    assert plain("digest.entry.quotes", language) in text
    assert "After eight I walk around it." in text
    assert "Do not write this down." not in text
    assert "Quote 5" in text and "Quote 6" not in text
    assert plain("round.focus_groups.more_quotes", language, count=2) in text
    # Whose voice was missing: one question for the meeting, each voice once.
    assert plain("round.focus_groups.meeting_question", language, count=2) in text
    asked = source[source.index('<ul class="questions">') :]
    voices = re.findall(r"<li>([^<]*)</li>", asked[: asked.index("</ul>")])
    assert voices == ["Young men", "Parents who &lt;i&gt;work&lt;/i&gt; nights"]
    # What people typed is escaped.
    assert "Parents who &lt;i&gt;work&lt;/i&gt; nights" in source
    assert "<i>work</i>" not in source and "<b>school</b>" not in source
    assert not re.search(r"\b(round|digest|focusgroup)\.[a-z_]+\.[a-z_]", text)


def test_a_round_without_focus_groups_says_so(session_factory, round_scene) -> None:
    groups = section(page_of(session_factory, round_scene, "fr"), "focus_groups")
    assert plain("round.focus_groups.none", "fr") in groups.plain
    assert groups.all("a") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_surveys_show_each_question_and_who_answered_per_channel_and_wijk(
    session_factory, survey_scene, language
) -> None:
    source = page_of(session_factory, survey_scene, language)
    assert plain("round.section.surveys", language) in Page(source).headings
    surveys = section(source, "surveys")
    text = surveys.plain
    assert plain("round.surveys.total", language, count=3, partial=1) in text
    # One block per survey of the period; the draft and the closed survey stay out.
    play, late = (
        plain("digest.survey.title", language, title=t) for t in ("Spelen <buiten>", "Markt")
    )
    assert play in text and late in text and text.index(play) < text.index(late)
    assert len(surveys.all("article", "survey")) == 2
    assert "Ontwerp" not in text and "Oud" not in text and "Ailleurs" not in text
    assert plain("round.surveys.responses", language, count=3, complete=2, partial=1) in text
    assert plain("round.surveys.responses", language, count=0, complete=0, partial=0) in text
    # Who answered: per channel and per wijk, and the note on whom a survey by link misses.
    assert plain("digest.survey.who", language) in text
    assert plain("digest.survey.channel.door", language) in text
    assert plain("digest.survey.channel.self", language) in text
    assert plain("digest.survey.reach", language) in text
    assert plain("digest.survey.no_place", language) in text
    # The questions with their results: choices, the average with its n, free answers.
    assert plain("digest.survey.average", language, average="3", count=2) in text
    assert "Een &lt;b&gt;speeltuin&lt;/b&gt;" in source and "<b>speeltuin</b>" not in source
    assert "Park" in text and "Bomen" in text
    assert not re.search(r"\b(round|digest|survey)\.[a-z_]+\.[a-z_]", text)


def test_quoted_survey_answers_link_to_their_responses(session_factory, survey_scene) -> None:
    source = page_of(session_factory, survey_scene, "nl")
    start = source.index('<section id="surveys"')
    surveys = source[start : source.index("</section>", start)]
    ids = survey_scene.ids
    # Each quoted free answer links to its response, newest first, listed at the end.
    quotes = re.findall(r"<blockquote>(.*?)</blockquote>", surveys, re.S)
    assert [re.findall(r'href="([^"]+)"', quote) for quote in quotes] == [
        [f"#obs-{ids['door2']}"],
        [f"#obs-{ids['door1']}"],
    ]
    cited = section(source, "cited")
    assert {f"obs-{ids['door1']}", f"obs-{ids['door2']}"} <= cited.ids()
    [entry] = re.findall(
        rf'<li id="obs-{ids["door1"]}" class="entry k-survey_response">(.*?)</li>', source, re.S
    )
    assert "Spelen &lt;buiten&gt;" in entry


def test_a_round_without_surveys_says_so(session_factory, round_scene) -> None:
    surveys = section(page_of(session_factory, round_scene, "nl"), "surveys")
    assert plain("round.surveys.none", "nl") in surveys.plain


def test_a_hypothesis_cleared_by_retention_says_so(session_factory, round_scene, now) -> None:
    with session_factory.begin() as session:
        # Retention cleared one (no words, no voice note); the other waits for its voice note.
        hyp.create_hypothesis(session, round_scene.org_id, None, now - timedelta(days=900))
        hyp.create_hypothesis(
            session, round_scene.org_id, None, now, voice=NewMedia("voice", "v", "uv")
        )
    hypotheses = section(page_of(session_factory, round_scene, "fr"), "hypotheses")
    statements = [text for text in hypotheses.visible if text.strip().startswith("(")]
    assert plain("round.hypotheses.cleared", "fr") in statements
    assert plain("round.hypotheses.voice", "fr") in statements
