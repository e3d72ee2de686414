"""Wijkmonitoring indicators per wijk and the Brussels-Capital Region reference values."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import Any

from geo.attribution import INDICATOR_ATTRIBUTION
from geo.gazetteer import normalize_language

INDICATORS_FILE = "neighbourhood_indicators.csv"
REGION_FILE = "region_reference.json"

SOURCE = INDICATOR_ATTRIBUTION
"""Suggested attribution line for the indicator figures."""

INCOME_FLAG_REPEATED = "repeated_value_check_source"
"""Income flag of the suspicious repeated values (24,182 € and 20,000 €)."""

_SOURCE_POPULATION = "IBSA/BISA – Monitoring des Quartiers (Statbel, National Register)"
_SOURCE_INCOME = "IBSA/BISA – Monitoring des Quartiers (Statbel, fiscal statistics)"
_SOURCE_MONITOR = "IBSA/BISA – Monitoring des Quartiers"


@dataclass(frozen=True)
class IndicatorInfo:
    """How to label one indicator in a report: names, unit, source and reference year."""

    key: str
    year: int
    unit: str
    source: str
    label_nl: str
    label_fr: str
    label_en: str
    note: str = ""

    def label(self, language: str) -> str:
        """Return the indicator's label in nl/fr/en."""
        return {"nl": self.label_nl, "fr": self.label_fr, "en": self.label_en}[
            normalize_language(language)
        ]

    def caption(self, language: str) -> str:
        """Return "label (year)" for tables and charts."""
        return f"{self.label(language)} ({self.year})"


INDICATORS: tuple[IndicatorInfo, ...] = (
    IndicatorInfo(
        "pct_65plus_2025",
        2025,
        "%",
        _SOURCE_POPULATION,
        "Aandeel 65-plussers",
        "Part des 65 ans et plus",
        "Share aged 65 and over",
    ),
    IndicatorInfo(
        "pct_hh_single_30plus_2025",
        2025,
        "%",
        _SOURCE_POPULATION,
        "Alleenwonenden van 30 jaar en ouder (aandeel huishoudens)",
        "Isolés de 30 ans et plus (part des ménages)",
        "People living alone aged 30 and over (share of households)",
    ),
    IndicatorInfo(
        "pct_hh_single_under30_2025",
        2025,
        "%",
        _SOURCE_POPULATION,
        "Alleenwonenden jonger dan 30 (aandeel huishoudens)",
        "Isolés de moins de 30 ans (part des ménages)",
        "People living alone under 30 (share of households)",
    ),
    IndicatorInfo(
        "pct_hh_single_total_2025",
        2025,
        "%",
        _SOURCE_POPULATION,
        "Eenpersoonshuishoudens",
        "Ménages d'une personne",
        "One-person households",
        note="sum of the two 'living alone' indicators",
    ),
    IndicatorInfo(
        "median_taxable_income_eur_2023",
        2023,
        "EUR",
        _SOURCE_INCOME,
        "Mediaan netto belastbaar inkomen per aangifte",
        "Revenu net imposable médian par déclaration",
        "Median net taxable income per tax return",
        note="not household disposable income",
    ),
    IndicatorInfo(
        "unemployment_rate_pct_2023",
        2023,
        "%",
        _SOURCE_MONITOR,
        "Werkloosheidsgraad",
        "Taux de chômage",
        "Unemployment rate",
    ),
    IndicatorInfo(
        "cpas_ris_rate_pct_2023",
        2023,
        "%",
        _SOURCE_MONITOR,
        "Aandeel met leefloon of equivalent (OCMW)",
        "Part des bénéficiaires du RIS ou équivalent (CPAS)",
        "Share receiving CPAS/OCMW income support",
    ),
    IndicatorInfo(
        "bim_rate_pct_2024",
        2024,
        "%",
        _SOURCE_MONITOR,
        "Aandeel met verhoogde tegemoetkoming (VT)",
        "Part des bénéficiaires de l'intervention majorée (BIM)",
        "Share with increased health-care reimbursement (BIM/VT)",
    ),
)

INDICATOR_KEYS: tuple[str, ...] = tuple(i.key for i in INDICATORS)
_BY_KEY = {i.key: i for i in INDICATORS}


def indicator_info(key: str) -> IndicatorInfo:
    """Return the labelling information of an indicator column (KeyError if unknown)."""
    return _BY_KEY[key]


