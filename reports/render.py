"""Turn a WeeklyDigest into one self-contained HTML file and a short Telegram summary.

Translation. The caller passes a *catalog*: a callable that returns the message text of a key in
the reader's language, placeholders unfilled (the bot binds `Translator.raw` to a language:
`functools.partial(translator.raw, "nl")`). Filling the placeholders happens here, in one place,
and every parameter value is escaped: for the HTML through `Markup.format` (jinja2's
autoescaping does the rest), for Telegram with `html.escape`. Catalog text itself is trusted:
it may hold <b> and <i>. So nothing a user typed can ever become markup, whatever the catalog
callable does.

There is ONE jinja2 Environment (`ENV`, autoescape on, templates from reports/templates/).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

import geo
from reports import svg
from reports.digest import Figure, Msg, Tally, WeeklyDigest
from storage.kinds import MAP_KINDS

Catalog = Callable[[str], str]
"""key -> message text in the reader's language, with its {placeholders} still in it."""

LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_GB"}
MAX_SUMMARY = 4096
SUMMARY_TEXT_LIMIT = 90
SHARE_COLOURS = ("#1a7f37", "#d4a72c", "#cf222e")

ENV = Environment(
    loader=PackageLoader("reports", "templates"),
    autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


# -- numbers, dates and messages in one language ---------------------------------------------


def _no_catalog(key: str) -> str:
    raise KeyError(key)


class Words:
    """Everything the template needs to say things in one language."""

    def __init__(
        self, language: str, timezone: str = "Europe/Brussels", catalog: Catalog | None = None
    ) -> None:
        self.catalog: Catalog = catalog or _no_catalog
        self.language = language
        self.locale = LOCALES[language]
        self.timezone = timezone

    # Messages.

    def plain(self, key: str) -> str:
        """Return a catalog text as plain text (tags dropped, entities decoded); "" if unknown.

        Catalog texts are Telegram HTML ("Shops &amp; services"); SVG text, attributes and
        labels built into other strings need the plain text, which gets escaped again there.
        """
        try:
            return Markup(self.catalog(key)).striptags()
        except KeyError:
            return ""

    def t(self, key: str, /, **params: Any) -> Markup:
        """Translate a key to HTML: catalog text trusted, every parameter escaped."""
        template = Markup(self.catalog(key))
        if not params:
            return template
        return template.format(**{name: self.html_value(v) for name, v in params.items()})

    def msg(self, message: Msg) -> Markup:
        """Translate a Msg (parameters may nest) to HTML."""
        return self.t(message.key, **message.params)

    def html_value(self, value: Any) -> Any:
        """Return a parameter ready for Markup.format (which escapes whatever is not Markup)."""
        if isinstance(value, Msg):
            return self.msg(value)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float):
            return self.num(value)
        if isinstance(value, date):
            return self.day(value)
        if isinstance(value, list | tuple):
            return Markup(", ").join(self.html_value(v) for v in value)
        return "" if value is None else str(value)

    def label(self, key: str, fallback: str | None) -> str:
        """Return a catalog label as plain text, or the code itself when the catalog has none."""
        return self.plain(key) or (fallback or "")

    # Values.

    def num(self, value: float, decimals: int = 1) -> str:
        """Return a number the way the language writes it (at most `decimals` decimals)."""
        pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def signed(self, figure: Figure) -> str:
        """Return a figure's change with its sign: "+3", "−1,5" or "±0"."""
        change = figure.change
        if change > 0:
            return "+" + self.num(change)
        if change < 0:
            return "−" + self.num(-change)
        return "±0"

    def trend(self, figure: Figure) -> str:
        """Return "up", "down" or "same" for styling a change."""
        return "up" if figure.change > 0 else "down" if figure.change < 0 else "same"

    def pct(self, value: float) -> str:
        """Return a whole percentage."""
        number = self.num(round(value), 0)
        return f"{number}\u00a0%" if self.language == "fr" else f"{number}%"

    def km(self, metres: float | None) -> str:
        """Return a distance in km with one decimal."""
        return "" if metres is None else self.num(round(metres / 1000, 1)) + "\u00a0km"

    def indicator(self, value: float | None, unit: str) -> str:
        """Return an indicator value with its unit; an en dash when there is none."""
        if value is None:
            return "–"
        if unit == "EUR":
            number = self.num(round(value), 0)
            if self.language == "fr":
                return f"{number}\u00a0€"
            return f"€\u00a0{number}" if self.language == "nl" else f"€{number}"
        if unit == "%":
            number = self.num(value)
            return f"{number}\u00a0%" if self.language == "fr" else f"{number}%"
        return self.num(value)

    def day(self, value: date) -> str:
        """Return a short date: "23 nov."."""
        return format_date(value, "d MMM", locale=self.locale)

    def long_day(self, value: date) -> str:
        """Return a date with the year: "29 november 2026"."""
        return format_date(value, "d MMMM y", locale=self.locale)

    def weekday(self, value: date) -> str:
        """Return a date with its weekday: "ma 30 nov."."""
        return format_date(value, "EEE d MMM", locale=self.locale)

    def moment(self, value: datetime) -> str:
        """Return a local date and time."""
        local = value.astimezone(ZoneInfo(self.timezone))
        return f"{self.weekday(local.date())} {format_time(local, 'HH:mm', locale=self.locale)}"

    def tally(self, items: Sequence[Tally], prefix: str | None = None, unknown: str = "") -> Markup:
        """Return "a (3), b (1)" for counted labels (codes looked up under `prefix`)."""
        parts = []
        for item in items:
            if prefix and item.label:
                text = self.label(f"{prefix}.{item.label}", item.label)
            else:
                text = item.label or unknown
            parts.append(Markup("{} ({})").format(text, item.count) if item.count > 1 else text)
        return Markup(", ").join(parts)


