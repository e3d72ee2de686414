""" "This week in short": three to five sentences picked from what the week shows.

Candidates, most telling first: most located notes outside the buurt, the most-mentioned
missing thing, what a person met said (only when they agreed to be quoted), new key persons,
diary needs met outside the buurt, wijken nobody visited, a sharp change from last week; then
the walks and the number of notes as fillers, so there are always at least three when there is
anything to say. An empty week gets a kind word instead.
"""

from __future__ import annotations

from collections import Counter

from reports.model import Msg, Quantity, WeeklyDigest
from reports.sections.common import clip

# The kinds of person the encounter flow offers (catalog `encounter.who.<code>`).
WHO = ("resident", "user", "shopkeeper", "professional", "passerby", "other")
MIN_FINDINGS = 3
MAX_FINDINGS = 5
CHANGING = ("encounters", "notes", "missing", "key_persons", "diary_entries", "walks")


def _sharp_change(digest: WeeklyDigest) -> Msg | None:
    """Return the sharpest change from last week (at least doubled or halved, by 3 or more)."""
    if not digest.previous_observations:
        return None  # nothing to compare with (a first week, or one after a pause)
    best: tuple[float, Msg] | None = None
    for key in CHANGING:
        figure = digest.figure(key)
        value, previous = int(figure.value), int(figure.previous)
        if abs(value - previous) < 3:
            continue
        if value >= 2 * previous or 2 * value <= previous:
            ratio = (max(value, previous) + 1) / (min(value, previous) + 1)
            key_name = "digest.find.more" if value > previous else "digest.find.fewer"
            message = Msg(
                key_name,
                {"what": Msg(f"digest.figure.{key}"), "count": value, "previous": previous},
            )
            if best is None or ratio > best[0]:
                best = (ratio, message)
    return best[1] if best else None


def _empty(digest: WeeklyDigest) -> tuple[Msg, ...]:
    found = [Msg("digest.find.empty")]
    if digest.previous_observations:
        found.append(Msg("digest.find.empty_last_week", {"count": digest.previous_observations}))
    if digest.key_persons.due:
        found.append(Msg("digest.find.follow_ups", {"count": len(digest.key_persons.due)}))
    return tuple(found)


def build(digest: WeeklyDigest) -> tuple[Msg, ...]:
    """Pick the week's findings (catalog messages with their parameters)."""
    if digest.is_empty:
        return _empty(digest)
    found: list[Msg] = []
    # A week with only diaries says so once, not again per wijk and per figure.
    no_fieldwork = not digest.entries and not digest.figure("walks").value
    if no_fieldwork and digest.figure("diary_entries").value:
        found.append(Msg("digest.find.no_fieldwork"))
    coverage = digest.coverage
    if coverage is not None and coverage.mostly_outside:
        found.append(
            Msg("digest.find.outside", {"count": coverage.outside, "located": coverage.located})
        )
    missing = digest.missing
    top = missing.groups[0] if missing.groups else None
    if top is not None and top.count >= 2 and top.text:
        found.append(Msg("digest.find.missing_thing", {"text": top.text, "count": top.count}))
    elif missing.total >= 2:
        themes = Counter(g.theme for g in missing.groups for _ in range(g.count) if g.theme)
        if themes:
            theme, count = themes.most_common(1)[0]
            if count >= 2:
                found.append(
                    Msg(
                        "digest.find.missing_theme",
                        {"theme": Msg(f"theme.{theme}"), "count": count},
                    )
                )
    quote = next((v for v in digest.voices if v.kind == "encounter"), None)
    encounters = int(digest.figure("encounters").value)
    if quote is not None:
        who = quote.who_text or (Msg(f"encounter.who.{quote.who}") if quote.who in WHO else None)
        found.append(
            Msg(
                "digest.find.quote",
                {
                    "who": who or Msg("digest.voices.someone"),
                    "text": clip(quote.text, 160),
                    "number": quote.number,
                },
            )
        )
    elif encounters:
        found.append(Msg("digest.find.encounters", {"count": encounters}))
    people = digest.key_persons.new
    if len(people) == 1:
        person = people[0]
        found.append(
            Msg(
                "digest.find.key_person",
                {
                    "alias": person.alias or Msg("digest.people.no_alias"),
                    "network": person.network or Msg("digest.people.no_alias"),
                },
            )
        )
    elif people and digest.key_persons.networks:
        networks = "; ".join(digest.key_persons.networks[:3])
        found.append(Msg("digest.find.key_persons", {"count": len(people), "networks": networks}))
    elif people:
        found.append(Msg("digest.find.key_persons_plain", {"count": len(people)}))
    diary = digest.diary
    leaving = diary.share(diary.met_outside + diary.met_partly)
    if diary.answered >= 3 and leaving >= 30 and diary.top_needs and diary.top_needs[0].label:
        found.append(
            Msg(
                "digest.find.diary",
                {"share": Quantity(leaving, "percent"), "need": diary.top_needs[0].label},
            )
        )
    if coverage is not None and coverage.unvisited and not no_fieldwork:
        names = [w.name for w in coverage.unvisited]
        shown = ", ".join(names[:4]) + (" …" if len(names) > 4 else "")
        found.append(Msg("digest.find.unvisited", {"count": len(names), "wijken": shown}))
    answered = next((survey for survey in digest.surveys if survey.this_week), None)
    if answered is not None:
        door = next((t.count for t in answered.channels if t.label == "door"), 0)
        found.append(
            Msg(
                "digest.find.survey",
                {
                    "count": answered.this_week,
                    "title": answered.title,
                    "total": answered.responses,
                    "door": door,
                },
            )
        )
    change = None if no_fieldwork else _sharp_change(digest)
    if change is not None:
        found.append(change)
    found = found[:MAX_FINDINGS]
    walks = digest.figure("walks")
    if len(found) < MIN_FINDINGS and walks.value:
        found.append(
            Msg(
                "digest.find.walks",
                {
                    "count": int(walks.value),
                    "km": Quantity(digest.figure("km").value * 1000, "km"),
                    "time": Quantity(digest.figure("hours").value, "duration"),
                },
            )
        )
    listed = len(digest.entries)
    if len(found) < MIN_FINDINGS and listed:
        found.append(Msg("digest.find.noted", {"count": listed}))
    entries = int(digest.figure("diary_entries").value)
    if len(found) < MIN_FINDINGS and entries:
        found.append(Msg("digest.find.diary_entries", {"count": entries}))
    return tuple(found[:MAX_FINDINGS])
