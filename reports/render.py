"""Turn a WeeklyDigest into one self-contained HTML file and a short Telegram summary.

Translation. The caller passes a *catalog*: a callable that returns the message text of a key
in the reader's language, placeholders unfilled, and, for plural entries (msgid_plural), a
`plural(key, count)` method returning the form for a count (ngettext); bot/reporting.py makes
one from the bot's translator (`catalog_for(language)`). A plain callable works too (every
count then reads the first form). Filling the placeholders happens here, in one place, and
every parameter value is escaped: for the HTML through `Markup.format` (jinja2's autoescaping
does the rest), for Telegram with `html.escape`. Catalog text itself is trusted: it may hold
<b> and <i>. So nothing a user typed can ever become markup, whatever the catalog does.

Numbers, units, percentages, money and dates are written by Babel in the reader's locale
(nl_BE, fr_BE, en_GB): "0,3 km", "8 min", "1 u 30 min", "25 %", "€ 21.345".

There is ONE jinja2 Environment (`ENV`, autoescape on, templates from reports/templates/).
The page's only script is reports/templates/picture.js, inlined and allowed by its hash in
the page's Content-Security-Policy: no other script can run, nothing is fetched.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from babel.units import format_unit
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from reports import svg
from reports.model import GLANCE, Figure, Msg, Quantity, Tally, WeeklyDigest
from reports.round.model import RoundReport
from storage.kinds import KINDS, MAP_KINDS

LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_GB"}
MAX_SUMMARY = 4096
SUMMARY_TEXT_LIMIT = 90
SHARE_COLOURS = ("#1a7f37", "#9a6700", "#cf222e")
# Figures of the compact count line, in order (km and time go with the walks).
COUNT_LINE = tuple(key for key in GLANCE if key not in ("km", "hours", "diarists"))

ENV = Environment(
    loader=PackageLoader("reports", "templates"),
    autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# Each listed kind's number badge takes its map colour (storage/kinds.py is the one source).
ENV.globals["entry_colours"] = {kind.name: kind.colour for kind in KINDS if not kind.private}


class Catalog(Protocol):
    """key -> message text in the reader's language, with its {placeholders} still in it."""

    def __call__(self, key: str, /) -> str:
        """Return a message's text (the first form of a plural entry)."""
        ...


# -- numbers, dates and messages in one language ---------------------------------------------


def _no_catalog(key: str) -> str:
    raise KeyError(key)


@cache
def _currency_pattern(locale: str) -> str:
    """Return the locale's currency pattern without decimals ("¤ #,##0" in nl_BE)."""
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    return pattern.split(";")[0].replace(".00", "")


