"""Questions for the team meeting, picked from the method's reading questions (METHOD.md,
"After fieldwork") to fit the week."""

from __future__ import annotations

from collections import Counter

from reports.model import Msg, WeeklyDigest
from reports.sections.common import clip

MAX_QUESTIONS = 4


def build(digest: WeeklyDigest) -> tuple[Msg, ...]:
    """Return up to three questions prompted by the week, most telling first, then always
    "what does this picture tell us?".

    When a focus group noted whose voice was missing, the team is asked how to hear them. When
    most located notes fall outside the buurt, the team is asked whether the buurt should
    change (/area); when some of the buurt's wijken had no visit, that question is always
    among them. A week with little to go on also asks what is still missing.
    """
    found: list[Msg] = []
    first: list[Msg] = []
    last: list[Msg] = []
    if digest.is_empty:
        found.append(Msg("digest.q.quiet"))
    # A focus group hears few voices; the one the team noted as missing leads the questions.
    missed = [g.missing_voices for g in digest.focus_groups if g.missing_voices]
    if missed:
        found.append(Msg("digest.q.missing_voices", {"voices": clip(missed[-1], 120)}))
    coverage = digest.coverage
    if coverage is not None and coverage.mostly_outside and not digest.is_empty:
        first.append(Msg("digest.q.area", {"count": coverage.outside}))
    missing = digest.missing
    by_theme = Counter(g.theme for g in missing.groups for _ in range(g.count) if g.theme)
    theme, theme_count = by_theme.most_common(1)[0] if by_theme else (None, 0)
    if theme and theme_count >= 2 and theme_count * 3 >= missing.total:
        found.append(
            Msg("digest.q.missing_theme", {"theme": Msg(f"theme.{theme}"), "count": theme_count})
        )
    elif missing.groups and missing.groups[0].count >= 2 and missing.groups[0].text:
        top = missing.groups[0]
        found.append(Msg("digest.q.missing_thing", {"text": top.text, "count": top.count}))
    diary = digest.diary
    leaving = diary.share(diary.met_outside + diary.met_partly)
    if diary.answered >= 3 and leaving >= 40 and diary.top_needs and diary.top_needs[0].label:
        found.append(
            Msg("digest.q.diary_outside", {"share": leaving, "need": diary.top_needs[0].label})
        )
    people = digest.key_persons
    if people.new:
        found.append(Msg("digest.q.networks", {"count": len(people.new)}))
    elif not digest.is_empty:
        found.append(Msg("digest.q.no_key_persons"))
    if people.due:
        found.append(Msg("digest.q.follow_ups", {"count": len(people.due)}))
    encounters = digest.figure("encounters").value
    notes = digest.figure("notes").value
    if notes >= 3 and encounters == 0:
        found.append(Msg("digest.q.own_view"))
    elif notes and encounters:
        found.append(Msg("digest.q.compare_views"))
    if coverage is not None and coverage.unvisited and not digest.is_empty:
        names = [w.name for w in coverage.unvisited[:3]]
        last.append(
            Msg(
                "digest.q.unvisited", {"count": len(coverage.unvisited), "wijken": ", ".join(names)}
            )
        )
    room = MAX_QUESTIONS - 1 - len(first) - len(last)
    chosen = [*first, *found[: max(room, 0)], *last]
    if len(chosen) < 2:
        chosen.append(Msg("digest.q.still_missing"))
    return (*chosen, Msg("digest.q.picture"))