# -- HTML ------------------------------------------------------------------------------------


def _theme_label(words: Words, theme: str | None) -> str:
    return words.label(f"theme.{theme}", theme) if theme else words.plain("digest.theme.none")


def render_digest_html(digest: WeeklyDigest, catalog: Catalog) -> str:
    """Return the weekly picture as one self-contained HTML file (inline CSS, SVG, images)."""
    words = Words(digest.language, digest.timezone, catalog)
    template = ENV.get_template("digest.html")
    charts: dict[str, Markup | None] = {"map": None, "themes": None, "diary": None}
    if digest.map is not None:
        charts["map"] = svg.map_svg(digest.map, words.plain("digest.map.title"))
    if digest.themes:
        bars = [
            svg.Bar(_theme_label(words, row.theme), row.count, row.previous)
            for row in digest.themes
        ]
        charts["themes"] = svg.bar_chart(bars, words.plain("digest.themes.title"))
    diary = digest.diary
    if diary.answered:
        parts = (
            (words.plain("digest.diary.inside"), diary.met_inside, SHARE_COLOURS[0]),
            (words.plain("digest.diary.partly"), diary.met_partly, SHARE_COLOURS[1]),
            (words.plain("digest.diary.outside"), diary.met_outside, SHARE_COLOURS[2]),
        )
        charts["diary"] = svg.share_bar(parts, words.plain("digest.diary.title"))
    legend = [
        (svg.legend_symbol(kind), words.plain(f"digest.map.kind.{kind}"))
        for kind in MAP_KINDS
        if digest.map is not None and any(p.kind == kind for p in digest.map.points)
    ]
    return template.render(
        d=digest,
        w=words,
        t=words.t,
        charts=charts,
        legend=legend,
        share_colours=SHARE_COLOURS,
        theme_label=lambda theme: _theme_label(words, theme),
        attribution=(geo.WIJK_ATTRIBUTION, geo.MUNICIPALITY_ATTRIBUTION),
    )


# -- Telegram summary ------------------------------------------------------------------------


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    if len(text) <= SUMMARY_TEXT_LIMIT:
        return text
    return text[: SUMMARY_TEXT_LIMIT - 1].rstrip() + "…"


def _change(words: Words, figure: Figure) -> Msg:
    if figure.change > 0:
        return Msg("digest.change.up", {"n": words.num(figure.change)})
    if figure.change < 0:
        return Msg("digest.change.down", {"n": words.num(-figure.change)})
    return Msg("digest.change.same")