@dataclass(frozen=True)
class WijkIndicators:
    """Indicators of one wijk; None where IBSA shows no value (ND/VS)."""

    code: int
    name_fr: str
    municipality_nis: int
    kind: str
    pct_65plus_2025: float | None
    pct_hh_single_30plus_2025: float | None
    pct_hh_single_under30_2025: float | None
    pct_hh_single_total_2025: float | None
    status_2025: str | None
    median_taxable_income_eur_2023: float | None
    income_flag_2023: str | None
    unemployment_rate_pct_2023: float | None
    cpas_ris_rate_pct_2023: float | None
    bim_rate_pct_2024: float | None

    @property
    def income_suspect(self) -> bool:
        """Return whether the income is one of the repeated values that look like artefacts."""
        return self.income_flag_2023 == INCOME_FLAG_REPEATED

    def value(self, key: str) -> float | None:
        """Return one indicator value by column name."""
        indicator_info(key)
        result: float | None = getattr(self, key)
        return result

    def values(self) -> dict[str, float | None]:
        """Return all indicator values keyed by column name, in display order."""
        return {key: self.value(key) for key in INDICATOR_KEYS}


@dataclass(frozen=True)
class RegionReference:
    """Brussels-Capital Region reference values; None where no official value exists."""

    pct_65plus_2025: float | None
    pct_hh_single_30plus_2025: float | None
    pct_hh_single_under30_2025: float | None
    pct_hh_single_total_2025: float | None
    median_taxable_income_eur_2023: float | None
    unemployment_rate_pct_2023: float | None
    cpas_ris_rate_pct_2023: float | None
    bim_rate_pct_2024: float | None
    note: str = ""

    def value(self, key: str) -> float | None:
        """Return one reference value by column name."""
        indicator_info(key)
        result: float | None = getattr(self, key)
        return result

    def values(self) -> dict[str, float | None]:
        """Return all reference values keyed by column name, in display order."""
        return {key: self.value(key) for key in INDICATOR_KEYS}


def _read_text(name: str) -> str:
    """Return the text of a packaged data file."""
    return resources.files("geo").joinpath("data", name).read_text(encoding="utf-8")


def _number(raw: Any) -> float | None:
    """Return raw as a float, or None when empty/null/ND/VS."""
    if raw is None:
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip()
    if not text or text.upper() in {"ND", "VS", "NA", "NULL"}:
        return None
    return float(text)


def _text(raw: str | None) -> str | None:
    """Return a stripped string, or None when empty."""
    text = (raw or "").strip()
    return text or None


@cache
def _all_indicators() -> dict[int, WijkIndicators]:
    """Load the indicator table, keyed by mdrc code."""
    rows = csv.DictReader(io.StringIO(_read_text(INDICATORS_FILE)))
    numeric = {f.name for f in fields(WijkIndicators)} & set(INDICATOR_KEYS)
    table: dict[int, WijkIndicators] = {}
    for row in rows:
        values: dict[str, Any] = {key: _number(row.get(key)) for key in numeric}
        item = WijkIndicators(
            code=int(row["mdrc"]),
            name_fr=row["name_fr"],
            municipality_nis=int(row["municipality_nis"]),
            kind=row["kind"],
            status_2025=_text(row.get("status_2025")),
            income_flag_2023=_text(row.get("income_flag_2023")),
            **values,
        )
        table[item.code] = item
    return table


def indicators(code: int) -> WijkIndicators | None:
    """Return the indicators of the wijk with this mdrc code, or None if unknown."""
    return _all_indicators().get(int(code))


def all_indicators() -> tuple[WijkIndicators, ...]:
    """Return the indicators of all 145 wijken, sorted by code."""
    table = _all_indicators()
    return tuple(table[code] for code in sorted(table))


@cache
def region_reference() -> RegionReference:
    """Return the regional reference values; the one-person total is derived as a sum."""
    raw = json.loads(_read_text(REGION_FILE))
    over30 = _number(raw.get("pct_hh_single_30plus_2025"))
    under30 = _number(raw.get("pct_hh_single_under30_2025"))
    total = _number(raw.get("pct_hh_single_total_2025"))
    if total is None and over30 is not None and under30 is not None:
        total = round(over30 + under30, 2)
    return RegionReference(
        pct_65plus_2025=_number(raw.get("pct_65plus_2025")),
        pct_hh_single_30plus_2025=over30,
        pct_hh_single_under30_2025=under30,
        pct_hh_single_total_2025=total,
        median_taxable_income_eur_2023=_number(raw.get("median_taxable_income_eur_2023")),
        unemployment_rate_pct_2023=_number(raw.get("unemployment_rate_pct_2023")),
        cpas_ris_rate_pct_2023=_number(raw.get("cpas_ris_rate_pct_2023")),
        bim_rate_pct_2024=_number(raw.get("bim_rate_pct_2024")),
        note=str(raw.get("_note", "")),
    )
