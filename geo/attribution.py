"""Attribution lines for the packaged geodata and indicators (see geo/data/README.md)."""

from __future__ import annotations

WIJK_ATTRIBUTION = (
    "Neighbourhood boundaries: Monitoring des Quartiers / Wijkmonitoring, "
    "IBSA–BISA (perspective.brussels); UrbIS® © Paradigm, Brussels-Capital Region."
)
MUNICIPALITY_ATTRIBUTION = "Municipal boundaries: UrbIS® © Paradigm, Brussels-Capital Region."
INDICATOR_ATTRIBUTION = (
    "Source: IBSA/BISA – Monitoring des Quartiers / Wijkmonitoring (with Statbel); "
    "values reformatted."
)

ATTRIBUTION = "\n".join((WIJK_ATTRIBUTION, MUNICIPALITY_ATTRIBUTION, INDICATOR_ATTRIBUTION))
"""All three attribution lines, one per line, to print wherever maps or figures are shown."""