class Words:
    """Everything the template needs to say things in one language."""

    def __init__(
        self, language: str, timezone: str = "Europe/Brussels", catalog: Catalog | None = None
    ) -> None:
        self.catalog: Callable[[str], str] = catalog or _no_catalog
        self.language = language
        self.locale = LOCALES[language]
        self.timezone = timezone
        self._babel = Locale.parse(self.locale)
        self._zone = ZoneInfo(timezone)
        # A list of 10,000 entries asks for the same few labels over and over.
        self._texts: dict[str, Markup] = {}
        self._plain: dict[str, str] = {}
        self._days: dict[date, str] = {}
        self._lengths: dict[float, str] = {}

    # Messages.

    def form(self, key: str, count: Any = None) -> str:
        """Return a message's text, in the plural form for `count` when it is an int."""
        plural = getattr(self.catalog, "plural", None)
        if plural is not None and isinstance(count, int) and not isinstance(count, bool):
            return str(plural(key, count))
        return self.catalog(key)

    def plain(self, key: str, /, **params: Any) -> str:
        """Return a catalog text as plain text (tags dropped, entities decoded); "" if unknown.

        Catalog texts are Telegram HTML ("Shops &amp; services"); SVG text, attributes and
        labels built into other strings need the plain text, which gets escaped again there.
        """
        if not params and key in self._plain:
            return self._plain[key]
        try:
            text = Markup(self.t(key, **params)).striptags()
        except KeyError:
            text = ""
        if not params:
            self._plain[key] = text
        return text

    def t(self, key: str, /, **params: Any) -> Markup:
        """Translate a key to HTML: catalog text trusted, every parameter escaped."""
        if not params:
            known = self._texts.get(key)
            if known is None:
                known = self._texts[key] = Markup(self.form(key))
            return known
        template = Markup(self.form(key, params.get("count")))
        return template.format(**{name: self.html_value(v) for name, v in params.items()})

    def msg(self, message: Msg) -> Markup:
        """Translate a Msg (parameters may nest) to HTML."""
        return self.t(message.key, **message.params)

    def html_value(self, value: Any) -> Any:
        """Return a parameter ready for Markup.format (which escapes whatever is not Markup)."""
        if isinstance(value, Msg):
            return self.msg(value)
        if isinstance(value, Quantity):
            return self.quantity(value)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float):
            return self.num(value)
        if isinstance(value, datetime):
            return self.moment(value)
        if isinstance(value, date):
            return self.day(value)
        if isinstance(value, list | tuple):
            return Markup(", ").join(self.html_value(v) for v in value)
        return "" if value is None else str(value)

    def label(self, key: str, fallback: str | None) -> str:
        """Return a catalog label as plain text, or the code itself when the catalog has none."""
        return self.plain(key) or (fallback or "")

    def fact(self, value: Any) -> Any:
        """Return an entry fact's value for the page (a coded answer shows its label)."""
        if isinstance(value, Msg) and "code" in value.params:
            return self.label(value.key, value.params["code"])
        return self.html_value(value)

    # Values.

    def num(self, value: float, decimals: int = 1) -> str:
        """Return a number the way the language writes it (at most `decimals` decimals)."""
        pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self._babel)

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
        """Return a whole percentage: "25%", "25 %"."""
        return format_percent(round(value) / 100, locale=self._babel)

    def km(self, metres: float | None) -> str:
        """Return a distance in km with one decimal ("0,3 km")."""
        if metres is None:
            return ""
        km = round(metres / 1000, 1)
        if km not in self._lengths:
            self._lengths[km] = format_unit(
                km, "length-kilometer", length="short", locale=self._babel
            )
        return self._lengths[km]

    def metres(self, metres: int) -> str:
        """Return a round length for a scale bar ("500 m", "1 km")."""
        if metres >= 1000:
            return format_unit(metres // 1000, "length-kilometer", "short", locale=self._babel)
        return format_unit(metres, "length-meter", "short", locale=self._babel)

    def duration(self, hours: float) -> str:
        """Return a time in the field: "8 min", "1 u", "1 u 30 min"."""
        minutes = round(hours * 60)
        if minutes < 60:
            return format_unit(minutes, "duration-minute", length="short", locale=self._babel)
        whole, rest = divmod(minutes, 60)
        text = format_unit(whole, "duration-hour", length="short", locale=self._babel)
        if rest:
            text += " " + format_unit(rest, "duration-minute", length="short", locale=self._babel)
        return text

    def seconds(self, value: int | None) -> str:
        """Return a voice note's length: "0:42", "3:05"."""
        if value is None:
            return "?"
        return f"{value // 60}:{value % 60:02d}"

    def quantity(self, value: Quantity) -> str:
        """Return a measured value in the reader's locale."""
        if value.unit == "km":
            return self.km(value.value)
        if value.unit == "duration":
            return self.duration(value.value)
        if value.unit == "percent":
            return self.pct(value.value)
        return self.num(value.value)

    def indicator(self, value: float | None, unit: str) -> str:
        """Return an indicator value with its unit; an en dash when there is none."""
        if value is None:
            return "–"
        if unit == "EUR":
            return format_currency(
                round(value), "EUR", format=_currency_pattern(self.locale), locale=self._babel
            )
        if unit == "%":
            return format_percent(
                round(value, 1) / 100, locale=self._babel, decimal_quantization=False
            )
        return self.num(value)

    def day(self, value: date) -> str:
        """Return a short date: "23 nov."."""
        return format_date(value, "d MMM", locale=self._babel)

    def long_day(self, value: date) -> str:
        """Return a date with the year: "29 november 2026"."""
        return format_date(value, "d MMMM y", locale=self._babel)

    def weekday(self, value: date) -> str:
        """Return a date with its weekday: "ma 30 nov."."""
        if value not in self._days:
            self._days[value] = format_date(value, "EEE d MMM", locale=self._babel)
        return self._days[value]

    def moment(self, value: datetime) -> str:
        """Return a local date and time: "di 24 nov. 10:05"."""
        local = value.astimezone(self._zone)
        # The three locales all write the time of day as HH:mm.
        return f"{self.weekday(local.date())} {local:%H:%M}"

    def tally(self, items: Sequence[Tally], prefix: str | None = None, unknown: str = "") -> Markup:
        """Return "a (3), b (1)" for counted labels (codes looked up under `prefix`)."""
        parts = []
        for item in items:
            if prefix and item.label:
                text = self.label(f"{prefix}.{item.label}", item.label)
            else:
                text = item.label or unknown
            if item.count > 1:
                parts.append(Markup("{} ({})").format(text, self.num(item.count, 0)))
            else:
                parts.append(Markup("{}").format(text))
        return Markup(", ").join(parts)

    def counts(self, digest: WeeklyDigest, html_out: bool = True) -> list[Any]:
        """Return the compact count line's items: "1 walk (2.5 km, 1 h 30 min)", "4 notes (+3)"."""
        items: list[Any] = []
        for key in COUNT_LINE:
            figure = digest.figure(key)
            if not figure.value and key != "walks":
                continue
            params: dict[str, Any] = {"count": int(figure.value)}
            message = f"digest.count.{key}"
            if key == "walks" and figure.value:
                message = "digest.count.walks_far"
                params["km"] = Quantity(digest.figure("km").value * 1000, "km")
                params["time"] = Quantity(digest.figure("hours").value, "duration")
            text = self.t(message, **params) if html_out else self.plain(message, **params)
            if figure.change:
                text = text + " (" + self.signed(figure) + ")"
            items.append(text)
        return items


# -- HTML ------------------------------------------------------------------------------------


@cache
def _script() -> str:
    """Return the page's inline script (pan and zoom, tap a marker to read its note)."""
    return resources.files("reports").joinpath("templates", "picture.js").read_text("utf-8")


def _script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def css_string(text: str) -> str:
    """Return text as the inside of a CSS string (for the printed page header)."""
    out = []
    for char in text:
        if char in "\\\"'<>&" or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return "".join(out)


def _theme_label(words: Words, theme: str | None) -> str:
    return words.label(f"theme.{theme}", theme) if theme else words.plain("digest.theme.none")


class _Labels(dict[str, Any]):
    """Labels looked up once per key while a page renders (a list may have 10,000 entries)."""

    def __init__(self, make: Callable[[str], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: str) -> Any:
        value = self[key] = self.make(key)
        return value


def render_digest_html(digest: WeeklyDigest, catalog: Catalog) -> str:
    """Return the weekly picture as one self-contained HTML file (inline CSS, SVG, media)."""
    words = Words(digest.language, digest.timezone, catalog)
    template = ENV.get_template("digest.html")
    charts: dict[str, Markup | None] = {"map": None, "themes": None, "diary": None}
    if digest.map is not None:
        charts["map"] = svg.map_svg(
            digest.map,
            words.plain("digest.map.title"),
            crowd=words.plain("digest.map.crowd"),
            scale_label=words.metres,
        )
    if digest.themes:
        bars = [
            svg.Bar(_theme_label(words, row.theme), row.count, row.previous, words.num(row.count))
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
        charts["diary"] = svg.share_bar(
            [(label, n, colour, words.pct(diary.share(n))) for label, n, colour in parts],
            words.plain("digest.diary.title"),
        )
    legend = [
        (svg.legend_symbol(kind), words.plain(f"digest.map.kind.{kind}"))
        for kind in MAP_KINDS
        if digest.map is not None and any(p.kind == kind for p in digest.map.points)
    ]
    script = _script()
    return template.render(
        d=digest,
        w=words,
        t=words.t,
        charts=charts,
        legend=legend,
        walk_start=svg.legend_walk(False),
        walk_end=svg.legend_walk(True),
        share_colours=SHARE_COLOURS,
        theme_label=lambda theme: _theme_label(words, theme),
        kinds=_Labels(lambda kind: words.plain(f"digest.kind.{kind}")),
        themes=_Labels(lambda theme: _theme_label(words, theme)),
        labels=_Labels(words.t),
        on_map=words.t("digest.list.on_map"),
        script=Markup(script),
        script_hash=_script_hash(script),
        print_header=css_string(
            f"{words.plain('digest.kicker')} · {digest.organisation_name} · "
            f"{words.plain('digest.heading', week=str(digest.iso_week), year=str(digest.iso_year))}"
        ),
        print_page=css_string(words.plain("digest.print.page")),
        counts=words.counts(digest),
    )


# -- the round report -----------------------------------------------------------------------


def heat_level(count: int, peak: int) -> int:
    """Return a heat-table cell's level, 0 (none) to 4 (the peak)."""
    if count <= 0 or peak <= 0:
        return 0
    return max(1, min(4, round(4 * count / peak)))


HEAT_COLOURS = ("", "#fdf0c8", "#f9d28a", "#f0a35e", "#d9653b")


def render_round_html(report: RoundReport, catalog: Catalog) -> str:
    """Return the round report as one self-contained HTML file (inline CSS and SVG)."""
    from reports.round.buurtkaart import DRAWN_AS

    words = Words(report.language, report.timezone, catalog)
    weeks: list[str] = []
    if "trends" in report.names:
        weeks = [week.label for week in report.section("trends").weeks]

    def sparkline(series: Any) -> Markup:
        title = words.plain(f"round.trends.{series.key}")
        labels = [
            f"{label}: {words.num(v)}" for label, v in zip(weeks, series.values, strict=False)
        ]
        return svg.sparkline(series.values, title, labels)

    def share_bar(diaries: Any) -> Markup:
        parts = (
            (words.plain("digest.diary.inside"), diaries.met_inside, SHARE_COLOURS[0]),
            (words.plain("digest.diary.partly"), diaries.met_partly, SHARE_COLOURS[1]),
            (words.plain("digest.diary.outside"), diaries.met_outside, SHARE_COLOURS[2]),
        )
        return svg.share_bar(
            [(label, n, colour, words.pct(diaries.share(n))) for label, n, colour in parts],
            words.plain("round.diaries.title"),
        )

    def kaart_map(kaart: Any) -> Markup:
        counts = [
            (
                w.lat,
                w.lon,
                w.count,
                words.plain("round.kaart.diary_count", wijk=w.name, count=w.count),
            )
            for w in kaart.diary_wijken
        ]
        return svg.map_svg(
            kaart.map,
            words.plain("round.section.buurtkaart"),
            crowd=words.plain("round.kaart.crowd"),
            scale_label=words.metres,
            counts=counts,
        )

    def kaart_legend(kaart: Any) -> list[tuple[str, Markup]]:
        kinds = {place.kind for place in kaart.places}
        return [(kind, svg.legend_symbol(DRAWN_AS[kind])) for kind in DRAWN_AS if kind in kinds]

    script = _script()
    return ENV.get_template("round.html").render(
        r=report,
        w=words,
        t=words.t,
        sparkline=sparkline,
        share_bar=share_bar,
        share_colours=SHARE_COLOURS,
        kaart_map=kaart_map,
        kaart_legend=kaart_legend,
        count_symbol=svg.count_symbol(),
        drawn_as=DRAWN_AS,
        heat_level=heat_level,
        heat_style=lambda n, peak: (
            f"background:{HEAT_COLOURS[heat_level(n, peak)]}" if heat_level(n, peak) else ""
        ),
        theme_label=lambda theme: _theme_label(words, theme),
        kinds=_Labels(lambda kind: words.plain(f"digest.kind.{kind}")),
        themes=_Labels(lambda theme: _theme_label(words, theme)),
        script=Markup(script),
        script_hash=_script_hash(script),
        print_header=css_string(
            f"{words.plain('round.kicker')} · {report.organisation_name} · "
            f"{words.day(report.first_day)} – {words.long_day(report.last_day)}"
        ),
        print_page=css_string(words.plain("digest.print.page")),
    )


# -- Telegram summary ------------------------------------------------------------------------


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    if len(text) <= SUMMARY_TEXT_LIMIT:
        return text
    return text[: SUMMARY_TEXT_LIMIT - 1].rstrip() + "…"


def summary_message(digest: WeeklyDigest) -> Msg:
    """Return the Telegram summary as a tree of catalog keys whose parameters are text.

    The same findings as the page's first screen, the walks, and the first meeting question.
    Numbers, units and dates are already written out in the digest's language (a `count`
    stays an int, so the bot's Translator picks the plural form), so the bot can turn the
    tree into nested `Text` values and let its one Translator render it (escaping every string
    parameter, inserting nested catalog texts as they are), while `digest_summary_text`
    renders the very same tree here. User text is shortened, and the number of lines is
    bounded, so the result stays far below 4096.
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
    lines: list[Msg] = [
        Msg("digest.summary.finding", {"text": _text_params(f, words)}) for f in digest.findings
    ]
    walks = digest.figure("walks")
    if walks.value:
        lines.append(
            Msg(
                "digest.summary.walks",
                {
                    "count": int(walks.value),
                    "km": words.km(digest.figure("km").value * 1000),
                    "time": words.duration(digest.figure("hours").value),
                },
            )
        )
    if digest.questions:
        question = _text_params(digest.questions[0], words)
        lines.append(Msg("digest.summary.question", {"question": question}))
    return Msg(
        "digest.summary",
        {"title": title, "lines": tuple(lines), "closing": Msg("digest.summary.closing")},
    )


def round_summary(report: RoundReport) -> Msg:
    """Return the Telegram message that comes with a round report, as a tree of catalog keys.

    Like `summary_message`: numbers and dates written out, user text shortened, a `count`
    kept as an int for the plural form; a few bounded lines, far below 4096 characters.
    """
    words = Words(report.language, report.timezone)
    title = Msg(
        "round.summary.title",
        {
            "organisation": _short(report.organisation_name),
            "start": words.day(report.first_day),
            "end": words.long_day(report.last_day),
        },
    )
    lines: list[Msg] = [Msg("round.summary.observations", {"count": report.observations})]
    names = report.names
    if "missing" in names and report.section("missing").groups:
        top = report.section("missing").groups[0]
        params = {"what": _short(top.text) or "–", "count": top.count}
        lines.append(Msg("round.summary.missing", params))
    if "register" in names and report.section("register").people:
        register = report.section("register")
        params = {"count": len(register.people), "dormant": words.num(len(register.dormant), 0)}
        lines.append(Msg("round.summary.register", params))
    if "hypotheses" in names and report.section("hypotheses").items:
        items = report.section("hypotheses").items
        marked = sum(len(h.supports) + len(h.contradicts) for h in items)
        lines.append(
            Msg("round.summary.hypotheses", {"count": len(items), "marked": words.num(marked, 0)})
        )
    return Msg(
        "round.summary",
        {"title": title, "lines": tuple(lines), "closing": Msg("round.summary.closing")},
    )


def _text_params(message: Msg, words: Words) -> Msg:
    """Return a Msg whose parameters are all text (numbers written out, user text shortened);
    an int `count` stays a number so the plural form can be chosen."""
    params: dict[str, Any] = {}
    for name, value in message.params.items():
        if isinstance(value, Msg):
            params[name] = _text_params(value, words)
        elif name == "count" and isinstance(value, int) and not isinstance(value, bool):
            params[name] = value
        elif isinstance(value, Quantity):
            params[name] = words.quantity(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            params[name] = words.num(value, 0)
        else:
            params[name] = _short(str(value))
    return Msg(message.key, params)


def format_telegram(message: Msg, catalog: Catalog) -> str:
    """Render a Msg tree as Telegram HTML, exactly as the bot's Translator does."""
    count = message.params.get("count")
    plural = getattr(catalog, "plural", None)
    if plural is not None and isinstance(count, int) and not isinstance(count, bool):
        template = plural(message.key, count)
    else:
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
    "css_string",
    "digest_summary_text",
    "format_telegram",
    "render_digest_html",
    "render_round_html",
    "round_summary",
    "summary_message",
]
