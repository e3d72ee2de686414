"""Indicators per wijk, the regional reference and their labels."""

from __future__ import annotations

import dataclasses

import pytest

import geo
from geo import (
    ATTRIBUTION,
    INDICATOR_KEYS,
    INDICATORS,
    SOURCE,
    RegionReference,
    WijkIndicators,
    indicator_info,
    indicators,
    region_reference,
)


def test_grand_place_indicators() -> None:
    """Read typed values for wijk 1."""
    row = indicators(1)
    assert isinstance(row, WijkIndicators)
    assert (row.code, row.name_fr, row.municipality_nis, row.kind) == (
        1,
        "Grand Place",
        21004,
        "residential",
    )
    assert row.pct_65plus_2025 == pytest.approx(9.14)
    assert row.pct_hh_single_total_2025 == pytest.approx(70.52)
    assert row.median_taxable_income_eur_2023 == pytest.approx(22662)
    assert row.unemployment_rate_pct_2023 == pytest.approx(15.15)
    assert row.bim_rate_pct_2024 == pytest.approx(19.9)
    assert row.status_2025 is None and row.income_flag_2023 is None
    assert not row.income_suspect
    assert list(row.values()) == list(INDICATOR_KEYS)


def test_all_wijken_have_a_row() -> None:
    """Provide a row for each of the 145 wijken and None for unknown codes."""
    assert {w.code for w in geo.wijken()} == {r.code for r in geo.all_indicators()}
    assert indicators(999) is None


def test_missing_values_stay_none() -> None:
    """Keep ND/VS cells as None and expose the status."""
    cemetery = indicators(700)
    assert cemetery is not None
    assert cemetery.status_2025 == "VS" and cemetery.income_flag_2023 == "ND"
    assert all(v is None for v in cemetery.values().values())
    industry = indicators(800)
    assert industry is not None and industry.status_2025 == "ND"
    assert industry.unemployment_rate_pct_2023 == pytest.approx(4.99)
    assert industry.pct_65plus_2025 is None


@pytest.mark.parametrize("code", [11, 13, 15, 34, 68, 71, 74, 87, 101])
def test_repeated_income_values_are_flagged(code: int) -> None:
    """Flag the nine repeated income values as suspect."""
    row = indicators(code)
    assert row is not None and row.income_suspect
    assert row.median_taxable_income_eur_2023 in (20000.0, 24182.0)


def test_region_reference() -> None:
    """Read the regional values; missing ones stay None (no averages substituted)."""
    ref = region_reference()
    assert isinstance(ref, RegionReference)
    assert ref.pct_65plus_2025 == pytest.approx(13.14)
    assert ref.pct_hh_single_30plus_2025 == pytest.approx(38.36)
    assert ref.pct_hh_single_under30_2025 == pytest.approx(8.78)
    assert ref.pct_hh_single_total_2025 == pytest.approx(47.14)
    assert ref.median_taxable_income_eur_2023 == pytest.approx(24488)
    assert ref.unemployment_rate_pct_2023 is None
    assert ref.cpas_ris_rate_pct_2023 is None
    assert ref.bim_rate_pct_2024 is None
    assert "unweighted mean" in ref.note
    assert ref.value("bim_rate_pct_2024") is None
    with pytest.raises(KeyError):
        ref.value("note")


def test_indicator_labels() -> None:
    """Label every indicator with a source, a year and names in three languages."""
    assert [i.key for i in INDICATORS] == list(INDICATOR_KEYS)
    assert {f.name for f in dataclasses.fields(WijkIndicators)} >= set(INDICATOR_KEYS)
    for info in INDICATORS:
        assert info.source.startswith("IBSA/BISA")
        assert str(info.year) in info.key
        assert info.label("nl") and info.label("fr") and info.label("en")
    income = indicator_info("median_taxable_income_eur_2023")
    assert (income.year, income.unit) == (2023, "EUR")
    assert income.caption("en") == "Median net taxable income per tax return (2023)"
    assert indicator_info("bim_rate_pct_2024").year == 2024


def test_attribution_lines() -> None:
    """Carry the suggested attribution lines verbatim."""
    assert SOURCE == (
        "Source: IBSA/BISA – Monitoring des Quartiers / Wijkmonitoring (with Statbel); "
        "values reformatted."
    )
    assert ATTRIBUTION.splitlines() == [
        "Neighbourhood boundaries: Monitoring des Quartiers / Wijkmonitoring, IBSA–BISA "
        "(perspective.brussels); UrbIS® © Paradigm, Brussels-Capital Region.",
        "Municipal boundaries: UrbIS® © Paradigm, Brussels-Capital Region.",
        SOURCE,
    ]
