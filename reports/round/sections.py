"""The round report's sections, in page order: one builder module and one template each.

A section is a name, a pure builder `build(period, built) -> value` (`built`: the sections
made before it, by name) and a template `reports/templates/round/<name>.html` that shows the
value as `s`. To add one: write the module, add a line here, add the template and its
`round.<name>.*` catalog keys. A section value may define `cited() -> ids` to have the
observations it links to listed at the end of the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.round import (
    buurtkaart,
    diaries,
    focus_groups,
    hypotheses,
    missing,
    register,
    surveys,
    swot,
    trends,
)
from reports.round.model import SectionBuilder


@dataclass(frozen=True)
class Section:
    """One section of the round report: its name (template and anchor) and its builder."""

    name: str
    build: SectionBuilder


SECTIONS: tuple[Section, ...] = (
    Section("trends", trends.build),
    Section("missing", missing.build),
    Section("diaries", diaries.build),
    Section("register", register.build),
    Section("focus_groups", focus_groups.build),
    Section("surveys", surveys.build),
    Section("hypotheses", hypotheses.build),
    Section("buurtkaart", buurtkaart.build),
    # The closing page reads the sections above: keep it last.
    Section("swot", swot.build),
)
