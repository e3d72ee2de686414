"""The survey section of the weekly picture: the pure builder, the storage rows, the HTML."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.reporting import catalog_for
from reports.digest import build_digest
from reports.render import render_digest_html
from reports.sections import surveys as section
from storage import organisations as orgs
from storage import surveys as surveys_db
from storage.observations import Place
from storage.surveys import Question, ResponseRow, SurveyRow

WEEK_START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
QUESTIONS = (
    Question(
        kind="one",
        theme="youth",
        base="nl",
        text={"nl": "Waar spelen de kinderen?", "en": "Where do the children play?"},
        options={"nl": ["Park", "Straat", "Binnen"], "en": ["Park", "Street", "Indoors"]},
    ),
    Question(
        kind="many", base="nl", text={"nl": "Wat helpt?"}, options={"nl": ["Banken", "Bomen"]}
    ),
    Question(kind="scale", base="nl", text={"nl": "Hoe veilig?"}),
    Question(kind="number", base="nl", text={"nl": "Hoeveel kinderen?"}),
    Question(kind="text", base="nl", text={"nl": "Wat mist u?"}),
)
SURVEY = SurveyRow(1, "Spelen", "open", QUESTIONS)


def row(channel: str, answers: dict[int, object], wijk: int | None = None, days: int = 1):
    return ResponseRow(
        created_at=WEEK_START + timedelta(days=days),
        channel=channel,
        complete=len(answers) == len(QUESTIONS),
        wijk_code=wijk,
        answers=answers,
    )


RESPONSES = [
    row("door", {0: "Park", 1: ["Banken", "Bomen"], 2: 4, 3: 2, 4: "Een wasserette"}, wijk=1),
    row("door", {0: "Straat", 1: ["Bomen"], 2: 2, 3: None, 4: "(voice)"}, wijk=1),
    row("self", {0: "Park", 1: [], 2: 3, 3: 1, 4: "Een bank om op te zitten"}, days=-3),
    row("self", {0: None, 1: ["Banken"]}),  # stopped after two questions
]


def test_counts_averages_with_n_free_answers_and_who_answered() -> None:
    result = section.build_one(SURVEY, RESPONSES, WEEK_START, "en")
    assert (result.responses, result.complete, result.partial, result.this_week) == (4, 3, 1, 3)
    assert [(t.label, t.count) for t in result.channels] == [("door", 2), ("self", 2)]
    # Wijk level only: two respondents in wijk 1, two gave no place.
    assert [t.count for t in result.wijken] == [2, 2]
    assert result.wijken[-1].label is None and result.wijken[0].label
    one, many, scale, number, free = result.questions
    # Shown in the picture's language when the question has it; skips are not answers.
    assert one.text == "Where do the children play?"
    assert [(t.label, t.count) for t in one.counts] == [("Park", 2), ("Street", 1), ("Indoors", 0)]
    assert one.answered == 3
    assert many.text == "Wat helpt?"  # no English: its own language
    assert [(t.label, t.count) for t in many.counts] == [("Banken", 2), ("Bomen", 2)]
    assert many.answered == 3  # an empty ticking counts as no answer
    assert scale.average == 3.0 and scale.answered == 3
    assert [(t.label, t.count) for t in scale.counts] == [
        ("1", 0),
        ("2", 1),
        ("3", 1),
        ("4", 1),
        ("5", 0),
    ]
    assert number.average == 1.5 and number.answered == 2
    assert free.samples == ("Een bank om op te zitten", "Een wasserette")
    assert free.spoken == 1 and free.answered == 3


def test_a_survey_without_answers_yet_shows_zeros() -> None:
    result = section.build_one(SURVEY, [], WEEK_START, "nl")
    assert result.responses == 0 and result.wijken == ()
    assert all(q.answered == 0 and q.average is None for q in result.questions)
    assert [t.count for t in result.channels] == [0, 0]


def test_the_picture_shows_a_running_survey_and_leaves_out_drafts_and_trials(
    session_factory, tmp_path
) -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk", now - timedelta(days=30), "nl", [1])
        stored = [
            {
                "kind": q.kind,
                "theme": q.theme,
                "base": q.base,
                "text": q.text,
                "options": q.options,
            }
            for q in QUESTIONS
        ]
        survey = surveys_db.create_survey(session, org.id, "Spelen <buiten>", stored, now)
        surveys_db.create_survey(session, org.id, "Nog een ontwerp", stored, now)
        surveys_db.open_survey(session, survey, now)
        grand_place = Place(50.8467, 4.3525, wijk_code=1, in_brussels=True)
        for number, channel in enumerate(("door", "self", "trial")):
            response = surveys_db.start_response(
                session, survey, f"key{number}", channel, now, language="nl"
            )
            surveys_db.put_answer(session, response, survey, 0, "Park", now)
            surveys_db.put_answer(session, response, survey, 1, ["Bomen"], now)
            surveys_db.put_answer(session, response, survey, 2, 5, now)
            surveys_db.put_answer(session, response, survey, 3, 3, now)
            surveys_db.put_answer(
                session, response, survey, 4, "<b>Een speeltuin</b>", now, place=grand_place
            )
        org_id = org.id
    with session_factory() as session:
        digest = build_digest(session, org_id, 2026, 48, "nl")
    [result] = digest.surveys
    assert result.title == "Spelen <buiten>"
    assert result.responses == 2  # the trial is left out
    assert digest.figure("survey_responses").value == 2  # nor counted at a glance
    html = render_digest_html(digest, catalog_for("nl"))
    assert "Spelen &lt;buiten&gt;" in html
    assert "&lt;b&gt;Een speeltuin&lt;/b&gt;" in html
    # The picture lists no response on its own: its free answers link nowhere.
    assert [q.quoted for q in result.questions][4] != ()
    assert not re.search(r"<blockquote>[^<]*&lt;b&gt;Een speeltuin&lt;/b&gt;[^<]*<span", html)
    assert "Nog een ontwerp" not in html
    assert "Gemiddeld 5 (n = 2)" in html
    Path("/tmp/survey-picture.html").write_text(html, encoding="utf-8")
    assert "Aan de deur gevraagd" in html and "Grote Markt (2)" in html  # by wijk, no closer
    # The findings name the survey, and do not claim only diaries ran.
    keys = [finding.key for finding in digest.findings]
    assert "digest.find.survey" in keys and "digest.find.no_fieldwork" not in keys
    (tmp_path / "picture.html").write_text(html, encoding="utf-8")
