"""Benchmark a survey answered by many people at once through its link.

Usage: python benchmarks/survey.py [--respondents 1000] [--write-readme]

SQLite in a temporary folder. An open survey of 10 questions (scale, one choice, number and
free text, in turn) is made with the storage functions. The real bot (BotThread, Telegram's
pacing) runs against the local Bot API sandbox with Telegram's rate limits on
(SandboxServer(strict=False, rate_limits=True)). N strangers open the link (/start s_<code>) at
the same moment; each taps "yes" at the consent and then answers each question as soon as it
arrives (typed: a scale point, a choice's label, a number, a sentence). Every respondent gets
12 messages from the bot (consent, 10 questions, thanks), each only after their previous answer.

Baseline, in the same run: the floor Telegram's limits allow for those messages, for a sender
that needs no time at all: 12 x N messages at 30 a second overall, and each chat's 12 one after
the other at 1 a second. Goal: finishing time <= 1.10x the floor. Lost answers (a response not
complete, a question missing), doubled responses (more than one per person) and duplicate
messages must be 0 (the script exits 1 otherwise); 429 answers should be 0.
"""

from __future__ import annotations

import argparse
import logging
import math
import shlex
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from sqlalchemy import func, select  # noqa: E402
from update_readme import load_average, run_footer, write_section  # noqa: E402

from bot.runtime.runner import BotThread  # noqa: E402
from bot.runtime.settings import load_settings  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from storage import organisations as orgs  # noqa: E402
from storage import surveys as surveys_db  # noqa: E402
from storage.db import make_engine, make_session_factory, upgrade  # noqa: E402
from storage.models import Observation, SurveyResponse  # noqa: E402

PER_SECOND = 30
PER_CHAT_INTERVAL = 1.0
GOAL = 1.10
QUESTIONS = 10
MESSAGES_PER_RESPONDENT = QUESTIONS + 2  # consent, the questions, thanks
FIRST_USER_ID = 300_001
LANGUAGES = ("nl", "fr", "en")
CHOICES = ["Park", "Straat", "Binnen"]
# The answer typed to each kind of question.
ANSWERS = {"scale": "4", "one": "Straat", "number": "3", "text": "Een bakker om de hoek"}
KINDS = ("scale", "one", "number", "text")


def questions() -> list[dict]:
    """Return the survey's ten questions, the kinds in turn."""
    made = []
    for index in range(QUESTIONS):
        kind = KINDS[index % len(KINDS)]
        made.append(
            {
                "kind": kind,
                "theme": None,
                "base": "nl",
                "text": {"nl": f"Vraag {index + 1} over de buurt?"},
                "options": {"nl": CHOICES} if kind == "one" else {},
            }
        )
    return made


def populate(url: str) -> tuple[int, str]:
    """Create the organisation and the open survey; return its id and code."""
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    with factory.begin() as session:
        organisation = orgs.create_organisation(session, "Benchmark", now, "nl", [1, 2])
        survey = surveys_db.create_survey(session, organisation.id, "Bench", questions(), now)
        surveys_db.open_survey(session, survey, now)
        found = survey.id, survey.code
    engine.dispose()
    return found


def floor_seconds(respondents: int) -> float:
    """Return the least time the limits allow for every respondent's messages."""
    total = respondents * MESSAGES_PER_RESPONDENT
    overall = max(0, math.ceil(total / PER_SECOND) - 1)
    per_chat = (MESSAGES_PER_RESPONDENT - 1) * PER_CHAT_INTERVAL
    return float(max(overall, per_chat))


def drive(server: SandboxServer, code: str, respondents: int, timeout: float) -> dict[str, float]:
    """Let every respondent open the link at once and answer as each question arrives."""
    users = [
        server.user(user_id=FIRST_USER_ID + i, language_code=LANGUAGES[i % len(LANGUAGES)])
        for i in range(respondents)
    ]
    # stage: messages received so far; 0 = waiting for the consent.
    stage = dict.fromkeys(range(respondents), 0)
    kinds = [q["kind"] for q in questions()]
    started = time.monotonic()
    for user in users:
        user.send_command("/start", f"s_{code}")
    sent_at = time.monotonic() - started
    waiting = set(range(respondents))
    deadline = started + timeout
    while waiting and time.monotonic() < deadline:
        moved = False
        for index in list(waiting):
            user = users[index]
            for message in user.new_messages():
                moved = True
                stage[index] += 1
                received = stage[index]
                if received == 1:
                    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
                    data = next(
                        b["callback_data"]
                        for row in rows
                        for b in row
                        if b["callback_data"].endswith("rc:yes")
                    )
                    user.click(data, message=message)
                elif received <= QUESTIONS + 1:
                    user.send_text(ANSWERS[kinds[received - 2]])
                else:
                    waiting.discard(index)
        if not moved:
            time.sleep(0.02)
    return {
        "elapsed_s": time.monotonic() - started,
        "start_burst_s": sent_at,
        "unfinished": float(len(waiting)),
    }