def summary_message(digest: WeeklyDigest) -> Msg:
    """Return the Telegram summary as a tree of catalog keys whose parameters are text.

    Numbers and dates are already written out in the digest's language, so the bot can turn
    the tree into nested `Text` values and let its one Translator render it (escaping every
    string parameter, inserting nested catalog texts as they are), while
    `digest_summary_text` renders the very same tree here. User text is shortened, and the
    number of lines is fixed, so the result stays far below 4096.
    """
    words = Words(digest.language, digest.timezone)
    period = {
        "organisation": _short(digest.organisation_name),
        "week": str(digest.iso_week),
        "start": words.day(digest.first_day),
        "end": words.long_day(digest.last_day),
    }
    if digest.as_of is not None:
        title = Msg("digest.summary.title_so_far", {**period, "until": words.moment(digest.as_of)})
    else:
        title = Msg("digest.summary.title", period)
    lines: list[Msg] = []
    if digest.is_empty:
        lines.append(Msg("digest.summary.empty"))
    else:
        walks = digest.figure("walks")
        lines.append(
            Msg(
                "digest.summary.walks",
                {
                    "walks": words.num(walks.value, 0),
                    "km": words.num(digest.figure("km").value),
                    "hours": words.num(digest.figure("hours").value),
                    "change": _change(words, walks),
                },
            )
        )
        for key in ("notes", "encounters", "key_persons", "missing", "diary_entries"):
            figure = digest.figure(key)
            if figure.value or figure.previous:
                lines.append(
                    Msg(
                        "digest.summary.figure",
                        {
                            "label": Msg(f"digest.figure.{key}"),
                            "value": words.num(figure.value, 0),
                            "change": _change(words, figure),
                        },
                    )
                )
        if digest.missing.groups and digest.missing.groups[0].text:
            top = digest.missing.groups[0]
            lines.append(
                Msg(
                    "digest.summary.top_missing",
                    {"text": _short(top.text), "count": words.num(top.count, 0)},
                )
            )
        diary = digest.diary
        if diary.answered:
            lines.append(
                Msg(
                    "digest.summary.diary",
                    {
                        "inside": words.pct(diary.share(diary.met_inside)),
                        "outside": words.pct(diary.share(diary.met_outside)),
                    },
                )
            )
    if digest.key_persons.due:
        lines.append(
            Msg("digest.summary.follow_ups", {"count": words.num(len(digest.key_persons.due), 0)})
        )
    if digest.questions:
        question = _text_params(digest.questions[0], words)
        lines.append(Msg("digest.summary.question", {"question": question}))
    return Msg(
        "digest.summary",
        {"title": title, "lines": tuple(lines), "closing": Msg("digest.summary.closing")},
    )


def _text_params(message: Msg, words: Words) -> Msg:
    """Return a Msg whose parameters are all text (numbers written out, user text shortened)."""
    params: dict[str, Any] = {}
    for name, value in message.params.items():
        if isinstance(value, Msg):
            params[name] = _text_params(value, words)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            params[name] = words.num(value, 0)
        else:
            params[name] = _short(str(value))
    return Msg(message.key, params)


def format_telegram(message: Msg, catalog: Catalog) -> str:
    """Render a Msg tree as Telegram HTML, exactly as the bot's Translator does."""
    template = catalog(message.key)
    if not message.params:
        return template
    values = {name: _telegram_value(value, catalog) for name, value in message.params.items()}
    return template.format(**values)


def _telegram_value(value: Any, catalog: Catalog) -> str:
    if isinstance(value, Msg):
        return format_telegram(value, catalog)
    if isinstance(value, tuple | list):
        return "\n".join(_telegram_value(item, catalog) for item in value)
    return html.escape(str(value), quote=False)


def digest_summary_text(digest: WeeklyDigest, catalog: Catalog) -> str:
    """Return the short Telegram HTML summary of a digest (only <b> and <i>; ≤ 4096 chars)."""
    message = summary_message(digest)
    text = format_telegram(message, catalog)
    lines = list(message.params["lines"])
    while len(text) > MAX_SUMMARY and lines:  # bounded lines make this unreachable in practice
        lines.pop()
        text = format_telegram(Msg(message.key, {**message.params, "lines": tuple(lines)}), catalog)
    return text


__all__ = [
    "ENV",
    "Catalog",
    "Words",
    "digest_summary_text",
    "format_telegram",
    "render_digest_html",
    "summary_message",
]
