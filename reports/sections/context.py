"""The buurt's wijken against the Brussels-Capital Region (no invented regional values)."""

from __future__ import annotations

from collections.abc import Sequence

import geo
from reports.model import ContextSummary, IndicatorRow
from reports.sections.common import wijk_name

# The indicators shown against the Brussels reference, in display order.
CONTEXT_INDICATORS = (
    "pct_65plus_2025",
    "pct_hh_single_total_2025",
    "median_taxable_income_eur_2023",
    "unemployment_rate_pct_2023",
    "cpas_ris_rate_pct_2023",
)


def build(buurt: Sequence[int], language: str) -> ContextSummary | None:
    """Return the indicator rows for the buurt's wijken, or None without a buurt."""
    wijken = [(code, geo.indicators(code)) for code in buurt]
    wijken = [(code, values) for code, values in wijken if values is not None]
    if not wijken:
        return None
    region = geo.region_reference()
    rows = []
    for key in CONTEXT_INDICATORS:
        info = geo.indicator_info(key)
        rows.append(
            IndicatorRow(
                key=key,
                caption=info.caption(language),
                unit=info.unit,
                source=info.source,
                year=info.year,
                values=tuple(values.value(key) for _, values in wijken),
                region=region.value(key),
                flagged=tuple(
                    key == "median_taxable_income_eur_2023" and values.income_suspect
                    for _, values in wijken
                ),
            )
        )
    return ContextSummary(
        wijken=tuple((code, wijk_name(code, language) or str(code)) for code, _ in wijken),
        rows=tuple(rows),
        source=geo.SOURCE,
    )
