"""`buurtbot survey list` and `buurtbot survey qr`: an organisation's surveys and their posters."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.runtime.settings import Settings
from flows.survey import survey_link
from storage import deployment, organisations
from storage import surveys as surveys_db


class SurveyCliError(Exception):
    """A survey command cannot do what was asked; the message says why, in one line."""


def add_parsers(commands: Any, positive: Any) -> None:
    """Add `survey list` and `survey qr` to the command line."""
    survey = commands.add_parser("survey", help="list surveys, write a survey's QR code")
    survey_commands = survey.add_subparsers(dest="survey_command", required=True)
    listing = survey_commands.add_parser("list", help="list an organisation's surveys")
    listing.add_argument("--org", type=positive, required=True, help="organisation id")
    qr = survey_commands.add_parser("qr", help="write the QR code of a survey's link (PNG)")
    qr.add_argument("--org", type=positive, required=True, help="organisation id")
    qr.add_argument("--survey", type=positive, required=True, help="survey id (survey list)")
    qr.add_argument("--out", metavar="FILE.png", type=Path, required=True, help="PNG to write")


def _organisation(session: Any, organisation_id: int) -> None:
    if organisations.get_organisation(session, organisation_id) is None:
        raise SurveyCliError(
            f"there is no organisation with id {organisation_id} (see: buurtbot org list)"
        )


def survey_list(factory: Any, settings: Settings, args: argparse.Namespace) -> str:
    """Return one line per survey: id, status, questions, answers, title."""
    with factory() as session:
        _organisation(session, args.org)
        surveys = surveys_db.list_surveys(session, args.org)
        if not surveys:
            return f"organisation {args.org} has no surveys yet: a coordinator sends /survey"
        lines = []
        for survey in surveys:
            status = surveys_db.response_counts(session, survey.id)
            lines.append(
                f"{survey.id}\t{survey.status}\t{len(survey.questions or ())} questions\t"
                f"{status[surveys_db.COMPLETE]} complete, {status[surveys_db.PARTIAL]} partial\t"
                f"{survey.title}"
            )
        return "\n".join(lines)


def survey_qr(factory: Any, settings: Settings, args: argparse.Namespace) -> str:
    """Write the QR code of a survey's t.me link and return what was written."""
    with factory() as session:
        _organisation(session, args.org)
        survey = surveys_db.get_survey(session, args.survey)
        if survey is None or survey.organisation_id != args.org:
            raise SurveyCliError(
                f"organisation {args.org} has no survey with id {args.survey} "
                f"(see: buurtbot survey list --org {args.org})"
            )
        username = settings.bot_username or deployment.get_value(session, "bot_username")
        code, status, title = survey.code, survey.status, survey.title
    link = survey_link(username, code)
    if link is None:
        raise SurveyCliError(
            "the bot's username is unknown until it has run once or BUURTBOT_BOT_USERNAME is set"
        )
    if args.out.is_dir() or not (args.out.parent if str(args.out.parent) else Path(".")).is_dir():
        raise SurveyCliError(f"cannot write {args.out}: give a file in an existing folder")
    from bot.runtime.qr import write_qr

    try:
        write_qr(link, args.out)
    except OSError as error:
        raise SurveyCliError(f"cannot write {args.out}: {error.strerror}") from None
    lines = [f"survey {args.survey}: {title} ({status})", f"link: {link}", f"qr: {args.out}"]
    if status != surveys_db.OPEN:
        lines.append("note: the survey is not open; people who scan it are told so until it opens")
    return "\n".join(lines)