def check_database(url: str, survey_id: int, respondents: int) -> dict[str, float]:
    """Count responses, complete ones, answers kept, and any Telegram id beside them."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        links = (
            session.scalar(
                select(func.count())
                .select_from(SurveyResponse)
                .where(SurveyResponse.survey_id == survey_id)
            )
            or 0
        )
        rows = session.scalars(
            select(Observation.details)
            .join(SurveyResponse, SurveyResponse.observation_id == Observation.id)
            .where(SurveyResponse.survey_id == survey_id)
        ).all()
        complete = sum(1 for d in rows if d.get(surveys_db.STATUS_KEY) == surveys_db.COMPLETE)
        answers = sum(
            1
            for d in rows
            for index in range(QUESTIONS)
            if d.get(surveys_db.answer_key(survey_id, index)) is not None
        )
        with_ids = (
            session.scalar(
                select(func.count())
                .select_from(Observation)
                .where(Observation.kind == "survey_response", Observation.chat_id.is_not(None))
            )
            or 0
        )
    engine.dispose()
    return {
        "responses": float(links),
        "complete": float(complete),
        "answers": float(answers),
        "expected_answers": float(respondents * QUESTIONS),
        "doubled": float(max(0, links - respondents)),
        "with_ids": float(with_ids),
    }


def run(respondents: int, workdir: Path) -> dict[str, float]:
    """Run the whole benchmark once; return its figures."""
    url = f"sqlite:///{workdir / 'buurtbot.db'}"
    survey_id, code = populate(url)
    server = SandboxServer(strict=False, rate_limits=True).start()
    figures: dict[str, float] = {}
    try:
        settings = load_settings(environ={}, dotenv_path=None).with_overrides(
            telegram_token=server.token,
            telegram_api_url=server.url,
            database_url=url,
            media_dir=str(workdir / "media"),
            poll_timeout=2,
            log_level="WARNING",
        )
        runner = BotThread(settings).start()
        try:
            timeout = 3 * floor_seconds(respondents) + 180
            figures.update(drive(server, code, respondents, timeout))
        finally:
            runner.stop()
        accepted = [
            call
            for call in server.calls("sendMessage")
            if call["status"] == 200 and int(call["params"]["chat_id"]) >= FIRST_USER_ID
        ]
        per_chat = Counter(int(call["params"]["chat_id"]) for call in accepted)
        figures["messages"] = float(len(accepted))
        figures["duplicates"] = float(
            sum(
                n - MESSAGES_PER_RESPONDENT
                for n in per_chat.values()
                if n > MESSAGES_PER_RESPONDENT
            )
        )
        figures["too_many"] = float(server.too_many_requests)
        figures["bot_error"] = 1.0 if runner.error else 0.0
    finally:
        server.stop()
    figures.update(check_database(url, survey_id, respondents))
    figures["floor_s"] = floor_seconds(respondents)
    return figures


def report(respondents: int, f: dict[str, float]) -> str:
    """Return the figures as a Markdown table."""
    ratio = f["elapsed_s"] / f["floor_s"] if f["floor_s"] else float("nan")
    verdict = "met" if ratio <= GOAL else "MISSED"
    expected_messages = respondents * MESSAGES_PER_RESPONDENT
    rows = [
        ("Respondents at once", f"{respondents}", f"{QUESTIONS} questions each, SQLite"),
        (
            "Finishing time",
            f"{f['elapsed_s']:.1f} s",
            "first /start -> last 'thank you' received by the simulated respondents",
        ),
        (
            "Baseline: floor given the limits",
            f"{f['floor_s']:.1f} s",
            f"max(ceil({expected_messages} / {PER_SECOND}) - 1, "
            f"{MESSAGES_PER_RESPONDENT - 1} per chat x {PER_CHAT_INTERVAL:g} s)",
        ),
        ("Finishing time / floor", f"{ratio:.3f}x", f"goal <= {GOAL}x: {verdict}"),
        (
            "Bot messages accepted",
            f"{int(f['messages'])}",
            f"expected {expected_messages}; duplicates {int(f['duplicates'])} (must be 0)",
        ),
        (
            "Responses",
            f"{int(f['responses'])}",
            f"{int(f['complete'])} complete; doubled {int(f['doubled'])} (must be 0); "
            f"unfinished respondents {int(f['unfinished'])}",
        ),
        (
            "Answers kept",
            f"{int(f['answers'])}",
            f"of {int(f['expected_answers'])} (lost must be 0)",
        ),
        ("Responses with a Telegram chat id", f"{int(f['with_ids'])}", "must be 0"),
        ("429 answers", f"{int(f['too_many'])}", "should be 0"),
    ]
    lines = ["| Figure | Value | Detail |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


SECTION_TEXT = """## A survey answered by many at once (`survey.py`)

`python benchmarks/survey.py [--respondents 1000] [--write-readme]`: an open survey of 10
questions (SQLite in a temporary folder); the real bot (`BotThread`, Telegram's pacing) against
the sandbox with Telegram's limits on. N strangers open the link (`/start s_<code>`) at the same
moment, agree, and answer each question as soon as it arrives (typed), so each gets 12 messages
(consent, 10 questions, thanks), one after the other. The baseline, in the same run, is the floor
the limits allow: 12 x N messages at 30 a second, each chat's 12 at 1 a second; goal: finishing
time <= 1.1x the floor. Lost answers, doubled responses and duplicate messages must be 0 (the
script exits 1 otherwise); 429 answers should be 0; no response may carry a chat id.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for name in ("httpx", "telegram", "apscheduler", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    load = load_average()
    with tempfile.TemporaryDirectory(prefix="survey-bench-") as folder:
        figures = run(args.respondents, Path(folder))
    table = report(args.respondents, figures)
    print(table)
    failed = (
        figures["answers"] < figures["expected_answers"]
        or figures["doubled"] > 0
        or figures["duplicates"] > 0
        or figures["with_ids"] > 0
        or figures["unfinished"] > 0
    )
    if args.write_readme:
        command = "python benchmarks/survey.py " + shlex.join(argv or sys.argv[1:])
        body = f"{SECTION_TEXT}\nLatest results:\n\n{table}\n\n{run_footer(command.strip(), load)}"
        write_section("survey", body)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
